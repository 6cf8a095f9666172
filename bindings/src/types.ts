/**
 * The shapes the package takes and returns. camelCase, amounts in minor units with their
 * currency, timestamps as Unix seconds, `null` for a missing value.
 */

/** A request body: the raw bytes Stripe sent (never a re-serialised object). */
export type Payload = string | Buffer | Uint8Array

/** `read_write` (Platform apps; the default) or `read_only` (Extension apps only). */
export type Scope = 'read_write' | 'read_only'

export interface StripeConnectOptions {
  /** The platform's secret key, `sk_…` or `rk_…`. */
  secretKey: string
  /** The Connect client id, `ca_…` (needed for OAuth). */
  clientId?: string
  /** Must exactly match a redirect URI configured in the Stripe Dashboard. */
  redirectUri?: string
  scope?: Scope
  /** One `whsec_…` secret, or several during rotation. */
  webhookSecrets?: string | string[]
  /** Webhook timestamp tolerance, either way (default 300; 0 or less is `config_invalid`). */
  webhookToleranceSeconds?: number
  /** Key (≥ 32 bytes) that signs OAuth state. Default: derived from `secretKey`. */
  stateSecret?: string
  /** Default `https://api.stripe.com` (override for tests). */
  apiBase?: string
  /** Default `https://connect.stripe.com` (override for tests). */
  connectBase?: string
  /** The pinned `Stripe-Version`. */
  stripeVersion?: string
  /** Total deadline per call, retries included (default 30000). */
  timeoutMs?: number
  /** Retries of safe requests after the first attempt (default 2; 0 means none). */
  maxRetries?: number
  /** Only act on webhook events of this mode (others are `ignored`). */
  livemode?: boolean
  /** Where connections, claims and dispute alerts go. Default: in memory, per process. */
  stores?: Stores
}

/** A value, or a promise of it: store methods may be sync or async. */
export type MaybePromise<T> = T | Promise<T>

/** One app's link to its Stripe account (a row of the apps table). */
export interface Connection {
  appSlug: string
  /** `acct_…` */
  accountId: string
  livemode: boolean
  /** The scope Stripe granted. */
  scope: Scope
}

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
}

/** Single-use keys with expiry (OAuth state nonces, webhook event ids). */
export interface ClaimStore {
  /**
   * Atomically claim `key` for `ttlSeconds`: `true` if this call claimed it, `false` if an
   * unexpired claim exists. Of many concurrent claims of one key exactly one may return `true`.
   */
  claim(key: string, ttlSeconds: number): MaybePromise<boolean>
  /** Give a claim back (the work it guarded failed and will be retried). */
  release(key: string): MaybePromise<void>
}

/** `charge.dispute.created`'s dispute. */
export interface Dispute {
  /** `dp_…` */
  id: string
  amount: number
  currency: string
  /** `ch_…` */
  charge: string | null
  paymentIntent: string | null
  reason: string
  status: string
  /** `evidence_details.due_by`, Unix seconds. */
  evidenceDueBy: number | null
  isChargeRefundable: boolean
  created: number | null
}

/** What the dispute sink receives for a `charge.dispute.created`. */
export interface DisputeAlert {
  eventId: string
  /** The app the account belongs to, if it is a known connection. */
  appSlug: string | null
  accountId: string | null
  livemode: boolean
  dispute: Dispute
}

/** Where dispute alerts go: alert someone, flag the customer. */
export interface DisputeSink {
  disputeCreated(alert: DisputeAlert): MaybePromise<void>
}

export interface Stores {
  connections?: ConnectionStore
  claims?: ClaimStore
  disputes?: DisputeSink
}

/** What `handleWebhook` did with a verified event, told apart by `outcome`. */
export type WebhookOutcome =
  | { outcome: 'disconnected'; eventId: string; accountId: string; appSlug: string | null }
  | { outcome: 'dispute_recorded'; eventId: string; disputeId: string; accountId: string | null; appSlug: string | null }
  | { outcome: 'duplicate'; eventId: string; eventType: string }
  | { outcome: 'ignored'; eventId: string; eventType: string; reason: 'unhandled_type' | 'livemode_mismatch' }

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
