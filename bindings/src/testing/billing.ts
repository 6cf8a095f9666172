// Invoices (with their payments), payment intents and early fraud warnings, built like the objects
// in objects.ts: Stripe's fixture deep-cloned, then what a test sets. Shapes are the pinned API
// version's (the `stripe` package's Invoices.d.ts, InvoicePayments.d.ts, PaymentIntents.d.ts,
// Radar/EarlyFraudWarnings.d.ts): since 2025-03-31.basil an invoice names its subscription under
// `parent.subscription_details` and lists its payments (`payments`, returned only when expanded),
// and charges and payment intents no longer name an invoice
// (https://docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices,
// https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects).

import {
  earlyFraudWarningFixture,
  invoiceFixture,
  invoicePaymentFixture,
  paymentIntentFixture,
} from './fixtures.js'
import {
  checkId,
  clone,
  list,
  nextCreated,
  stripeId,
  type Charge,
  type Customer,
  type Extra,
  type Known,
  type StripeList,
  type StripeObject,
  type Subscription,
} from './objects.js'

// ---- types -------------------------------------------------------------------------------------

/** An invoice's `status` (https://docs.stripe.com/api/invoices/object#invoice_object-status). */
export type StripeInvoiceStatus = 'draft' | 'open' | 'paid' | 'uncollectible' | 'void'

/** An invoice payment's `status`: `paid` counts toward the invoice, `open` and `canceled` do not. */
export type InvoicePaymentStatus = 'open' | 'paid' | 'canceled'

/**
 * One payment toward an invoice (`invoice_payment`,
 * https://docs.stripe.com/api/invoice-payment/object). The kit links payment intents only
 * (`payment.type` `payment_intent`).
 */
export interface InvoicePayment extends StripeObject {
  object: 'invoice_payment'
  /** Null until the payment is `paid`. */
  amount_paid: number | null
  amount_requested: number
  created: number
  currency: string
  invoice: string
  is_default: boolean
  livemode: boolean
  payment: { type: 'payment_intent'; payment_intent: string }
  status: InvoicePaymentStatus
  status_transitions: { canceled_at: number | null; paid_at: number | null }
}

/** An invoice (https://docs.stripe.com/api/invoices/object), as served without `expand[]=payments`. */
export interface Invoice extends StripeObject {
  object: 'invoice'
  amount_due: number
  amount_paid: number
  amount_remaining: number
  amount_overpaid: number
  billing_reason: string | null
  collection_method: 'charge_automatically' | 'send_invoice'
  created: number
  currency: string
  customer: string | null
  customer_email: string | null
  customer_name: string | null
  hosted_invoice_url: string | null
  invoice_pdf: string | null
  livemode: boolean
  metadata: Record<string, string>
  number: string | null
  /** The subscription is `parent.subscription_details.subscription` (there is no top-level `subscription`). */
  parent: {
    type: 'subscription_details' | 'quote_details'
    subscription_details: { metadata: Record<string, string> | null; subscription: string } | null
    quote_details: { quote: string } | null
  } | null
  period_start: number
  period_end: number
  status: StripeInvoiceStatus
  status_transitions: {
    finalized_at: number | null
    marked_uncollectible_at: number | null
    paid_at: number | null
    voided_at: number | null
  }
  lines: StripeList<StripeObject>
  subtotal: number
  total: number
}

/** A payment intent's `status` (https://docs.stripe.com/api/payment_intents/object#payment_intent_object-status). */
export type StripePaymentIntentStatus =
  | 'canceled'
  | 'processing'
  | 'requires_action'
  | 'requires_capture'
  | 'requires_confirmation'
  | 'requires_payment_method'
  | 'succeeded'

/** Why the last payment attempt failed (https://docs.stripe.com/api/payment_intents/object#payment_intent_object-last_payment_error). */
export interface LastPaymentError {
  /** `card_error` for a declined card. */
  type: string
  /** An error code, e.g. `card_declined` (https://docs.stripe.com/error-codes). */
  code?: string
  /** The issuer's reason for a card decline, e.g. `insufficient_funds` (https://docs.stripe.com/declines/codes). */
  decline_code?: string
  message?: string
  /** The failed charge, when there was one. */
  charge?: string
  doc_url?: string
  [key: string]: unknown
}

