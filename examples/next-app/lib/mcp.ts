// Optional: the read-only support tools for the staff's own agents, over MCP at /api/mcp (needs the
// optional peer @modelcontextprotocol/sdk). In a file of its own, so that an app without MCP, and
// its other routes, never load the SDK.
import {
  createMcpRouteHandler,
  createProtectedResourceMetadataHandler,
} from '@support/stripe-connect/mcp'
import { eq } from 'drizzle-orm'

import { db } from '@/db'
import { appAgents } from '@/db/schema'
import { auth } from '@/lib/auth'
import { stripeConnect } from '@/lib/stripe-connect'

/**
 * The support tools for the staff's own agents (Claude Desktop, an IDE, a web MCP client), over
 * Streamable HTTP at /api/mcp. Each request is decided here, by the app: the bearer token is an
 * MCP access token from BetterAuth's MCP plugin; its user reaches the apps they work on
 * (SUPPORT_app_agents), nothing else. No token (or one BetterAuth does not know): 401, whose
 * WWW-Authenticate sends the client to the metadata below and from there to BetterAuth's OAuth.
 */
export const mcp = createMcpRouteHandler({
  // A function: built on the first request, not while `next build` imports the route.
  client: stripeConnect,
  authorize: async (request) => {
    const session = await auth.api.getMcpSession({ headers: request.headers })
    if (session === null) return null
    const rows = await db
      .select({ appSlug: appAgents.appSlug })
      .from(appAgents)
      .where(eq(appAgents.userId, session.userId))
    if (rows.length === 0)
      return Response.json({ error: 'This user works on no app' }, { status: 403 })
    return { appSlugs: rows.map((r) => r.appSlug) }
  },
  // The app's own pages may call it from the browser; other origins get 403.
  allowedOrigins: process.env.APP_URL ? [process.env.APP_URL] : [],
})

/** RFC 9728 metadata of /api/mcp: BetterAuth (mounted at /api/auth) issues its tokens. */
export const mcpMetadata = createProtectedResourceMetadataHandler({
  authorizationServers: ['/api/auth'],
  resourceName: 'Support: Stripe Connect tools (read-only)',
})
