// The OAuth host (connect.stripe.com): the authorize page (decided by knobs, no browser), the
// single-use code exchange, deauthorize, and `authorize()` that visits the page as a browser would.

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
  /** The account the next approval connects (one-shot). Otherwise: the account of `stripe_user[email]`, else a new one. */
  nextAccount: string | null
  /** Omit the deprecated `access_token`, `refresh_token` and `stripe_publishable_key` from token responses. */
  omitDeprecatedTokenFields: boolean
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
}

/** Headers `fake.authorize()` uses to pass a per-visit decision / account to the authorize page. */
const DECISION_HEADER = 'x-fake-stripe-decision'
const ACCOUNT_HEADER = 'x-fake-stripe-account'

function defaultKnobs(): OAuthKnobs {
  return { decision: 'approve', queue: [], nextAccount: null, omitDeprecatedTokenFields: false }
}

export class OAuthEndpoints {
  readonly knobs: OAuthKnobs = defaultKnobs()
  private codes = new Map<string, CodeRecord>()
  private readonly accounts: Accounts
  private readonly options: OAuthOptions
  private readonly now: () => number

  constructor(accounts: Accounts, options: OAuthOptions, now: () => number) {
    this.accounts = accounts
    this.options = options
    this.now = now
  }

  get issuedCodes(): CodeRecord[] {
    return [...this.codes.values()]
  }

  /** Forgets the codes and restores the knobs (the knobs object stays the same). */
  reset(): void {
    this.codes = new Map()
    Object.assign(this.knobs, defaultKnobs())
  }

  serve(url: URL, record: RecordedRequest, res: ServerResponse): void {
    const { method } = record
    try {
      if (url.pathname === '/oauth/authorize' && method === 'GET')
        return this.authorizePage(url, record, res)
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

  private authorizePage(url: URL, record: RecordedRequest, res: ServerResponse): void {
    const q = url.searchParams
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

    const forced = record.headers[DECISION_HEADER]
    const decision =
      forced === 'approve' || forced === 'deny'
        ? forced
        : (this.knobs.queue.shift() ?? this.knobs.decision)
    const out = new URL(redirect)
    if (decision === 'deny') {
      out.searchParams.set('error', 'access_denied')
      out.searchParams.set('error_description', 'The user denied your request')
      out.searchParams.set('state', state)
    } else {
      const account = this.pickAccount(
        record.headers[ACCOUNT_HEADER] ?? null,
        q.get('stripe_user[email]'),
      )
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
    res.writeHead(302, {
      Location: out.href,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': '0',
    })
    res.end()
  }

  private checkRedirectUri(redirectUri: string | null): URL {
    if (redirectUri === null) {
      throw new OAuthError(
        400,
        'invalid_request',
        'No redirect_uri provided; the fake Stripe needs it explicit (Stripe would fall back to the first registered one).',
      )
    }
    let redirect: URL
    try {
      redirect = new URL(redirectUri)
    } catch {
      throw new OAuthError(400, 'invalid_redirect_uri', `Invalid redirect URI '${redirectUri}'.`)
    }
    const allowed = this.options.redirectUris
    if (
      (allowed !== undefined && !allowed.includes(redirectUri)) ||
      !/^https?:$/.test(redirect.protocol)
    ) {
      throw new OAuthError(
        400,
        'invalid_redirect_uri',
        `Invalid redirect URI '${redirectUri}'. Ensure this uri exactly matches one of the uris specified in your application settings.`,
      )
    }
    return redirect
  }

  private pickAccount(forced: string | null, email: string | null): AccountState {
    if (forced) return this.accounts.ensure(forced)
    const wanted = this.knobs.nextAccount
    this.knobs.nextAccount = null
    if (wanted) return this.accounts.ensure(wanted)
    const known = email ? this.accounts.findByEmail(email) : undefined
    return known ?? this.accounts.create({ email, connected: false })
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
  const headers: Record<string, string> = {}
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

function rawGet(
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
