// @support/stripe-connect/next: the three Stripe Connect routes as Web-standard
// `(request: Request) => Promise<Response>` handlers, so they are Next.js app-router route handlers
// as they are (and work with anything else that speaks Request/Response: Bun.serve, Hono, a
// node:http adapter).
//
//   authorize  GET  ?appSlug=…   307 to Stripe (the OAuth page, or the Stripe App's install link
//                                with `connect: 'stripe-app'`), the state in an httpOnly cookie
//   callback   GET                `handleCallback` (or `handleInstallCallback`), clear the cookie,
//                                303 to settings
//   webhook    POST               raw body (size-capped) → `handleWebhook` → 200 / 400 / 409 / 413 / 500
//
// Secure by default: the handlers cannot be built without `canConnect`, the decision of who may
// connect an app (there is no "allow everyone" default).
//
// No business logic lives here: state signing, single-use claims, the code exchange, signature
// verification and event dedupe are all in the client, and so is the status of every error code
// (`errorHttpStatus`, the core's `ErrorCode::http_status`). This file only turns HTTP into calls
// and calls' outcomes into answers.

import {
  errorHttpStatus,
  isAppSlug,
  isLoopbackUrl,
  quoteForLog,
  STATE_TTL_SECONDS,
} from '../native/index.js'
import { isErrorCode, type StripeConnectErrorCode } from './errors.js'
import type { Connected } from './types.js'
import { discard, json, parseOrigin, readCapped } from './web.js'

/** What the handlers need from a `StripeConnect` (the real class satisfies it). */
export interface ConnectClient {
  /** `expiresAt` (Unix seconds) bounds the state cookie; without it the cookie lives `STATE_COOKIE_MAX_AGE`. */
  authorizeUrl(options: { appSlug: string }): { url: string; state: string; expiresAt?: number }
  handleCallback(options: {
    query: URLSearchParams
    state: string | null | undefined
  }): Promise<Connected>
  /** Needed with `connect: 'stripe-app'`. */
  installUrl?(options: { appSlug: string }): { url: string; state: string; expiresAt?: number }
  /** Needed with `connect: 'stripe-app'`. */
  handleInstallCallback?(options: {
    query: URLSearchParams
    state: string | null | undefined
  }): Promise<Connected>
  handleWebhook(payload: Buffer, header: string | null | undefined): Promise<unknown>
  /** Whether the app exists (`false`: the authorize route answers 404 `unknown_app`); optional. */
  hasApp?(options: { appSlug: string }): Promise<boolean | null>
}

/** The query codes the settings page receives: `?success=connected` or `?error=<code>`. */
export type CallbackErrorCode = 'denied' | 'invalid_state' | 'expired' | 'oauth_failed'

export type RouteName = 'authorize' | 'callback' | 'webhook'

/**
 * How an app's account is connected: `'oauth'` (Connect OAuth, the default) or `'stripe-app'`
 * (the Stripe App's install link, platform-key mode: what Stripe recommends to new platforms).
 */
export type ConnectMethod = 'oauth' | 'stripe-app'

