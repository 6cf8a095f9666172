/**
 * `StripeConnectError`: every failure of this package, sync or async, with a stable `code`.
 */

import native = require('../native/index.js')
import { takeCause } from './causes.js'

/** The stable code of a {@link StripeConnectError} (generated from the Rust core's list). */
export type StripeConnectErrorCode = native.ErrorCode

/** Every `err.code`, in the Rust core's order (read from the native addon: one list). */
export const ERROR_CODES: readonly StripeConnectErrorCode[] = Object.freeze(native.errorCodes())

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES)

/** Whether `value` is one of this library's codes (any other string is not trusted as one). @internal */
export function isErrorCode(value: unknown): value is StripeConnectErrorCode {
  return typeof value === 'string' && KNOWN_CODES.has(value)
}

/**
 * The HTTP status a route answers with `code` (the Rust core's `ErrorCode::http_status`: 400 the
 * caller's input, 403 refused, 404 not found, 409 in progress, 413 too large, 429 Stripe's rate
 * limit, 500 this server's configuration or store, 502/503/504 Stripe failing, down or slow).
 */
export function httpStatusOf(code: StripeConnectErrorCode): number {
  return native.errorHttpStatus(code)
}

/** Whether the same call may succeed later, unchanged (the core's `ErrorCode::is_retryable`). */
export function isRetryable(code: StripeConnectErrorCode): boolean {
  return native.isRetryableError(code)
}

export interface StripeConnectErrorFields {
  /** Stripe's `Request-Id`, where Stripe answered. */
  requestId?: string
  /** HTTP status of Stripe's answer, where there was one. */
  statusCode?: number
  /** Stripe's own error code (`resource_missing`, `invalid_grant`, ...), where Stripe sent one. */
  stripeCode?: string
  /** The connected account concerned (e.g. a connection Stripe made that the store failed to save). */
  accountId?: string
  /** Seconds after which a retry may succeed (`webhook_in_progress`): the HTTP `Retry-After`. */
  retryAfter?: number
  cause?: unknown
}

/** A failure of this package. Branch on `code`; the message is for people. No secret is ever in it. */
export class StripeConnectError extends Error {
  readonly code: StripeConnectErrorCode
  readonly requestId?: string
  readonly statusCode?: number
  readonly stripeCode?: string
  readonly accountId?: string
  readonly retryAfter?: number

  constructor(
    code: StripeConnectErrorCode,
    message: string,
    fields: StripeConnectErrorFields = {},
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause })
    this.name = 'StripeConnectError'
    this.code = code
    if (fields.requestId !== undefined) this.requestId = fields.requestId
    if (fields.statusCode !== undefined) this.statusCode = fields.statusCode
    if (fields.stripeCode !== undefined) this.stripeCode = fields.stripeCode
    if (fields.accountId !== undefined) this.accountId = fields.accountId
    if (fields.retryAfter !== undefined) this.retryAfter = fields.retryAfter
  }
}

type NativeErrorShape = {
  code?: unknown
  causeId?: unknown
  message?: unknown
  requestId?: unknown
  statusCode?: unknown
  stripeCode?: unknown
  accountId?: unknown
  retryAfter?: unknown
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/**
 * Any error from the native addon as a `StripeConnectError`: the core's errors keep their code
 * and fields; anything else (napi's own argument-conversion errors, a TypeError from a wrong
 * argument) is `invalid_input`.
 * @internal
 */
export function toStripeConnectError(err: unknown): StripeConnectError {
  if (err instanceof StripeConnectError) return err
  const e = (typeof err === 'object' && err !== null ? err : {}) as NativeErrorShape
  const message = str(e.message) ?? String(err)
  if (isErrorCode(e.code)) {
    return new StripeConnectError(e.code, message, {
      requestId: str(e.requestId),
      statusCode: typeof e.statusCode === 'number' ? e.statusCode : undefined,
      stripeCode: str(e.stripeCode),
      accountId: str(e.accountId),
      retryAfter: typeof e.retryAfter === 'number' ? e.retryAfter : undefined,
      // A JS store's own error (its words are in the message, quoted): for the app's logs.
      cause: takeCause(e.causeId),
    })
  }
  return new StripeConnectError('invalid_input', `invalid argument: ${message}`, { cause: err })
}

/** Run `f`; throw what it throws as a `StripeConnectError`. @internal */
export function guard<T>(f: () => T): T {
  try {
    return f()
  } catch (err) {
    throw toStripeConnectError(err)
  }
}

/** Run `f`; reject (never throw synchronously) with a `StripeConnectError`. @internal */
export async function guardAsync<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (err) {
    throw toStripeConnectError(err)
  }
}

/**
 * `payload` as napi takes it, or `invalid_input` that says what to pass: the most common webhook
 * mistake is handing over the framework's parsed JSON instead of the raw body.
 * @internal
 */
export function rawBody<T>(payload: T): T {
  if (typeof payload === 'string' || payload instanceof Uint8Array) return payload
  const got =
    payload === null
      ? 'null'
      : Array.isArray(payload)
        ? 'an array'
        : typeof payload === 'object'
          ? 'an object'
          : typeof payload
  throw new StripeConnectError(
    'invalid_input',
    `payload must be the raw request body as a string, Buffer or Uint8Array (got ${got}): ` +
      'pass `await request.text()` or the raw Buffer, not the parsed JSON',
  )
}
