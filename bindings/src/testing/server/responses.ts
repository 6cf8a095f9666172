// How the fake answers: Stripe's API error envelope, the OAuth error body, and JSON with the
// headers every Stripe response carries.

import type { ServerResponse } from 'node:http'

import { stripeId } from '../objects.js'

/** An API error as Stripe sends it (`{error: {type, code, message, param, doc_url}}`). */
// (Plain fields rather than parameter properties, so type-stripping runtimes can load this file.)
export class StripeError {
  readonly status: number
  readonly type: string
  readonly message: string
  readonly code: string | undefined
  readonly param: string | undefined
  readonly headers: Record<string, string>
  constructor(
    status: number,
    type: string,
    message: string,
    code?: string,
    param?: string,
    headers: Record<string, string> = {},
  ) {
    this.status = status
    this.type = type
    this.message = message
    this.code = code
    this.param = param
    this.headers = headers
  }
}

/** An invalid request error, the type of nearly every 400 Stripe answers. */
export function invalidRequest(
  status: number,
  message: string,
  code?: string,
  param?: string,
): StripeError {
  return new StripeError(status, 'invalid_request_error', message, code, param)
}

/** An OAuth error as connect.stripe.com sends it (flat `{error, error_description}`). */
export class OAuthError {
  readonly status: number
  readonly error: string
  readonly description: string
  constructor(status: number, error: string, description: string) {
    this.status = status
    this.error = error
    this.description = description
  }
}

/** Pretty-printed JSON with `Request-Id`, then `headers`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body, null, 2)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    'Request-Id': stripeId('req_', 14),
    ...headers,
  })
  res.end(text)
}

export function sendApiError(
  res: ServerResponse,
  err: StripeError,
  headers: Record<string, string> = {},
): void {
  const error: Record<string, unknown> = { type: err.type, message: err.message }
  if (err.code !== undefined) {
    error['code'] = err.code
    if (!err.code.startsWith('fake_'))
      error['doc_url'] = `https://stripe.com/docs/error-codes/${err.code.replace(/_/g, '-')}`
  }
  if (err.param !== undefined) error['param'] = err.param
  error['request_log_url'] = null
  sendJson(res, err.status, { error }, { ...headers, ...err.headers })
}

export function sendOAuthError(res: ServerResponse, err: OAuthError): void {
  sendJson(res, err.status, { error: err.error, error_description: err.description })
}

/** A key as Stripe shows it in errors: the prefix, stars, the last four. */
export function redactKey(key: string): string {
  if (key.length <= 12) return '***'
  return `${key.slice(0, 8)}${'*'.repeat(Math.min(20, key.length - 12))}${key.slice(-4)}`
}

/** The platform key of an `Authorization: Bearer …` header, or '' when there is none. */
export function bearerKey(headers: Record<string, string>): string {
  return /^Bearer (\S+)$/.exec(headers['authorization'] ?? '')?.[1] ?? ''
}

/** Whether `key` is the platform key: exactly `expected` when configured, else any secret or restricted key. */
export function isPlatformKey(key: string, expected: string | undefined): boolean {
  return expected !== undefined ? key === expected : /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/.test(key)
}
