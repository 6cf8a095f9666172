// The Stripe App install-link host (marketplace.stripe.com): `GET /apps/install/link/{appId}`,
// decided at once by the knobs or shown as a page with Install / Cancel for a person or a real
// browser, then a redirect to the app with the signed `install_signature`; and `install()`, which
// visits the link as a browser would. Stripe's behaviour, reproduced here:
// https://docs.stripe.com/stripe-apps/install-links ("Using an install link", "Redirecting to your site").

import type { ServerResponse } from 'node:http'

import { checkId, stripeId } from '../objects.js'
import { signWebhook } from '../webhooks.js'
import type { Accounts } from './accounts.js'
import type { RecordedRequest } from './log.js'
import {
  ACCOUNT_HEADER,
  type ConsentMode,
  checkRedirect,
  DECISION_HEADER,
  decisionForm,
  escapeHtml,
  pickAccount,
  rawGet,
  sendRedirect,
  SCRIPTED_HEADER,
} from './oauth.js'
// A bad link is an error Stripe shows on its own page, not one it redirects with: the same flat
// `{error, error_description}` as the OAuth host's.
import { OAuthError as InstallError, sendJson } from './responses.js'

/** Where the install links are served: `/apps/install/link/{appId}`, as on marketplace.stripe.com. */
export const INSTALL_LINK_PATH = '/apps/install/link/'

export const DEFAULT_APP_ID = 'com.example.support'
export const DEFAULT_APP_SECRET = 'absec_testkit'

export type InstallDecision = 'approve' | 'deny'

/** The Stripe App the install links are for (`startFakeStripe({ stripeApp })`). */
export interface StripeAppOptions {
  /** The app's id, the last segment of its install link. Default `com.example.support`. */
  appId?: string
  /** The app's signing secret (`absec_…`) that signs `install_signature`. Default `absec_testkit`. */
  signingSecret?: string
  /** The manifest's `redirect_uris`: `redirect_uri` must match one exactly. Default any http(s) URL. */
  redirectUris?: readonly string[]
  /**
   * Install in live mode: the redirect carries no `livemode=false` and `redirect_uri` must be
   * https, as Stripe requires of live mode. Default false (test mode).
   */
  livemode?: boolean
  /** The link: `'auto'` decides at once, `'page'` shows Install / Cancel. Default: the fake's `consent`. */
  consent?: ConsentMode
}

/** Install-link behaviour knobs (`fake.appInstall`). */
export interface InstallKnobs {
  /** What the user does on the install link when nothing is queued. Default `'approve'`. */
  decision: InstallDecision
  /** One-shot decisions, used before `decision` (e.g. `fake.appInstall.queue.push('deny')`). */
  queue: InstallDecision[]
  /** The account the next approval installs on (one-shot). Otherwise `defaultAccount`, else a new one. */
  nextAccount: string | null
  /**
   * The account an approval installs on when nothing else chooses one, and the one the page
   * preselects; `null` (the default) installs on a new, empty account.
   */
  defaultAccount: string | null
  /** The Stripe user (`usr_…`) who installs: the redirect's `user_id`. Default one per fake. */
  user: string
  /** `'auto'` (decide with the knobs) or `'page'` (a page with Install / Cancel). */
  consent: ConsentMode
}

export interface InstallResult {
  /** The status of the link's answer (302 when it redirected). */
  status: number
  /** The redirect target (the app's `redirect_uri` with the parameters below), or null. */
  location: string | null
  /**
   * Parsed `location` query: `user_id`, `account_id`, `state`, `install_signature` and
   * `livemode` (`'false'` in test mode), or `error`, `error_description` and `state`.
   */
  params: Record<string, string>
  /** The error body when Stripe shows an error instead of redirecting. */
  body: unknown
}

/** What `fake.install()` visits: the link itself, or the parts the fake builds it from. */
export interface InstallVisit {
  /** The install link (`…/apps/install/link/{appId}?redirect_uri=…&state=…`); its origin is ignored. */
  url?: string | URL
  /** Without `url`: the `redirect_uri` of the link the fake builds for its app. */
  redirectUri?: string
  /** Without `url`: the `state` of that link (none if omitted). */
  state?: string
  /** This visit's decision, over the knobs. */
  decision?: InstallDecision
  /** This visit's account, over the knobs. */
  account?: string
}

/** The checked parts of an install link. */
interface InstallRequest {
  appId: string
  redirect: URL
  redirectUri: string
  state: string | null
}

function defaultKnobs(consent: ConsentMode): InstallKnobs {
  return {
    decision: 'approve',
    queue: [],
    nextAccount: null,
    defaultAccount: null,
    user: stripeId('usr_', 14),
    consent,
  }
}

export class InstallEndpoints {
  readonly knobs: InstallKnobs
  readonly appId: string
  readonly signingSecret: string
  private readonly accounts: Accounts
  private readonly options: StripeAppOptions
  private readonly consent: ConsentMode
  private readonly now: () => number

