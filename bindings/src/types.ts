/**
 * The shapes the package takes and returns. camelCase, amounts in minor units with their
 * currency, timestamps as Unix seconds, `null` for a missing value.
 */

import type {
  NativeAuthorizeUrl,
  NativeCheckAccessOptions,
  NativeConnected,
  NativeConnection,
  NativeDisconnectResult,
  Dispute as NativeDispute,
  NativeDisputeAlert,
  NativeDisputesOptions,
  NativeEarlyFraudWarningsOptions,
  NativeInvoicesOptions,
  NativeFraudWarningAlert,
  NativeOptions,
  NativeRefundsOptions,
  PaymentHistoryOptions as NativePaymentHistoryOptions,
  NativeSubscriptionStatusOptions,
  NativePrefill,
  OutcomeDisconnected,
  OutcomeDisputeRecorded,
  OutcomeDuplicate,
  OutcomeFraudWarningRecorded,
  OutcomeIgnored,
} from '../native/index.js'

/** A request body: the raw bytes Stripe sent (never a re-serialised object). */
export type Payload = string | Buffer | Uint8Array

/** `read_write` (Platform apps; the default) or `read_only` (Extension apps only). */
export type Scope = 'read_write' | 'read_only'

/** Every option is documented on `NativeOptions` (generated from the Rust glue). */
export interface StripeConnectOptions extends NativeOptions {
  /** The platform's secret key, `sk_…` or `rk_…`. */
  secretKey: string
  /** Where connections, claims and dispute alerts go. Default: in memory, per process. */
  stores?: Stores
}

/** A value, or a promise of it: store methods may be sync or async. */
export type MaybePromise<T> = T | Promise<T>

/** One app's link to its Stripe account (a row of the apps table): `{ appSlug, accountId, livemode, scope }`. */
export type Connection = NativeConnection

/**
 * What `handleCallback` resolves with: the connection saved, plus `replacedAccountId`, the
 * account the app was connected to until now when this callback replaced it with a different one
 * (`null` for a first connection and for the same account connected again). Log it: a switched
 * account changes whose Stripe data the app reads.
 */
export type Connected = NativeConnected

/** The apps table. Methods may be sync or async; `this` is the store object. */
export interface ConnectionStore {
  /** Insert or replace the connection of `connection.appSlug`. */
  save(connection: Connection): MaybePromise<void>
  /** Remove the connection to `accountId`; return the app slug it belonged to, or null. */
  clearByAccount(accountId: string): MaybePromise<string | null | undefined>
  getBySlug(appSlug: string): MaybePromise<Connection | null | undefined>
  list(): MaybePromise<Connection[]>
  /** Optional (an indexed lookup); without it `list()` is scanned. */
  getByAccount?(accountId: string): MaybePromise<Connection | null | undefined>
  /**
   * Optional: whether an app `appSlug` exists (its row in the apps table), connected or not. The
   * authorize route of `/next` answers 404 `unknown_app` when this says `false`, before the user
   * is sent to Stripe. Without it nothing is refused. `drizzleConnectionStore` has it.
   */
  hasApp?(appSlug: string): MaybePromise<boolean>
}

/** What `ClaimStore.acquire` found: the caller holds the key now, another one does, or the work is done. */
export type ClaimState = 'acquired' | 'in_progress' | 'done'

/**
 * Keys taken as leases (webhook event ids, OAuth state nonces). A key is free (absent or
 * expired), leased until a time, or done until a time. A lease that runs out frees the key by
 * itself, so an event whose delivery hung, crashed or failed twice is processed by a later one.
 *
 * Leases are fenced: each `acquire` comes with a new `token` (128 random bits as 32 hex digits,
 * made by the client); store it with the lease, and let `complete` and `release` change the key
 * only while it still holds that token (one conditional statement: `UPDATE … WHERE key = ? AND
 * token = ?`). A delivery whose lease ran out while it was paused, and was taken over, then
 * changes nothing when it wakes: it neither frees nor finishes the new holder's lease.
 */
