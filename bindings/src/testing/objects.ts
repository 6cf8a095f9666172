// Stripe-shaped objects for the test kit, built from Stripe's own fixtures (./fixtures.ts):
// each builder deep-clones the fixture and overrides what a test cares about, so the rest of the
// object (nested cards, outcome, evidence, ...) keeps Stripe's real shape.

import { randomBytes } from 'node:crypto'

import {
  chargeFixture,
  customerFixture,
  disputeFixture,
  priceFixture,
  productFixture,
  refundFixture,
  subscriptionFixture,
} from './fixtures.js'

/** Any Stripe API object: an `id`, an `object` type and whatever else Stripe sends. */
export interface StripeObject {
  id: string
  object: string
  [key: string]: unknown
}

/** A Stripe list envelope (`GET /v1/...` collections). */
export interface StripeList<T> {
  object: 'list'
  data: T[]
  has_more: boolean
  url: string
}

export interface Customer extends StripeObject {
  object: 'customer'
  email: string | null
  name: string | null
  phone: string | null
  description: string | null
  created: number
  livemode: boolean
  metadata: Record<string, string>
}

export interface Refund extends StripeObject {
  object: 'refund'
  amount: number
  charge: string
  currency: string
  reason: string | null
  status: string
  created: number
  payment_intent: string | null
}

export interface Charge extends StripeObject {
  object: 'charge'
  amount: number
  amount_captured: number
  amount_refunded: number
  currency: string
  customer: string | null
  description: string | null
  status: string
  paid: boolean
  captured: boolean
  refunded: boolean
  disputed: boolean
  created: number
  livemode: boolean
  payment_intent: string | null
  metadata: Record<string, string>
  refunds: StripeList<Refund>
}

export interface Product extends StripeObject {
  object: 'product'
  name: string
  created: number
}

export interface Price extends StripeObject {
  object: 'price'
  currency: string
  unit_amount: number | null
  nickname: string | null
  product: string | Product
  recurring: { interval: string; interval_count: number; [key: string]: unknown } | null
}

export interface SubscriptionItem extends StripeObject {
  object: 'subscription_item'
  price: Price
  quantity: number
  subscription: string
  current_period_start: number
  current_period_end: number
}

/** A Stripe subscription's `status` (the result type `SubscriptionStatus` is another thing). */
export type StripeSubscriptionStatus =
  | 'active'
  | 'canceled'
  | 'incomplete'
  | 'incomplete_expired'
  | 'past_due'
  | 'paused'
  | 'trialing'
  | 'unpaid'

export interface Subscription extends StripeObject {
  object: 'subscription'
  customer: string
  status: StripeSubscriptionStatus
  cancel_at_period_end: boolean
  created: number
  currency: string
  livemode: boolean
  items: StripeList<SubscriptionItem>
}

/**
 * A Stripe dispute's `status` at the pinned API version (the `stripe` package's `Dispute.Status`).
 * `prevented`: the dispute was blocked or resolved before it became a formal chargeback
 * (https://docs.stripe.com/changelog/basil/2025-08-27/add-preventions-to-dispute). Any other
 * string is accepted too, as Stripe may add statuses.
 */
export type StripeDisputeStatus =
  | 'appeal_needs_response'
  | 'appeal_under_review'
  | 'lost'
  | 'needs_response'
  | 'prevented'
  | 'under_review'
  | 'warning_closed'
  | 'warning_needs_response'
  | 'warning_under_review'
  | 'won'
  | (string & {})

export interface Dispute extends StripeObject {
  object: 'dispute'
  amount: number
  charge: string
  currency: string
  reason: string
  status: StripeDisputeStatus
  created: number
  payment_intent: string | null
  is_charge_refundable: boolean
  evidence_details: { due_by: number | null; [key: string]: unknown }
}

/** `T` without its index signature, so `Omit` keeps the named fields (shared with billing.ts). */
export type Known<T> = {
  [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K]
}
/** Any further Stripe field (shared with billing.ts). */
export type Extra = { [key: string]: unknown }

// ---- ids ---------------------------------------------------------------------------------------

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** A fresh Stripe-looking id: the prefix, then `len` letters and digits (`cus_Q7x…`). */
export function stripeId(prefix: string, len = 24): string {
  const bytes = randomBytes(len)
  let out = prefix
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length]
  return out
}

const ID_RE = /^[a-z]+_[A-Za-z0-9_]+$/

