// The test kit's invoices (with their payments), payment intents, refunds per charge and early
// fraud warnings (issue 24), driven with the official `stripe` package as an app would call Stripe:
// the answers must be what that client parses, and what Stripe itself would send.

import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, afterEach, before, beforeEach, describe, test } from 'node:test'

import Stripe from 'stripe'

import {
  buildInvoice,
  buildPaymentIntent,
  deliverWebhook,
  earlyFraudWarningCreatedEvent,
  startFakeStripe,
  type FakeStripe,
  type Invoice,
} from '../bindings/src/testing/index.js'
import {
  earlyFraudWarningFixture,
  invoiceFixture,
  invoicePaymentFixture,
  paymentIntentFixture,
} from '../bindings/src/testing/fixtures.js'

const KEY = 'sk_test_billing_platform_key'
const DAY = 86_400
const T0 = 1_790_000_000

let fake: FakeStripe

before(async () => {
  fake = await startFakeStripe({ secretKey: KEY })
})
beforeEach(() => fake.reset())
afterEach(() => fake.assertNoViolations())
after(async () => {
  await fake.close()
})

/** The official client, as an app's code builds it, pointed at the fake for one connected account. */
function client(account: string): Stripe {
  return new Stripe(KEY, {
    host: '127.0.0.1',
    port: fake.port,
    protocol: 'http',
    stripeAccount: account,
    maxNetworkRetries: 0,
  })
}

/** The Stripe error the client rejected with (fails the test if the call succeeded). */
async function stripeError(call: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await call
  } catch (err) {
    assert.ok(err instanceof Stripe.errors.StripeError, `not a StripeError: ${String(err)}`)
    return err
  }
  assert.fail('the call succeeded; Stripe would have refused it')
}

/**
 * One customer on one account with a subscription, a paid invoice (its payment intent made the
 * first charge), an open invoice whose payment failed (card declined, insufficient funds), and a
 * draft; plus another customer's invoice that must never show up in the first one's lists.
 */
function seedBilling() {
  const acct = fake.createAccount()
  const jane = fake.addCustomer(acct, { email: 'jane@example.com', name: 'Jane Doe' })
  const bob = fake.addCustomer(acct, { email: 'bob@example.com' })
  const sub = fake.addSubscription(acct, {
    customer: jane,
    product_name: 'Team',
    price: { unit_amount: 4900 },
    created: T0,
  })
  const paidCharge = fake.addCharge(acct, { customer: jane, amount: 4900, created: T0 + DAY })
  const paidIntent = fake.addPaymentIntent(acct, {
    customer: jane,
    amount: 4900,
    latest_charge: paidCharge.id,
    created: T0 + DAY,
  })
  const paid = fake.addInvoice(acct, {
    customer: jane,
    subscription: sub,
    status: 'paid',
    amount_due: 4900,
    period_start: T0,
    period_end: T0 + 30 * DAY,
    payments: [{ payment_intent: paidIntent }],
    created: T0 + DAY,
  })
  const failedCharge = fake.addCharge(acct, {
    customer: jane,
    amount: 4900,
    status: 'failed',
    created: T0 + 31 * DAY,
  })
  const failedIntent = fake.addPaymentIntent(acct, {
    customer: jane,
    amount: 4900,
    status: 'requires_payment_method',
    last_payment_error: {
      code: 'card_declined',
      decline_code: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
      charge: failedCharge.id,
    },
    created: T0 + 31 * DAY,
  })
  const open = fake.addInvoice(acct, {
    customer: jane,
    subscription: sub.id,
    status: 'open',
    amount_due: 4900,
    payments: [{ payment_intent: failedIntent.id, status: 'open' }],
    created: T0 + 31 * DAY,
  })
  const draft = fake.addInvoice(acct, {
    customer: jane,
    status: 'draft',
    amount_due: 1200,
    description: 'Extra seats',
    created: T0 + 32 * DAY,
  })
  const other = fake.addInvoice(acct, {
    customer: bob,
    status: 'paid',
    amount_due: 100,
    created: T0 + 33 * DAY,
  })
  return {
    acct,
    jane,
    bob,
    sub,
    paidCharge,
    paidIntent,
    paid,
    failedCharge,
    failedIntent,
    open,
    draft,
    other,
  }
}

