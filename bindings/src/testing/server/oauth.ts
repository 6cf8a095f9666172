// The OAuth host (connect.stripe.com): the authorize page (decided at once by the knobs, or a
// consent page with Connect / Deny buttons for a person or a real browser), the single-use code
// exchange, deauthorize, and `authorize()` that visits the page as a browser would.

import { request as httpRequest, type ServerResponse } from 'node:http'

import { checkId, stripeId } from '../objects.js'
import type { Accounts, AccountState } from './accounts.js'
import type { RecordedRequest } from './log.js'
import {
  bearerKey,
  isPlatformKey,
  OAuthError,
  redactKey,
  sendJson,
  sendOAuthError,
} from './responses.js'

export type OAuthDecision = 'approve' | 'deny'

/**
 * What `GET /oauth/authorize` does: `'auto'` decides at once with the knobs and redirects (what
 * scripted tests want); `'page'` serves a small consent page whose "Connect" / "Deny" buttons post
 * the decision (what a person or a browser test sees). `fake.authorize()` decides with the knobs
 * either way.
 */
export type ConsentMode = 'auto' | 'page'

export interface AuthorizeResult {
  /** The status of the authorize answer (302 when it redirected). */
  status: number
  /** The redirect target (the app's callback URL with `code`/`error` and `state`), or null. */
  location: string | null
  /** Parsed `location` query: `code`, `scope`, `state` or `error`, `error_description`, `state`. */
  params: Record<string, string>
  /** The error body when Stripe would show an error page instead of redirecting. */
  body: unknown
}

/** OAuth behaviour knobs (`fake.oauth`). */
export interface OAuthKnobs {
  /** What the user does on the authorize page when nothing is queued. Default `'approve'`. */
  decision: OAuthDecision
  /** One-shot decisions, used before `decision` (e.g. `fake.oauth.queue.push('deny')`). */
  queue: OAuthDecision[]
  /** The account the next approval connects (one-shot). Otherwise: the account of `stripe_user[email]`, else `defaultAccount`, else a new one. */
  nextAccount: string | null
  /**
   * The account an approval connects when nothing else chooses one (the visit, `nextAccount`,
   * `stripe_user[email]`), and the one the consent page preselects; `null` (the default) connects
   * a new, empty account. `stripe-connect-testkit` sets it to its first seeded account (`--account`).
   */
  defaultAccount: string | null
  /** Omit the deprecated `access_token`, `refresh_token` and `stripe_publishable_key` from token responses. */
  omitDeprecatedTokenFields: boolean
  /** `'auto'` (default: decide with the knobs) or `'page'` (a consent page with Connect / Deny). */
  consent: ConsentMode
}

export interface CodeRecord {
  code: string
  account: string
  scope: string
  clientId: string
  issuedAt: number
  used: boolean
}

export interface OAuthOptions {
  /** The platform key; default any `sk_…`/`rk_…` key. */
  secretKey?: string
  /** The platform's client id; default any `ca_…`. */
  clientId?: string
  /** Registered redirect URIs; default any http(s) URL. */
  redirectUris?: readonly string[]
  /** Scopes the platform may request. Default `['read_write', 'read_only']`. */
  scopes?: readonly string[]
  /** `livemode` of token responses. Default false. */
  livemode?: boolean
  /** How long an authorization code stays valid. Default 5 minutes, as on Stripe. */
  codeTtlMs?: number
  /** The authorize page: `'auto'` (default) or `'page'` (Connect / Deny buttons). */
  consent?: ConsentMode
}

/**
 * Headers `fake.authorize()` (and `fake.install()`) use to pass a per-visit decision / account to
 * the page.
 */
export const DECISION_HEADER = 'x-fake-stripe-decision'
export const ACCOUNT_HEADER = 'x-fake-stripe-account'
/** Sent by `fake.authorize()`: a scripted visit, decided by the knobs even when a page is served. */
export const SCRIPTED_HEADER = 'x-fake-stripe-scripted'

