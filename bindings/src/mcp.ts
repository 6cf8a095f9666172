/**
 * `@support/stripe-connect/mcp`: the agent tools as an MCP server (on the official
 * `@modelcontextprotocol/sdk`, an optional peer dependency).
 *
 * - `createMcpServer(client, { appSlugs })`: the server, not yet connected (./mcp-server.ts);
 * - `serveStdio(client, options)`: connected to stdin/stdout; the package's `stripe-connect-mcp`
 *   bin does that from the environment (see `mcpOptionsFromEnv`);
 * - `createMcpRouteHandler({ client, authorize })`: over Streamable HTTP as Web-standard route
 *   handlers, stateless, each request scoped by the app's own `authorize` (./mcp-http.ts), with
 *   `createProtectedResourceMetadataHandler` for its OAuth metadata (RFC 9728).
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type * as McpStdioModule from '@modelcontextprotocol/sdk/server/stdio.js'
import { stdioLines } from './mcp-stdio.js'
import { createMcpServer, MCP_SDK, MCP_SUBPATH, type McpServerOptions } from './mcp-server.js'
import { requirePeer } from './peer.js'
import native = require('../native/index.js')
import { StripeConnect, stripeVariables } from './client.js'
import { guard } from './errors.js'
import type { Connection, ConnectionStore } from './types.js'

export { createMcpServer, mcpTools, type McpServerOptions } from './mcp-server.js'
export {
  bearerToken,
  createMcpRouteHandler,
  createProtectedResourceMetadataHandler,
  DEFAULT_MCP_MAX_BODY_BYTES,
  PROTECTED_RESOURCE_WELL_KNOWN,
  type McpAccess,
  type McpRouteHandlers,
  type McpRouteOptions,
  type ProtectedResourceMetadataOptions,
} from './mcp-http.js'

const { StdioServerTransport } = requirePeer<typeof McpStdioModule>(
  `${MCP_SDK}/server/stdio.js`,
  MCP_SDK,
  MCP_SUBPATH,
)

/**
 * `createMcpServer` connected to this process's stdin/stdout. Every line is answered or refused
 * with a log line on stderr (an oversized or non-JSON line, `"params": null`: see
 * `./mcp-stdio.ts`), and transport or handler errors are logged to stderr, quoted by the core.
 */
export async function serveStdio(
  client: StripeConnect,
  options: McpServerOptions,
): Promise<Server> {
  const server = createMcpServer(client, options)
  const log = (line: string) => console.error(`stripe-connect-mcp: ${line}`)
  server.onerror = (error: Error) => log(`error: ${native.quoteForLog(error.message)}`)
  const input = stdioLines(process.stdin, { output: process.stdout, log })
  await server.connect(new StdioServerTransport(input, process.stdout))
  return server
}

/** What `stripe-connect-mcp` reads from the environment. */
export interface McpEnvironment {
  client: StripeConnect
  appSlugs: string[]
}

/**
 * `STRIPE_CONNECT_ACCOUNTS="slug=acct_…,slug2=acct_…"` as connections, parsed by the core:
 * `config_invalid` naming the variable and the entry's position (never its value) for a malformed
 * entry, an invalid slug or account id, a slug or an account given twice, or no entry at all.
 */
export function parseAccounts(value: string): Connection[] {
  return guard(() => native.parseConnectEnv({ STRIPE_CONNECT_ACCOUNTS: String(value) })).connections
}

/** Connections held in memory (the bin's store when the environment names them). */
function fixedConnections(connections: Connection[]): ConnectionStore {
  const bySlug = new Map(connections.map((c) => [c.appSlug, c]))
  return {
    save(c) {
      bySlug.set(c.appSlug, c)
    },
    clearByAccount(accountId) {
      for (const [slug, c] of bySlug) {
        if (c.accountId === accountId) {
          bySlug.delete(slug)
          return slug
        }
      }
      return null
    },
    getBySlug: (slug) => bySlug.get(slug) ?? null,
    list: () => [...bySlug.values()],
  }
}

/**
 * The client and scope of `stripe-connect-mcp`, from `env`'s `STRIPE_*` variables: the client as
 * `StripeConnect.fromEnv()` reads it (`STRIPE_SECRET_KEY`, `STRIPE_API_BASE` for a test Stripe,
 * …), the connections of `STRIPE_CONNECT_ACCOUNTS`, and the scope `STRIPE_CONNECT_APP_SLUGS`
 * (comma-separated, each among the accounts; default every app of `STRIPE_CONNECT_ACCOUNTS`). The
 * core parses all of it; `appSlugs` are validated slugs, safe to print.
 */
export function mcpOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): McpEnvironment {
  const vars = stripeVariables(env)
  const { connections, appSlugs } = guard(() => native.parseConnectEnv(vars))
  const stores = { connections: fixedConnections(connections) }
  const handle = guard(() => native.NativeClient.fromEnv(vars, undefined, stores))
  return { client: new StripeConnect({ secretKey: '' }, handle), appSlugs }
}
