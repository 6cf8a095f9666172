// Stripe's per-account rate limits, enforced when asked (`rateLimits`): a sliding second per
// connected account, and a stricter one for the Search API that counts against the first
// (https://docs.stripe.com/rate-limits). Beyond them the fake answers as Stripe does: 429,
// `invalid_request_error` with code `rate_limit`, and `Stripe-Rate-Limited-Reason`.

import type { ServerResponse } from 'node:http'

import { sendApiError, StripeError } from './responses.js'

/** Stripe's per-account limits for the fake to enforce, per second. */
export interface RateLimits {
  /**
   * Requests a second per account (`Stripe-Account`, else `Stripe-Context`; the platform's own
   * requests count as one more account). Stripe's: 100 in live mode, 25 in test mode (sandboxes).
   */
  requestsPerSecond: number
  /** Search API requests (`/v1/<resource>/search`) a second per account, which also count against `requestsPerSecond`. Stripe's: 20. Default 20. */
  searchesPerSecond?: number
}

/** Stripe's message on a 429 (as stripe-node's tests and Stripe's answers have it). */
export const RATE_LIMIT_MESSAGE =
  'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.'

/** Stripe's 429: `rate_limit`, with `headers` (`Stripe-Rate-Limited-Reason`, and `Retry-After` if any). */
export function sendRateLimited(res: ServerResponse, headers: Record<string, string>): void {
  sendApiError(
    res,
    new StripeError(
      429,
      'invalid_request_error',
      RATE_LIMIT_MESSAGE,
      'rate_limit',
      undefined,
      headers,
    ),
  )
}

const WINDOW_MS = 1000

interface Lane {
  /** Arrival times of the requests let through in the last second, oldest first. */
  requests: number[]
  searches: number[]
}

/** The windows, per account. */
export class RateLimiter {
  private readonly lanes = new Map<string, Lane>()

  /**
   * Counts a request on `account` arriving at `at` (ms) and returns null, or, when it is over a
   * limit, the `Stripe-Rate-Limited-Reason` to refuse it with (a refused request is not counted:
   * it used none of the budget): `global-rate` for the account's limit, `resource-specific` for
   * the Search API's.
   */
  admit(
    limits: RateLimits,
    account: string | null,
    search: boolean,
    at: number,
  ): 'global-rate' | 'resource-specific' | null {
    const key = account ?? ''
    let lane = this.lanes.get(key)
    if (!lane) {
      lane = { requests: [], searches: [] }
      this.lanes.set(key, lane)
    }
    for (const times of [lane.requests, lane.searches]) {
      let drop = 0
      while (drop < times.length && times[drop]! + WINDOW_MS <= at) drop++
      if (drop > 0) times.splice(0, drop)
    }
    if (lane.requests.length >= limits.requestsPerSecond) return 'global-rate'
    if (search && lane.searches.length >= (limits.searchesPerSecond ?? 20))
      return 'resource-specific'
    lane.requests.push(at)
    if (search) lane.searches.push(at)
    return null
  }

  clear(): void {
    this.lanes.clear()
  }
}

/** Whether a path is a Search API one (`/v1/customers/search`, `/v1/charges/search`, …). */
export function isSearchPath(path: string): boolean {
  return /^\/v1\/[a-z_]+\/search$/.test(path)
}
