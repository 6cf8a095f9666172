/**
 * The MCP server over Streamable HTTP as Web-standard route handlers
 * (`(request: Request) => Promise<Response>`): a Next.js app-router route as they are, or Bun.serve,
 * Hono, a node:http adapter. Part of `@support/stripe-connect/mcp`.
 *
 *   POST     one JSON-RPC message (or batch) → its JSON answer; any instance answers any request
 *   GET      405: no server-initiated stream (stateless, nothing to resume)
 *   DELETE   405: no sessions to end
 *   OPTIONS  CORS preflight for the `allowedOrigins`
 *
 * Every request is checked in this order, before anything else is read:
 *   1. `Origin`: absent (an MCP client running as a process) or one of `allowedOrigins`; else 403
 *      (MCP 2025-11-25, Transports, "Security Warning": DNS rebinding).
 *   2. `authorize(request)`, the app's own decision: the scope (`{ appSlugs }`) or a `Response`;
 *      `null` is a 401 whose `WWW-Authenticate` names the OAuth protected-resource metadata
 *      (RFC 9728 §5.1), which `createProtectedResourceMetadataHandler` serves.
 *   3. The body: at most `maxBodyBytes`, JSON.
 * Then a fresh MCP server answers within that scope and is closed: no session, no sticky routing.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#security-warning
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 * @see https://www.rfc-editor.org/rfc/rfc9728
 */
import type * as McpWebModule from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import native = require('../native/index.js')
import type { StripeConnect } from './client.js'
import { guard } from './errors.js'
import { createMcpServer, MCP_SDK, MCP_SUBPATH, type McpServerOptions } from './mcp-server.js'
import { requirePeer } from './peer.js'
import { discard, json, parseOrigin, readCapped } from './web.js'

const { WebStandardStreamableHTTPServerTransport } = requirePeer<typeof McpWebModule>(
  `${MCP_SDK}/server/webStandardStreamableHttp.js`,
  MCP_SDK,
  MCP_SUBPATH,
)

/** What an agent's request may reach: the apps whose tools answer it. */
export interface McpAccess {
  /** App slugs (at least one); a tool call naming another app is refused (`app_out_of_scope`). */
  appSlugs: readonly string[]
}

export interface McpRouteOptions extends Pick<McpServerOptions, 'name' | 'version'> {
  /**
   * The app's client, or a function that returns it: called on the first request, so a module
   * that builds its client from the environment can be imported by `next build` without it.
   */
  client: StripeConnect | (() => StripeConnect)
  /**
   * The app's decision for each request (required), made before the body is read: return the
   * scope (`{ appSlugs }`) to answer within it, `null` when the request carries no valid
   * credentials (a 401 with `WWW-Authenticate`: see `resourceMetadataUrl`), or a `Response` to
   * answer with as it is (e.g. a 403 for a user who may see no app). Typically: read the bearer
   * token (`bearerToken(request)`), ask the app's OAuth server who it is, map the user to apps.
   */
  authorize: (
    request: Request,
  ) => McpAccess | Response | null | Promise<McpAccess | Response | null>
  /**
   * The URL of this endpoint's OAuth protected-resource metadata (RFC 9728), named in the 401's
   * `WWW-Authenticate`. Default: the request's origin + `/.well-known/oauth-protected-resource` +
   * the endpoint's path (RFC 9728 §3.1), where `createProtectedResourceMetadataHandler` is served.
   */
  resourceMetadataUrl?: string
  /**
   * Origins a browser may call from (`https://support.example.com`). A request with any other
   * `Origin` gets 403; a request without one (an MCP client running as a process) is served.
   * Default: none.
   */
  allowedOrigins?: readonly string[]
  /** Largest request body accepted, in bytes; larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number
  /**
   * Called with each failure that is not the client's fault (a throwing `authorize`, an invalid
   * scope, a transport error). Default: one `console.error` line, quoted by the core.
   */
  onError?: (error: unknown) => void
}

export interface McpRouteHandlers {
  POST: (request: Request) => Promise<Response>
  GET: (request: Request) => Promise<Response>
  DELETE: (request: Request) => Promise<Response>
  OPTIONS: (request: Request) => Promise<Response>
}