  constructor(
    accounts: Accounts,
    options: StripeAppOptions,
    consent: ConsentMode | undefined,
    now: () => number,
  ) {
    this.accounts = accounts
    this.options = options
    this.now = now
    this.appId = options.appId ?? DEFAULT_APP_ID
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(this.appId))
      throw new TypeError(
        `fake Stripe: stripeApp.appId must be an app id like com.example.support, got ${JSON.stringify(this.appId)}`,
      )
    this.signingSecret = options.signingSecret ?? DEFAULT_APP_SECRET
    if (typeof this.signingSecret !== 'string' || this.signingSecret === '')
      throw new TypeError('fake Stripe: stripeApp.signingSecret must be a non-empty string')
    const mode = options.consent ?? consent ?? 'auto'
    if (mode !== 'auto' && mode !== 'page')
      throw new TypeError(`fake Stripe: consent must be 'auto' or 'page', got ${String(mode)}`)
    this.consent = mode
    this.knobs = defaultKnobs(mode)
  }

  get livemode(): boolean {
    return this.options.livemode ?? false
  }

  /** The install link for `redirectUri` (and `state`), on the fake at `base`. */
  link(base: string, redirectUri: string, state?: string): URL {
    const url = new URL(`${INSTALL_LINK_PATH}${encodeURIComponent(this.appId)}`, base)
    url.searchParams.set('redirect_uri', redirectUri)
    if (state !== undefined) url.searchParams.set('state', state)
    return url
  }

  /** Restores the knobs (the knobs object stays the same; a new `user`). */
  reset(): void {
    Object.assign(this.knobs, defaultKnobs(this.consent))
  }

  serve(url: URL, record: RecordedRequest, res: ServerResponse): void {
    const { method } = record
    try {
      const appId = decodeURIComponent(url.pathname.slice(INSTALL_LINK_PATH.length))
      if (method === 'GET') return this.linkPage(appId, url.searchParams, record, res)
      if (method === 'POST') return this.pageAnswer(appId, record, res)
      throw new InstallError(
        405,
        'invalid_request',
        `fake Stripe: an install link answers GET (and the page's POST), not ${method}`,
      )
    } catch (err) {
      if (err instanceof InstallError) return sendInstallError(res, err, record)
      throw err
    }
  }

  /** Checks a link as Stripe does; its errors are shown on the page, not redirected. */
  private check(appId: string, q: URLSearchParams): InstallRequest {
    if (appId !== this.appId)
      throw new InstallError(
        400,
        'invalid_app',
        `No such app: '${appId}'. This install link is not valid (the kit serves ${this.appId}).`,
      )
    const redirectUri = q.get('redirect_uri')
    const redirect = checkRedirect(redirectUri, this.options.redirectUris, {
      missing: 'it must match one of the redirect_uris of the app manifest',
      unregistered: 'It must exactly match one of the redirect_uris in the app manifest.',
    })
    if (!(redirect instanceof URL))
      throw new InstallError(400, redirect.error, redirect.description)
    if (this.livemode && redirect.protocol !== 'https:')
      throw new InstallError(
        400,
        'invalid_redirect_uri',
        `Invalid redirect URI '${redirectUri}': the live mode redirect_uri must use a secure HTTPS connection.`,
      )
    // A URL came back, so redirect_uri was given: `??` only narrows the type.
    return { appId, redirect, redirectUri: redirectUri ?? redirect.href, state: q.get('state') }
  }

  private linkPage(
    appId: string,
    q: URLSearchParams,
    record: RecordedRequest,
    res: ServerResponse,
  ): void {
    const request = this.check(appId, q)
    const forced = record.headers[DECISION_HEADER]
    if (forced === 'approve' || forced === 'deny')
      return this.decide(request, forced, record.headers[ACCOUNT_HEADER] ?? null, res)
    if (this.knobs.consent === 'page' && record.headers[SCRIPTED_HEADER] === undefined)
      return sendInstallPage(res, request, this.accounts.infos(), this.knobs.defaultAccount)
    const decision = this.knobs.queue.shift() ?? this.knobs.decision
    return this.decide(request, decision, record.headers[ACCOUNT_HEADER] ?? null, res)
  }

  /** The page's form: `redirect_uri`, `state` (if the link had one), `decision`, `account`. */
  private pageAnswer(appId: string, record: RecordedRequest, res: ServerResponse): void {
    const form = record.form ?? {}
    const request = this.check(appId, new URLSearchParams(form))
    const answer = decisionForm(form, 'install')
    if (typeof answer === 'string') throw new InstallError(400, 'invalid_request', answer)
    return this.decide(request, answer.decision, answer.account, res, answer.fresh)
  }

  /**
   * Approve: installs the app on the account (connected on the kit), signs `{state, user_id,
   * account_id}` with the app's secret and redirects with `user_id`, `account_id`, `state`,
   * `install_signature` (and `livemode=false` in test mode). Deny: `error=access_denied`.
   */
  private decide(
    request: InstallRequest,
    decision: InstallDecision,
    forcedAccount: string | null,
    res: ServerResponse,
    fresh = false,
  ): void {
    const { state } = request
    const params: [string, string][] = []
    if (decision === 'deny') {
      params.push(['error', 'access_denied'], ['error_description', 'The user denied your request'])
      // As the OAuth fake does on a denial: the state comes back, so the app can match the attempt.
      if (state !== null) params.push(['state', state])
    } else {
      const account = pickAccount(this.accounts, this.knobs, { forced: forcedAccount, fresh })
      account.connected = true
      const user = this.knobs.user
      const payload = JSON.stringify(
        state !== null
          ? { state, user_id: user, account_id: account.id }
          : { user_id: user, account_id: account.id },
      )
      const signature = signWebhook(payload, this.signingSecret, Math.floor(this.now() / 1000))
      params.push(['user_id', user], ['account_id', account.id])
      if (state !== null) params.push(['state', state])
      params.push(['install_signature', signature])
      if (!this.livemode) params.push(['livemode', 'false'])
    }
    const out = new URL(request.redirect)
    const extra = params
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&')
    out.search = out.search ? `${out.search}&${extra}` : `?${extra}`
    sendRedirect(res, out)
  }
}