describe('invoices', () => {
  test("listed by customer newest first, with each one's payments under expand[]=data.payments", async () => {
    const s = seedBilling()
    const list = await client(s.acct).invoices.list({
      customer: s.jane.id,
      limit: 10,
      expand: ['data.payments'],
    })
    // What went over the wire is exactly Stripe's request.
    const [req] = fake.apiRequests({ account: s.acct })
    assert.equal(req!.path, '/v1/invoices')
    assert.deepEqual(req!.query, {
      customer: s.jane.id,
      limit: '10',
      'expand[0]': 'data.payments',
    })
    assert.equal(list.object, 'list')
    assert.equal(list.url, '/v1/invoices')
    assert.equal(list.has_more, false)
    assert.deepEqual(
      list.data.map((i) => [i.id, i.status]),
      [
        [s.draft.id, 'draft'],
        [s.open.id, 'open'],
        [s.paid.id, 'paid'],
      ],
    )
    const [draft, open, paid] = list.data as [Stripe.Invoice, Stripe.Invoice, Stripe.Invoice]

    // The paid invoice: paid in full by its payment intent, which made the first charge.
    assert.equal(paid.amount_due, 4900)
    assert.equal(paid.amount_paid, 4900)
    assert.equal(paid.amount_remaining, 0)
    assert.equal(paid.billing_reason, 'subscription_cycle')
    assert.equal(paid.parent?.type, 'subscription_details')
    assert.equal(paid.parent?.subscription_details?.subscription, s.sub.id)
    assert.equal('subscription' in paid, false, 'no top-level subscription since basil')
    assert.equal(paid.status_transitions.paid_at, T0 + DAY)
    assert.equal(paid.customer_email, 'jane@example.com')
    assert.equal(paid.period_end, T0 + 30 * DAY)
    assert.equal(paid.lines.data[0]!.description, '1 × Team')
    assert.match(paid.number!, /^[A-Z0-9]+-0001$/)
    assert.match(
      paid.hosted_invoice_url!,
      new RegExp(`^https://invoice\\.stripe\\.com/i/${s.acct}/test_`),
    )
    assert.match(
      paid.invoice_pdf!,
      new RegExp(`^https://pay\\.stripe\\.com/invoice/${s.acct}/test_.*/pdf`),
    )
    assert.equal(paid.payments?.object, 'list')
    assert.deepEqual(
      paid.payments?.data.map((p) => ({
        object: p.object,
        invoice: p.invoice,
        type: p.payment.type,
        payment_intent: p.payment.payment_intent,
        amount_paid: p.amount_paid,
        amount_requested: p.amount_requested,
        status: p.status,
        is_default: p.is_default,
      })),
      [
        {
          object: 'invoice_payment',
          invoice: s.paid.id,
          type: 'payment_intent',
          payment_intent: s.paidIntent.id,
          amount_paid: 4900,
          amount_requested: 4900,
          status: 'paid',
          is_default: true,
        },
      ],
    )

    // The open invoice: nothing paid yet, its one payment still open (amount_paid null until paid).
    assert.equal(open.amount_paid, 0)
    assert.equal(open.amount_remaining, 4900)
    assert.equal(open.status_transitions.paid_at, null)
    assert.match(open.number!, /-0002$/)
    assert.equal(open.payments?.data[0]?.status, 'open')
    assert.equal(open.payments?.data[0]?.amount_paid, null)
    assert.equal(open.payments?.data[0]?.payment.payment_intent, s.failedIntent.id)

    // The draft: not finalized, so no number and no hosted pages; no payments.
    assert.equal(draft.number, null)
    assert.equal(draft.hosted_invoice_url, null)
    assert.equal(draft.invoice_pdf, null)
    assert.equal(draft.parent, null)
    assert.equal(draft.status_transitions.finalized_at, null)
    assert.deepEqual(draft.payments?.data, [])

    // Without expand, `payments` is not in the answer at all.
    const plain = await client(s.acct).invoices.list({ customer: s.jane.id })
    assert.equal(plain.data.length, 3)
    assert.ok(plain.data.every((i) => !('payments' in i)))
  })

  test('filters: status, subscription, created; pagination with limit 1 and starting_after', async () => {
    const s = seedBilling()
    const stripe = client(s.acct)
    const ids = (l: Stripe.ApiList<Stripe.Invoice>) => l.data.map((i) => i.id)
    assert.deepEqual(ids(await stripe.invoices.list({ customer: s.jane.id, status: 'open' })), [
      s.open.id,
    ])
    assert.deepEqual(ids(await stripe.invoices.list({ subscription: s.sub.id })), [
      s.open.id,
      s.paid.id,
    ])
    assert.deepEqual(ids(await stripe.invoices.list({ created: { gte: T0 + 32 * DAY } })), [
      s.other.id,
      s.draft.id,
    ])

    const first = await stripe.invoices.list({ customer: s.jane.id, limit: 1 })
    assert.deepEqual([ids(first), first.has_more], [[s.draft.id], true])
    const second = await stripe.invoices.list({
      customer: s.jane.id,
      limit: 1,
      starting_after: first.data[0]!.id,
    })
    assert.deepEqual([ids(second), second.has_more], [[s.open.id], true])
    const third = await stripe.invoices.list({
      customer: s.jane.id,
      limit: 1,
      starting_after: s.open.id,
    })
    assert.deepEqual([ids(third), third.has_more], [[s.paid.id], false])
    // The client's auto-pagination walks the same pages.
    fake.clearRequests()
    const all: string[] = []
    for await (const i of stripe.invoices.list({ customer: s.jane.id, limit: 1 })) all.push(i.id)
    assert.deepEqual(all, [s.draft.id, s.open.id, s.paid.id])
    assert.deepEqual(
      fake.apiRequests().map((r) => r.query['starting_after'] ?? null),
      [null, s.draft.id, s.open.id],
    )
    const before = await stripe.invoices.list({ ending_before: s.paid.id, limit: 1 })
    assert.deepEqual(ids(before), [s.open.id])
  })

  test('retrieve, with payments and the payment intent inside them expanded; unknown id is a 404', async () => {
    const s = seedBilling()
    const stripe = client(s.acct)
    const plain = await stripe.invoices.retrieve(s.paid.id)
    assert.equal(plain.id, s.paid.id)
    assert.equal(plain.payments, undefined)
    assert.deepEqual(JSON.parse(JSON.stringify(plain)), JSON.parse(JSON.stringify(s.paid)))

    const deep = await stripe.invoices.retrieve(s.paid.id, {
      expand: ['payments.data.payment.payment_intent', 'customer'],
    })
    const intent = deep.payments!.data[0]!.payment.payment_intent as Stripe.PaymentIntent
    assert.equal(intent.object, 'payment_intent')
    assert.equal(intent.id, s.paidIntent.id)
    assert.equal(intent.latest_charge, s.paidCharge.id)
    assert.equal((deep.customer as Stripe.Customer).email, 'jane@example.com')

    const missing = await stripeError(stripe.invoices.retrieve('in_nope'))
    assert.equal(missing.type, 'StripeInvalidRequestError')
    assert.equal(missing.rawType, 'invalid_request_error')
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.code, 'resource_missing')
    assert.equal(missing.param, 'id')
    assert.equal(missing.message, "No such invoice: 'in_nope'")
    assert.equal(missing.doc_url, 'https://stripe.com/docs/error-codes/resource-missing')
    assert.match(missing.requestId ?? '', /^req_/)
  })

  test('invoice payments: the full list of an invoice, by payment intent and status', async () => {
    const s = seedBilling()
    const stripe = client(s.acct)
    const ofPaid = await stripe.invoicePayments.list({ invoice: s.paid.id })
    assert.deepEqual(
      ofPaid.data.map((p) => p.payment.payment_intent),
      [s.paidIntent.id],
    )
    const byIntent = await stripe.invoicePayments.list({
      payment: { type: 'payment_intent', payment_intent: s.failedIntent.id },
    })
    assert.deepEqual(
      byIntent.data.map((p) => p.invoice),
      [s.open.id],
    )
    // Bob's invoice was paid without a payment object: only Jane's paid payment is listed.
    assert.deepEqual(
      (await stripe.invoicePayments.list({ status: 'paid' })).data.map((p) => p.invoice),
      [s.paid.id],
    )
    const one = await stripe.invoicePayments.retrieve(ofPaid.data[0]!.id)
    assert.equal(one.invoice, s.paid.id)
    // The url of an expanded `payments` list is this endpoint, for the invoice.
    const expanded = await stripe.invoices.retrieve(s.paid.id, { expand: ['payments'] })
    assert.equal(expanded.payments!.url, `/v1/invoice_payments?invoice=${s.paid.id}`)
  })
})