function defaultKnobs(consent: ConsentMode): OAuthKnobs {
  return {
    decision: 'approve',
    queue: [],
    nextAccount: null,
    defaultAccount: null,
    omitDeprecatedTokenFields: false,
    consent,
  }
}

/** The checked parameters of an authorize request. */
interface AuthorizeRequest {
  params: URLSearchParams
  clientId: string
  redirect: URL
  scope: string
  state: string
}

export class OAuthEndpoints {
  readonly knobs: OAuthKnobs
  private codes = new Map<string, CodeRecord>()
  private readonly accounts: Accounts
  private readonly options: OAuthOptions
  private readonly now: () => number

  constructor(accounts: Accounts, options: OAuthOptions, now: () => number) {
    this.accounts = accounts
    this.options = options
    this.now = now
    this.knobs = defaultKnobs(this.consentOption())
  }

  private consentOption(): ConsentMode {
    const mode = this.options.consent ?? 'auto'
    if (mode !== 'auto' && mode !== 'page')
      throw new TypeError(`fake Stripe: consent must be 'auto' or 'page', got ${String(mode)}`)
    return mode
  }

  get issuedCodes(): CodeRecord[] {
    return [...this.codes.values()]
  }

  /** Forgets the codes and restores the knobs (the knobs object stays the same). */
  reset(): void {
    this.codes = new Map()
    Object.assign(this.knobs, defaultKnobs(this.consentOption()))
  }

  serve(url: URL, record: RecordedRequest, res: ServerResponse): void {
    const { method } = record
    try {
      if (url.pathname === '/oauth/authorize' && method === 'GET')
        return this.authorizePage(url, record, res)
      if (url.pathname === '/oauth/authorize' && method === 'POST')
        return this.consentAnswer(record, res)
      if (url.pathname === '/oauth/token' && method === 'POST') return this.token(record, res)
      if (url.pathname === '/oauth/deauthorize' && method === 'POST')
        return this.deauthorize(record, res)
      throw new OAuthError(
        404,
        'invalid_request',
        `fake Stripe: no OAuth endpoint ${method} ${url.pathname}`,
      )
    } catch (err) {
      if (err instanceof OAuthError) return sendOAuthError(res, err)
      throw err
    }
  }

  private checkClientId(clientId: string | null | undefined): string {
    if (!clientId) throw new OAuthError(400, 'invalid_request', 'No client_id provided.')
    const expected = this.options.clientId
    if (expected !== undefined ? clientId !== expected : !/^ca_[A-Za-z0-9_]+$/.test(clientId)) {
      throw new OAuthError(400, 'invalid_client', `No such application: '${clientId}'`)
    }
    return clientId
  }

  private checkSecretKey(headers: Record<string, string>): void {
    const key = bearerKey(headers)
    if (key === '') {
      throw new OAuthError(
        401,
        'invalid_client',
        "No API key provided. Send the platform secret key as 'Authorization: Bearer sk_…'.",
      )
    }
    if (!isPlatformKey(key, this.options.secretKey)) {
      throw new OAuthError(401, 'invalid_client', `Invalid API Key provided: ${redactKey(key)}`)
    }
  }

  /** Checks an authorize request as Stripe does; errors are shown, not redirected. */
  private checkAuthorize(q: URLSearchParams): AuthorizeRequest {
    // Errors other than access_denied are shown to the user by Stripe, not redirected.
    if (q.get('response_type') !== 'code') {
      throw new OAuthError(
        400,
        'unsupported_response_type',
        `Unsupported response_type: ${JSON.stringify(q.get('response_type'))}; only 'code' is supported.`,
      )
    }
    const clientId = this.checkClientId(q.get('client_id'))
    const redirect = this.checkRedirectUri(q.get('redirect_uri'))
    const scope = q.get('scope')
    const scopes = this.options.scopes ?? ['read_write', 'read_only']
    if (scope === null || !scopes.includes(scope)) {
      throw new OAuthError(
        400,
        'invalid_scope',
        `Invalid scope: ${JSON.stringify(scope)}; this platform may request ${scopes.join(' or ')} (the fake wants it explicit).`,
      )
    }
    const state = q.get('state')
    if (!state)
      throw new OAuthError(
        400,
        'invalid_request',
        'No state provided: the library must send a signed state (CSRF protection).',
      )
    return { params: q, clientId, redirect, scope, state }
  }