export interface RouteHandlerOptions {
  /**
   * Where the callback sends the user back: a same-origin absolute path such as `/settings/apps`
   * (a query string is kept; `success`/`error`/`app` are added to it). Never taken from the request.
   */
  settingsPath: string
  /**
   * The path the callback route is served at (the path of the `redirectUri` configured in the
   * client, e.g. `/api/stripe/connect/callback`). The state cookie is limited to it.
   */
  callbackPath: string
  /**
   * `'oauth'` (default): `authorize` sends the user to Stripe's OAuth page and `callback` exchanges
   * the code. `'stripe-app'`: `authorize` sends the user to the Stripe App's install link and
   * `callback` verifies the install (`installUrl` / `handleInstallCallback`; the client needs
   * `stripeAppId` and `stripeAppSecret`). Everything else (cookie, `canConnect`, redirects) is the
   * same.
   */
  connect?: ConnectMethod
  /** Name of the state cookie. Default `stripe_connect_state`. */
  cookieName?: string
  /** Largest webhook body accepted, in bytes; larger ones get 413 without being verified. Default 1 MiB. */
  maxBodyBytes?: number
  /**
   * The public origin (`https://support.example.com`) to build the settings redirect from. Default:
   * the request's own origin. Set it when the app runs behind a proxy that rewrites `Host`.
   */
  origin?: string
  /**
   * Who may connect an app (required). Called by `authorize` with the request and the requested
   * app slug before anything is sent anywhere: return `true` to proceed, `false` (or anything
   * else) for a 403, or a `Response` to answer with it as is (e.g. a redirect to the login page).
   * Check the session here: without such a check anyone who can reach the route could connect any
   * app to a Stripe account of their choosing. `() => true` is only for a local demo or a test.
   */
  canConnect: (
    request: Request,
    appSlug: string,
  ) => boolean | Response | Promise<boolean | Response>
  /**
   * Called after a successful callback with what was connected, and the callback request.
   * `connected.replacedAccountId` is the account the app was connected to until now when this
   * callback switched it to a different one (`null` otherwise): write it to the audit log. The
   * connection is already saved: a throw here goes to `onError` and the redirect still says
   * `success=connected`.
   */
  onConnected?: (connected: Connected, request: Request) => void | Promise<void>
  /**
   * Called with every failure that is not the caller's fault (500s, `oauth_failed`), so it can be
   * logged. Default: `console.error`. Errors never reach the HTTP response beyond their `code`.
   */
  onError?: (error: unknown, route: RouteName) => void
}

export interface RouteHandlers {
  /** GET `?appSlug=…` */
  authorize: (request: Request) => Promise<Response>
  /** GET, Stripe's redirect back */
  callback: (request: Request) => Promise<Response>
  /** POST, Stripe's webhook deliveries */
  webhook: (request: Request) => Promise<Response>
}

/** The `TypeError` message of `createRouteHandlers` without `canConnect`. */
export const CAN_CONNECT_REQUIRED =
  "createRouteHandlers: options.canConnect is required. It decides who may connect an app's Stripe account; without it anyone who reaches the authorize route could connect any app to a Stripe account of their choosing. Add it, e.g. canConnect: async (request, appSlug) => (await getSession(request))?.isAdminOf(appSlug) === true"

export const DEFAULT_COOKIE_NAME = 'stripe_connect_state'
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
/** The state's default lifetime in seconds (the core's), for a client that reports no `expiresAt`. */
export const STATE_COOKIE_MAX_AGE: number = STATE_TTL_SECONDS

const COOKIE_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/ // RFC 6265 token
const CONTROL_RE = /[\u0000-\u001f\u007f]/

/**
 * The three route handlers, built from one client.
 *
 * ```ts
 * // lib/stripe-connect.ts
 * export const routes = createRouteHandlers(stripeConnect, {
 *   settingsPath: '/settings/integrations',
 *   callbackPath: '/api/stripe/connect/callback',
 *   canConnect: async (request, appSlug) => (await getSession(request))?.isAdminOf(appSlug) === true,
 * })
 * // app/api/stripe/connect/authorize/route.ts
 * export const GET = routes.authorize
 * ```
 */
