/**
 * Webhook signature verification: sync, CPU only, same argument order as the official
 * `stripe.webhooks.constructEvent`. One native call verifies the signature and applies the core's
 * event rules to the caller's bytes (no copy for a Buffer; the same rules as Rust `parse_event`);
 * then `JSON.parse` builds the object, the only pass that builds anything.
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
    if (options === undefined || options === null) native.verifyEvent(body, header, secret)
    else if (typeof options === 'object')
      native.verifyEvent(
        body,
        header,
        secret,
        options.toleranceSeconds,
        options.now,
        options.skipTimestampCheckForReplay,
      )
    else
      throw new StripeConnectError(
        'invalid_input',
        `options must be an object like { toleranceSeconds, now } (got ${typeof options})`,
      )
    try {
      return JSON.parse(text(body)) as StripeEvent<T>
    } catch (err) {
      // The rules passed but the body is not JSON where they do not look: the same code as
      // Rust `parse_event` gives it, never a raw SyntaxError.
      throw new StripeConnectError(
        'webhook_invalid_payload',
        `the signed body is not valid JSON: ${String(err)}`,
        { cause: err },
      )
    }
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
