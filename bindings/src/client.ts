/**
 * `StripeConnect`: the configured client. A thin wrapper: the native client does the work, this
 * class turns every failure into a `StripeConnectError` and keeps secrets out of `util.inspect`.
 */
import native = require('../native/index.js')
import { withCauses } from './causes.js'
import { guard, guardAsync, rawBody } from './errors.js'
import type { ToolData, ToolName, ToolResult, ToolScopeOptions } from './tools.js'
import type {
  AccessReport,
  AuthorizeUrl,
  AuthorizeUrlOptions,
  BillingTimeline,
  BillingTimelineOptions,
  Charge,
  CheckAccessOptions,
  Connected,
  CustomerContext,
  DisconnectResult,
  Disputes,
  DisputesOptions,
  EarlyFraudWarnings,
  EarlyFraudWarningsOptions,
  FailedPayments,
  FailedPaymentsOptions,
  HandleCallbackOptions,
  Invoices,
  InvoicesOptions,
  Payload,
  PaymentHistory,
  LookupChargeOptions,
  PaymentHistoryOptions,
  CustomerContextOptions,
  VerifyRefundOptions,
  Refund,
  Refunds,
  RefundsOptions,
  Stores,
  StripeConnectOptions,
  SubscriptionStatus,
  SubscriptionStatusOptions,
  WebhookOutcome,
} from './types.js'

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')

/** The options the native client checks and reads (every key, unknown ones too), and `stores`. */
function split(
  options: Partial<StripeConnectOptions> | undefined,
): [native.NativeOptions, Stores | undefined] {
  const { stores, ...rest } = options ?? {}
  return [rest, withCauses(stores)]
}

/** The callback query as a query string (the core parses it and refuses repeated parameters). */
function queryString(query: HandleCallbackOptions['query']): string {
  if (typeof query === 'string' || query instanceof URLSearchParams) return query.toString()
  const pairs: [string, string][] = []
  for (const [k, v] of Object.entries(query ?? {})) {
    for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) pairs.push([k, one])
  }
  return new URLSearchParams(pairs).toString()
}

/**
 * A `JSON.stringify` replacer that notes each number JSON cannot carry (NaN, ±Infinity, written as
 * `null`) and where it was (`limit`, `filter.amounts[1]`), for the core to refuse.
 */
function recordNonFinite(
  found: native.NativeNonFinite[],
): (this: unknown, key: string, value: unknown) => unknown {
  const paths = new WeakMap<object, string>()
  return function (this: unknown, key: string, value: unknown): unknown {
    const parent = typeof this === 'object' && this !== null ? (paths.get(this) ?? '') : ''
    let path = key
    if (Array.isArray(this)) path = `${parent}[${key}]`
    else if (parent !== '') path = `${parent}.${key}`
    if (typeof value === 'number' && !Number.isFinite(value))
      found.push({ path: path || 'args', value })
    else if (typeof value === 'object' && value !== null) paths.set(value, path)
    return value
  }
}

/** The `STRIPE_*` variables of `env` (the only ones read). @internal */
export function stripeVariables(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const vars: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('STRIPE_') && value !== undefined) vars[name] = value
  }
  return vars
}

export class StripeConnect {
  // A private field: invisible to util.inspect, JSON.stringify and Object.keys.
  readonly #native: native.NativeClient

  /** Throws `StripeConnectError` (`config_invalid`, `invalid_input`) for unusable options. */
  constructor(options: StripeConnectOptions)
  /** @internal */
  constructor(options: StripeConnectOptions, handle: native.NativeClient)
  constructor(options: StripeConnectOptions, handle?: native.NativeClient) {
    this.#native =
      handle ??
      guard(() => {
        const [rest, stores] = split(options)
        return new native.NativeClient(rest, stores)
      })
  }

  /**
   * Configuration from the environment (`STRIPE_SECRET_KEY`, `STRIPE_CONNECT_CLIENT_ID`,
   * `STRIPE_WEBHOOK_SECRET` (comma-separated), `STRIPE_CONNECT_REDIRECT_URI`,
   * `STRIPE_STATE_SECRET`, `STRIPE_CONNECT_SCOPE`), with `overrides` on top. Reads `process.env`
   * (so dotenv and Bun's env loading are seen).
   */
  static fromEnv(overrides?: Partial<StripeConnectOptions>): StripeConnect {
    const handle = guard(() => {
      const [rest, stores] = split(overrides)
      return native.NativeClient.fromEnv(stripeVariables(), rest, stores)
    })
    return new StripeConnect({ secretKey: '' }, handle)
  }