/**
 * Visits an install link on the fake at `base` (as the user's browser would) and reports where
 * Stripe sends the user. `decision` and `account` override the knobs for this visit.
 */
export async function visitInstall(
  base: string,
  endpoints: InstallEndpoints,
  visit: InstallVisit,
): Promise<InstallResult> {
  let target: URL
  if (visit.url !== undefined) target = new URL(visit.url)
  else if (visit.redirectUri !== undefined)
    target = endpoints.link(base, visit.redirectUri, visit.state)
  else
    throw new TypeError('fake.install: pass the install link as url, or a redirectUri (and state)')
  const headers: Record<string, string> = { [SCRIPTED_HEADER]: '1' }
  if (visit.decision) headers[DECISION_HEADER] = visit.decision
  if (visit.account) headers[ACCOUNT_HEADER] = checkId(visit.account, ['acct_'], 'account id')
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

/** A bad link: an HTML page for a browser (it asks for `text/html`), else `{error, error_description}`. */
function sendInstallError(res: ServerResponse, err: InstallError, record: RecordedRequest): void {
  if (!(record.headers['accept'] ?? '').includes('text/html'))
    return sendJson(res, err.status, { error: err.error, error_description: err.description })
  const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Something went wrong (test kit)</title>
  </head>
  <body>
    <main>
      <h1>This install link is not valid</h1>
      <p><code>${escapeHtml(err.error)}</code>: ${escapeHtml(err.description)}</p>
      <p>This is the <code>@support/stripe-connect</code> test kit: no real Stripe account is involved.</p>
    </main>
  </body>
</html>
`
  sendHtml(res, err.status, html)
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  const body = Buffer.from(html, 'utf8')
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(body.length),
    'Cache-Control': 'no-store',
  })
  res.end(body)
}

/**
 * The install page: the app, where it sends the user back, the accounts as radio buttons (the
 * default one checked) and "Install" / "Cancel" buttons that post the decision to the link.
 */
function sendInstallPage(
  res: ServerResponse,
  request: InstallRequest,
  accounts: readonly { id: string; email: string | null; connected: boolean }[],
  preselected: string | null,
): void {
  const fields: [string, string][] = [['redirect_uri', request.redirectUri]]
  if (request.state !== null) fields.push(['state', request.state])
  const hidden = fields
    .map(
      ([name, value]) =>
        `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
    )
    .join('\n      ')
  const checked = accounts.some((a) => a.id === preselected) ? preselected : null
  const radios = accounts
    .map(
      (a) =>
        `<p><label><input type="radio" name="account" value="${escapeHtml(a.id)}"${a.id === checked ? ' checked' : ''}> ${escapeHtml(a.id)}${a.email ? ` (${escapeHtml(a.email)})` : ''}${a.connected ? ', installed' : ''}</label></p>`,
    )
    .concat(
      `<p><label><input type="radio" name="account" value=""${checked === null ? ' checked' : ''}> a new account, with no data (or the one the test chose)</label></p>`,
    )
    .join('\n        ')
  const action = `${INSTALL_LINK_PATH}${encodeURIComponent(request.appId)}`
  const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Install ${escapeHtml(request.appId)} (test kit)</title>
  </head>
  <body>
    <main>
      <h1>Install ${escapeHtml(request.appId)}</h1>
      <p>The app <strong>${escapeHtml(request.appId)}</strong> asks to be installed on an account, then sends you back to <code>${escapeHtml(request.redirect.origin + request.redirect.pathname)}</code>.</p>
      <p>This is the <code>@support/stripe-connect</code> test kit: no real Stripe account is involved.</p>
      <form method="post" action="${escapeHtml(action)}">
      ${hidden}
      <fieldset>
        <legend>Account</legend>
        ${radios}
      </fieldset>
      <button type="submit" name="decision" value="approve">Install</button>
      <button type="submit" name="decision" value="deny">Cancel</button>
      </form>
    </main>
  </body>
</html>
`
  sendHtml(res, 200, html)
}
