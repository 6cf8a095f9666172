// The fake's lifecycle and sockets: start on 127.0.0.1, count and close connections, and send each
// request through the log, the faults, then the OAuth, the install-link or the API host. The public
// face of the modules beside it.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

import type {
  EarlyFraudWarning,
  EarlyFraudWarningInput,
  Invoice,
  InvoiceInput,
  PaymentIntent,
  PaymentIntentInput,
} from '../billing.js'
import type {
  Charge,
  ChargeInput,
  Customer,
  CustomerInput,
  Dispute,
  DisputeInput,
  Price,
  PriceInput,
  Product,
  ProductInput,
  Refund,
  RefundInput,
  StripeObject,
  Subscription,
  SubscriptionInput,
} from '../objects.js'
import {
  applicationDeauthorizedEvent,
  deliverWebhook,
  type Application,
  type DeliverOptions,
  type DeliveryResult,
  type EventOptions,
  type StripeEvent,
} from '../webhooks.js'
import { Accounts, findObject, type AccountInfo, type SeedData, type Seeded } from './accounts.js'
import { ApiEndpoints, type RestrictedKey } from './api.js'
import {
  answerWithFault,
  Faults,
  type Fault,
  type FaultHandle,
  type FaultOptions,
} from './faults.js'
import { isSearchPath, RateLimiter, sendRateLimited, type RateLimits } from './limits.js'
import {
  INSTALL_LINK_PATH,
  InstallEndpoints,
  visitInstall,
  type InstallKnobs,
  type InstallResult,
  type InstallVisit,
  type StripeAppOptions,
} from './install.js'
import {
  isApiPath,
  RequestLog,
  type RecordedRequest,
  type RequestFilter,
  type Violation,
} from './log.js'
import {
  OAuthEndpoints,
  visitAuthorize,
  type AuthorizeResult,
  type CodeRecord,
  type OAuthDecision,
  type OAuthKnobs,
} from './oauth.js'
import {
  bearerKey,
  isPlatformKey,
  redactKey,
  sendApiError,
  sendJson,
  StripeError,
} from './responses.js'
import { Timers } from './timers.js'

export interface FakeStripeOptions {
  /** Default 0 (a free port). The host is always 127.0.0.1. */
  port?: number
  /** The platform secret key every API and OAuth token call must carry as `Bearer`. Default: any `sk_test_…`/`sk_live_…`/`rk_…` key. */
  secretKey?: string
  /**
   * Restricted keys (`rk_…`), accepted as the platform's, and the collections each may not read:
   * `{ 'rk_test_support': { deny: ['charges'] } }`. A request on a denied collection (its list,
   * an object of it, or, for `customers`, the search) gets Stripe's restricted-key refusal: 403,
   * `invalid_request_error`, "The provided key 'rk_…' does not have the required permissions for
   * this endpoint on account 'acct_…'. Having the 'rak_charge_read' permission would allow this
   * request to continue."
   */
  restrictedKeys?: Readonly<Record<string, RestrictedKey>>
  /** The platform's Connect client id (`ca_…`). Default: any `ca_…`. */
  clientId?: string
  /** Redirect URIs registered for the platform; `redirect_uri` must match one exactly. Default: any http(s) URL. */
  redirectUris?: readonly string[]
  /** Scopes the platform may request. Default `['read_write', 'read_only']`. */
  scopes?: readonly string[]
  /** `livemode` of token responses. Default false. */
  livemode?: boolean
  /** Added to every request, in ms (the benchmark uses 50). Can be changed later through `fake.latencyMs`. */
  latencyMs?: number
  /**
   * Enforce Stripe's per-account rate limits (https://docs.stripe.com/rate-limits), e.g.
   * `{ requestsPerSecond: 25, searchesPerSecond: 20 }` (test mode's): a sliding second per
   * `Stripe-Account`, counted on arrival; a request beyond them is answered (after the latency)
   * with Stripe's 429: `{"error":{"type":"invalid_request_error","code":"rate_limit",…}}` and
   * `Stripe-Rate-Limited-Reason: global-rate` (`resource-specific` for the Search API's limit),
   * no `Retry-After` (Stripe documents none). Refused requests use none of the budget. Default:
   * no limits. Changeable as `fake.rateLimits`.
   */
  rateLimits?: RateLimits | null
  /** How long an authorization code stays valid. Default 5 minutes, as on Stripe. */
  codeTtlMs?: number
  /**
   * `GET /oauth/authorize`: `'auto'` (default) decides at once with `fake.oauth` and redirects;
   * `'page'` serves a consent page with "Connect" and "Deny" buttons, for a person or a browser
   * test. `fake.authorize()` decides with the knobs either way. Changeable as `fake.oauth.consent`.
   */
  consent?: 'auto' | 'page'
  /**
   * The Stripe App whose install links the fake serves at `/apps/install/link/{appId}`
   * (https://docs.stripe.com/stripe-apps/install-links): its id (default `com.example.support`),
   * signing secret (default `absec_testkit`), the manifest's `redirect_uris` (default any http(s)
   * URL), `livemode` and `consent` (default the `consent` above). Knobs: `fake.appInstall`.
   */
  stripeApp?: StripeAppOptions
  /** The endpoint secret (`whsec_…`) `fake.uninstall()` signs with when it is given none. */
  webhookSecret?: string
  /**
   * The clock for code expiry, `install_signature` timestamps and the rate limits' windows, in ms.
   * Default `Date.now`.
   */
  now?: () => number
  /** Echoed as `Stripe-Version` when the request sends none. */
  apiVersion?: string
}