export const DEFAULT_MCP_MAX_BODY_BYTES = 1024 * 1024
/** RFC 9728 §3: the well-known path of a protected resource's metadata. */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource'

const ALLOW = 'POST, GET, DELETE, OPTIONS'
const CORS_REQUEST_HEADERS =
  'authorization, content-type, accept, mcp-protocol-version, mcp-session-id, last-event-id'
const CORS_EXPOSED_HEADERS = 'www-authenticate, mcp-session-id, mcp-protocol-version'

/**
 * The MCP endpoint's route handlers.
 *
 * ```ts
 * // app/api/mcp/route.ts
 * export const { POST, GET, DELETE, OPTIONS } = createMcpRouteHandler({
 *   client: stripeConnect,
 *   authorize: async (request) => {
 *     const session = await auth.api.getMcpSession({ headers: request.headers })
 *     return session === null ? null : { appSlugs: await appsOf(session.userId) }
 *   },
 * })
 * ```
 */
export function createMcpRouteHandler(options: McpRouteOptions): McpRouteHandlers {
  const where = 'createMcpRouteHandler'
  if (options === null || typeof options !== 'object')
    throw new TypeError(`${where}: options { client, authorize } are required`)
  const { authorize } = options
  if (typeof authorize !== 'function') {
    throw new TypeError(
      `${where}: options.authorize is required: (request) => { appSlugs } | Response | null decides which apps an agent's request may reach (there is no "everyone" default), got ${typeof authorize}`,
    )
  }
  const clientOption = options.client
  if (
    typeof clientOption !== 'function' &&
    (clientOption === null || typeof clientOption !== 'object')
  )
    throw new TypeError(
      `${where}: options.client must be a StripeConnect or a function returning one`,
    )
  const origins = options.allowedOrigins ?? []
  if (!Array.isArray(origins))
    throw new TypeError(`${where}: allowedOrigins must be an array of origins`)
  const allowed = new Set(origins.map((o) => parseOrigin(o, `${where}: allowedOrigins entry`)))
  const metadataUrl =
    options.resourceMetadataUrl === undefined
      ? undefined
      : parseHttpUrl(options.resourceMetadataUrl, `${where}: resourceMetadataUrl`)
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MCP_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new TypeError(
      `${where}: maxBodyBytes must be a positive whole number of bytes, got ${String(maxBodyBytes)}`,
    )
  }
  const onError = options.onError ?? defaultOnError
  const report = (error: unknown): void => {
    try {
      onError(error)
    } catch {
      // A failing logger must not change the response.
    }
  }
  let client: StripeConnect | undefined
  const theClient = (): StripeConnect => {
    client ??= typeof clientOption === 'function' ? clientOption() : clientOption
    return client
  }

  /** 403 for an `Origin` that is present and not allowed; else the CORS headers it gets. */
  function checkOrigin(request: Request): Response | Record<string, string> {
    const origin = request.headers.get('origin')
    if (origin === null) return {}
    if (!allowed.has(origin)) return rpcError(403, -32000, 'Forbidden: Origin not allowed')
    return {
      'access-control-allow-origin': origin,
      'access-control-expose-headers': CORS_EXPOSED_HEADERS,
      vary: 'Origin',
    }
  }

  function unauthorized(request: Request, cors: Record<string, string>): Response {
    return rpcError(401, -32001, 'Unauthorized: a valid bearer token is required', {
      ...cors,
      'www-authenticate': challenge(request, metadataUrl),
    })
  }

  async function POST(request: Request): Promise<Response> {
    const cors = checkOrigin(request)
    if (cors instanceof Response) return discard(request).then(() => cors)
    let appSlugs: string[]
    try {
      const decision = await authorize(request)
      if (decision === null || decision === undefined) {
        await discard(request)
        return unauthorized(request, cors)
      }
      if (decision instanceof Response) {
        await discard(request)
        return withHeaders(decision, request, cors, metadataUrl)
      }
      // The core checks the scope (an array of valid slugs, at least one): an app bug otherwise.
      appSlugs = guard(() => native.toolScope((decision as McpAccess).appSlugs))
    } catch (error) {
      report(error)
      await discard(request)
      return rpcError(500, -32603, 'Internal error', cors)
    }
    const body = await readCapped(request, maxBodyBytes)
    if (body === null)
      return rpcError(413, -32000, `Payload too large: at most ${maxBodyBytes} bytes`, cors)
    let parsedBody: unknown
    try {
      parsedBody = JSON.parse(body.toString('utf8'))
    } catch {
      return rpcError(400, -32700, 'Parse error: the body is not JSON', cors)
    }
    const server = createMcpServer(theClient(), {
      appSlugs,
      name: options.name,
      version: options.version,
    })
    // Stateless: no session id, every answer in the POST's own JSON response.
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    })
    server.onerror = report
    try {
      await server.connect(transport)
      const response = await transport.handleRequest(request, { parsedBody })
      return withHeaders(response, request, cors, metadataUrl)
    } catch (error) {
      report(error)
      return rpcError(500, -32603, 'Internal error', cors)
    } finally {
      await server.close().catch(report)
    }
  }

  /** No stream to open and no session to end: only POST carries messages here. */
  async function notAllowed(request: Request): Promise<Response> {
    const cors = checkOrigin(request)
    await discard(request)
    if (cors instanceof Response) return cors
    return rpcError(405, -32000, 'Method not allowed: this endpoint is stateless, POST only', {
      ...cors,
      allow: ALLOW,
    })
  }

  async function OPTIONS(request: Request): Promise<Response> {
    const cors = checkOrigin(request)
    if (cors instanceof Response) return cors
    return new Response(null, {
      status: 204,
      headers: {
        ...cors,
        allow: ALLOW,
        ...(request.headers.get('origin') === null
          ? {}
          : {
              'access-control-allow-methods': ALLOW,
              'access-control-allow-headers': CORS_REQUEST_HEADERS,
              'access-control-max-age': '600',
            }),
      },
    })
  }

  return { POST, GET: notAllowed, DELETE: notAllowed, OPTIONS }
}