export interface ClaimStore {
  /**
   * Atomically take `key` for `leaseSeconds` if it is free (absent, or its lease or done mark
   * expired), recording `token` as its holder → `'acquired'`; otherwise change nothing and answer
   * `'in_progress'` (a live lease) or `'done'`. Of many concurrent calls for one free key exactly
   * one gets `'acquired'`. Taking over an expired row replaces its token.
   */
  acquire(key: string, token: string, leaseSeconds: number): MaybePromise<ClaimState>
  /**
   * Mark `key` done for `ttlSeconds` from now if `token` holds it (or the key is gone: the work is
   * done all the same). If another token holds it, change nothing and return `false`; otherwise
   * return nothing or `true`. `false` is not a failure: the work's outcome stands.
   */
  complete(key: string, token: string, ttlSeconds: number): MaybePromise<boolean | void>
  /**
   * Give back the lease `token` holds (the work failed and will be retried). A key another token
   * holds, or a done key, stays as it is: return `false` then (nothing or `true` otherwise).
   */
  release(key: string, token: string): MaybePromise<boolean | void>
  /** Not used by the client (a single-use claim is an `acquire` with a token of its own). */
  claim?(key: string, ttlSeconds: number): MaybePromise<boolean>
}

/**
 * `charge.dispute.created`'s dispute, as the dispute sink receives it: the one `Dispute` type the
 * queries also return (`disputes`, `customerContext`).
 */
export type DisputeCreated = NativeDispute

/** What the dispute sink receives for a `charge.dispute.created`. */
export type DisputeAlert = NativeDisputeAlert

/**
 * Where dispute alerts go: alert someone, flag the customer. Called at least once per event: a
 * delivery abandoned mid-way (past `webhookTimeoutMs`, or a crash) is processed again by a
 * redelivery, so dedupe on `alert.eventId` if a second alert would hurt. Return nothing (or a
 * database result object) and throw to report a failure; any other value is `store_failed`.
 */
export interface DisputeSink {
  disputeCreated(alert: DisputeAlert): MaybePromise<void>
  /**
   * `radar.early_fraud_warning.created` (opt-in): the card issuer reported a charge as likely
   * fraud, and a dispute often follows (a refund now avoids it). Without this method those events
   * are answered 200 and not acted on (`outcome: 'ignored'`, `unhandled_type`). Called at least
   * once per event, like `disputeCreated`; the endpoint must be subscribed to the event in Stripe.
   */
  earlyFraudWarningCreated?(alert: FraudWarningAlert): MaybePromise<void>
}

/**
 * What the dispute sink's `earlyFraudWarningCreated` receives: the warning, the flagged charge's
 * amount and currency, and its customer (read with the charge; `null` and a reason when unknown).
 */
export type FraudWarningAlert = NativeFraudWarningAlert

export interface Stores {
  connections?: ConnectionStore
  claims?: ClaimStore
  disputes?: DisputeSink
}

/** What `handleWebhook` did with a verified event, told apart by `outcome`. */
export type WebhookOutcome =
  | OutcomeDisconnected
  | OutcomeDisputeRecorded
  | OutcomeFraudWarningRecorded
  | OutcomeDuplicate
  | OutcomeIgnored

/** A verified Stripe event, as Stripe sent it (snake_case, as in Stripe's API). */
export interface StripeEvent<T = Record<string, unknown>> {
  id: string
  object: 'event'
  /** e.g. `charge.dispute.created` */
  type: string
  /** The connected account, for Connect events. */
  account?: string | null
  livemode: boolean
  created: number
  api_version?: string | null
  data: { object: T; previous_attributes?: Record<string, unknown> }
  pending_webhooks?: number
  request?: { id: string | null; idempotency_key?: string | null } | null
  [field: string]: unknown
}

