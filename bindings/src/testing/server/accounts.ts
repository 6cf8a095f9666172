// The fake's data: connected accounts and the Stripe objects seeded on each, with the links Stripe
// keeps between them (a refund updates its charge, a dispute marks it, a payment intent names its
// charge and the charge names it back, an invoice lists its payments).

import {
  buildEarlyFraudWarning,
  buildInvoice,
  buildPaymentIntent,
  type EarlyFraudWarning,
  type EarlyFraudWarningInput,
  type Invoice,
  type InvoiceInput,
  type InvoicePayment,
  type PaymentIntent,
  type PaymentIntentInput,
} from '../billing.js'
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
  payment_intents?: PaymentIntentInput[]
  subscriptions?: SubscriptionInput[]
  invoices?: InvoiceInput[]
  refunds?: RefundInput[]
  disputes?: DisputeInput[]
  early_fraud_warnings?: EarlyFraudWarningInput[]
  products?: ProductInput[]
  prices?: PriceInput[]
}

export interface Seeded {
  customers: Customer[]
  charges: Charge[]
  payment_intents: PaymentIntent[]
  subscriptions: Subscription[]
  invoices: Invoice[]
  refunds: Refund[]
  disputes: Dispute[]
  early_fraud_warnings: EarlyFraudWarning[]
  products: Product[]
  prices: Price[]
}

/** A collection of an account (its API path is `PATHS[collection]`). */
export type Collection = keyof Seeded | 'invoice_payments'

export interface AccountState extends AccountInfo {
  customers: Map<string, Customer>
  charges: Map<string, Charge>
  payment_intents: Map<string, PaymentIntent>
  subscriptions: Map<string, Subscription>
  invoices: Map<string, Invoice>
  invoice_payments: Map<string, InvoicePayment>
  refunds: Map<string, Refund>
  disputes: Map<string, Dispute>
  early_fraud_warnings: Map<string, EarlyFraudWarning>
  products: Map<string, Product>
  prices: Map<string, Price>
  /** Customers not yet in the (eventually consistent) search index. */
  unsearchable: Set<string>
}

/** The object type of each collection, as Stripe's "No such …" errors name it. */
export const NOUNS: Record<Collection, string> = {
  customers: 'customer',
  charges: 'charge',
  payment_intents: 'payment_intent',
  subscriptions: 'subscription',
  invoices: 'invoice',
  invoice_payments: 'invoice_payment',
  refunds: 'refund',
  disputes: 'dispute',
  early_fraud_warnings: 'radar.early_fraud_warning',
  products: 'product',
  prices: 'price',
}

/** The API path of each collection: lists at the path, objects at `<path>/<id>`. */
export const PATHS: Record<Collection, string> = {
  customers: '/v1/customers',
  charges: '/v1/charges',
  payment_intents: '/v1/payment_intents',
  subscriptions: '/v1/subscriptions',
  invoices: '/v1/invoices',
  invoice_payments: '/v1/invoice_payments',
  refunds: '/v1/refunds',
  disputes: '/v1/disputes',
  early_fraud_warnings: '/v1/radar/early_fraud_warnings',
  products: '/v1/products',
  prices: '/v1/prices',
}