export interface ProtectedResourceMetadataOptions {
  /**
   * The authorization servers (their issuer URLs) that issue tokens for this endpoint, at least
   * one: absolute `https://` URLs, or a path such as `/api/auth` on the request's own origin.
   */
  authorizationServers: readonly string[]
  /**
   * The protected resource: the MCP endpoint's URL. Default: derived from the metadata's own URL
   * (`/.well-known/oauth-protected-resource/api/mcp` describes `/api/mcp` on the same origin).
   */
  resource?: string
  /** OAuth scopes the endpoint understands (`scopes_supported`). */
  scopesSupported?: readonly string[]
  /** A human-readable name of the resource (`resource_name`). */
  resourceName?: string
  /** A page documenting the endpoint (`resource_documentation`). */
  resourceDocumentation?: string
}

/**
 * The OAuth 2.0 protected-resource metadata (RFC 9728) of the MCP endpoint, as route handlers for
 * `app/.well-known/oauth-protected-resource/api/mcp/route.ts`: an MCP client that got a 401 reads
 * it to find the app's authorization server (BetterAuth's MCP or OIDC plugin, or any).
 */
export function createProtectedResourceMetadataHandler(options: ProtectedResourceMetadataOptions): {
  GET: (request: Request) => Promise<Response>
  OPTIONS: (request: Request) => Promise<Response>
} {
  const where = 'createProtectedResourceMetadataHandler'
  if (options === null || typeof options !== 'object')
    throw new TypeError(`${where}: options { authorizationServers } are required`)
  const servers = options.authorizationServers
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new TypeError(
      `${where}: authorizationServers must list at least one authorization server (an https URL, or a path on this origin such as "/api/auth")`,
    )
  }
  const resolveServer = servers.map((s) => urlOrPath(s, `${where}: authorizationServers entry`))
  const resolveResource =
    options.resource === undefined ? undefined : urlOrPath(options.resource, `${where}: resource`)
  const optional: Record<string, unknown> = {}
  if (options.scopesSupported !== undefined) {
    if (
      !Array.isArray(options.scopesSupported) ||
      !options.scopesSupported.every(
        (s) => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s),
      )
    )
      throw new TypeError(`${where}: scopesSupported must be an array of OAuth scope tokens`)
    optional.scopes_supported = [...options.scopesSupported]
  }
  if (options.resourceName !== undefined) optional.resource_name = String(options.resourceName)
  if (options.resourceDocumentation !== undefined) {
    optional.resource_documentation = parseHttpUrl(
      options.resourceDocumentation,
      `${where}: resourceDocumentation`,
    )
  }
  // Public by design: any origin may read it (a browser-based MCP client does).
  const cors = { 'access-control-allow-origin': '*' }

  async function GET(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const resource =
      resolveResource?.(url) ??
      url.origin + (url.pathname.slice(PROTECTED_RESOURCE_WELL_KNOWN.length) || '/')
    const body = {
      resource,
      authorization_servers: resolveServer.map((r) => r(url)),
      bearer_methods_supported: ['header'],
      ...optional,
    }
    return json(200, body, { ...cors, 'cache-control': 'public, max-age=3600' })
  }

  async function OPTIONS(): Promise<Response> {
    return new Response(null, {
      status: 204,
      headers: { ...cors, 'access-control-allow-methods': 'GET, OPTIONS', allow: 'GET, OPTIONS' },
    })
  }

  return { GET, OPTIONS }
}

