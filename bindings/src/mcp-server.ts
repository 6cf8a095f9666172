/**
 * The tools as an MCP server (on the official `@modelcontextprotocol/sdk`, an optional peer),
 * shared by the stdio face (`./mcp.ts`) and the Streamable HTTP route (`./mcp-http.ts`). Every
 * tool is read-only (`readOnlyHint: true`); a tool's failure is an `isError` result carrying the
 * same `{ success: false, error: { code, message, retryable } }` the other faces return.
 */
// `Server` (not `McpServer`): the tools' schemas are JSON Schema from the core, not zod.
import type * as McpServerModule from '@modelcontextprotocol/sdk/server/index.js'
import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type * as McpTypes from '@modelcontextprotocol/sdk/types.js'
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js'
import { requirePeer } from './peer.js'
import native = require('../native/index.js')
import type { StripeConnect } from './client.js'
import { guard } from './errors.js'
import { toolDefinitions, type ToolScopeOptions } from './tools.js'

// The MCP SDK is an optional peer: a missing one is one line naming it (see ./peer.ts).
export const MCP_SDK = '@modelcontextprotocol/sdk'
export const MCP_SUBPATH = '@support/stripe-connect/mcp'
const { Server: McpServer } = requirePeer<typeof McpServerModule>(
  `${MCP_SDK}/server/index.js`,
  MCP_SDK,
  MCP_SUBPATH,
)
const { CallToolRequestSchema, ListToolsRequestSchema } = requirePeer<typeof McpTypes>(
  `${MCP_SDK}/types.js`,
  MCP_SDK,
  MCP_SUBPATH,
)

export interface McpServerOptions extends ToolScopeOptions {
  /** The server's name in the MCP handshake (default `stripe-connect`). */
  name?: string
  /** The server's version in the handshake (default the package's). */
  version?: string
}

const PACKAGE_VERSION: string = require('../../package.json').version

/** The MCP description of every tool: JSON Schema input, read-only, no side effects. */
export function mcpTools(): Tool[] {
  return toolDefinitions().map((d) => ({
    name: d.name,
    title: d.title,
    description: d.description,
    inputSchema: d.inputSchema as unknown as Tool['inputSchema'],
    // The whole result (structuredContent), generated from the tool's result type.
    outputSchema: d.outputSchema as unknown as Tool['outputSchema'],
    annotations: {
      title: d.title,
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      // Stripe is outside this server.
      openWorldHint: true,
    },
  }))
}

let listed: Tool[] | undefined

/** An MCP server exposing the tools of `client` within `options.appSlugs`. Not yet connected. */
export function createMcpServer(client: StripeConnect, options: McpServerOptions): Server {
  // The core checks the scope (an array of app slugs, at least one): `invalid_input` otherwise.
  const appSlugs = guard(() => native.toolScope(options?.appSlugs))
  const server = new McpServer(
    { name: options.name ?? 'stripe-connect', version: options.version ?? PACKAGE_VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        'Read-only Stripe Connect lookups for customer support: payments, subscriptions, charges, refunds and disputes of the connected apps, by customer email or Stripe id. Nothing here can charge, refund or change anything.',
    },
  )
  // Built once: the HTTP route makes a server per request.
  listed ??= mcpTools()
  const tools = listed
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }))
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const result = await client.callTool(request.params.name, request.params.arguments ?? {}, {
      appSlugs,
    })
    return {
      content: [{ type: 'text', text: JSON.stringify(result) }],
      structuredContent: result as unknown as Record<string, unknown>,
      isError: !result.success,
    }
  })
  return server
}
