// The demo's customer, Jane, on two apps: what the demo, the agent-tool specs and the tools
// benchmark all seed, so "the demo customer" means one thing. Since issue 24 she also has invoices
// with their payments (one paid by a charge's payment intent, one open after a declined card), a
// failed payment intent and an early fraud warning.
import type { FakeStripe } from '@support/stripe-connect/testing'

export const DEMO_EMAIL = 'jane@example.com'
const DAY = 86_400

/**
 * Jane on helpdesk (`accountA`) and, with another letter case, on billing-bot (`accountB`).
 *
 * helpdesk: an active subscription; two monthly charges, the second made by a payment intent that
 * paid its invoice (`invoicePaid`); extra seats refunded in full; an early fraud warning on the
 * first monthly charge (actionable: neither disputed nor refunded).
 * billing-bot: a past_due subscription; its annual charge, disputed; the renewal declined
 * (`card_declined` / `insufficient_funds`): a failed charge, the payment intent that made it
 * (`requires_payment_method`) and the open invoice it was to pay (`invoiceOpen`, all remaining).
 */
export function seedDemoCustomer(
  fake: FakeStripe,
  accountA: string,
  accountB: string,
  now: number,
) {
  const janeA = fake.addCustomer(accountA, {
    email: DEMO_EMAIL,
    name: 'Jane Doe',
    created: now - 90 * DAY,
  })
  const subscriptionA = fake.addSubscription(accountA, {
    customer: janeA,
    status: 'active',
    product_name: 'Helpdesk Pro',
    price: { unit_amount: 4900, currency: 'usd' },
    created: now - 70 * DAY,
    current_period_start: now - 18 * DAY,
    current_period_end: now + 12 * DAY,
  })
  const chargeA1 = fake.addCharge(accountA, {
    customer: janeA,
    amount: 4900,
    description: 'Helpdesk Pro (monthly)',
    created: now - 48 * DAY,
  })
  const chargeA2 = fake.addCharge(accountA, {
    customer: janeA,
    amount: 4900,
    description: 'Helpdesk Pro (monthly)',
    created: now - 18 * DAY,
  })
  const paymentIntentA2 = fake.addPaymentIntent(accountA, {
    customer: janeA,
    amount: 4900,
    status: 'succeeded',
    description: 'Subscription update',
    latest_charge: chargeA2.id,
    created: now - 18 * DAY,
  })
  const invoicePaid = fake.addInvoice(accountA, {
    customer: janeA,
    subscription: subscriptionA,
    status: 'paid',
    amount_due: 4900,
    billing_reason: 'subscription_cycle',
    period_start: now - 48 * DAY,
    period_end: now - 18 * DAY,
    payments: [{ payment_intent: paymentIntentA2, amount_paid: 4900, status: 'paid' }],
    created: now - 18 * DAY,
  })
  const extraSeats = fake.addCharge(accountA, {
    customer: janeA,
    amount: 1500,
    description: 'Extra seats',
    created: now - 9 * DAY,
  })
  const refund = fake.addRefund(accountA, {
    charge: extraSeats.id,
    amount: 1500,
    reason: 'requested_by_customer',
    created: now - 8 * DAY,
  })
  const earlyFraudWarning = fake.addEarlyFraudWarning(accountA, {
    charge: chargeA1.id,
    fraud_type: 'made_with_stolen_card',
    created: now - 40 * DAY,
  })

  const janeB = fake.addCustomer(accountB, {
    email: 'Jane@Example.COM',
    name: 'Jane Doe',
    created: now - 200 * DAY,
  })
  const subscriptionB = fake.addSubscription(accountB, {
    customer: janeB,
    status: 'past_due',
    product_name: 'Billing bot Team',
    price: { unit_amount: 12000, currency: 'eur' },
    created: now - 150 * DAY,
    current_period_start: now - 25 * DAY,
    current_period_end: now + 5 * DAY,
  })
  const annual = fake.addCharge(accountB, {
    customer: janeB,
    amount: 12000,
    currency: 'eur',
    description: 'Billing bot Team',
    created: now - 25 * DAY,
  })
  const dispute = fake.addDispute(accountB, {
    charge: annual.id,
    reason: 'product_not_received',
    created: now - 3 * DAY,
  })
  const failedCharge = fake.addCharge(accountB, {
    customer: janeB,
    amount: 12000,
    currency: 'eur',
    status: 'failed',
    description: 'Billing bot Team (retry)',
    created: now - 2 * DAY,
  })
  const failedPaymentIntent = fake.addPaymentIntent(accountB, {
    customer: janeB,
    amount: 12000,
    currency: 'eur',
    status: 'requires_payment_method',
    description: 'Subscription update',
    last_payment_error: {
      code: 'card_declined',
      decline_code: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
      charge: failedCharge.id,
    },
    created: now - 2 * DAY,
  })
  const invoiceOpen = fake.addInvoice(accountB, {
    customer: janeB,
    subscription: subscriptionB,
    status: 'open',
    amount_due: 12000,
    currency: 'eur',
    billing_reason: 'subscription_cycle',
    period_start: now - 25 * DAY,
    period_end: now - 2 * DAY,
    payments: [{ payment_intent: failedPaymentIntent, amount_paid: null, status: 'open' }],
    created: now - 2 * DAY,
  })
  return {
    janeA,
    janeB,
    chargeA1,
    chargeA2,
    extraSeats,
    refund,
    annual,
    dispute,
    failedCharge,
    paymentIntentA2,
    failedPaymentIntent,
    invoicePaid,
    invoiceOpen,
    earlyFraudWarning,
  }
}