/** A payment intent (https://docs.stripe.com/api/payment_intents/object). */
export interface PaymentIntent extends StripeObject {
  object: 'payment_intent'
  amount: number
  amount_received: number
  canceled_at: number | null
  created: number
  currency: string
  customer: string | null
  description: string | null
  last_payment_error: LastPaymentError | null
  latest_charge: string | null
  livemode: boolean
  metadata: Record<string, string>
  payment_method: string | null
  status: StripePaymentIntentStatus
}

/** The issuer's label on an early fraud warning (`fraud_type`). */
export type EarlyFraudWarningFraudType =
  | 'card_never_received'
  | 'fraudulent_card_application'
  | 'made_with_counterfeit_card'
  | 'made_with_lost_card'
  | 'made_with_stolen_card'
  | 'misc'
  | 'unauthorized_use_of_card'

/** An early fraud warning (https://docs.stripe.com/api/radar/early_fraud_warnings/object). */
export interface EarlyFraudWarning extends StripeObject {
  object: 'radar.early_fraud_warning'
  /** True while the charge has no dispute and is not fully refunded. */
  actionable: boolean
  charge: string
  created: number
  fraud_type: EarlyFraudWarningFraudType
  livemode: boolean
  /** The charge's payment intent; absent when the charge has none (as in Stripe's example object). */
  payment_intent?: string
}

// ---- inputs ------------------------------------------------------------------------------------
// Stripe's own snake_case, like every input of the kit: what you pass is what is served.

/** One payment of `addInvoice`'s `payments`: a payment intent the account already has. */
export interface InvoicePaymentInput {
  /** The payment intent (id or object) that pays the invoice; it must exist on the account. */
  payment_intent: string | PaymentIntent
  /** Default `'paid'`. */
  status?: InvoicePaymentStatus
  /** Default: `amount_paid`, else the invoice's `amount_due`. */
  amount_requested?: number
  /** Default: `amount_requested` when `paid`, else null (Stripe's value until the payment is paid). */
  amount_paid?: number | null
  /** Default: the invoice's `created`. */
  created?: number
  /** Default: true for the first payment, false for the others. */
  is_default?: boolean
  id?: string
}

export type InvoiceInput = Partial<
  Omit<Known<Invoice>, 'customer' | 'status' | 'amount_due' | 'lines' | 'parent'>
> &
  Extra & {
    /** A customer id or a customer built by the kit. */
    customer: string | Customer
    status: StripeInvoiceStatus
    amount_due: number
    /** Sets `parent.subscription_details.subscription` (and the line's subscription). */
    subscription?: string | Subscription
    /**
     * Payments toward the invoice, served under `payments` with `expand[]=payments` (or
     * `data.payments` on a list). Without `amount_paid`, the invoice's `amount_paid` is the sum of
     * the `paid` ones (or `amount_due` for a `paid` invoice without payments).
     */
    payments?: InvoicePaymentInput[]
  }

export type PaymentIntentInput = Partial<
  Omit<Known<PaymentIntent>, 'customer' | 'amount' | 'last_payment_error'>
> &
  Extra & {
    /** A customer id or a customer built by the kit. */
    customer?: string | Customer | null
    amount: number
    /** `code`, `decline_code`, `message`, `charge`; `type` defaults to `card_error`, `doc_url` follows `code`. */
    last_payment_error?: (Partial<LastPaymentError> & { code: string }) | null
  }

export type EarlyFraudWarningInput = Partial<
  Omit<Known<EarlyFraudWarning>, 'charge' | 'fraud_type'>
> & {
  /** The charge the issuer flagged; it must exist on the account. */
  charge: string
  fraud_type: EarlyFraudWarningFraudType
}

// ---- builders ----------------------------------------------------------------------------------

/**
 * Stripe's fields are snake_case: a camelCase key (`amountDue`) would be served as an unknown field
 * and the test would read Stripe-shaped defaults, so it is refused with the spelling to use.
 */
function refuseCamelCase(input: object, what: string): void {
  for (const key of Object.keys(input)) {
    if (/[A-Z]/.test(key)) {
      const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
      throw new TypeError(
        `${what}: ${JSON.stringify(key)} is not a Stripe field; fields are Stripe's snake_case (${JSON.stringify(snake)})`,
      )
    }
  }
}

