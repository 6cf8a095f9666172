/**
 * `@support/stripe-connect/mcp`: the agent tools as an MCP server (on the official
 * `@modelcontextprotocol/sdk`, an optional peer dependency).
 *
 * `createMcpServer(client, { appSlugs })` for an app that brings its own stores;
 * `serveStdio(client, options)` connects it to stdin/stdout; the package's `stripe-connect-mcp`
 * bin does that from the environment (see `mcpOptionsFromEnv`). Every tool is read-only
 * (`readOnlyHint: true`); a tool's failure is an `isError` result carrying the same
 * `{ success: false, error: { code, message, retryable } }` the other faces return.
 */
// `Server` (not `McpServer`): the tools' schemas are JSON Schema from the core, not zod.
import type * as McpServerModule from '@modelcontextprotocol/sdk/server/index.js'
import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type * as McpStdioModule from '@modelcontextprotocol/sdk/server/stdio.js'
import type * as McpTypes from '@modelcontextprotocol/sdk/types.js'
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js'
import { stdioLines } from './mcp-stdio.js'
import { requirePeer } from './peer.js'
import native = require('../native/index.js')
import { StripeConnect, stripeVariables } from './client.js'
import { guard } from './errors.js'
import { toolDefinitions, type ToolScopeOptions } from './tools.js'
import type { Connection, ConnectionStore } from './types.js'

// The MCP SDK is an optional peer: a missing one is one line naming it (see ./peer.ts).
const SDK = '@modelcontextprotocol/sdk'
const SUBPATH = '@support/stripe-connect/mcp'
const { Server: McpServer } = requirePeer<typeof McpServerModule>(
  `${SDK}/server/index.js`,
  SDK,
  SUBPATH,
)
const { StdioServerTransport } = requirePeer<typeof McpStdioModule>(
  `${SDK}/server/stdio.js`,
  SDK,
  SUBPATH,
)
const { CallToolRequestSchema, ListToolsRequestSchema } = requirePeer<typeof McpTypes>(
  `${SDK}/types.js`,
  SDK,
  SUBPATH,
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
  const tools = mcpTools()
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
