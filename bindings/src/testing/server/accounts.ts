// The fake's data: connected accounts and the Stripe objects seeded on each, with the links Stripe
// keeps between them (a refund updates its charge, a dispute marks it).

import {
  buildCharge,
  buildCustomer,
  buildDispute,
  buildPrice,
  buildProduct,
  buildRefund,
  buildSubscription,
  checkId,
  stripeId,
  type Charge,
  type ChargeInput,
  type Customer,
  type CustomerInput,
  type Dispute,
  type DisputeInput,
  type Price,
  type PriceInput,
  type Product,
  type ProductInput,
  type Refund,
  type RefundInput,
  type StripeObject,
  type Subscription,
  type SubscriptionInput,
} from '../objects.js'

export interface AccountInfo {
  id: string
  email: string | null
  connected: boolean
  /** The scope granted by the last OAuth approval, or null if seeded directly. */
  scope: string | null
}

export interface SeedData {
  customers?: CustomerInput[]
  charges?: ChargeInput[]
  subscriptions?: SubscriptionInput[]
  refunds?: RefundInput[]
  disputes?: DisputeInput[]
  products?: ProductInput[]
  prices?: PriceInput[]
}

export interface Seeded {
  customers: Customer[]
  charges: Charge[]
  subscriptions: Subscription[]
  refunds: Refund[]
  disputes: Dispute[]
  products: Product[]
  prices: Price[]
}

/** A collection of an account, named as in the API path (`/v1/<collection>`). */
export type Collection = keyof Seeded

export interface AccountState extends AccountInfo {
  customers: Map<string, Customer>
  charges: Map<string, Charge>
  subscriptions: Map<string, Subscription>
  refunds: Map<string, Refund>
  disputes: Map<string, Dispute>
  products: Map<string, Product>
  prices: Map<string, Price>
  /** Customers not yet in the (eventually consistent) search index. */
  unsearchable: Set<string>
}

/** The singular noun of each collection, as Stripe's "No such …" errors say it. */
export const NOUNS: Record<Collection, string> = {
  customers: 'customer',
  charges: 'charge',
  subscriptions: 'subscription',
  refunds: 'refund',
  disputes: 'dispute',
  products: 'product',
  prices: 'price',
}

const ID_PREFIX_COLLECTION: [string, Collection][] = [
  ['cus_', 'customers'],
  ['ch_', 'charges'],
  ['py_', 'charges'],
  ['sub_', 'subscriptions'],
  ['re_', 'refunds'],
  ['pyr_', 'refunds'],
  ['dp_', 'disputes'],
  ['du_', 'disputes'],
  ['prod_', 'products'],
  ['price_', 'prices'],
]

/** The stored object an id names (by its prefix), or undefined. */
export function findObject(account: AccountState, id: string): StripeObject | undefined {
  const entry = ID_PREFIX_COLLECTION.find(([prefix]) => id.startsWith(prefix))
  return entry ? (account[entry[1]] as Map<string, StripeObject>).get(id) : undefined
}

/** A collection newest first, as Stripe lists; ties by insertion, newest first. */
export function newestFirst(account: AccountState, collection: Collection): StripeObject[] {
  const items = [...(account[collection] as Map<string, StripeObject>).values()]
  const order = new Map(items.map((o, i) => [o, i]))
  return items.sort(
    (a, b) => (b['created'] as number) - (a['created'] as number) || order.get(b)! - order.get(a)!,
  )
}

export class Accounts {
  private byId = new Map<string, AccountState>()

  create(options: { id?: string; email?: string | null; connected?: boolean } = {}): AccountState {
    const id = options.id ?? stripeId('acct_', 16)
    checkId(id, ['acct_'], 'account id')
    if (this.byId.has(id)) throw new Error(`fake Stripe: account ${id} already exists`)
    const account: AccountState = {
      id,
      email: options.email ?? null,
      connected: options.connected ?? true,
      scope: null,
      customers: new Map(),
      charges: new Map(),
      subscriptions: new Map(),
      refunds: new Map(),
      disputes: new Map(),
      products: new Map(),
      prices: new Map(),
      unsearchable: new Set(),
    }
    this.byId.set(id, account)
    return account
  }

