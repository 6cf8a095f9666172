/**
 * @support/stripe-connect — Stripe Connect (Standard accounts, OAuth) for a support platform.
 * Query, don't execute: nothing here can move money or change a financial object.
 *
 * Native code (Rust, napi-rs): in Next.js add `serverExternalPackages: ['@support/stripe-connect']`.
 */
export { StripeConnect } from './client.js'
export { StripeConnectError, ERROR_CODES, httpStatusOf, isRetryable } from './errors.js'
/** The `Stripe-Version` the client pins unless `stripeVersion` is given (the Rust core's constant). */
export { STRIPE_VERSION } from '../native/index.js'
export type { StripeConnectErrorCode, StripeConnectErrorFields } from './errors.js'
export { constructEvent, verifySignature, generateTestHeader } from './webhooks.js'
export type * from './types.js'