export function createRouteHandlers(
  client: ConnectClient,
  options: RouteHandlerOptions,
): RouteHandlers {
  if (client === null || typeof client !== 'object')
    throw new TypeError('createRouteHandlers: pass a StripeConnect instance as the first argument')
  for (const m of ['authorizeUrl', 'handleCallback', 'handleWebhook'] as const) {
    if (typeof (client as unknown as Record<string, unknown>)[m] !== 'function') {
      throw new TypeError(
        `createRouteHandlers: the client has no ${m}() method; pass a StripeConnect instance`,
      )
    }
  }
  if (options === null || typeof options !== 'object')
    throw new TypeError('createRouteHandlers: options { settingsPath, callbackPath } are required')
  const connect = options.connect ?? 'oauth'
  if (connect !== 'oauth' && connect !== 'stripe-app') {
    throw new TypeError(
      `createRouteHandlers: connect must be 'oauth' or 'stripe-app', got ${JSON.stringify(connect)}`,
    )
  }
  const { installUrl, handleInstallCallback } = client
  if (
    connect === 'stripe-app' &&
    (typeof installUrl !== 'function' || typeof handleInstallCallback !== 'function')
  ) {
    throw new TypeError(
      "createRouteHandlers: connect: 'stripe-app' needs a client with installUrl() and handleInstallCallback(); pass a StripeConnect instance",
    )
  }
  const start = (appSlug: string) =>
    connect === 'stripe-app' && installUrl !== undefined
      ? installUrl.call(client, { appSlug })
      : client.authorizeUrl({ appSlug })
  const finish = (query: URLSearchParams, state: string | null | undefined) =>
    connect === 'stripe-app' && handleInstallCallback !== undefined
      ? handleInstallCallback.call(client, { query, state })
      : client.handleCallback({ query, state })
  const settings = parseSettingsPath(options.settingsPath)
  const callbackPath = parseCallbackPath(options.callbackPath)
  const cookieName = options.cookieName ?? DEFAULT_COOKIE_NAME
  if (typeof cookieName !== 'string' || !COOKIE_NAME_RE.test(cookieName)) {
    throw new TypeError(
      `createRouteHandlers: cookieName ${JSON.stringify(cookieName)} is not a valid cookie name (letters, digits, and !#$%&'*+-.^_\`|~)`,
    )
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new TypeError(
      `createRouteHandlers: maxBodyBytes must be a positive whole number of bytes, got ${String(maxBodyBytes)}`,
    )
  }
  const canConnect = options.canConnect
  if (canConnect === undefined || canConnect === null) throw new TypeError(CAN_CONNECT_REQUIRED)
  if (typeof canConnect !== 'function') {
    throw new TypeError(
      `createRouteHandlers: options.canConnect must be a function (request, appSlug) => boolean | Response, got ${typeof canConnect}`,
    )
  }
  const onConnected = options.onConnected
  if (onConnected !== undefined && typeof onConnected !== 'function') {
    throw new TypeError(
      `createRouteHandlers: options.onConnected must be a function (connected, request) => void, got ${typeof onConnected}`,
    )
  }
  const fixedOrigin =
    options.origin === undefined
      ? undefined
      : parseOrigin(options.origin, 'createRouteHandlers: origin')
  const onError = options.onError ?? defaultOnError
  const report = (error: unknown, route: RouteName): void => {
    try {
      onError(error, route)
    } catch {
      // A failing logger must not change the response.
    }
  }

  function stateCookie(request: Request, value: string, maxAge: number): string {
    const parts = [
      `${cookieName}=${value}`,
      `Path=${callbackPath}`,
      `Max-Age=${maxAge}`,
      'HttpOnly',
      'SameSite=Lax',
    ]
    if (!isLocalHttp(request)) parts.push('Secure')
    return parts.join('; ')
  }

  async function authorize(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const appSlug = url.searchParams.get('appSlug')
    if (appSlug === null || appSlug === '') {
      return failure('missing_app', 'Missing appSlug')
    }
    if (!isAppSlug(appSlug)) {
      return failure('invalid_input', 'Invalid appSlug')
    }
    let verdict: boolean | Response
    try {
      verdict = await canConnect(request, appSlug)
    } catch (error) {
      report(error, 'authorize')
      return failure('internal_error', 'Internal error')
    }
    if (verdict instanceof Response) return verdict
    // Only a literal `true` lets the visitor through: a truthy slip (`'yes'`, a session object) is a 403.
    if (verdict !== true) return failure('forbidden', 'Forbidden')
    // An app that does not exist is refused before the user leaves for Stripe (its callback could
    // not save the connection). Asked after canConnect, so nobody unasked can probe for slugs.
    if (typeof client.hasApp === 'function') {
      let known: boolean | null
      try {
        known = await client.hasApp({ appSlug })
      } catch (error) {
        report(error, 'authorize')
        return failure(errorCode(error) ?? 'internal_error', 'Internal error')
      }
      if (known === false) return failure('unknown_app', 'Unknown app')
    }
    let target: { url: string; state: string; expiresAt?: number }
    try {
      target = start(appSlug)
    } catch (error) {
      const code = errorCode(error) ?? 'internal_error'
      if (code === 'invalid_input') return failure(code, 'Invalid appSlug')
      report(error, 'authorize')
      return failure(code, 'Internal error')
    }
    return new Response(null, {
      status: 307,
      headers: {
        location: target.url,
        'set-cookie': stateCookie(request, encodeURIComponent(target.state), cookieMaxAge(target)),
        'cache-control': 'no-store',
      },
    })
  }

  async function callback(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const state = readCookie(request.headers.get('cookie'), cookieName)
    let result: { success: 'connected'; app: string } | { error: CallbackErrorCode }
    let connected: Connected | undefined
    try {
      connected = await finish(url.searchParams, state)
      result = { success: 'connected', app: connected.appSlug }
    } catch (error) {
      const mapped = callbackErrorCode(errorCode(error))
      if (mapped === 'oauth_failed') report(error, 'callback')
      result = { error: mapped }
    }
    if (connected !== undefined && onConnected !== undefined) {
      try {
        await onConnected(connected, request)
      } catch (error) {
        // The connection is saved: the user is told so; the hook's failure goes to the log.
        report(error, 'callback')
      }
    }
    const location = settingsRedirect(settings, fixedOrigin ?? url.origin, result)
    if (location === null) {
      report(new Error('the settings redirect would leave the origin; refused'), 'callback')
      return failure('redirect_refused', 'Internal error')
    }
    return new Response(null, {
      status: 303,
      headers: {
        location,
        'set-cookie': stateCookie(request, '', 0),
        'cache-control': 'no-store',
      },
    })
  }

  async function webhook(request: Request): Promise<Response> {
    const declared = request.headers.get('content-length')
    if (
      declared !== null &&
      /^\d+$/.test(declared.trim()) &&
      Number(declared.trim()) > maxBodyBytes
    ) {
      await discard(request)
      return tooLarge(maxBodyBytes)
    }
    const header = request.headers.get('stripe-signature')
    if (header === null || header.trim() === '') {
      await discard(request)
      return failure('webhook_missing_header', 'Missing signature')
    }
    let body: Buffer | null
    try {
      body = await readCapped(request, maxBodyBytes)
    } catch (error) {
      // The client went away mid-body: nothing was verified, Stripe will redeliver.
      report(error, 'webhook')
      return failure('body_unreadable', 'Could not read the request body')
    }
    if (body === null) return tooLarge(maxBodyBytes)
    try {
      await client.handleWebhook(body, header)
    } catch (error) {
      const code = errorCode(error) ?? 'internal_error'
      if (code === 'webhook_in_progress') {
        // Another delivery holds this event's lease: not done, not lost. Stripe retries a 409.
        const retryAfter = (error as { retryAfter?: unknown }).retryAfter
        return failure(
          code,
          'Event is being processed',
          typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {},
        )
      }
      if (code === 'webhook_missing_header') return failure(code, 'Missing signature')
      if (code.startsWith('webhook_')) return failure(code, 'Invalid signature')
      // store_failed, config_invalid, anything unexpected: non-2xx so that Stripe redelivers.
      report(error, 'webhook')
      return failure(code, 'Webhook handler failed')
    }
    return json(200, { received: true })
  }

  return { authorize, callback, webhook }
}