  private authorizePage(url: URL, record: RecordedRequest, res: ServerResponse): void {
    const request = this.checkAuthorize(url.searchParams)
    const forced = record.headers[DECISION_HEADER]
    if (forced === 'approve' || forced === 'deny')
      return this.decide(request, forced, record.headers[ACCOUNT_HEADER] ?? null, res)
    if (this.knobs.consent === 'page' && record.headers[SCRIPTED_HEADER] === undefined)
      return sendConsentPage(res, request, this.accounts.infos(), this.knobs.defaultAccount)
    const decision = this.knobs.queue.shift() ?? this.knobs.decision
    return this.decide(request, decision, record.headers[ACCOUNT_HEADER] ?? null, res)
  }

  /** The consent page's form: the authorize parameters again, `decision`, and optionally `account`. */
  private consentAnswer(record: RecordedRequest, res: ServerResponse): void {
    const form = record.form ?? {}
    const request = this.checkAuthorize(new URLSearchParams(form))
    const answer = decisionForm(form, 'consent')
    if (typeof answer === 'string') throw new OAuthError(400, 'invalid_request', answer)
    return this.decide(request, answer.decision, answer.account, res, answer.fresh)
  }

  /** Redirects to the app's callback with a fresh code (approve) or `error=access_denied` (deny). */
  private decide(
    request: AuthorizeRequest,
    decision: OAuthDecision,
    forcedAccount: string | null,
    res: ServerResponse,
    fresh = false,
  ): void {
    const { clientId, scope, state } = request
    const out = new URL(request.redirect)
    if (decision === 'deny') {
      out.searchParams.set('error', 'access_denied')
      out.searchParams.set('error_description', 'The user denied your request')
      out.searchParams.set('state', state)
    } else {
      const account = pickAccount(this.accounts, this.knobs, {
        forced: forcedAccount,
        email: request.params.get('stripe_user[email]'),
        fresh,
      })
      account.scope = scope
      const code = stripeId('ac_')
      this.codes.set(code, {
        code,
        account: account.id,
        scope,
        clientId,
        issuedAt: this.now(),
        used: false,
      })
      out.searchParams.set('code', code)
      out.searchParams.set('scope', scope)
      out.searchParams.set('state', state)
    }
    sendRedirect(res, out)
  }

  private checkRedirectUri(redirectUri: string | null): URL {
    const checked = checkRedirect(redirectUri, this.options.redirectUris, {
      missing: 'Stripe would fall back to the first registered one',
      unregistered:
        'Ensure this uri exactly matches one of the uris specified in your application settings.',
    })
    if (checked instanceof URL) return checked
    throw new OAuthError(400, checked.error, checked.description)
  }

  private token(record: RecordedRequest, res: ServerResponse): void {
    this.checkSecretKey(record.headers)
    const form = record.form ?? {}
    const grant = form['grant_type']
    if (grant !== 'authorization_code') {
      throw new OAuthError(
        400,
        'unsupported_grant_type',
        `Unsupported grant type: ${JSON.stringify(grant ?? null)}; the fake Stripe supports authorization_code.`,
      )
    }
    const code = form['code']
    if (!code) throw new OAuthError(400, 'invalid_request', 'No authorization code provided')
    const rec = this.codes.get(code)
    if (!rec) throw new OAuthError(400, 'invalid_grant', `Invalid authorization code: ${code}`)
    if (rec.used) {
      // As on Stripe: reusing a code revokes the connection it made.
      const revoked = this.accounts.get(rec.account)
      if (revoked) revoked.connected = false
      throw new OAuthError(
        400,
        'invalid_grant',
        'This authorization code has already been used. All tokens issued with this code have been revoked.',
      )
    }
    if (this.now() - rec.issuedAt > (this.options.codeTtlMs ?? 5 * 60_000)) {
      throw new OAuthError(400, 'invalid_grant', `Authorization code expired: ${code}`)
    }
    rec.used = true
    const account = this.accounts.ensure(rec.account)
    account.connected = true
    account.scope = rec.scope
    const livemode = this.options.livemode ?? false
    const mode = livemode ? 'live' : 'test'
    const body: Record<string, unknown> = {
      access_token: stripeId(`sk_${mode}_`, 32),
      livemode,
      refresh_token: stripeId('rt_', 32),
      scope: rec.scope,
      stripe_publishable_key: stripeId(`pk_${mode}_`, 32),
      stripe_user_id: rec.account,
      token_type: 'bearer',
    }
    if (this.knobs.omitDeprecatedTokenFields) {
      delete body['access_token']
      delete body['refresh_token']
      delete body['stripe_publishable_key']
    }
    sendJson(res, 200, body)
  }