describe('payment intents', () => {
  test('listed by customer (and created); a failed one carries the decline and names its charge', async () => {
    const s = seedBilling()
    fake.addPaymentIntent(s.acct, { customer: s.bob, amount: 100, created: T0 + 40 * DAY })
    const stripe = client(s.acct)
    const list = await stripe.paymentIntents.list({ customer: s.jane.id, limit: 10 })
    assert.equal(list.url, '/v1/payment_intents')
    assert.deepEqual(
      list.data.map((p) => [p.id, p.status]),
      [
        [s.failedIntent.id, 'requires_payment_method'],
        [s.paidIntent.id, 'succeeded'],
      ],
    )
    const [failed, succeeded] = list.data as [Stripe.PaymentIntent, Stripe.PaymentIntent]
    assert.deepEqual(
      {
        type: failed.last_payment_error?.type,
        code: failed.last_payment_error?.code,
        decline_code: failed.last_payment_error?.decline_code,
        message: failed.last_payment_error?.message,
        charge: failed.last_payment_error?.charge,
        doc_url: failed.last_payment_error?.doc_url,
      },
      {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'insufficient_funds',
        message: 'Your card has insufficient funds.',
        charge: s.failedCharge.id,
        doc_url: 'https://stripe.com/docs/error-codes/card-declined',
      },
    )
    assert.equal(failed.latest_charge, s.failedCharge.id)
    assert.equal(failed.amount_received, 0)
    assert.equal(succeeded.amount_received, 4900)
    assert.equal(succeeded.last_payment_error, null)
    assert.equal('invoice' in succeeded, false, 'payment intents name no invoice since basil')

    // The charges name their intents back; the failed one takes the decline as its failure.
    const failedCharge = await stripe.charges.retrieve(s.failedCharge.id)
    assert.equal(failedCharge.payment_intent, s.failedIntent.id)
    assert.equal(failedCharge.failure_code, 'card_declined')
    assert.equal(failedCharge.failure_message, 'Your card has insufficient funds.')
    const byIntent = await stripe.charges.list({ payment_intent: s.paidIntent.id })
    assert.deepEqual(
      byIntent.data.map((c) => c.id),
      [s.paidCharge.id],
    )

    const recent = await stripe.paymentIntents.list({
      customer: s.jane.id,
      created: { gt: T0 + DAY },
    })
    assert.deepEqual(
      recent.data.map((p) => p.id),
      [s.failedIntent.id],
    )
    const page = await stripe.paymentIntents.list({ limit: 1, starting_after: s.failedIntent.id })
    assert.deepEqual([page.data.map((p) => p.id), page.has_more], [[s.paidIntent.id], false])

    const one = await stripe.paymentIntents.retrieve(s.failedIntent.id, {
      client_secret: s.failedIntent['client_secret'] as string,
    })
    assert.equal(one.id, s.failedIntent.id)
    const missing = await stripeError(stripe.paymentIntents.retrieve('pi_nope'))
    assert.deepEqual(
      [missing.statusCode, missing.type, missing.code, missing.message],
      [404, 'StripeInvalidRequestError', 'resource_missing', "No such payment_intent: 'pi_nope'"],
    )
  })

  test('a charge added later for an intent becomes its latest_charge', async () => {
    const acct = fake.createAccount()
    const intent = fake.addPaymentIntent(acct, { amount: 700, created: T0 })
    assert.equal(intent.latest_charge, null)
    const charge = fake.addCharge(acct, { amount: 700, payment_intent: intent.id, created: T0 + 1 })
    const served = await client(acct).paymentIntents.retrieve(intent.id)
    assert.equal(served.latest_charge, charge.id)
  })
})