function idOf(value: string | StripeObject | null | undefined): string | null {
  if (value === null || value === undefined) return null
  return typeof value === 'string' ? value : value.id
}

/** Where Stripe's hosted pages would be: invoice.stripe.com / pay.stripe.com (never fetched by the kit). */
function hostedUrls(account: string, livemode: boolean): { page: string; pdf: string } {
  const token = `${livemode ? 'live' : 'test'}_${stripeId('', 48)}`
  return {
    page: `https://invoice.stripe.com/i/${account}/${token}?s=ap`,
    pdf: `https://pay.stripe.com/invoice/${account}/${token}/pdf?s=ap`,
  }
}

export interface BuildInvoiceOptions {
  /** The connected account (for the hosted URLs). Default a placeholder `acct_…`. */
  account?: string
  /** The customer, when known: `customer_email`, `customer_name` and the `number` prefix come from it. */
  customer?: Customer
  /** The subscription, when known: the line's `subscription_item` and price. */
  subscription?: Subscription
  /** The subscription's product name, for the line's description (`1 × <name>`). */
  productName?: string
  /** The invoice's place in the customer's sequence (for `number`), default 1. */
  sequence?: number
}

/**
 * Builds an invoice and its payments (kept apart: `payments` is includable, only served when
 * expanded). Draft invoices have no number and no hosted URLs, as Stripe sets them at finalization.
 */