/** The bearer token of `Authorization: Bearer …` (RFC 6750 §2.1), or `null`. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get('authorization')
  const match = header === null ? null : /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header)
  return match?.[1] ?? null
}

/** `WWW-Authenticate` for a 401 (RFC 6750 §3, RFC 9728 §5.1): `invalid_token` only when one was sent. */
function challenge(request: Request, metadataUrl: string | undefined): string {
  const url = new URL(request.url)
  const metadata = metadataUrl ?? `${url.origin}${PROTECTED_RESOURCE_WELL_KNOWN}${url.pathname}`
  const params = [`resource_metadata="${metadata}"`]
  if (request.headers.has('authorization')) {
    params.unshift(
      'error="invalid_token"',
      'error_description="The access token is missing, expired or not accepted"',
    )
  }
  return `Bearer ${params.join(', ')}`
}

/** `response` with the CORS headers, and the challenge added to a 401 that has none. */
function withHeaders(
  response: Response,
  request: Request,
  extra: Record<string, string>,
  metadataUrl: string | undefined,
): Response {
  const missingChallenge = response.status === 401 && !response.headers.has('www-authenticate')
  if (Object.keys(extra).length === 0 && !missingChallenge) return response
  const headers = new Headers(response.headers)
  for (const [k, v] of Object.entries(extra)) headers.set(k, v)
  if (missingChallenge) headers.set('www-authenticate', challenge(request, metadataUrl))
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  })
}

/** A JSON-RPC error without an id (the request was not read), as the SDK's transport answers. */
function rpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return json(status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers)
}

/** An absolute http(s) URL: `https://`, or `http://` on this machine only (the core's loopback rule). */
function parseHttpUrl(value: unknown, what: string): string {
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    throw new TypeError(`${what} ${JSON.stringify(value)} is not an absolute URL`)
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && native.isLoopbackUrl(url.href))) {
    throw new TypeError(
      `${what} ${JSON.stringify(value)} must be an https URL (http only on localhost)`,
    )
  }
  return url.href
}

/** An absolute URL, or a path resolved against the request's origin. */
function urlOrPath(value: unknown, what: string): (request: URL) => string {
  if (typeof value === 'string' && value.startsWith('/') && !value.startsWith('//')) {
    if (/[\s\\?#]/.test(value))
      throw new TypeError(`${what} ${JSON.stringify(value)} must be a plain path`)
    return (request) => `${request.origin}${value}`
  }
  const url = parseHttpUrl(value, what)
  return () => url
}

function defaultOnError(error: unknown): void {
  const e = error as { code?: unknown; name?: unknown; message?: unknown }
  const text =
    error instanceof Error ? `${error.name}: ${error.message}` : `non-error value: ${String(error)}`
  console.error(
    `[@support/stripe-connect/mcp] MCP route failed${typeof e?.code === 'string' ? ` (${e.code})` : ''}: ${native.quoteForLog(text)}`,
  )
}
