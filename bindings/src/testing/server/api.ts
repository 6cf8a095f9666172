// The API host (api.stripe.com): GET only, the platform key, a connected `Stripe-Account`; then
// search, lists and retrieve by id, every answer carrying the `Stripe-Version` asked for.

import type { ServerResponse } from 'node:http'

import type { StripeObject } from '../objects.js'
import { DEFAULT_API_VERSION } from '../webhooks.js'
import { NOUNS, PATHS, type Accounts, type AccountState, type Collection } from './accounts.js'
import { expand } from './expand.js'
import { isListPath, listPage } from './lists.js'
import type { RecordedRequest, RequestLog } from './log.js'
import { checkParams, expandList } from './params.js'
import {
  bearerKey,
  invalidRequest,
  isPlatformKey,
  redactKey,
  sendApiError,
  sendJson,
  StripeError,
} from './responses.js'
import { SEARCH_PATH, searchCustomers } from './search.js'

/** What a restricted key of the kit may not read (see `FakeStripeOptions.restrictedKeys`). */
export interface RestrictedKey {
  /** Collections the key has no Read permission for (`'charges'`, `'customers'`, …). */
  deny: readonly Collection[]
}

export interface ApiOptions {
  /** The platform key; default any `sk_…`/`rk_…` key. */
  secretKey?: string
  /** Restricted keys (also accepted as the platform's) and what each may not read. */
  restrictedKeys?: Readonly<Record<string, RestrictedKey>>
  /** Echoed as `Stripe-Version` when the request sends none. */
  apiVersion?: string
}

export class ApiEndpoints {
  private readonly accounts: Accounts
  private readonly log: RequestLog
  private readonly options: ApiOptions

  constructor(accounts: Accounts, log: RequestLog, options: ApiOptions) {
    this.accounts = accounts
    this.log = log
    this.options = options
  }

  serve(url: URL, record: RecordedRequest, res: ServerResponse): void {
    const version = {
      'Stripe-Version':
        record.headers['stripe-version'] ?? this.options.apiVersion ?? DEFAULT_API_VERSION,
    }
    try {
      const account = this.authorize(record)
      this.checkPermission(record, account, url.pathname)
      sendJson(res, 200, this.route(account, url), version)
    } catch (err) {
      if (err instanceof StripeError) return sendApiError(res, err, version)
      throw err
    }
  }

  /** The connected account the request may read, or the error Stripe would answer. */
  private authorize(record: RecordedRequest): AccountState {
    if (record.method !== 'GET') {
      throw new StripeError(
        405,
        'invalid_request_error',
        this.log.violationOf(record)?.message ?? 'read-only',
        'fake_stripe_read_only',
        undefined,
        { Allow: 'GET' },
      )
    }
    if (!record.headers['authorization']) {
      throw invalidRequest(
        401,
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      )
    }
    const key = bearerKey(record.headers)
    const restricted = this.options.restrictedKeys ?? {}
    if (!isPlatformKey(key, this.options.secretKey) && !Object.hasOwn(restricted, key)) {
      throw invalidRequest(401, `Invalid API Key provided: ${redactKey(key)}`, 'api_key_invalid')
    }
    if (
      record.headers['stripe-account'] !== undefined &&
      record.headers['stripe-context'] !== undefined
    ) {
      // Stripe-Context supersedes Stripe-Account (https://docs.stripe.com/context): one or the other.
      throw invalidRequest(
        400,
        'Send the connected account in Stripe-Account or in Stripe-Context, not both.',
        'parameter_invalid_string',
      )
    }
    const accountId = record.account
    if (accountId === null) {
      throw invalidRequest(
        403,
        this.log.violationOf(record)?.message ?? 'Stripe-Account missing',
        'account_invalid',
      )
    }
    const account = this.accounts.get(accountId)
    if (!account || !account.connected) {
      throw invalidRequest(
        403,
        `The provided key '${redactKey(key)}' does not have access to account '${accountId}' (or that account does not exist). Application access may have been revoked.`,
        'account_invalid',
      )
    }
    return account
  }

  /**
   * A restricted key without Read on the path's collection gets Stripe's refusal: HTTP 403,
   * `invalid_request_error`, no code, the wording Stripe's users report (stripe/stripe-node#2246).
   * The permission is named `rak_<object>_read`, as Stripe names `rak_charge_read` and
   * `rak_subscription_read`; the kit names the other collections the same way.
   */
  private checkPermission(record: RecordedRequest, account: AccountState, pathname: string): void {
    const key = bearerKey(record.headers)
    const rules = this.options.restrictedKeys ?? {}
    if (!Object.hasOwn(rules, key)) return
    const path = pathname.replace(/\/+$/, '')
    const denied = rules[key]!.deny.find(
      (c) => path === PATHS[c] || path.startsWith(`${PATHS[c]}/`),
    )
    if (denied === undefined) return
    throw invalidRequest(
      403,
      `The provided key '${redactKey(key)}' does not have the required permissions for this endpoint on account '${account.id}'. Having the '${permissionOf(denied)}' permission would allow this request to continue.`,
    )
  }

  private route(account: AccountState, url: URL): object {
    const path = url.pathname.replace(/\/+$/, '')
    const q = url.searchParams
    if (path === SEARCH_PATH) return searchCustomers(account, q)
    if (isListPath(path)) return listPage(account, path, q)
    const m = /^(\/v1\/(?:radar\/)?[a-z_]+)\/([^/]+)$/.exec(path)
    const collection = m ? COLLECTION_AT.get(m[1]!) : undefined
    if (collection) return retrieve(account, collection, decodeURIComponent(m![2]!), q)
    throw invalidRequest(
      404,
      `Unrecognized request URL (GET: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    )
  }
}

/** The restricted-key permission that reads `collection` (`rak_charge_read`). */
export function permissionOf(collection: Collection): string {
  return `rak_${NOUNS[collection].replace('.', '_')}_read`
}

/** The collection whose objects live under a path (`/v1/radar/early_fraud_warnings` → …). */
const COLLECTION_AT = new Map(
  Object.entries(PATHS).map(([collection, path]) => [path, collection as Collection]),
)

/**
 * The query parameters Stripe declares for retrieving an object (`<Resource>RetrieveParams` of the
 * `stripe` package): `expand` everywhere, and a payment intent's `client_secret`.
 */
const RETRIEVE_PARAMS: Partial<Record<Collection, string[]>> = {
  payment_intents: ['client_secret', 'expand'],
}

function retrieve(
  account: AccountState,
  collection: Collection,
  id: string,
  q: URLSearchParams,
): object {
  checkParams(q, RETRIEVE_PARAMS[collection] ?? ['expand'])
  const obj = (account[collection] as Map<string, StripeObject>).get(id)
  if (!obj)
    throw invalidRequest(404, `No such ${NOUNS[collection]}: '${id}'`, 'resource_missing', 'id')
  return expand(account, structuredClone(obj), expandList(q))
}