export function buildInvoice(
  input: InvoiceInput,
  options: BuildInvoiceOptions = {},
): { invoice: Invoice; payments: InvoicePayment[] } {
  refuseCamelCase(input, 'invoice')
  const id = input.id ?? stripeId('in_')
  checkId(id, ['in_'], 'invoice id')
  const {
    customer: customerInput,
    subscription: subscriptionInput,
    payments: paymentInputs = [],
    ...fields
  } = input
  const customer = idOf(customerInput)
  const subscription = idOf(subscriptionInput)
  const status = input.status
  const created = input.created ?? nextCreated()
  const currency = input.currency ?? options.subscription?.currency ?? 'usd'
  const livemode = input.livemode ?? false
  const amountDue = input.amount_due
  const draft = status === 'draft'

  const payments = paymentInputs.map((p, i) => {
    refuseCamelCase(p, 'invoice payment')
    const paymentStatus = p.status ?? 'paid'
    const requested = p.amount_requested ?? p.amount_paid ?? amountDue
    const paidAt = paymentStatus === 'paid' ? (p.created ?? created) : null
    const payment: InvoicePayment = {
      ...clone(invoicePaymentFixture),
      id: checkId(p.id ?? stripeId('inpay_'), ['inpay_'], 'invoice payment id'),
      object: 'invoice_payment',
      amount_paid: p.amount_paid !== undefined ? p.amount_paid : paidAt !== null ? requested : null,
      amount_requested: requested,
      created: p.created ?? created,
      currency,
      invoice: id,
      is_default: p.is_default ?? i === 0,
      livemode,
      payment: { type: 'payment_intent', payment_intent: idOf(p.payment_intent)! },
      status: paymentStatus,
      status_transitions: {
        canceled_at: paymentStatus === 'canceled' ? (p.created ?? created) : null,
        paid_at: paidAt,
      },
    }
    return payment
  })

  const amountPaid =
    input.amount_paid ??
    (payments.length > 0
      ? payments.reduce((sum, p) => sum + (p.status === 'paid' ? (p.amount_paid ?? 0) : 0), 0)
      : status === 'paid'
        ? amountDue
        : 0)
  const lastPaid = Math.max(
    created,
    ...payments.map((p) => p.status_transitions.paid_at ?? created),
  )
  const finalizedAt = draft ? null : created
  const urls = hostedUrls(options.account ?? 'acct_1FakeStripeTestKit', livemode)
  const prefix = (options.customer?.['invoice_prefix'] as string | undefined) ?? 'FAKE0001'
  const subscriptionItem = options.subscription?.items.data[0]
  const periodStart = input.period_start ?? created
  const periodEnd = input.period_end ?? created

  const fixture = clone(invoiceFixture)
  const { subscription: _removedInBasil, ...fixtureFields } = fixture
  const fixtureLine = fixture.lines.data[0]!
  const lineId = stripeId('il_')
  const line: StripeObject = {
    ...fixtureLine,
    id: lineId,
    object: 'line_item',
    amount: amountDue,
    currency,
    description:
      input.description ??
      (subscriptionItem
        ? `${subscriptionItem.quantity} × ${options.productName ?? subscriptionItem.price.nickname ?? 'Subscription'}`
        : null),
    discount_amounts: [],
    discounts: [],
    invoice: id,
    livemode,
    metadata: {},
    period: { start: periodStart, end: periodEnd },
    quantity: 1,
    quantity_decimal: '1',
    subscription,
    subtotal: amountDue,
    parent: subscription
      ? {
          type: 'subscription_item_details',
          invoice_item_details: null,
          subscription_item_details: {
            invoice_item: null,
            proration: false,
            proration_details: { credited_items: null },
            subscription,
            subscription_item: subscriptionItem?.id ?? stripeId('si_', 14),
          },
        }
      : {
          type: 'invoice_item_details',
          invoice_item_details: {
            invoice_item: stripeId('ii_'),
            proration: false,
            proration_details: { credited_items: null },
            subscription: null,
          },
          subscription_item_details: null,
        },
    pricing: {
      type: 'price_details',
      price_details: {
        price: subscriptionItem?.price.id ?? stripeId('price_'),
        product:
          (typeof subscriptionItem?.price.product === 'string'
            ? subscriptionItem.price.product
            : subscriptionItem?.price.product.id) ?? stripeId('prod_', 14),
      },
      unit_amount_decimal: String(amountDue),
    },
  }

  const invoice: Invoice = {
    ...fixtureFields,
    account_name: null,
    amount_shipping: 0,
    attempt_count: payments.length,
    attempted: payments.length > 0,
    auto_advance: status === 'draft' || status === 'open',
    automatically_finalizes_at: null,
    customer_address: null,
    customer_shipping: null,
    custom_fields: null,
    // `due_date` is null for `charge_automatically` invoices (the default here).
    due_date: null,
    effective_at: finalizedAt,
    ending_balance: draft ? null : 0,
    from_invoice: null,
    last_finalization_error: null,
    next_payment_attempt: null,
    shipping_cost: null,
    shipping_details: null,
    subtotal_excluding_tax: amountDue,
    total_excluding_tax: amountDue,
    total_discount_amounts: [],
    webhooks_delivered_at: draft ? null : created,
    ...fields,
    id,
    object: 'invoice',
    amount_due: amountDue,
    amount_paid: amountPaid,
    amount_remaining: input.amount_remaining ?? Math.max(0, amountDue - amountPaid),
    amount_overpaid: input.amount_overpaid ?? Math.max(0, amountPaid - amountDue),
    billing_reason: input.billing_reason ?? (subscription ? 'subscription_cycle' : 'manual'),
    collection_method: input.collection_method ?? 'charge_automatically',
    created,
    currency,
    customer,
    customer_email: input.customer_email ?? options.customer?.email ?? null,
    customer_name: input.customer_name ?? options.customer?.name ?? null,
    hosted_invoice_url:
      input.hosted_invoice_url !== undefined ? input.hosted_invoice_url : draft ? null : urls.page,
    invoice_pdf: input.invoice_pdf !== undefined ? input.invoice_pdf : draft ? null : urls.pdf,
    livemode,
    metadata: input.metadata ?? {},
    number:
      input.number !== undefined
        ? input.number
        : draft
          ? null
          : `${prefix}-${String(options.sequence ?? 1).padStart(4, '0')}`,
    parent: subscription
      ? {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: { metadata: {}, subscription },
        }
      : null,
    period_start: periodStart,
    period_end: periodEnd,
    status,
    status_transitions: input.status_transitions ?? {
      finalized_at: finalizedAt,
      marked_uncollectible_at: status === 'uncollectible' ? created : null,
      paid_at: status === 'paid' ? lastPaid : null,
      voided_at: status === 'void' ? created : null,
    },
    lines: list([line], `/v1/invoices/${id}/lines`),
    subtotal: amountDue,
    total: amountDue,
  }
  return { invoice, payments }
}