export interface UninstallOptions extends EventOptions {
  /** The app's webhook endpoint (`http://localhost:3000/api/stripe/webhooks`). */
  to: string | URL
  /** The endpoint secret(s) to sign with. Default the fake's `webhookSecret` option. */
  secret?: string | readonly string[]
  /** `data.object.id` of the event (the application). Default the fake's `clientId`, else `ca_testkitstripeapp`. */
  application?: string
  /** Passed to `deliverWebhook` (an old `timestamp`, extra `headers`, `timeoutMs`). */
  delivery?: Omit<DeliverOptions, 'secret'>
}

export interface UninstallResult {
  event: StripeEvent<Application & StripeObject>
  /** The app's answer. */
  delivery: DeliveryResult
}

/** The kit's own list of its accounts (not a Stripe path). */
export const ACCOUNTS_PATH = '/testkit/accounts'

/** The running fake. Create it with `startFakeStripe()`. */
export class FakeStripe {
  /** `http://127.0.0.1:<port>`: use it as both `apiBase` and `connectBase`. */
  readonly url: string
  readonly port: number
  /** Every request received, in order. */
  readonly requests: RecordedRequest[]
  /** Every broken read-only rule (non-GET `/v1` call, `/v1` call without `Stripe-Account`). */
  readonly violations: Violation[]
  /** Added to every request, in ms. */
  latencyMs: number
  /** The per-account rate limits enforced on `/v1` requests, or null for none (`options.rateLimits`). */
  rateLimits: RateLimits | null
  /** OAuth behaviour knobs. */
  readonly oauth: OAuthKnobs
  /**
   * Stripe App install-link knobs (`decision`, `queue`, `nextAccount`, `defaultAccount`, `user`,
   * `consent`), as `fake.oauth` is for OAuth.
   */
  readonly appInstall: InstallKnobs

  private readonly server: Server
  private readonly options: FakeStripeOptions
  private readonly sockets = new Set<Socket>()
  private readonly timers = new Timers()
  private readonly book = new Accounts()
  private readonly log = new RequestLog()
  private readonly faults = new Faults()
  private readonly limiter = new RateLimiter()
  private readonly oauthHost: OAuthEndpoints
  private readonly installHost: InstallEndpoints
  private readonly apiHost: ApiEndpoints
  private connectionCount = 0
  private closed = false

