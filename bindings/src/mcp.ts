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
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js'
import { StripeConnect } from './client.js'
import { StripeConnectError } from './errors.js'
import { toolDefinitions, type ToolScopeOptions } from './tools.js'
import type { Connection, ConnectionStore } from './types.js'

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
  const appSlugs = [...(options?.appSlugs ?? [])]
  if (appSlugs.length === 0) {
    throw new StripeConnectError(
      'invalid_input',
      'createMcpServer needs options.appSlugs: the apps this server may answer about',
    )
  }
  const server = new Server(
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

/** `createMcpServer` connected to this process's stdin/stdout. */
export async function serveStdio(
  client: StripeConnect,
  options: McpServerOptions,
): Promise<Server> {
  const server = createMcpServer(client, options)
  await server.connect(new StdioServerTransport())
  return server
}

/** What `stripe-connect-mcp` reads from the environment. */
export interface McpEnvironment {
  client: StripeConnect
  appSlugs: string[]
}

/**
 * `STRIPE_CONNECT_ACCOUNTS="slug=acct_…,slug2=acct_…"` as connections (`invalid_input` naming the
 * variable for a malformed entry; the core validates the slug and the account id).
 */
export function parseAccounts(value: string): Connection[] {
  const connections: Connection[] = []
  for (const raw of value.split(',')) {
    const entry = raw.trim()
    if (entry === '') continue
    const eq = entry.indexOf('=')
    if (eq <= 0 || eq === entry.length - 1) {
      throw new StripeConnectError(
        'config_invalid',
        `STRIPE_CONNECT_ACCOUNTS: ${JSON.stringify(entry.slice(0, 64))} is not slug=acct_…`,
      )
    }
    const accountId = entry.slice(eq + 1).trim()
    connections.push({
      appSlug: entry.slice(0, eq).trim(),
      accountId,
      livemode: false,
      scope: 'read_write',
    })
  }
  return connections
}

/** Connections held in memory (the bin's store when the environment names them). */
function fixedConnections(connections: Connection[], livemode: boolean): ConnectionStore {
  const bySlug = new Map(connections.map((c) => [c.appSlug, { ...c, livemode }]))
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
 * The client and scope of `stripe-connect-mcp`: `StripeConnect.fromEnv()` (the usual
 * `STRIPE_*` variables; `STRIPE_API_BASE` overrides the API host, for a test Stripe), the
 * connections of `STRIPE_CONNECT_ACCOUNTS`, and the scope `STRIPE_CONNECT_APP_SLUGS`
 * (comma-separated; default every app of `STRIPE_CONNECT_ACCOUNTS`).
 */
export function mcpOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): McpEnvironment {
  const accounts = parseAccounts(env.STRIPE_CONNECT_ACCOUNTS ?? '')
  if (accounts.length === 0) {
    throw new StripeConnectError(
      'config_invalid',
      'STRIPE_CONNECT_ACCOUNTS is not set: name the connected apps as "slug=acct_…,slug2=acct_…"',
    )
  }
  const livemode = (env.STRIPE_SECRET_KEY ?? '').includes('_live_')
  const apiBase = env.STRIPE_API_BASE?.trim() || undefined
  const client = StripeConnect.fromEnv({
    ...(apiBase ? { apiBase } : {}),
    stores: { connections: fixedConnections(accounts, livemode) },
  })
  const scope = (env.STRIPE_CONNECT_APP_SLUGS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  return { client, appSlugs: scope.length > 0 ? scope : accounts.map((a) => a.appSlug) }
}