  /**
   * Verify and act on one webhook delivery: dedupe on `event.id`, clear the connection on
   * `account.application.deauthorized`, send `charge.dispute.created` to the dispute sink.
   * `payload` is the raw request body. Rejects with `StripeConnectError`: `webhook_in_progress`
   * (another delivery of this event holds its lease) → answer 409 with `Retry-After:
   * err.retryAfter`; other `webhook_*` → answer 400; `store_failed` (a store or the sink failed,
   * or took longer than `webhookTimeoutMs`) → answer 5xx. Stripe redelivers after any non-2xx.
   */
  handleWebhook(payload: Payload, header: string | null | undefined): Promise<WebhookOutcome> {
    return guardAsync(() => this.#native.handleWebhook(rawBody(payload), header))
  }

  /**
   * Start connecting an app: Stripe's authorize URL and the signed state. Put `state` in an
   * httpOnly, `Secure`, `SameSite=Lax` cookie, then redirect to `url`. Needs `clientId` and
   * `redirectUri`. Throws `StripeConnectError` (`config_invalid`, `invalid_input`).
   */
  authorizeUrl(options: AuthorizeUrlOptions): AuthorizeUrl {
    return guard(() => this.#native.authorizeUrl(options.appSlug, options.prefill))
  }

  /**
   * Finish connecting: check Stripe's redirect and the state cookie, exchange the code (once,
   * never retried), save the connection. Resolves with the connection and `replacedAccountId`
   * (the account it replaced, if a different one; `null` otherwise). Rejects with `oauth_access_denied`, `oauth_invalid_state`,
   * `oauth_state_expired`, `oauth_state_used`, `oauth_invalid_grant`, …, `stripe_*`, or
   * `store_failed` (with `accountId`: Stripe connected it but it was not saved; do not retry).
   */
  handleCallback(options: HandleCallbackOptions): Promise<Connected> {
    return guardAsync(() => this.#native.handleCallback(queryString(options.query), options.state))
  }

  /**
   * Start connecting an app through the Stripe App's install link (platform-key mode): the link
   * (`{installBase}/apps/install/link/{stripeAppId}?redirect_uri=…&state=…`) and the same signed,
   * single-use, slug-bound state as `authorizeUrl`, for the same httpOnly cookie. Needs
   * `stripeAppId`, `stripeAppSecret` and `redirectUri` (one of the app manifest's
   * `allowed_redirect_uris`). Throws `StripeConnectError` (`config_invalid`, `invalid_input`).
   */
  installUrl(options: { appSlug: string }): AuthorizeUrl {
    return guard(() => this.#native.installUrl(options.appSlug))
  }

  /**
   * Finish a Stripe App install: check the redirect and the state cookie, prove the install by its
   * `install_signature` (Stripe's signature over `state`, `user_id` and `account_id`, made with the
   * app's signing secret), and save the connection; nothing is sent to Stripe. Resolves like
   * `handleCallback`. Rejects with `oauth_access_denied`, `oauth_invalid_state`,
   * `oauth_state_expired`, `install_signature_invalid` (a forged or altered redirect),
   * `livemode_mismatch`, `oauth_state_used`, `invalid_input`, `config_invalid` or `store_failed`;
   * nothing is saved unless every check passed.
   */
  handleInstallCallback(options: HandleCallbackOptions): Promise<Connected> {
    return guardAsync(() =>
      this.#native.handleInstallCallback(queryString(options.query), options.state),
    )
  }

  /**
   * Whether the connections store knows the app (its `hasApp`), connected or not: `false` for a
   * slug with no row, `null` when the store cannot tell (it has no `hasApp`; the in-memory
   * default). The authorize route of `/next` refuses `false` with 404 `unknown_app`.
   */
  hasApp(options: { appSlug: string }): Promise<boolean | null> {
    return guardAsync(() => this.#native.hasApp(options.appSlug))
  }

  /**
   * Disconnect an app's account at Stripe, then clear its connection. A Stripe App install's
   * connection is only cleared (`leftInstalled: true`): nothing is sent, and the app stays
   * installed on the account until its owner uninstalls it.
   */
  disconnect(options: { appSlug: string }): Promise<DisconnectResult> {
    return guardAsync(() => this.#native.disconnect(options.appSlug))
  }

  /** Charges of every customer with `email` on the account, newest first (`limit` 1–100, default 25). */
  paymentHistory(options: PaymentHistoryOptions): Promise<PaymentHistory> {
    return guardAsync(() => this.#native.paymentHistory(options))
  }

  /** Subscriptions (any status) of every customer with `email`, or of `customerId`. */
  subscriptionStatus(options: SubscriptionStatusOptions): Promise<SubscriptionStatus> {
    return guardAsync(() => this.#native.subscriptionStatus(options))
  }

  /** One charge by id (`stripe_not_found` if it is not on that account). */
  lookupCharge(options: LookupChargeOptions): Promise<Charge> {
    return guardAsync(() => this.#native.lookupCharge(options))
  }

  /**
   * What the platform's key (a restricted key, as Stripe recommends) can read on an app's account
   * (`appSlug`) or an account (`accountId`): one `limit=1` GET per capability (customers, charges,
   * refunds, subscriptions, disputes, search), concurrently. Each check is `ok`, `denied` (with
   * `stripe_key_lacks_permission` and the `permission` Stripe named), or neither (Stripe down,
   * slow or rate limited: `code` says which). Rejects only for the app (`app_not_connected`,
   * `store_failed`) or the input (`invalid_input`).
   */
  checkAccess(options: CheckAccessOptions): Promise<AccessReport> {
    return guardAsync(() => this.#native.checkAccess(options))
  }

  /** One refund by id: did it go through, for how much, on which charge. */
  verifyRefund(options: VerifyRefundOptions): Promise<Refund> {
    return guardAsync(() => this.#native.verifyRefund(options))
  }

  /** Disputes on the charges of every customer with `email`, or of `chargeId`. */
  disputes(options: DisputesOptions): Promise<Disputes> {
    return guardAsync(() => this.#native.disputes(options))
  }

  /**
   * Invoices of every customer with `email`, or of `customerId`, newest first (`limit` 1–100,
   * default 25): number, status, amounts due / paid / remaining, period, billing reason, the
   * subscription, `hostedInvoiceUrl` and `invoicePdf` (the links a support reply sends), and the
   * payments toward each (Stripe returns them only when expanded; this asks for them).
   */
  invoices(options: InvoicesOptions): Promise<Invoices> {
    return guardAsync(() => this.#native.invoices(options))
  }

  /**
   * Failed payment attempts of every customer with `email`, newest first: payment intents waiting
   * for a new payment method after a failure or canceled after one, and failed charges, each once,
   * with the issuer's `declineCode`, Stripe's `failureCode`, a plain-sentence `explanation` and
   * `retry` advice (`later`, `after_customer_action`, `no`, `unknown`).
   */
  failedPayments(options: FailedPaymentsOptions): Promise<FailedPayments> {
    return guardAsync(() => this.#native.failedPayments(options))
  }

  /** Every refund of `chargeId` or of `paymentIntentId`, newest first, each with its status. */
  refunds(options: RefundsOptions): Promise<Refunds> {
    return guardAsync(() => this.#native.refunds(options))
  }

  /**
   * Radar early fraud warnings on the charges of every customer with `email`, on `chargeId` or on
   * `paymentIntentId`. By email the requests are bounded: charges older than the account's newest
   * 100 warnings cover are asked about one by one, 10 at most; the rest are counted in
   * `uncheckedCharges`.
   */
  earlyFraudWarnings(options: EarlyFraudWarningsOptions): Promise<EarlyFraudWarnings> {
    return guardAsync(() => this.#native.earlyFraudWarnings(options))
  }

  /**
   * Everything billing-related of every customer with `email` on the account as one list, newest
   * first (`limit` 1–100, default 25): charges, refunds, disputes, invoices, failed attempts and
   * early fraud warnings, each `{ at, kind, id, amount, currency, status }`.
   */
  billingTimeline(options: BillingTimelineOptions): Promise<BillingTimeline> {
    return guardAsync(() => this.#native.billingTimeline(options))
  }

  /**
   * `email`'s payments, subscriptions, open disputes, latest invoice and count of recent failed
   * payments in every connected app of the connection store. A failing app is reported in its own `error`; the call fails only on bad input or when
   * the store cannot list the connections.
   */
  customerContext(options: CustomerContextOptions): Promise<CustomerContext> {
    return guardAsync(() => this.#native.customerContext(options))
  }

  /**
   * Run the agent tool `name` with the model's `args` within `scope.appSlugs` (see
   * `@support/stripe-connect/tools`). Resolves with a `ToolResult` — data, or an error as data
   * with a stable `code` — for anything the model gets wrong (unknown tool, bad arguments, an app
   * outside the scope); rejects with `invalid_input` only when the scope itself is unusable.
   * A tool named by its `ToolName` resolves with its own `data` type (`ToolData[N]`, generated
   * from the core's output schema); any other `string` (a model may name a tool that does not
   * exist) with the plain `ToolResult`, an `invalid_input` result for an unknown name.
   */
  callTool<N extends ToolName>(
    name: N,
    args: unknown,
    scope: ToolScopeOptions,
  ): Promise<ToolResult<ToolData[N]>>
  callTool(name: string, args: unknown, scope: ToolScopeOptions): Promise<ToolResult>
  callTool(name: string, args: unknown, scope: ToolScopeOptions): Promise<ToolResult> {
    const nonFinite: native.NativeNonFinite[] = []
    let json: string
    try {
      json = JSON.stringify(args ?? {}, recordNonFinite(nonFinite)) ?? '{}'
    } catch (err) {
      json = `!${String(err)}` // not JSON: the core answers invalid_input
    }
    // The scope goes as given (the core refuses anything but an array of slugs); the result
    // comes back as JSON text, its keys in their documented order.
    return guardAsync(
      async (): Promise<ToolResult> =>
        JSON.parse(await this.#native.callTool(String(name), json, scope?.appSlugs, nonFinite)),
    )
  }

  /** `util.inspect` / `console.log`: the configuration, secrets redacted. @internal */
  [inspectSymbol](): string {
    return `StripeConnect ${this.#native.describe()}`
  }
}