const ID_PREFIX_COLLECTION: [string, Collection][] = [
  ['cus_', 'customers'],
  ['ch_', 'charges'],
  ['py_', 'charges'],
  ['pi_', 'payment_intents'],
  ['sub_', 'subscriptions'],
  ['in_', 'invoices'],
  ['inpay_', 'invoice_payments'],
  ['issfr_', 'early_fraud_warnings'],
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
      payment_intents: new Map(),
      subscriptions: new Map(),
      invoices: new Map(),
      invoice_payments: new Map(),
      refunds: new Map(),
      disputes: new Map(),
      early_fraud_warnings: new Map(),
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
    // A charge made by an existing payment intent becomes its `latest_charge` (unless a newer one is).
    const intent = charge.payment_intent
      ? acct.payment_intents.get(charge.payment_intent)
      : undefined
    if (intent) {
      const latest = intent.latest_charge ? acct.charges.get(intent.latest_charge) : undefined
      if (!latest || latest.created <= charge.created) intent.latest_charge = charge.id
    }
    return charge
  }

  addPaymentIntent(account: string, input: PaymentIntentInput): PaymentIntent {
    const acct = this.ensure(account)
    const chargeIds = [
      ...new Set(
        [input.latest_charge, input.last_payment_error?.charge].filter(
          (id): id is string => typeof id === 'string',
        ),
      ),
    ]
    const charges = chargeIds.map((id) => this.existingCharge(acct, id, 'addPaymentIntent'))
    const intent = buildPaymentIntent(input, charges[0])
    acct.payment_intents.set(intent.id, intent)
    for (const charge of charges) this.linkCharge(acct, charge, intent)
    return intent
  }

  addInvoice(account: string, input: InvoiceInput): Invoice {
    const acct = this.ensure(account)
    const customerId = typeof input.customer === 'string' ? input.customer : input.customer?.id
    const subscriptionId =
      typeof input.subscription === 'string' ? input.subscription : input.subscription?.id
    const subscription = subscriptionId ? acct.subscriptions.get(subscriptionId) : undefined
    if (subscriptionId && !subscription) {
      throw new Error(
        `fake Stripe: addInvoice: no subscription ${subscriptionId} on ${acct.id}; add it first`,
      )
    }
    for (const p of input.payments ?? []) {
      const id = typeof p.payment_intent === 'string' ? p.payment_intent : p.payment_intent?.id
      if (!id || !acct.payment_intents.has(id)) {
        throw new Error(
          `fake Stripe: addInvoice: no payment intent ${id} on ${acct.id}; add it first (fake.addPaymentIntent)`,
        )
      }
    }
    const finalized = [...acct.invoices.values()].filter(
      (i) => i.customer === customerId && i.status !== 'draft',
    ).length
    const item = subscription?.items.data[0]
    const productId =
      typeof item?.price.product === 'string' ? item.price.product : item?.price.product.id
    const productName = productId ? acct.products.get(productId)?.name : undefined
    const { invoice, payments } = buildInvoice(input, {
      account: acct.id,
      customer: customerId ? acct.customers.get(customerId) : undefined,
      subscription,
      productName,
      sequence: finalized + 1,
    })
    acct.invoices.set(invoice.id, invoice)
    for (const p of payments) acct.invoice_payments.set(p.id, p)
    if (subscription) {
      const latest = subscription['latest_invoice']
      const current = typeof latest === 'string' ? acct.invoices.get(latest) : undefined
      if (!current || current.created <= invoice.created)
        subscription['latest_invoice'] = invoice.id
    }
    return invoice
  }

  addEarlyFraudWarning(account: string, input: EarlyFraudWarningInput): EarlyFraudWarning {
    const acct = this.ensure(account)
    const charge = this.existingCharge(acct, input.charge, 'addEarlyFraudWarning')
    const warning = buildEarlyFraudWarning(input, charge)
    acct.early_fraud_warnings.set(warning.id, warning)
    return warning
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
    this.updateWarnings(acct, charge)
    return refund
  }

  addDispute(account: string, input: DisputeInput): Dispute {
    const acct = this.ensure(account)
    const charge = this.existingCharge(acct, input.charge, 'addDispute')
    const dispute = buildDispute(input, charge)
    acct.disputes.set(dispute.id, dispute)
    charge.disputed = true
    this.updateWarnings(acct, charge)
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
      payment_intents: (data.payment_intents ?? []).map((p) => this.addPaymentIntent(account, p)),
      subscriptions: (data.subscriptions ?? []).map((s) => this.addSubscription(account, s)),
      invoices: (data.invoices ?? []).map((i) => this.addInvoice(account, i)),
      refunds: (data.refunds ?? []).map((r) => this.addRefund(account, r)),
      disputes: (data.disputes ?? []).map((d) => this.addDispute(account, d)),
      early_fraud_warnings: (data.early_fraud_warnings ?? []).map((w) =>
        this.addEarlyFraudWarning(account, w),
      ),
    }
  }

  /**
   * `charge` was made by `intent`: the charge, its refunds, disputes and early fraud warnings name
   * the intent; a failed charge takes the intent's decline as its `failure_code` / `failure_message`
   * unless it has its own.
   */
  private linkCharge(acct: AccountState, charge: Charge, intent: PaymentIntent): void {
    charge.payment_intent = intent.id
    for (const r of charge.refunds.data) r.payment_intent = intent.id
    for (const r of acct.refunds.values()) if (r.charge === charge.id) r.payment_intent = intent.id
    for (const d of acct.disputes.values()) if (d.charge === charge.id) d.payment_intent = intent.id
    for (const w of acct.early_fraud_warnings.values())
      if (w.charge === charge.id) w.payment_intent = intent.id
    const error = intent.last_payment_error
    if (error && charge.status === 'failed' && error.charge === charge.id) {
      charge['failure_code'] ??= error.code ?? null
      charge['failure_message'] ??= error.message ?? null
    }
  }

  /** An early fraud warning stops being actionable once its charge is disputed or fully refunded. */
  private updateWarnings(acct: AccountState, charge: Charge): void {
    if (!charge.disputed && !charge.refunded) return
    for (const w of acct.early_fraud_warnings.values())
      if (w.charge === charge.id) w.actionable = false
  }

  private existingCharge(acct: AccountState, id: string, caller: string): Charge {
    const charge = acct.charges.get(id)
    if (!charge)
      throw new Error(`fake Stripe: ${caller}: no charge ${id} on ${acct.id}; add it first`)
    return charge
  }
}