/** Throws a TypeError unless `id` looks like `prefix…` with Stripe's id alphabet. */
export function checkId(id: string, prefixes: readonly string[], what: string): string {
  if (
    typeof id !== 'string' ||
    !prefixes.some((p) => id.startsWith(p)) ||
    !ID_RE.test(id) ||
    id.length > 255
  ) {
    throw new TypeError(
      `${what}: expected an id starting with ${prefixes.join(' or ')}, got ${JSON.stringify(id)}`,
    )
  }
  return id
}

/** @internal */
export function clone<T>(value: T): T {
  return structuredClone(value)
}

let clock = 1_767_225_600 // 2026-01-01T00:00:00Z: seeded objects get increasing `created`
/** @internal */
export function nextCreated(): number {
  clock += 1
  return clock
}

/** @internal */
export function list<T>(data: T[], url: string): StripeList<T> {
  return { object: 'list', data, has_more: false, url }
}

// ---- builders ----------------------------------------------------------------------------------
// Inputs are partial Stripe objects in Stripe's own snake_case: what you pass is what is served.

export type CustomerInput = Partial<Customer> & {
  /** `false` keeps the customer out of `/v1/customers/search` (Stripe's search index lags). */
  searchable?: boolean
}

export function buildCustomer(input: CustomerInput = {}): Customer {
  const { searchable: _searchable, ...fields } = input
  const id = fields.id ?? stripeId('cus_', 14)
  checkId(id, ['cus_'], 'customer id')
  return {
    ...clone(customerFixture),
    discount: null,
    email: null,
    ...fields,
    id,
    object: 'customer',
    created: fields.created ?? nextCreated(),
    livemode: fields.livemode ?? false,
    metadata: fields.metadata ?? {},
    name: fields.name ?? null,
    phone: fields.phone ?? null,
    description: fields.description ?? null,
  }
}

export type ChargeInput = Partial<Omit<Known<Charge>, 'customer' | 'refunds'>> &
  Extra & {
    /** A customer id or a customer built by the kit. */
    customer?: string | Customer | null
  }

export function buildCharge(input: ChargeInput = {}): Charge {
  const id = input.id ?? stripeId('ch_')
  checkId(id, ['ch_', 'py_'], 'charge id')
  const amount = input.amount ?? 2000
  const status = input.status ?? 'succeeded'
  const customer =
    typeof input.customer === 'object' && input.customer !== null
      ? input.customer.id
      : (input.customer ?? null)
  const succeeded = status === 'succeeded'
  const { customer: _c, ...fields } = input
  return {
    ...clone(chargeFixture),
    balance_transaction: succeeded ? stripeId('txn_') : null,
    source: null,
    transfer_data: null,
    receipt_url: null,
    ...fields,
    id,
    object: 'charge',
    amount,
    amount_captured: input.amount_captured ?? (succeeded ? amount : 0),
    amount_refunded: input.amount_refunded ?? 0,
    captured: input.captured ?? succeeded,
    paid: input.paid ?? succeeded,
    currency: input.currency ?? 'usd',
    customer,
    description: input.description ?? null,
    status,
    refunded: input.refunded ?? false,
    disputed: input.disputed ?? false,
    created: input.created ?? nextCreated(),
    livemode: input.livemode ?? false,
    payment_intent: input.payment_intent ?? null,
    metadata: input.metadata ?? {},
    refunds: list<Refund>([], `/v1/charges/${id}/refunds`),
  }
}

export type RefundInput = Partial<Refund> & { charge: string }

export function buildRefund(input: RefundInput, charge?: Charge): Refund {
  const id = input.id ?? stripeId('re_')
  checkId(id, ['re_', 'pyr_'], 'refund id')
  return {
    ...clone(refundFixture),
    ...input,
    id,
    object: 'refund',
    amount: input.amount ?? charge?.amount ?? 2000,
    charge: input.charge,
    currency: input.currency ?? charge?.currency ?? 'usd',
    reason: input.reason ?? null,
    status: input.status ?? 'succeeded',
    created: input.created ?? nextCreated(),
    payment_intent: input.payment_intent ?? charge?.payment_intent ?? null,
    customer: input.customer ?? charge?.customer ?? null,
  }
}

export type DisputeInput = Partial<Dispute> & { charge: string }

