// The fake Stripe server, one module per job: fake.ts (lifecycle and sockets, the public class),
// log.ts (request log and the read-only tripwire), faults.ts, oauth.ts (connect.stripe.com),
// api.ts (api.stripe.com routing and retrieve), lists.ts (pagination and `created` filters),
// install.ts (Stripe App install links, marketplace.stripe.com), search.ts (the customer Search
// API), limits.ts (Stripe's rate limits, when enforced), accounts.ts (seeded data), with params.ts,
// expand.ts, responses.ts and timers.ts as their shared pieces.

export type { AccountInfo, Collection, SeedData, Seeded } from './accounts.js'
export type { RestrictedKey } from './api.js'
export {
  FakeStripe,
  startFakeStripe,
  type FakeStripeOptions,
  type UninstallOptions,
  type UninstallResult,
} from './fake.js'
export type { Fault, FaultHandle, FaultKind, FaultOptions } from './faults.js'
export type {
  InstallDecision,
  InstallKnobs,
  InstallResult,
  InstallVisit,
  StripeAppOptions,
} from './install.js'
export type { RateLimits } from './limits.js'
export type { RecordedRequest, RequestFilter, Violation } from './log.js'
export type { AuthorizeResult, ConsentMode, OAuthDecision } from './oauth.js'