/**
 * The callback's `Location`: built once, from the parsed settings URL, on `origin` (the path is
 * set as a path, never re-parsed as a URL reference, so `//host` cannot become a host), then
 * resolved the way a browser resolves it and checked to be on `origin`. `null` if it is not.
 */
function settingsRedirect(
  settings: URL,
  origin: string,
  result: { success: 'connected'; app: string } | { error: CallbackErrorCode },
): string | null {
  let expected: string
  let target: URL
  try {
    expected = new URL(origin).origin
    target = new URL(expected)
  } catch {
    return null
  }
  if (expected === 'null') return null
  target.pathname = settings.pathname
  target.search = settings.search
  target.hash = settings.hash
  if ('success' in result) {
    target.searchParams.set('success', result.success)
    if (typeof result.app === 'string' && result.app !== '')
      target.searchParams.set('app', result.app)
  } else {
    target.searchParams.set('error', result.error)
  }
  const location = target.href
  let resolved: URL
  try {
    resolved = new URL(location, expected)
  } catch {
    return null
  }
  if (resolved.origin !== expected || !location.startsWith(`${expected}/`)) return null
  return location
}

/** The settings page's `?error=` code for a `handleCallback` error code. */
export function callbackErrorCode(code: string | undefined): CallbackErrorCode {
  switch (code) {
    case 'oauth_access_denied':
      return 'denied'
    case 'oauth_invalid_state':
    case 'oauth_state_used':
      return 'invalid_state'
    case 'oauth_state_expired':
      return 'expired'
    default:
      return 'oauth_failed'
  }
}