  /** @internal use `startFakeStripe()` */
  constructor(server: Server, options: FakeStripeOptions) {
    this.server = server
    this.options = options
    this.latencyMs = options.latencyMs ?? 0
    this.rateLimits = options.rateLimits ?? null
    this.requests = this.log.requests
    this.violations = this.log.violations
    this.oauthHost = new OAuthEndpoints(this.book, options, options.now ?? Date.now)
    this.oauth = this.oauthHost.knobs
    this.installHost = new InstallEndpoints(
      this.book,
      options.stripeApp ?? {},
      options.consent,
      options.now ?? Date.now,
    )
    this.appInstall = this.installHost.knobs
    this.apiHost = new ApiEndpoints(this.book, this.log, options)
    const address = server.address()
    if (address === null || typeof address === 'string')
      throw new Error('fake Stripe: server is not listening on TCP')
    this.port = address.port
    this.url = `http://127.0.0.1:${address.port}`
    server.on('connection', (socket: Socket) => {
      this.connectionCount += 1
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          sendApiError(
            res,
            new StripeError(500, 'api_error', `fake Stripe crashed: ${String(err)}`),
          )
        }
      })
    })
  }

  /** TCP connections accepted since start (or the last `reset()`): shows keep-alive reuse. */
  get connections(): number {
    return this.connectionCount
  }

  /** Sockets open right now. */
  get openConnections(): number {
    return this.sockets.size
  }

  // ---- accounts and seeding ----

  /** Creates a connected account (`acct_…`) and returns its id. */
  createAccount(options: { id?: string; email?: string | null; connected?: boolean } = {}): string {
    return this.book.create(options).id
  }

  /** A snapshot of the accounts the fake knows. */
  get accounts(): AccountInfo[] {
    return this.book.infos()
  }

  account(id: string): AccountInfo | undefined {
    return this.accounts.find((a) => a.id === id)
  }

  isConnected(id: string): boolean {
    return this.book.get(id)?.connected ?? false
  }

  /** Connects (or re-connects) an account without the OAuth dance; creates it if needed. */
  connect(id: string): void {
    this.book.ensure(id).connected = true
  }

  /** Disconnects an account as a revoked connection would: its API calls then fail 403 `account_invalid`. */
  disconnect(id: string): void {
    const acct = this.book.get(id)
    if (acct) acct.connected = false
  }

  /** Adds a customer to `account` (created and connected if new). Returns the Stripe object served. */
  addCustomer(account: string, input: CustomerInput = {}): Customer {
    return this.book.addCustomer(account, input)
  }

  /** Adds a charge; `customer` may be an id or a customer object. */
  addCharge(account: string, input: ChargeInput = {}): Charge {
    return this.book.addCharge(account, input)
  }

  /** Adds a refund of `input.charge` (which must exist) and updates the charge's `amount_refunded`, `refunded` and `refunds`. */
  addRefund(account: string, input: RefundInput): Refund {
    return this.book.addRefund(account, input)
  }

  /** Adds a dispute on `input.charge` (which must exist) and marks the charge `disputed`. */
  addDispute(account: string, input: DisputeInput): Dispute {
    return this.book.addDispute(account, input)
  }

  /**
   * Adds a payment intent (`pi_…`, https://docs.stripe.com/api/payment_intents/object), listed by
   * `GET /v1/payment_intents?customer=…`. `latest_charge` and `last_payment_error.charge` name
   * charges that must exist: each then names the intent in `payment_intent` (and so do its refunds,
   * disputes and early fraud warnings), and a failed charge takes the decline as its
   * `failure_code` / `failure_message` unless it has its own. A charge added later with
   * `payment_intent: pi.id` becomes the intent's `latest_charge`.
   *
   * ```ts
   * fake.addPaymentIntent(acct, {
   *   customer: jane, amount: 4900, status: 'requires_payment_method',
   *   last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds',
   *     message: 'Your card has insufficient funds.', charge: failed.id },
   * })
   * ```
   */
  addPaymentIntent(account: string, input: PaymentIntentInput): PaymentIntent {
    return this.book.addPaymentIntent(account, input)
  }

  /**
   * Adds an invoice (`in_…`, https://docs.stripe.com/api/invoices/object) with its `payments`
   * (`invoice_payment` objects of payment intents that must exist), served by `GET /v1/invoices`
   * and `/v1/invoices/:id`; `payments` is only in the answer with `expand[]=payments` (or
   * `data.payments` on a list), as on Stripe. `subscription` (which must exist) goes to
   * `parent.subscription_details.subscription` and becomes the subscription's `latest_invoice`.
   * `amount_paid` defaults to the sum of the `paid` payments (`amount_due` for a `paid` invoice
   * without payments), `amount_remaining` to what is left. Finalized invoices get a `number`
   * (`<customer's invoice_prefix>-0001`, …) and `hosted_invoice_url` / `invoice_pdf` on
   * invoice.stripe.com / pay.stripe.com (plausible, never fetched); drafts have neither.
   */
  addInvoice(account: string, input: InvoiceInput): Invoice {
    return this.book.addInvoice(account, input)
  }

  /**
   * Adds an early fraud warning (`issfr_…`, https://docs.stripe.com/api/radar/early_fraud_warnings/object)
   * on `input.charge` (which must exist), with the charge's `payment_intent`. `actionable` defaults
   * to true unless the charge is disputed or fully refunded, and turns false when it later is.
   */
  addEarlyFraudWarning(account: string, input: EarlyFraudWarningInput): EarlyFraudWarning {
    return this.book.addEarlyFraudWarning(account, input)
  }

  /** Adds a subscription (one item; its price and product are created unless given). */
  addSubscription(account: string, input: SubscriptionInput): Subscription {
    return this.book.addSubscription(account, input)
  }

  addProduct(account: string, input: ProductInput = {}): Product {
    return this.book.addProduct(account, input)
  }

  addPrice(account: string, input: PriceInput = {}): Price {
    return this.book.addPrice(account, input)
  }

  /**
   * Seeds an account in one call, in dependency order (products, prices, customers, charges,
   * payment intents, subscriptions, invoices, refunds, disputes, early fraud warnings), so later
   * entries can name ids given to earlier ones.
   */
  seed(account: string, data: SeedData): Seeded {
    return this.book.seed(account, data)
  }

  /** The stored object (live: changes show in later responses), or undefined. */
  get<T extends StripeObject = StripeObject>(account: string, id: string): T | undefined {
    const acct = this.book.get(account)
    return acct ? (findObject(acct, id) as T | undefined) : undefined
  }

  // ---- faults ----

  /**
   * Injects `fault` on requests whose path starts with `match` (or matches the RegExp).
   * Latency faults add up and the request then goes on; the first other matching fault answers.
   */
  fault(match: string | RegExp, fault: Fault, options: FaultOptions = {}): FaultHandle {
    return this.faults.add(match, fault, options)
  }

  clearFaults(): void {
    this.faults.clear()
  }

  // ---- request log ----

  /** Requests matching the filter (method, path prefix or RegExp, Stripe-Account). */
  findRequests(filter: RequestFilter = {}): RecordedRequest[] {
    return this.log.find(filter)
  }

  /** API requests (`/v1/...`) only. */
  apiRequests(filter: Omit<RequestFilter, 'path'> = {}): RecordedRequest[] {
    return this.log.find({ ...filter, path: '/v1/' })
  }

  clearRequests(): void {
    this.log.clear()
  }

  /** Throws an Error listing the violations, if there are any. Handy in `afterEach`. */
  assertNoViolations(): void {
    this.log.assertNoViolations()
  }

  /**
   * Forgets accounts, data, codes, faults, the log, the rate limits' windows, OAuth and install
   * knobs (keeps the port): for `beforeEach`.
   */
  reset(): void {
    this.book.clear()
    this.oauthHost.reset()
    this.installHost.reset()
    this.faults.clear()
    this.log.clear()
    this.limiter.clear()
    this.connectionCount = 0
    this.latencyMs = this.options.latencyMs ?? 0
    this.rateLimits = this.options.rateLimits ?? null
  }

  // ---- OAuth helpers ----

  /**
   * Visits an authorize URL (as the user's browser would) and returns where Stripe sends the user:
   * the app's callback with `code`/`state` or `error=access_denied`. `decision` and `account`
   * override the knobs for this visit.
   */
  authorize(
    authorizeUrl: string | URL,
    options: { decision?: OAuthDecision; account?: string } = {},
  ): Promise<AuthorizeResult> {
    return visitAuthorize(this.url, authorizeUrl, options)
  }

  /** The codes issued so far (for assertions: used, account, scope). */
  get issuedCodes(): ReadonlyArray<Readonly<CodeRecord>> {
    return this.oauthHost.issuedCodes
  }

  // ---- Stripe App install helpers ----

  /** The Stripe App the fake serves install links for: `{ appId, signingSecret }`. */
  get stripeApp(): { appId: string; signingSecret: string } {
    return { appId: this.installHost.appId, signingSecret: this.installHost.signingSecret }
  }

  /**
   * Visits a Stripe App install link (as the user's browser would) and returns where Stripe sends
   * the user: the app's `redirect_uri` with `user_id`, `account_id`, `state`, `install_signature`
   * and `livemode=false` (test mode), or `error=access_denied`. Pass the link as `url`, or the
   * `redirectUri` (and `state`) of the fake's own link; `decision` and `account` override the knobs
   * (`fake.appInstall`) for this visit.
   */
  install(visit: InstallVisit): Promise<InstallResult> {
    return visitInstall(this.url, this.installHost, visit)
  }

  /**
   * The user uninstalls the app from `account` (https://docs.stripe.com/stripe-apps/install-links:
   * "An account.application.deauthorized event occurs when a user disconnects your app from their
   * account"): the account is disconnected on the kit (its API calls then fail 403
   * `account_invalid`), then `account.application.deauthorized` is sent to `to`, signed as
   * `deliverWebhook` signs. Throws if the account is not connected: Stripe sends nothing then.
   */
  async uninstall(account: string, options: UninstallOptions): Promise<UninstallResult> {
    const { to, secret, application, delivery, ...eventOptions } = options
    const signWith = secret ?? this.options.webhookSecret
    if (signWith === undefined)
      throw new TypeError(
        'fake.uninstall: pass the endpoint secret as `secret` (or start the fake with `webhookSecret`)',
      )
    const state = this.book.get(account)
    if (!state?.connected)
      throw new Error(
        `fake.uninstall: ${account} is not ${state ? 'connected' : 'an account of the fake'}: Stripe sends account.application.deauthorized only for an account the app is installed on`,
      )
    state.connected = false
    const event = applicationDeauthorizedEvent(
      account,
      application ?? this.options.clientId ?? 'ca_testkitstripeapp',
      eventOptions,
    )
    const answer = await deliverWebhook(to, event, { ...delivery, secret: signWith })
    return { event, delivery: answer }
  }

  /** Closes the server and every socket; pending latency timers are cancelled. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.timers.cancelAll()
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
    await done
  }

  // ---- request handling ----

  /**
   * `GET /testkit/accounts` (the kit's own, not Stripe's; outside `/v1`, so the read-only rules
   * do not apply): the accounts with `id`, `email`, `connected` and `scope`, for tools that drive
   * a running kit (`stripe-connect-testkit trigger`). Needs the platform key, like `/oauth/token`.
   */
  private serveAccounts(record: RecordedRequest, res: ServerResponse): void {
    const key = bearerKey(record.headers)
    if (!isPlatformKey(key, this.options.secretKey)) {
      return sendJson(res, 401, {
        error: {
          type: 'invalid_request_error',
          message: `fake Stripe: ${ACCOUNTS_PATH} needs the platform key as 'Authorization: Bearer sk_…'${key ? `; got ${redactKey(key)}` : ''}`,
        },
      })
    }
    sendJson(res, 200, { object: 'list', url: ACCOUNTS_PATH, data: this.book.infos() })
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const record = await this.log.record(req, res)
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const plan = this.faults.plan(record)
    // Counted on arrival, as Stripe counts; an injected fault's answer uses none of the budget.
    const limited =
      this.rateLimits && !plan.answer && isApiPath(url.pathname)
        ? this.limiter.admit(
            this.rateLimits,
            record.account,
            isSearchPath(url.pathname),
            this.options.now ? this.options.now() : record.at,
          )
        : null
    if (limited) record.fault = 'rate_limit'
    const delay = this.latencyMs + plan.delay
    if (delay > 0) await this.timers.sleep(delay)
    if (this.closed || res.destroyed) return
    if (plan.answer) return answerWithFault(plan.answer, req, res, this.timers)
    if (limited) return sendRateLimited(res, { 'Stripe-Rate-Limited-Reason': limited })

    if (url.pathname === ACCOUNTS_PATH && record.method === 'GET')
      return this.serveAccounts(record, res)
    if (url.pathname.startsWith('/oauth/')) return this.oauthHost.serve(url, record, res)
    if (url.pathname.startsWith(INSTALL_LINK_PATH)) return this.installHost.serve(url, record, res)
    if (isApiPath(url.pathname)) return this.apiHost.serve(url, record, res)
    sendJson(res, 404, {
      error: {
        type: 'invalid_request_error',
        message: `fake Stripe: nothing at ${record.method} ${url.pathname} (it serves /oauth/*, ${INSTALL_LINK_PATH}* and /v1/*)`,
      },
    })
  }
}

/** Starts the fake on 127.0.0.1 (a free port unless `options.port`). Close it with `fake.close()`. */
export async function startFakeStripe(options: FakeStripeOptions = {}): Promise<FakeStripe> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  try {
    return new FakeStripe(server, options)
  } catch (err) {
    // A bad option: do not leave a listening server behind.
    await new Promise<void>((resolve) => server.close(() => resolve()))
    throw err
  }
}