describe('refunds per charge', () => {
  test('listed by charge and by payment intent (the intent linked after the refunds too)', async () => {
    const acct = fake.createAccount()
    const a = fake.addCharge(acct, { amount: 3000, created: T0 })
    const b = fake.addCharge(acct, { amount: 500, created: T0 + 1 })
    const r1 = fake.addRefund(acct, { charge: a.id, amount: 1000, created: T0 + 10 })
    const r2 = fake.addRefund(acct, { charge: a.id, amount: 500, created: T0 + 20 })
    const rb = fake.addRefund(acct, { charge: b.id, created: T0 + 30 })
    const intent = fake.addPaymentIntent(acct, { amount: 3000, latest_charge: a.id })
    const stripe = client(acct)
    const byCharge = await stripe.refunds.list({ charge: a.id })
    assert.equal(byCharge.url, '/v1/refunds')
    assert.deepEqual(
      byCharge.data.map((r) => [r.id, r.amount]),
      [
        [r2.id, 500],
        [r1.id, 1000],
      ],
    )
    const byIntent = await stripe.refunds.list({ payment_intent: intent.id })
    assert.deepEqual(
      byIntent.data.map((r) => r.id),
      [r2.id, r1.id],
    )
    assert.ok(byIntent.data.every((r) => r.payment_intent === intent.id))
    const page = await stripe.refunds.list({ charge: a.id, limit: 1 })
    assert.deepEqual([page.data.map((r) => r.id), page.has_more], [[r2.id], true])
    assert.deepEqual(
      (await stripe.refunds.list({ charge: b.id })).data.map((r) => r.id),
      [rb.id],
    )
    // Stripe: "If you provide a non-existent charge ID, this call raises an error."
    const unknown = await stripeError(stripe.refunds.list({ charge: 'ch_gone' }))
    assert.deepEqual(
      [unknown.statusCode, unknown.code, unknown.param, unknown.message],
      [400, 'resource_missing', 'charge', "No such charge: 'ch_gone'"],
    )
    // The charge's own `refunds` list names the intent too.
    const charge = await stripe.charges.retrieve(a.id)
    assert.ok(charge.refunds!.data.every((r) => r.payment_intent === intent.id))
  })
})