  private deauthorize(record: RecordedRequest, res: ServerResponse): void {
    this.checkSecretKey(record.headers)
    const form = record.form ?? {}
    this.checkClientId(form['client_id'])
    const accountId = form['stripe_user_id']
    if (!accountId) throw new OAuthError(400, 'invalid_request', 'No stripe_user_id provided')
    const account = this.accounts.get(accountId)
    if (!account || !account.connected) {
      throw new OAuthError(
        400,
        'invalid_client',
        `This application is not connected to stripe account ${accountId}, or that account does not exist.`,
      )
    }
    account.connected = false
    sendJson(res, 200, { stripe_user_id: accountId })
  }
}

/**
 * Visits an authorize URL on the fake at `base` (as the user's browser would) and reports where
 * Stripe sends the user. `decision` and `account` override the knobs for this visit.
 */
export async function visitAuthorize(
  base: string,
  authorizeUrl: string | URL,
  options: { decision?: OAuthDecision; account?: string } = {},
): Promise<AuthorizeResult> {
  const target = new URL(authorizeUrl)
  const headers: Record<string, string> = { [SCRIPTED_HEADER]: '1' }
  if (options.decision) headers[DECISION_HEADER] = options.decision
  if (options.account) headers[ACCOUNT_HEADER] = checkId(options.account, ['acct_'], 'account id')
  const res = await rawGet(new URL(`${target.pathname}${target.search}`, base), headers)
  const location = res.headers.location ?? null
  const params: Record<string, string> = {}
  if (location) for (const [k, v] of new URL(location).searchParams) params[k] = v
  let body: unknown
  try {
    body = JSON.parse(res.body)
  } catch {
    body = res.body || undefined
  }
  return { status: res.status, location, params, body }
}

/** A GET without redirects or a shared agent: the answer as the browser received it. */
export function rawGet(
  url: URL,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'GET', agent: false, headers: { connection: 'close', ...headers } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const headers: Record<string, string | undefined> = {}
          for (const [k, v] of Object.entries(res.headers))
            headers[k] = Array.isArray(v) ? v.join(', ') : v
          resolve({
            status: res.statusCode ?? 0,
            headers,
            body: Buffer.concat(chunks).toString('utf8'),
          })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

export const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  )

/**
 * The consent page: who asks for what, which account to connect, and "Connect" / "Deny" buttons
 * that post the decision with the authorize parameters back to `/oauth/authorize`.
 */