/** The `payments` list Stripe includes with `expand[]=payments`: the first page, newest first. */
export function invoicePaymentsList(
  invoice: Invoice,
  payments: InvoicePayment[],
): StripeList<InvoicePayment> {
  const order = new Map(payments.map((p, i) => [p, i]))
  const sorted = [...payments].sort(
    (a, b) => b.created - a.created || order.get(b)! - order.get(a)!,
  )
  return {
    object: 'list',
    data: sorted.slice(0, 10).map((p) => clone(p)),
    has_more: sorted.length > 10,
    url: `/v1/invoice_payments?invoice=${invoice.id}`,
  }
}

/**
 * Builds a payment intent. A `last_payment_error` gets `type: 'card_error'` and the `doc_url` of its
 * code unless given; `latest_charge` defaults to the error's `charge`.
 */
export function buildPaymentIntent(input: PaymentIntentInput, charge?: Charge): PaymentIntent {
  refuseCamelCase(input, 'payment intent')
  if (input.last_payment_error) refuseCamelCase(input.last_payment_error, 'last_payment_error')
  const id = input.id ?? stripeId('pi_')
  checkId(id, ['pi_'], 'payment intent id')
  const { customer: customerInput, last_payment_error: errorInput, ...fields } = input
  const status = input.status ?? 'succeeded'
  const created = input.created ?? nextCreated()
  const error: LastPaymentError | null = errorInput
    ? {
        type: 'card_error',
        doc_url: `https://stripe.com/docs/error-codes/${errorInput.code.replace(/_/g, '-')}`,
        ...errorInput,
      }
    : null
  const latestCharge = input.latest_charge ?? error?.charge ?? null
  return {
    ...clone(paymentIntentFixture),
    allowed_payment_method_types: null,
    managed_payments: null,
    next_action: null,
    payment_method_configuration_details: null,
    payment_record: null,
    processing: null,
    shipping: null,
    transfer_data: null,
    ...fields,
    id,
    object: 'payment_intent',
    amount: input.amount,
    amount_capturable: input.amount_capturable ?? 0,
    amount_received: input.amount_received ?? (status === 'succeeded' ? input.amount : 0),
    canceled_at: input.canceled_at ?? (status === 'canceled' ? created : null),
    client_secret: input.client_secret ?? `${id}_secret_${stripeId('', 25)}`,
    created,
    currency: input.currency ?? charge?.currency ?? 'usd',
    customer: idOf(customerInput) ?? charge?.customer ?? null,
    description: input.description ?? charge?.description ?? null,
    last_payment_error: error,
    latest_charge: latestCharge,
    livemode: input.livemode ?? false,
    metadata: input.metadata ?? {},
    payment_method:
      input.payment_method ??
      (status === 'succeeded' ? ((charge?.['payment_method'] as string | null) ?? null) : null),
    status,
  }
}

/**
 * Builds an early fraud warning on `charge`: `payment_intent` is the charge's, and `actionable`
 * is true unless the charge is disputed or fully refunded (Stripe's definition of actionable).
 */
export function buildEarlyFraudWarning(
  input: EarlyFraudWarningInput,
  charge?: Charge,
): EarlyFraudWarning {
  refuseCamelCase(input, 'early fraud warning')
  const id = input.id ?? stripeId('issfr_')
  checkId(id, ['issfr_'], 'early fraud warning id')
  const paymentIntent = input.payment_intent ?? charge?.payment_intent ?? undefined
  const { payment_intent: _pi, ...fields } = clone(earlyFraudWarningFixture) as Record<
    string,
    unknown
  >
  const warning: EarlyFraudWarning = {
    ...fields,
    ...input,
    id,
    object: 'radar.early_fraud_warning',
    actionable: input.actionable ?? (charge ? !charge.disputed && !charge.refunded : true),
    charge: input.charge,
    created: input.created ?? nextCreated(),
    fraud_type: input.fraud_type,
    livemode: input.livemode ?? false,
  }
  if (paymentIntent) warning.payment_intent = paymentIntent
  else delete warning.payment_intent
  return warning
}
