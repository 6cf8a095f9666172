/**
 * Webhook signature verification: sync, CPU only, same argument order as the official
 * `stripe.webhooks.constructEvent`. The native code verifies the signature on the caller's bytes
 * (no copy for a Buffer); `JSON.parse` builds the object, the one pass over the body; the native
 * code then checks that it is a Stripe event (the core's rules, on the few fields they read).
 */
import native = require('../native/index.js')
import { guard, rawBody, StripeConnectError } from './errors.js'
import type {
  ConstructEventOptions,
  GenerateTestHeaderOptions,
  Payload,
  StripeEvent,
} from './types.js'

const text = (payload: Payload): string =>
  typeof payload === 'string'
    ? payload
    : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8')

/**
 * Verify `header` (the `Stripe-Signature` request header) over the raw `payload` with any of
 * `secret`, and return the event. Throws `StripeConnectError` with a `webhook_*` code (or
 * `invalid_input` / `config_invalid` for bad arguments).
 */
export function constructEvent<T = Record<string, unknown>>(
  payload: Payload,
  header: string | null | undefined,
  secret: string | string[],
  options?: ConstructEventOptions,
): StripeEvent<T> {
  return guard(() => {
    const body = rawBody(payload)
    native.verifySignature(body, header, secret, options)
    let event: unknown
    try {
      event = JSON.parse(text(body))
    } catch (err) {
      // Not JSON: the core says why, as `webhook_invalid_payload` (never a raw SyntaxError).
      native.validateEvent(body)
      throw new StripeConnectError(
        'webhook_invalid_payload',
        `the signed body is not valid JSON: ${String(err)}`,
        { cause: err },
      )
    }
    native.checkEvent(event)
    return event as StripeEvent<T>
  })
}

/** Verify the signature only (the body need not be an event); returns the signed timestamp. */
export function verifySignature(
  payload: Payload,
  header: string | null | undefined,
  secret: string | string[],
  options?: ConstructEventOptions,
): number {
  return guard(() => native.verifySignature(rawBody(payload), header, secret, options))
}

/** A `Stripe-Signature` header for `payload`, signed the way Stripe signs. For tests. */
export function generateTestHeader(options: GenerateTestHeaderOptions): string {
  return guard(() => native.generateTestHeader(options.payload, options.secret, options.timestamp))
}
