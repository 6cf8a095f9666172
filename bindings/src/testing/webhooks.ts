// Webhooks as Stripe sends them: signed `Stripe-Signature` headers, pretty-printed JSON bodies,
// the two Connect events this package handles, and `radar.early_fraud_warning.created`.

import { createHmac } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'

import { STRIPE_VERSION } from '../../native/index.js'
import {
  buildEarlyFraudWarning,
  type EarlyFraudWarning,
  type EarlyFraudWarningInput,
} from './billing.js'
import { applicationFixture, eventFixture } from './fixtures.js'
import {
  buildDispute,
  stripeId,
  type Dispute,
  type DisputeInput,
  type StripeObject,
} from './objects.js'

import type { StripeEvent as BaseStripeEvent } from '../types.js'

/** The API version the package pins (the core's `STRIPE_VERSION`); events default to it. */
export const DEFAULT_API_VERSION: string = STRIPE_VERSION

/**
 * The event the kit builds: the package's one `StripeEvent` (what `constructEvent` returns), with
 * the fields Stripe always sends made required.
 */
export type StripeEvent<T = StripeObject> = BaseStripeEvent<T> & {
  api_version: string | null
  pending_webhooks: number
  request: { id: string | null; idempotency_key: string | null }
}

export interface Application {
  id: string
  object: 'application'
  name: string | null
}