export interface ConstructEventOptions {
  /** Seconds the signature's timestamp may be away from now, either way (default 300). */
  toleranceSeconds?: number
  /** Unix seconds to check against (default: the system clock). */
  now?: number
  /** No timestamp check at all: only to replay stored events on purpose. */
  skipTimestampCheckForReplay?: boolean
}

export interface GenerateTestHeaderOptions {
  payload: string | Buffer | Uint8Array
  secret: string
  /** Unix seconds (default: now). */
  timestamp?: number
}

// ---- OAuth ----

/** `stripe_user[…]` fields that prefill Stripe's onboarding form: `{ email?, url?, businessName?, country? }`. */
export type Prefill = NativePrefill

export interface AuthorizeUrlOptions {
  appSlug: string
  prefill?: Prefill
}

/** Where to send the user, and the state to keep in an httpOnly cookie until the callback: `{ url, state, expiresAt }`. */
export type AuthorizeUrl = NativeAuthorizeUrl

export interface HandleCallbackOptions {
  /** The callback request's query: the raw string (with or without `?`), or parsed. */
  query: string | URLSearchParams | Record<string, string | string[] | undefined>
  /** The state cookie's value. */
  state: string | null | undefined
}

/** `{ accountId, appSlug, alreadyDisconnected }` */
export type DisconnectResult = NativeDisconnectResult

// ---- Queries (read-only) ----

// The results are generated from the Rust core's types (src/node/results.rs): one source, no cast.
export type {
  AppContext,
  AppFailure,
  AccessCheck,
  AccessReport,
  BillingTimeline,
  Charge,
  Customer,
  CustomerContext,
  Dispute,
  Disputes,
  EarlyFraudWarning,
  EarlyFraudWarnings,
  FailedPayment,
  FailedPayments,
  Invoice,
  InvoicePayment,
  Invoices,
  Payment,
  PaymentHistory,
  Refund,
  Refunds,
  RetryAdvice,
  SearchFallback,
  Subscription,
  SubscriptionStatus,
  TimelineEntry,
} from '../native/index.js'

// The options objects are generated from the Rust glue (src/node/queries.rs), where the queries
// take them as they are; the two "exactly one of" rules are refined here, for the type checker.
export type {
  BillingTimelineOptions,
  CustomerContextOptions,
  FailedPaymentsOptions,
  LookupChargeOptions,
  PaymentHistoryOptions,
  VerifyRefundOptions,
} from '../native/index.js'

/** What every query accepts: `fresh` skips the cached email → customers resolution. */
export type QueryOptions = Pick<NativePaymentHistoryOptions, 'fresh'>

/** Exactly one of `email` or `customerId`. */
export type SubscriptionStatusOptions = NativeSubscriptionStatusOptions &
  ({ email: string; customerId?: undefined } | { customerId: string; email?: undefined })

/** Exactly one of `appSlug` (its connected account) or `accountId`. */
export type CheckAccessOptions = NativeCheckAccessOptions &
  ({ appSlug: string; accountId?: undefined } | { accountId: string; appSlug?: undefined })

/** Exactly one of `email` or `chargeId`. */
export type DisputesOptions = NativeDisputesOptions &
  ({ email: string; chargeId?: undefined } | { chargeId: string; email?: undefined })

/** Exactly one of `email` or `customerId`. */
export type InvoicesOptions = NativeInvoicesOptions &
  ({ email: string; customerId?: undefined } | { customerId: string; email?: undefined })

/** Exactly one of `chargeId` or `paymentIntentId`. */
export type RefundsOptions = NativeRefundsOptions &
  (
    | { chargeId: string; paymentIntentId?: undefined }
    | { paymentIntentId: string; chargeId?: undefined }
  )

/** Exactly one of `email`, `chargeId` or `paymentIntentId`. */
export type EarlyFraudWarningsOptions = NativeEarlyFraudWarningsOptions &
  (
    | { email: string; chargeId?: undefined; paymentIntentId?: undefined }
    | { chargeId: string; email?: undefined; paymentIntentId?: undefined }
    | { paymentIntentId: string; email?: undefined; chargeId?: undefined }
  )
