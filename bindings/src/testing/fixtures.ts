// Stripe's own example objects (`resources.<name>` of Stripe's OpenAPI fixtures3.json), kept once in
// stripe-objects.json beside this file: the Rust tests and the JS specs read the same file. The test
// kit deep-clones these and overrides ids, amounts, emails and statuses, so every object it serves
// has Stripe's real shape. Regenerate with tests/fixtures/extract.py; do not edit by hand.

import stripeObjects from './stripe-objects.json'

const { resources } = stripeObjects

export const customerFixture = resources.customer
export const chargeFixture = resources.charge
export const subscriptionFixture = resources.subscription
export const refundFixture = resources.refund
export const disputeFixture = resources.dispute
export const applicationFixture = resources.application
export const eventFixture = resources.event
export const priceFixture = resources.price
export const productFixture = resources.product
export const invoiceFixture = resources.invoice
export const invoicePaymentFixture = resources.invoice_payment
export const paymentIntentFixture = resources.payment_intent
export const earlyFraudWarningFixture = resources['radar.early_fraud_warning']