/** The error's code when it is one of this library's (anything else is the caller's `internal_error`). */
function errorCode(error: unknown): StripeConnectErrorCode | undefined {
  const code =
    error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined
  return isErrorCode(code) ? code : undefined
}

/** `{ error, code }` with the status the core gives `code` (`ErrorCode::http_status`). */
function failure(
  code: StripeConnectErrorCode,
  error: string,
  headers: Record<string, string> = {},
): Response {
  return json(errorHttpStatus(code), { error, code }, headers)
}

/**
 * The library's own log line: the message only, quoted by the core (a store's original error,
 * `cause`, may hold what a log must not: it is there for an `onError` of the app's own).
 */
function defaultOnError(error: unknown, route: RouteName): void {
  const code = errorCode(error)
  const message =
    error instanceof Error ? `${error.name}: ${error.message}` : `non-error value: ${String(error)}`
  console.error(
    `[@support/stripe-connect/next] ${route} route failed${code ? ` (${code})` : ''}: ${quoteForLog(message)}`,
  )
}

function tooLarge(max: number): Response {
  const code = 'payload_too_large'
  return json(errorHttpStatus(code), { error: 'Payload too large', code, maxBytes: max })
}

/**
 * Plain `http://` on this machine (the core's one loopback rule: `localhost`, `127.0.0.0/8`,
 * `[::1]`): the only place the state cookie goes without `Secure`.
 */
function isLocalHttp(request: Request): boolean {
  return new URL(request.url).protocol === 'http:' && isLoopbackUrl(request.url)
}

function readCookie(header: string | null, name: string): string | null {
  if (header === null) return null
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() !== name) continue
    let value = part.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1)
    if (value === '') return null
    try {
      return decodeURIComponent(value)
    } catch {
      return value
    }
  }
  return null
}

function checkPath(what: string, value: unknown): string {
  if (typeof value !== 'string' || value === '')
    throw new TypeError(
      `createRouteHandlers: ${what} is required (a same-origin path such as "/settings")`,
    )
  if (
    !value.startsWith('/') ||
    value.startsWith('//') ||
    value.includes('\\') ||
    CONTROL_RE.test(value)
  ) {
    throw new TypeError(
      `createRouteHandlers: ${what} ${JSON.stringify(value)} must be a same-origin absolute path starting with a single "/" (no scheme, host, "//" or backslashes)`,
    )
  }
  return value
}

/**
 * The settings path, parsed once. Refused if it could leave the origin in any reading: a path
 * that normalises to `//…` (`/.//evil.com`, `/x/..//evil.com`, `/%2e//evil.com`), or one with an
 * encoded `/` or `\` (a later decoder could turn it into a separator).
 */
function parseSettingsPath(value: unknown): URL {
  const path = checkPath('settingsPath', value)
  const refuse = (): never => {
    throw new TypeError(
      `createRouteHandlers: settingsPath ${JSON.stringify(path)} must stay on the same origin (it normalises to a path starting with "//", or holds an encoded "/" or "\\")`,
    )
  }
  if (/%(2f|5c)/i.test(path)) refuse()
  const base = 'http://settings-path.invalid'
  const url = new URL(path, base)
  if (url.origin !== base || url.pathname.startsWith('//') || url.pathname.includes('\\')) refuse()
  return url
}

function parseCallbackPath(value: unknown): string {
  const path = checkPath('callbackPath', value)
  if (/[?#;,\s]/.test(path)) {
    throw new TypeError(
      `createRouteHandlers: callbackPath ${JSON.stringify(path)} must be a plain path (no query, fragment, ";", "," or spaces): it becomes the cookie's Path`,
    )
  }
  return path
}

/** The state cookie lives exactly as long as the state it holds. */
function cookieMaxAge(target: { expiresAt?: number }): number {
  if (target.expiresAt === undefined) return STATE_COOKIE_MAX_AGE
  return Math.max(1, target.expiresAt - Math.floor(Date.now() / 1000))
}