function sendConsentPage(
  res: ServerResponse,
  request: AuthorizeRequest,
  accounts: readonly { id: string; email: string | null; connected: boolean }[],
  preselected: string | null,
): void {
  const hidden = [...request.params]
    .map(
      ([name, value]) =>
        `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
    )
    .join('\n      ')
  const options = accounts
    .map(
      (a) =>
        `<option value="${escapeHtml(a.id)}"${a.id === preselected ? ' selected' : ''}>${escapeHtml(a.id)}${a.email ? ` (${escapeHtml(a.email)})` : ''}${a.connected ? ', connected' : ''}</option>`,
    )
    .join('')
  const picker =
    accounts.length === 0
      ? ''
      : `<p><label>Account <select name="account"><option value="">a new account, with no data (or the one the test chose)</option>${options}</select></label></p>`
  const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Connect with Stripe (test kit)</title>
  </head>
  <body>
    <main>
      <h1>Connect your Stripe account</h1>
      <p>The platform <strong>${escapeHtml(request.clientId)}</strong> asks for <strong>${escapeHtml(request.scope)}</strong> access, then sends you back to <code>${escapeHtml(request.redirect.origin + request.redirect.pathname)}</code>.</p>
      <p>This is the <code>@support/stripe-connect</code> test kit: no real Stripe account is involved.</p>
      <form method="post" action="/oauth/authorize">
      ${hidden}
      ${picker}
      <button type="submit" name="decision" value="approve">Connect</button>
      <button type="submit" name="decision" value="deny">Deny</button>
      </form>
    </main>
  </body>
</html>
`
  const body = Buffer.from(html, 'utf8')
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(body.length),
    'Cache-Control': 'no-store',
  })
  res.end(body)
}

/**
 * A decision page's form (the OAuth consent page, the install page): `decision` (approve or deny)
 * and an optional `account`, or why the form is refused. The picker's "a new account" (an empty
 * value) means a new account (`fresh`), not `defaultAccount`.
 */
export function decisionForm(
  form: Record<string, string>,
  page: 'consent' | 'install',
): { decision: 'approve' | 'deny'; account: string | null; fresh: boolean } | string {
  const decision = form['decision']
  if (decision !== 'approve' && decision !== 'deny')
    return `The ${page} form must post decision=approve or decision=deny, got ${JSON.stringify(decision ?? null)}.`
  const account = form['account'] || null
  if (account !== null && !/^acct_[A-Za-z0-9]+$/.test(account))
    return `No such account: ${JSON.stringify(account)}`
  return { decision, account, fresh: form['account'] === '' }
}

/**
 * A link's `redirect_uri`, checked as Stripe does before showing its page: present, a URL, http(s),
 * and (when the kit was given a list) exactly one of the registered ones. Otherwise the error Stripe
 * shows (not redirects with); `wording` is the page's own.
 */
export function checkRedirect(
  redirectUri: string | null,
  allowed: readonly string[] | undefined,
  wording: { missing: string; unregistered: string },
): URL | { error: string; description: string } {
  if (redirectUri === null)
    return {
      error: 'invalid_request',
      description: `No redirect_uri provided; the fake Stripe needs it explicit (${wording.missing}).`,
    }
  let redirect: URL
  try {
    redirect = new URL(redirectUri)
  } catch {
    return { error: 'invalid_redirect_uri', description: `Invalid redirect URI '${redirectUri}'.` }
  }
  if (
    (allowed !== undefined && !allowed.includes(redirectUri)) ||
    !/^https?:$/.test(redirect.protocol)
  )
    return {
      error: 'invalid_redirect_uri',
      description: `Invalid redirect URI '${redirectUri}'. ${wording.unregistered}`,
    }
  return redirect
}

/**
 * The account a decision page's approval goes to: the visit's own, else the one-shot
 * `nextAccount`, else the account of the prefilled email, else `defaultAccount` (unless the user
 * picked "a new account"), else a new one.
 */
export function pickAccount(
  accounts: Accounts,
  knobs: { nextAccount: string | null; defaultAccount: string | null },
  visit: { forced: string | null; email?: string | null; fresh: boolean },
): AccountState {
  if (visit.forced) return accounts.ensure(visit.forced)
  const wanted = knobs.nextAccount
  knobs.nextAccount = null
  if (wanted) return accounts.ensure(wanted)
  const known = visit.email ? accounts.findByEmail(visit.email) : undefined
  if (known) return known
  const fallback = visit.fresh ? null : knobs.defaultAccount
  return fallback
    ? accounts.ensure(fallback)
    : accounts.create({ email: visit.email ?? null, connected: false })
}

/** Stripe's redirect back to the app: a 302 with an empty body. */
export function sendRedirect(res: ServerResponse, to: URL): void {
  res.writeHead(302, {
    Location: to.href,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': '0',
  })
  res.end()
}
