/**
 * Webhook signature verification: sync, CPU only, same argument order as the official
 * `stripe.webhooks.constructEvent`. The native code verifies the signature and that the body is a
 * Stripe event on the caller's bytes (no copy for a Buffer); `JSON.parse` then builds the object.
 */
import native = require('../native/index.js')
import { guard, rawBody } from './errors.js'
import type { ConstructEventOptions, GenerateTestHeaderOptions, Payload, StripeEvent } from './types.js'

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
    native.verifyEvent(rawBody(payload), header, secret, options)
    return JSON.parse(text(payload)) as StripeEvent<T>
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