describe('early fraud warnings', () => {
  test('listed by charge and by payment intent, retrieved, expanded; actionable until disputed', async () => {
    const acct = fake.createAccount()
    const charge = fake.addCharge(acct, { amount: 8000, created: T0 })
    const intent = fake.addPaymentIntent(acct, { amount: 8000, latest_charge: charge.id })
    const other = fake.addCharge(acct, { amount: 100, created: T0 + 1 })
    const warning = fake.addEarlyFraudWarning(acct, {
      charge: charge.id,
      fraud_type: 'made_with_stolen_card',
      created: T0 + 5,
    })
    const otherWarning = fake.addEarlyFraudWarning(acct, {
      charge: other.id,
      fraud_type: 'misc',
      created: T0 + 6,
    })
    const stripe = client(acct)

    const byCharge = await stripe.radar.earlyFraudWarnings.list({ charge: charge.id })
    assert.equal(byCharge.url, '/v1/radar/early_fraud_warnings')
    assert.deepEqual(
      byCharge.data.map((w) => ({
        id: w.id,
        object: w.object,
        fraud_type: w.fraud_type,
        actionable: w.actionable,
        charge: w.charge,
        payment_intent: w.payment_intent,
        created: w.created,
      })),
      [
        {
          id: warning.id,
          object: 'radar.early_fraud_warning',
          fraud_type: 'made_with_stolen_card',
          actionable: true,
          charge: charge.id,
          payment_intent: intent.id,
          created: T0 + 5,
        },
      ],
    )
    assert.deepEqual(
      (await stripe.radar.earlyFraudWarnings.list({ payment_intent: intent.id })).data.map(
        (w) => w.id,
      ),
      [warning.id],
    )
    const all = await stripe.radar.earlyFraudWarnings.list({ limit: 1 })
    assert.deepEqual([all.data.map((w) => w.id), all.has_more], [[otherWarning.id], true])
    // A charge without a payment intent: the warning has none (as in Stripe's example object).
    assert.equal('payment_intent' in all.data[0]!, false)

    const expanded = await stripe.radar.earlyFraudWarnings.retrieve(warning.id, {
      expand: ['charge'],
    })
    assert.equal((expanded.charge as Stripe.Charge).amount, 8000)

    fake.addDispute(acct, { charge: charge.id, reason: 'fraudulent' })
    assert.equal((await stripe.radar.earlyFraudWarnings.retrieve(warning.id)).actionable, false)
    fake.addRefund(acct, { charge: other.id })
    assert.equal(
      (await stripe.radar.earlyFraudWarnings.retrieve(otherWarning.id)).actionable,
      false,
    )
    // Seeded on a charge that is already disputed, a warning is not actionable.
    assert.equal(
      fake.addEarlyFraudWarning(acct, { charge: charge.id, fraud_type: 'misc' }).actionable,
      false,
    )

    const missing = await stripeError(stripe.radar.earlyFraudWarnings.retrieve('issfr_nope'))
    assert.deepEqual(
      [missing.statusCode, missing.code, missing.message],
      [404, 'resource_missing', "No such radar.early_fraud_warning: 'issfr_nope'"],
    )
  })

  test('earlyFraudWarningCreatedEvent is delivered signed, and the official package verifies it', async () => {
    const acct = fake.createAccount()
    const charge = fake.addCharge(acct, { amount: 2500 })
    const warning = fake.addEarlyFraudWarning(acct, {
      charge: charge.id,
      fraud_type: 'unauthorized_use_of_card',
    })
    const event = earlyFraudWarningCreatedEvent(acct, warning, { id: 'evt_efw', created: T0 })
    assert.equal(event.type, 'radar.early_fraud_warning.created')
    assert.equal(event.object, 'event')
    assert.equal(event.account, acct)
    assert.equal(event.created, T0)
    assert.equal(event.livemode, false)
    assert.deepEqual(event.data.object, warning)

    const secret = 'whsec_efw_test'
    const stripe = new Stripe('sk_test_unused')
    const received: Stripe.Event[] = []
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', async () => {
        try {
          received.push(
            await stripe.webhooks.constructEventAsync(
              Buffer.concat(chunks).toString('utf8'),
              String(req.headers['stripe-signature']),
              secret,
            ),
          )
          res.writeHead(200).end('{"received":true}')
        } catch {
          res.writeHead(400).end('{"error":"Invalid signature"}')
        }
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`
    try {
      const ok = await deliverWebhook(url, event, { secret })
      assert.equal(ok.status, 200)
      assert.equal(received[0]?.type, 'radar.early_fraud_warning.created')
      const object = received[0]?.data.object as Stripe.Radar.EarlyFraudWarning
      assert.equal(object.id, warning.id)
      assert.equal(object.charge, charge.id)
      assert.equal((await deliverWebhook(url, event, { secret: 'whsec_other' })).status, 400)
    } finally {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    }

    // Without a warning from the fake: one built from Stripe's fixture, with the fields given.
    const built = earlyFraudWarningCreatedEvent('acct_1', { fraud_type: 'card_never_received' })
    assert.match(built.data.object.id, /^issfr_[A-Za-z0-9]{24}$/)
    assert.match(built.data.object.charge, /^ch_/)
    assert.equal(built.data.object.fraud_type, 'card_never_received')
    assert.equal(built.data.object.actionable, true)
  })
})

describe('disputes', () => {
  test('the status prevented is seeded and served like any other', async () => {
    const acct = fake.createAccount()
    const charge = fake.addCharge(acct, { amount: 1500 })
    const dispute = fake.addDispute(acct, { charge: charge.id, status: 'prevented' })
    const served = await client(acct).disputes.list({ charge: charge.id })
    assert.deepEqual(
      served.data.map((d) => [d.id, d.status]),
      [[dispute.id, 'prevented']],
    )
  })
})

describe('strict parameters', () => {
  test('each path refuses what Stripe does not declare for it; a refusal is no read-only violation', async () => {
    const s = seedBilling()
    const stripe = client(s.acct)
    const refused = async (call: Promise<unknown>, param: string) => {
      const err = await stripeError(call)
      assert.deepEqual(
        [err.statusCode, err.type, err.code, err.param, err.message],
        [
          400,
          'StripeInvalidRequestError',
          'parameter_unknown',
          param,
          `Received unknown parameter: ${param}`,
        ],
      )
    }
    // `charge` filters refunds and warnings, not payment intents; `email` is the customers list's.
    await refused(stripe.paymentIntents.list({ charge: s.paidCharge.id } as never), 'charge')
    await refused(stripe.invoices.list({ email: 'jane@example.com' } as never), 'email')
    await refused(
      stripe.radar.earlyFraudWarnings.list({ customer: s.jane.id } as never),
      'customer',
    )
    await refused(stripe.refunds.list({ customer: s.jane.id } as never), 'customer')
    // Retrieve: a payment intent declares `client_secret`, an invoice does not.
    await refused(
      stripe.invoices.retrieve(s.paid.id, { client_secret: 'x' } as never),
      'client_secret',
    )
    await refused(
      stripe.invoicePayments.list({ payment: { type: 'payment_intent', charge: 'ch_1' } } as never),
      'payment[charge]',
    )
    // Enum values are checked.
    const status = await stripeError(stripe.invoices.list({ status: 'late' as never }))
    assert.deepEqual(
      [status.statusCode, status.code, status.param],
      [400, 'parameter_invalid_string', 'status'],
    )
    // A property that is not includable or expandable.
    const expand = await stripeError(stripe.paymentIntents.list({ expand: ['data.payments'] }))
    assert.equal(expand.statusCode, 400)
    assert.equal(expand.param, 'expand')
    const cursor = await stripeError(stripe.invoices.list({ starting_after: 'in_gone' }))
    assert.deepEqual(
      [cursor.statusCode, cursor.code, cursor.param, cursor.message],
      [400, 'resource_missing', 'starting_after', "No such invoice: 'in_gone'"],
    )
    // Refused requests are Stripe's answers, not broken read-only rules.
    assert.deepEqual(fake.violations, [])
    assert.ok(fake.apiRequests().every((r) => r.method === 'GET' && r.account === s.acct))
  })
})

describe('builders', () => {
  test("objects keep every field of Stripe's fixtures (less what the pinned version removed)", () => {
    const acct = fake.createAccount()
    const charge = fake.addCharge(acct)
    const intent = fake.addPaymentIntent(acct, { amount: 100, latest_charge: charge.id })
    const warning = fake.addEarlyFraudWarning(acct, { charge: charge.id, fraud_type: 'misc' })
    const { invoice, payments } = buildInvoice({
      customer: 'cus_x1',
      status: 'paid',
      amount_due: 100,
      payments: [{ payment_intent: intent.id }],
    })
    const checks: [object, object, RegExp, string[]][] = [
      [invoice, invoiceFixture, /^in_[A-Za-z0-9]{24}$/, ['subscription']],
      [payments[0]!, invoicePaymentFixture, /^inpay_[A-Za-z0-9]{24}$/, []],
      [intent, paymentIntentFixture, /^pi_[A-Za-z0-9]{24}$/, []],
      [warning, earlyFraudWarningFixture, /^issfr_[A-Za-z0-9]{24}$/, []],
    ]
    for (const [obj, fixture, idRe, removed] of checks) {
      for (const key of Object.keys(fixture)) {
        const o = obj as Record<string, unknown>
        if (removed.includes(key)) assert.equal(key in o, false, `${o['object']} keeps ${key}`)
        else assert.ok(key in o, `${o['object']} lacks fixture field ${key}`)
      }
      assert.match((obj as { id: string }).id, idRe)
    }
    // Required by the pinned version's PaymentIntent, absent from the fixture.
    assert.equal(intent['allowed_payment_method_types'], null)
    assert.equal(intent['payment_record'], null)
    assert.equal(invoice.lines.data[0]!['invoice'], invoice.id)
    const pi = buildPaymentIntent({ amount: 5, status: 'canceled', created: T0 })
    assert.deepEqual([pi.canceled_at, pi.amount_received, pi.latest_charge], [T0, 0, null])
  })

  test('inputs are Stripe snake_case; links must name objects the account has', () => {
    const acct = fake.createAccount()
    const jane = fake.addCustomer(acct, { email: 'jane@example.com' })
    assert.throws(
      () => fake.addInvoice(acct, { customer: jane, status: 'paid', amountDue: 100 } as never),
      /"amountDue" is not a Stripe field; fields are Stripe's snake_case \("amount_due"\)/,
    )
    assert.throws(
      () =>
        fake.addPaymentIntent(acct, {
          amount: 1,
          last_payment_error: { code: 'card_declined', declineCode: 'x' },
        } as never),
      /"declineCode" .*"decline_code"/,
    )
    assert.throws(
      () =>
        fake.addInvoice(acct, {
          customer: jane,
          status: 'paid',
          amount_due: 100,
          payments: [{ payment_intent: 'pi_missing' }],
        }),
      /no payment intent pi_missing on acct_/,
    )
    assert.throws(
      () =>
        fake.addInvoice(acct, {
          customer: jane,
          status: 'open',
          amount_due: 1,
          subscription: 'sub_x',
        }),
      /no subscription sub_x/,
    )
    assert.throws(
      () => fake.addEarlyFraudWarning(acct, { charge: 'ch_missing', fraud_type: 'misc' }),
      /addEarlyFraudWarning: no charge ch_missing/,
    )
    assert.throws(
      () => fake.addPaymentIntent(acct, { amount: 1, latest_charge: 'ch_missing' }),
      /addPaymentIntent: no charge ch_missing/,
    )
    // seed() takes the new collections, in dependency order.
    const seeded = fake.seed(acct, {
      charges: [{ id: 'ch_seed1', customer: jane.id, amount: 900 }],
      payment_intents: [
        { id: 'pi_seed1', customer: jane.id, amount: 900, latest_charge: 'ch_seed1' },
      ],
      invoices: [
        {
          id: 'in_seed1',
          customer: jane.id,
          status: 'paid',
          amount_due: 900,
          payments: [{ payment_intent: 'pi_seed1' }],
        },
      ],
      early_fraud_warnings: [{ charge: 'ch_seed1', fraud_type: 'misc' }],
    })
    assert.equal(seeded.invoices[0]!.amount_paid, 900)
    assert.equal(seeded.early_fraud_warnings[0]!.payment_intent, 'pi_seed1')
    assert.equal(fake.get<Invoice>(acct, 'in_seed1')?.status, 'paid')
  })
})