  get(id: string): AccountState | undefined {
    return this.byId.get(id)
  }

  /** The account, created (connected) if new. */
  ensure(id: string): AccountState {
    return this.byId.get(id) ?? this.create({ id })
  }

  findByEmail(email: string): AccountState | undefined {
    for (const a of this.byId.values()) if (a.email === email) return a
    return undefined
  }

  infos(): AccountInfo[] {
    return [...this.byId.values()].map(({ id, email, connected, scope }) => ({
      id,
      email,
      connected,
      scope,
    }))
  }

  clear(): void {
    this.byId = new Map()
  }

  addCustomer(account: string, input: CustomerInput = {}): Customer {
    const acct = this.ensure(account)
    const customer = buildCustomer(input)
    acct.customers.set(customer.id, customer)
    if (input.searchable === false) acct.unsearchable.add(customer.id)
    return customer
  }

  addCharge(account: string, input: ChargeInput = {}): Charge {
    const acct = this.ensure(account)
    const charge = buildCharge(input)
    acct.charges.set(charge.id, charge)
    return charge
  }

  addRefund(account: string, input: RefundInput): Refund {
    const acct = this.ensure(account)
    const charge = this.existingCharge(acct, input.charge, 'addRefund')
    const refund = buildRefund(input, charge)
    acct.refunds.set(refund.id, refund)
    if (refund.status === 'succeeded' || refund.status === 'pending') {
      charge.amount_refunded += refund.amount
      charge.refunded = charge.amount_refunded >= charge.amount
    }
    charge.refunds.data.unshift(refund)
    return refund
  }

  addDispute(account: string, input: DisputeInput): Dispute {
    const acct = this.ensure(account)
    const charge = this.existingCharge(acct, input.charge, 'addDispute')
    const dispute = buildDispute(input, charge)
    acct.disputes.set(dispute.id, dispute)
    charge.disputed = true
    return dispute
  }

  addSubscription(account: string, input: SubscriptionInput): Subscription {
    const acct = this.ensure(account)
    const { subscription, price, product } = buildSubscription(input)
    acct.subscriptions.set(subscription.id, subscription)
    acct.prices.set(price.id, price)
    if (product) acct.products.set(product.id, product)
    return subscription
  }

  addProduct(account: string, input: ProductInput = {}): Product {
    const product = buildProduct(input)
    this.ensure(account).products.set(product.id, product)
    return product
  }

  addPrice(account: string, input: PriceInput = {}): Price {
    const price = buildPrice(input)
    this.ensure(account).prices.set(price.id, price)
    return price
  }

  /** Seeds in dependency order, so later entries can name ids given to earlier ones. */
  seed(account: string, data: SeedData): Seeded {
    this.ensure(account)
    return {
      products: (data.products ?? []).map((p) => this.addProduct(account, p)),
      prices: (data.prices ?? []).map((p) => this.addPrice(account, p)),
      customers: (data.customers ?? []).map((c) => this.addCustomer(account, c)),
      charges: (data.charges ?? []).map((c) => this.addCharge(account, c)),
      subscriptions: (data.subscriptions ?? []).map((s) => this.addSubscription(account, s)),
      refunds: (data.refunds ?? []).map((r) => this.addRefund(account, r)),
      disputes: (data.disputes ?? []).map((d) => this.addDispute(account, d)),
    }
  }

  private existingCharge(acct: AccountState, id: string, caller: string): Charge {
    const charge = acct.charges.get(id)
    if (!charge)
      throw new Error(`fake Stripe: ${caller}: no charge ${id} on ${acct.id}; add it first`)
    return charge
  }
}
