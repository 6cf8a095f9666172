// List endpoints (`GET /v1/<collection>`): each one's filters, newest-first pagination with
// `starting_after` / `ending_before`, and `created` ranges. Each route declares exactly the query
// parameters Stripe declares for it at the pinned API version (the `stripe` package's
// `<Resource>ListParams`); any other is refused as `parameter_unknown`.

import type { Invoice, InvoicePayment } from '../billing.js'
import type { StripeObject, Subscription } from '../objects.js'
import { NOUNS, newestFirst, type AccountState, type Collection } from './accounts.js'
import { expand } from './expand.js'
import { baseParam, checkEnum, checkParams, expandList, parseLimit } from './params.js'
import { invalidRequest } from './responses.js'

const SUB_STATUSES = [
  'active',
  'all',
  'canceled',
  'ended',
  'incomplete',
  'incomplete_expired',
  'past_due',
  'paused',
  'trialing',
  'unpaid',
]
const INVOICE_STATUSES = ['draft', 'open', 'paid', 'uncollectible', 'void']
const LIST_PARAMS = ['limit', 'starting_after', 'ending_before', 'created', 'expand']

interface ListRoute {
  collection: Collection
  params: string[]
  filter: (obj: StripeObject, q: URLSearchParams) => boolean
  /** Applied when the request names no `status`. */
  defaultFilter?: (obj: StripeObject) => boolean
  /** Checks the parameters beyond the names (e.g. an enum's values). */
  check?: (q: URLSearchParams) => void
  /** Filter parameters naming an object that must exist (`[param, collection]`). */
  mustExist?: [string, Collection][]
}

function eq(field: string) {
  return (obj: StripeObject, q: URLSearchParams) => {
    const want = q.get(field)
    return want === null || obj[field] === want
  }
}

const LIST_ROUTES: Record<string, ListRoute> = {
  '/v1/customers': {
    collection: 'customers',
    params: [...LIST_PARAMS, 'email', 'test_clock'],
    filter: eq('email'),
  },
  '/v1/charges': {
    collection: 'charges',
    params: [...LIST_PARAMS, 'customer', 'payment_intent', 'transfer_group'],
    filter: (o, q) =>
      eq('customer')(o, q) && eq('payment_intent')(o, q) && eq('transfer_group')(o, q),
  },
  '/v1/subscriptions': {
    collection: 'subscriptions',
    params: [
      ...LIST_PARAMS,
      'customer',
      'status',
      'price',
      'collection_method',
      'current_period_end',
      'current_period_start',
      'test_clock',
      'automatic_tax',
    ],
    filter: (o, q) => {
      if (!eq('customer')(o, q)) return false
      const price = q.get('price')
      if (price !== null && !(o as Subscription).items.data.some((i) => i.price.id === price))
        return false
      const status = q.get('status')
      if (status === null || status === 'all') return true
      if (status === 'ended') return o.status === 'canceled' || o.status === 'incomplete_expired'
      return o.status === status
    },
    // Without `status`, Stripe lists every subscription that is not canceled.
    defaultFilter: (o) => o.status !== 'canceled',
    check: (q) => checkEnum(q, 'status', SUB_STATUSES),
  },
  // https://docs.stripe.com/api/invoices/list: newest first; `subscription` is the invoice's
  // `parent.subscription_details.subscription` since 2025-03-31.basil.
  '/v1/invoices': {
    collection: 'invoices',
    params: [
      ...LIST_PARAMS,
      'collection_method',
      'customer',
      'customer_account',
      'due_date',
      'status',
      'subscription',
    ],
    filter: (o, q) => {
      const subscription = q.get('subscription')
      return (
        eq('customer')(o, q) &&
        eq('customer_account')(o, q) &&
        eq('status')(o, q) &&
        eq('collection_method')(o, q) &&
        (subscription === null ||
          (o as Invoice).parent?.subscription_details?.subscription === subscription) &&
        rangeFilter(q, 'due_date')(o['due_date'] as number | null)
      )
    },
    check: (q) => {
      checkEnum(q, 'status', INVOICE_STATUSES)
      checkEnum(q, 'collection_method', ['charge_automatically', 'send_invoice'])
      rangeFilter(q, 'due_date') // refuses a malformed range even when nothing would match
    },
  },
  // https://docs.stripe.com/api/invoice-payment/list: the full list of an invoice's payments.
  '/v1/invoice_payments': {
    collection: 'invoice_payments',
    params: [...LIST_PARAMS, 'invoice', 'payment', 'status'],
    filter: (o, q) => {
      const p = (o as InvoicePayment).payment
      const type = q.get('payment[type]')
      const intent = q.get('payment[payment_intent]')
      return (
        eq('invoice')(o, q) &&
        eq('status')(o, q) &&
        (type === null || p.type === type) &&
        (intent === null || p.payment_intent === intent) &&
        q.get('payment[payment_record]') === null
      )
    },
    check: (q) => {
      checkEnum(q, 'status', ['canceled', 'open', 'paid'])
      const sub = [...q.keys()].filter((k) => baseParam(k) === 'payment')
      for (const k of sub) {
        if (!['payment[type]', 'payment[payment_intent]', 'payment[payment_record]'].includes(k))
          throw invalidRequest(400, `Received unknown parameter: ${k}`, 'parameter_unknown', k)
      }
      if (sub.length > 0 && !q.has('payment[type]'))
        throw invalidRequest(
          400,
          'Missing required param: payment[type].',
          'parameter_missing',
          'payment[type]',
        )
      checkEnum(q, 'payment[type]', ['payment_intent', 'payment_record'])
    },
  },
  // https://docs.stripe.com/api/payment_intents/list
  '/v1/payment_intents': {
    collection: 'payment_intents',
    params: [...LIST_PARAMS, 'customer', 'customer_account'],
    filter: (o, q) => eq('customer')(o, q) && eq('customer_account')(o, q),
  },
  // https://docs.stripe.com/api/refunds/list: "If you provide a non-existent charge ID, this call
  // raises an error."
  '/v1/refunds': {
    collection: 'refunds',
    params: [...LIST_PARAMS, 'charge', 'payment_intent'],
    filter: (o, q) => eq('charge')(o, q) && eq('payment_intent')(o, q),
    mustExist: [['charge', 'charges']],
  },
  '/v1/disputes': {
    collection: 'disputes',
    params: [...LIST_PARAMS, 'charge', 'payment_intent'],
    filter: (o, q) => eq('charge')(o, q) && eq('payment_intent')(o, q),
  },
  // https://docs.stripe.com/api/radar/early_fraud_warnings/list
  '/v1/radar/early_fraud_warnings': {
    collection: 'early_fraud_warnings',
    params: [...LIST_PARAMS, 'charge', 'payment_intent'],
    filter: (o, q) => eq('charge')(o, q) && eq('payment_intent')(o, q),
  },
  // `ids[]` is how the core names subscription plans whose price has no nickname (one call per 100 products).
  '/v1/products': {
    collection: 'products',
    params: [...LIST_PARAMS, 'active', 'ids', 'shippable', 'url'],
    filter: (o, q) => {
      const ids = [...q].filter(([k]) => baseParam(k) === 'ids').map(([, v]) => v)
      if (ids.length > 0 && !ids.includes(o.id)) return false
      const active = q.get('active')
      return active === null || String(o['active']) === active
    },
  },
}