export interface EventOptions {
  /** Default: a fresh `evt_…`. Reuse an id to simulate Stripe's duplicate deliveries. */
  id?: string
  /** Unix seconds. Default: now. */
  created?: number
  livemode?: boolean
  api_version?: string | null
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

/** A Stripe event of any type, shaped like Stripe's fixture event. */
export function buildEvent<T extends StripeObject>(
  type: string,
  account: string | undefined,
  object: T,
  options: EventOptions = {},
): StripeEvent<T> {
  const event: StripeEvent<T> = {
    ...structuredClone(eventFixture),
    id: options.id ?? stripeId('evt_'),
    object: 'event',
    api_version: options.api_version === undefined ? DEFAULT_API_VERSION : options.api_version,
    created: options.created ?? nowSeconds(),
    data: { object: object },
    livemode: options.livemode ?? false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  }
  if (account !== undefined) event.account = account
  return event
}

/**
 * `charge.dispute.created` on a connected account. `dispute` is a dispute from the fake (e.g.
 * `fake.addDispute(...)`) or fields to override on one built from Stripe's fixture.
 */
export function disputeCreatedEvent(
  account: string,
  dispute: Dispute | Partial<DisputeInput> = {},
  options: EventOptions = {},
): StripeEvent<Dispute> {
  const object =
    (dispute as Dispute).object === 'dispute' && typeof dispute.id === 'string'
      ? (dispute as Dispute)
      : buildDispute({ charge: stripeId('ch_'), ...dispute })
  return buildEvent('charge.dispute.created', account, object, {
    livemode: object.livemode as boolean,
    ...options,
  })
}

/**
 * `radar.early_fraud_warning.created` on a connected account: the card issuer flagged a charge as
 * possibly fraudulent (https://docs.stripe.com/api/radar/early_fraud_warnings, "Occurs whenever an
 * early fraud warning is created"). `warning` is one from the fake (`fake.addEarlyFraudWarning(...)`)
 * or fields to override on one built from Stripe's fixture (default `fraud_type` `misc`).
 */
export function earlyFraudWarningCreatedEvent(
  account: string,
  warning: EarlyFraudWarning | Partial<EarlyFraudWarningInput> = {},
  options: EventOptions = {},
): StripeEvent<EarlyFraudWarning> {
  const object =
    (warning as EarlyFraudWarning).object === 'radar.early_fraud_warning' &&
    typeof warning.id === 'string'
      ? (warning as EarlyFraudWarning)
      : buildEarlyFraudWarning({ charge: stripeId('ch_'), fraud_type: 'misc', ...warning })
  return buildEvent('radar.early_fraud_warning.created', account, object, {
    livemode: object.livemode,
    ...options,
  })
}

/**
 * `account.application.deauthorized`: `account` disconnected the platform whose Connect
 * application is `clientId` (`ca_…`), which is `data.object.id`.
 */
export function applicationDeauthorizedEvent(
  account: string,
  clientId: string,
  options: EventOptions & { name?: string | null } = {},
): StripeEvent<Application & StripeObject> {
  const { name, ...eventOptions } = options
  const application = {
    ...structuredClone(applicationFixture),
    id: clientId,
    object: 'application' as const,
    name: name ?? null,
  }
  return buildEvent('account.application.deauthorized', account, application, eventOptions)
}

/**
 * The `Stripe-Signature` header Stripe would send for `payload` (the exact body bytes):
 * `t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`. With several secrets (a rotation),
 * one `v1` per secret, as Stripe does. `timestamp` is Unix seconds, default now.
 */
export function signWebhook(
  payload: string | Buffer,
  secret: string | readonly string[],
  timestamp?: number,
): string {
  const t = timestamp ?? nowSeconds()
  if (!Number.isInteger(t) || t < 0)
    throw new TypeError(`signWebhook: timestamp must be whole Unix seconds, got ${t}`)
  const secrets = typeof secret === 'string' ? [secret] : secret
  if (secrets.length === 0) throw new TypeError('signWebhook: at least one secret is needed')
  const parts = [`t=${t}`]
  for (const s of secrets) {
    const mac = createHmac('sha256', s)
    mac.update(`${t}.`)
    mac.update(payload)
    parts.push(`v1=${mac.digest('hex')}`)
  }
  return parts.join(',')
}

/** The body Stripe sends: the event as JSON with a 2-space indent. */
export function webhookPayload(event: object | string): string {
  return typeof event === 'string' ? event : JSON.stringify(event, null, 2)
}

export interface DeliverOptions {
  /** The endpoint secret(s) (`whsec_…`) to sign with. */
  secret: string | readonly string[]
  /** Unix seconds for `t=`; default now. Use an old one to test the tolerance. */
  timestamp?: number
  /** Extra or replacing headers (lowercase names). */
  headers?: Record<string, string>
  /** Replace the computed `Stripe-Signature` value, or `false` to send none. */
  signature?: string | false
  /** Abort after this many ms (default 10 000). */
  timeoutMs?: number
}

/**
 * The same delivery as a Web `Request`, for calling a route handler directly
 * (`await POST(webhookRequest(url, event, { secret }))`) without starting a server.
 */
export function webhookRequest(
  url: string | URL,
  event: object | string,
  options: DeliverOptions,
): Request {
  const payload = webhookPayload(event)
  const signature =
    options.signature === false
      ? null
      : (options.signature ?? signWebhook(payload, options.secret, options.timestamp))
  const headers = new Headers({
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
  })
  if (signature !== null) headers.set('stripe-signature', signature)
  for (const [k, v] of Object.entries(options.headers ?? {})) headers.set(k, v)
  return new Request(url, { method: 'POST', headers, body: payload })
}

export interface DeliveryResult {
  status: number
  /** The response body as text. */
  body: string
  /** The body parsed as JSON, or `undefined` if it is not JSON. */
  json: unknown
  headers: Record<string, string>
  /** What was sent, to assert on or replay. */
  sent: { payload: string; signature: string | null }
}

/**
 * POSTs `event` to `url` the way Stripe delivers a webhook: the pretty-printed JSON body,
 * `Content-Type: application/json; charset=utf-8`, Stripe's User-Agent and a valid
 * `Stripe-Signature` for `secret`. A string `event` is sent as-is (for tampered bodies).
 */
export function deliverWebhook(
  url: string | URL,
  event: object | string,
  options: DeliverOptions,
): Promise<DeliveryResult> {
  const target = new URL(url)
  const payload = webhookPayload(event)
  const signature =
    options.signature === false
      ? null
      : (options.signature ?? signWebhook(payload, options.secret, options.timestamp))
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    'cache-control': 'no-cache',
    accept: '*/*; q=0.5, application/xml',
    connection: 'close',
    'content-length': String(Buffer.byteLength(payload)),
  }
  if (signature !== null) headers['stripe-signature'] = signature
  Object.assign(headers, options.headers ?? {})
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      { method: 'POST', headers, agent: false, timeout: options.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8')
          let json: unknown
          try {
            json = JSON.parse(body)
          } catch {
            json = undefined
          }
          const outHeaders: Record<string, string> = {}
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) outHeaders[k] = Array.isArray(v) ? v.join(', ') : v
          }
          resolve({
            status: res.statusCode ?? 0,
            body,
            json,
            headers: outHeaders,
            sent: { payload, signature },
          })
        })
      },
    )
    req.on('timeout', () =>
      req.destroy(
        new Error(
          `deliverWebhook: no answer from ${target.href} within ${options.timeoutMs ?? 10_000} ms`,
        ),
      ),
    )
    req.on('error', reject)
    req.end(payload)
  })
}