export function buildDispute(input: DisputeInput, charge?: Charge): Dispute {
  const id = input.id ?? stripeId('dp_')
  checkId(id, ['dp_', 'du_'], 'dispute id')
  const created = input.created ?? nextCreated()
  const fixture = clone(disputeFixture)
  return {
    ...fixture,
    ...input,
    id,
    object: 'dispute',
    amount: input.amount ?? charge?.amount ?? fixture.amount,
    charge: input.charge,
    currency: input.currency ?? charge?.currency ?? 'usd',
    reason: input.reason ?? 'fraudulent',
    status: input.status ?? 'needs_response',
    created,
    livemode: input.livemode ?? false,
    payment_intent: input.payment_intent ?? charge?.payment_intent ?? null,
    is_charge_refundable: input.is_charge_refundable ?? false,
    evidence_details: input.evidence_details ?? {
      ...fixture.evidence_details,
      due_by: created + 7 * 86_400,
    },
  }
}

export type ProductInput = Partial<Product>

export function buildProduct(input: ProductInput = {}): Product {
  const id = input.id ?? stripeId('prod_', 14)
  checkId(id, ['prod_'], 'product id')
  return {
    ...clone(productFixture),
    default_price: null,
    ...input,
    id,
    object: 'product',
    name: input.name ?? 'Pro plan',
    created: input.created ?? nextCreated(),
  }
}

export type PriceInput = Partial<Omit<Known<Price>, 'product'>> &
  Extra & { product?: string | Product }

export function buildPrice(input: PriceInput = {}): Price {
  const id = input.id ?? stripeId('price_')
  checkId(id, ['price_', 'plan_'], 'price id')
  const fixture = clone(priceFixture)
  const product =
    typeof input.product === 'object' ? input.product.id : (input.product ?? fixture.product)
  return {
    ...fixture,
    transform_quantity: null,
    ...input,
    id,
    object: 'price',
    currency: input.currency ?? 'usd',
    unit_amount: input.unit_amount ?? 2000,
    unit_amount_decimal: String(input.unit_amount ?? 2000),
    nickname: input.nickname ?? null,
    product,
    recurring: input.recurring ?? fixture.recurring,
  }
}

export type SubscriptionInput = Partial<Omit<Known<Subscription>, 'customer' | 'items'>> &
  Extra & {
    customer: string | Customer
    /** Goes on `items.data[0]` (where Stripe puts it since API version 2025-03-31). Default: created + 30 days. */
    current_period_end?: number
    current_period_start?: number
    /** The item's price: an existing price or fields for a new one. */
    price?: Price | PriceInput
    /** Shortcut for the price's product name (a product is created). */
    product_name?: string
    quantity?: number
  }

/** Builds a subscription; also returns the price and product it created, for the account's store. */
export function buildSubscription(input: SubscriptionInput): {
  subscription: Subscription
  price: Price
  product: Product | null
} {
  const id = input.id ?? stripeId('sub_')
  checkId(id, ['sub_'], 'subscription id')
  const customer = typeof input.customer === 'object' ? input.customer.id : input.customer
  const created = input.created ?? nextCreated()
  const start = input.current_period_start ?? created
  const end = input.current_period_end ?? start + 30 * 86_400
  let product: Product | null = null
  let price: Price
  if (input.price && (input.price as Price).object === 'price') {
    price = input.price as Price
  } else {
    const priceInput = (input.price ?? {}) as PriceInput
    if (priceInput.product === undefined)
      product = buildProduct({ name: input.product_name ?? 'Pro plan' })
    price = buildPrice({ ...priceInput, product: priceInput.product ?? product?.id })
  }
  const fixture = clone(subscriptionFixture)
  const fixtureItem = fixture.items.data[0]!
  const item: SubscriptionItem = {
    ...fixtureItem,
    id: stripeId('si_', 14),
    object: 'subscription_item',
    created,
    plan: null,
    price,
    quantity: input.quantity ?? 1,
    subscription: id,
    current_period_start: start,
    current_period_end: end,
  }
  const {
    current_period_end: _e,
    current_period_start: _s,
    price: _p,
    product_name: _n,
    quantity: _q,
    customer: _c,
    ...fields
  } = input
  const status = input.status ?? 'active'
  const subscription: Subscription = {
    ...fixture,
    transfer_data: null,
    pending_update: null,
    pause_collection: null,
    billing_schedules: [],
    cancel_at: null,
    canceled_at: status === 'canceled' ? end : null,
    ended_at: status === 'canceled' ? end : null,
    trial_start: null,
    trial_end: null,
    next_pending_invoice_item_invoice: null,
    ...fields,
    id,
    object: 'subscription',
    customer,
    status,
    cancel_at_period_end: input.cancel_at_period_end ?? false,
    created,
    start_date: created,
    billing_cycle_anchor: start,
    currency: input.currency ?? price.currency,
    livemode: input.livemode ?? false,
    items: { ...list([item], `/v1/subscription_items?subscription=${id}`) },
  }
  return { subscription, price, product }
}