/** Whether `path` (no trailing slash) is a list endpoint. */
export function isListPath(path: string): boolean {
  return Object.hasOwn(LIST_ROUTES, path)
}

/** One page of the list at `path` for `account`, as Stripe answers it. */
export function listPage(account: AccountState, path: string, q: URLSearchParams): object {
  const route = LIST_ROUTES[path]!
  checkParams(q, route.params)
  const limit = parseLimit(q.get('limit'))
  const all = newestFirst(account, route.collection)
  route.check?.(q)
  for (const [param, collection] of route.mustExist ?? []) {
    const id = q.get(param)
    if (id !== null && !(account[collection] as Map<string, StripeObject>).has(id))
      throw invalidRequest(400, `No such ${NOUNS[collection]}: '${id}'`, 'resource_missing', param)
  }
  const statusGiven = q.has('status')
  const created = rangeFilter(q, 'created')
  const matches = (o: StripeObject) =>
    route.filter(o, q) &&
    (statusGiven || !route.defaultFilter || route.defaultFilter(o)) &&
    created(o['created'] as number)
  const cursorIndex = (param: 'starting_after' | 'ending_before'): number | null => {
    const id = q.get(param)
    if (id === null) return null
    const i = all.findIndex((o) => o.id === id)
    if (i === -1) {
      const noun = NOUNS[route.collection]
      throw invalidRequest(400, `No such ${noun}: '${id}'`, 'resource_missing', param)
    }
    return i
  }
  const after = cursorIndex('starting_after')
  const before = cursorIndex('ending_before')
  let page: StripeObject[]
  let hasMore: boolean
  if (before !== null && after === null) {
    const candidates = all.slice(0, before).filter(matches)
    page = candidates.slice(Math.max(0, candidates.length - limit))
    hasMore = candidates.length > limit
  } else {
    const candidates = all.slice(after === null ? 0 : after + 1).filter(matches)
    page = candidates.slice(0, limit)
    hasMore = candidates.length > limit
  }
  const listObj = {
    object: 'list',
    data: page.map((o) => structuredClone(o)),
    has_more: hasMore,
    url: path,
  }
  return expand(account, listObj, expandList(q))
}

/**
 * A timestamp range parameter (`created`, `due_date`): `name`, `name[gt]`, `[gte]`, `[lt]`,
 * `[lte]` (Unix seconds), all of which must hold. A null timestamp matches only when none is given.
 */
function rangeFilter(q: URLSearchParams, name: string): (value: number | null) => boolean {
  const checks: ((c: number) => boolean)[] = []
  for (const [k, v] of q) {
    if (baseParam(k) !== name) continue
    const n = Number(v)
    if (!/^\d+$/.test(v))
      throw invalidRequest(400, `Invalid integer: ${v}`, 'parameter_invalid_integer', k)
    if (k === name) checks.push((c) => c === n)
    else if (k === `${name}[gt]`) checks.push((c) => c > n)
    else if (k === `${name}[gte]`) checks.push((c) => c >= n)
    else if (k === `${name}[lt]`) checks.push((c) => c < n)
    else if (k === `${name}[lte]`) checks.push((c) => c <= n)
    else throw invalidRequest(400, `Received unknown parameter: ${k}`, 'parameter_unknown', k)
  }
  return (c) => (c === null ? checks.length === 0 : checks.every((f) => f(c)))
}
