// Issue 24 through the JS face: invoices (with their payments), failed payment attempts, the refunds
// of a payment, Radar early fraud warnings and the billing timeline, against a local stand-in that
// answers with Stripe's own fixture objects (bindings/src/testing/stripe-objects.json, the copy the
// Rust contract tests and the test kit start from). What was sent (GET, path, exact query, Stripe-Account) and the
// camelCase shapes; bad input refused with its code and nothing sent.
import { after, before, beforeEach, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { StripeConnect } from '@support/stripe-connect'
import { rejectsCode } from './helpers'

const KEY = 'sk_test_51BillingSpecKey0123456789'
const ACCT = 'acct_1BillingSpec'
const EMAIL = 'jane@example.com'

type Json = Record<string, unknown>
const kit = JSON.parse(
  readFileSync(resolve(__dirname, '../bindings/src/testing/stripe-objects.json'), 'utf8'),
).resources as Record<string, Json>

const list = (data: Json[]): Json => ({ object: 'list', url: '/v1/x', has_more: false, data })
const customer = { ...kit.customer, id: 'cus_J', email: EMAIL, created: 10 }
const paid = {
  ...kit.invoice,
  id: 'in_J1',
  customer: 'cus_J',
  status: 'paid',
  created: 300,
  number: 'J-0001',
  hosted_invoice_url: 'https://invoice.stripe.com/i/in_J1',
  invoice_pdf: 'https://pay.stripe.com/invoice/in_J1/pdf',
  parent: {
    type: 'subscription_details',
    subscription_details: { subscription: 'sub_J', metadata: null },
  },
  payments: list([
    {
      ...kit.invoice_payment,
      id: 'inpay_J1',
      currency: 'usd',
      status: 'paid',
      amount_paid: 1000,
      created: 301,
      payment: { type: 'payment_intent', payment_intent: 'pi_J1' },
    },
  ]),
}
const declined = {
  ...kit.payment_intent,
  id: 'pi_J2',
  customer: 'cus_J',
  status: 'requires_payment_method',
  created: 400,
  last_payment_error: {
    type: 'card_error',
    code: 'card_declined',
    decline_code: 'expired_card',
    charge: 'ch_J2',
  },
}
const charge = { ...kit.charge, id: 'ch_J1', customer: 'cus_J', created: 250, amount: 1000 }
const refund = { ...kit.refund, id: 're_J1', charge: 'ch_J1', created: 260, amount: 500 }
const warning = {
  ...kit['radar.early_fraud_warning'],
  id: 'issfr_J1',
  charge: 'ch_J1',
  created: 270,
}

/** `path?query` (sorted) → body. Anything else is a 404 the test then sees. */
const routes: Record<string, Json> = {
  '/v1/customers?email=jane%40example.com&limit=100': list([customer]),
  '/v1/customers/search?limit=100&query=email%3A%22jane%40example.com%22': {
    ...list([customer]),
    next_page: null,
  },
  '/v1/invoices?customer=cus_J&expand%5B%5D=data.payments&limit=25': list([paid]),
  '/v1/invoices?customer=cus_J&expand%5B%5D=data.payments&limit=5': list([paid]),
  '/v1/payment_intents?customer=cus_J&limit=25': list([declined]),
  '/v1/payment_intents?customer=cus_J&limit=5': list([declined]),
  '/v1/charges?customer=cus_J&limit=25': list([charge]),
  '/v1/charges?customer=cus_J&limit=5': list([charge]),
  '/v1/charges?customer=cus_J&limit=100': list([charge]),
  '/v1/refunds?charge=ch_J1&limit=100': list([refund]),
  '/v1/refunds?limit=100&payment_intent=pi_J1': list([]),
  '/v1/radar/early_fraud_warnings?limit=100': list([warning]),
  '/v1/radar/early_fraud_warnings?charge=ch_J1&limit=100': list([warning]),
  '/v1/disputes?created%5Bgte%5D=10&limit=100': list([]),
}

let server: Server
let base: string
let sent: { method: string; key: string; account: string | undefined }[] = []

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const query = [...url.searchParams.entries()].sort(([a], [b]) => a.localeCompare(b))
    const key = `${url.pathname}?${new URLSearchParams(query).toString()}`
    sent.push({ method: req.method ?? '', key, account: req.headers['stripe-account'] as string })
    const body = req.method === 'GET' ? routes[key] : undefined
    res
      .writeHead(body ? 200 : 404, { 'content-type': 'application/json', 'request-id': 'req_spec' })
      .end(
        JSON.stringify(
          body ?? { error: { type: 'invalid_request_error', message: `no route ${key}` } },
        ),
      )
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(() => server.close())
beforeEach(() => {
  sent = []
})

function client(): StripeConnect {
  return new StripeConnect({ secretKey: KEY, apiBase: base, maxRetries: 0, cacheTtlMs: 0 })
}

/** Every request was a GET on the account that a route answered. */
function allAnswered(): void {
  for (const s of sent) {
    assert.equal(s.method, 'GET', s.key)
    assert.equal(s.account, ACCT, s.key)
    assert.ok(s.key in routes, `unexpected ${s.key}`)
  }
}

describe('issue 24: the billing queries', () => {
  test('invoices carry the links a reply sends and their payments', async () => {
    const found = await client().invoices({ accountId: ACCT, email: EMAIL })
    assert.deepEqual(found.customerIds, ['cus_J'])
    const [invoice] = found.invoices
    assert.equal(invoice?.hostedInvoiceUrl, 'https://invoice.stripe.com/i/in_J1')
    assert.equal(invoice?.invoicePdf, 'https://pay.stripe.com/invoice/in_J1/pdf')
    assert.equal(invoice?.subscriptionId, 'sub_J')
    assert.deepEqual(
      invoice?.payments.map((p) => [p.paymentIntentId, p.amountPaid, p.status]),
      [['pi_J1', 1000, 'paid']],
    )
    assert.ok(
      sent.some((s) => s.key.includes('expand%5B%5D=data.payments')),
      'payments are expanded',
    )
    allAnswered()
  })

  test('failed payments explain the decline and say whether retrying helps', async () => {
    const found = await client().failedPayments({ accountId: ACCT, email: EMAIL })
    const [f] = found.failedPayments
    assert.equal(found.failedPayments.length, 1)
    assert.equal(f?.id, 'pi_J2')
    assert.equal(f?.declineCode, 'expired_card')
    assert.equal(f?.retry, 'after_customer_action')
    assert.match(f?.explanation ?? '', /expired/)
    allAnswered()
  })

  test('refunds of a charge or a payment intent, early fraud warnings and the timeline', async () => {
    const c = client()
    const byCharge = await c.refunds({ accountId: ACCT, chargeId: 'ch_J1' })
    assert.deepEqual(
      byCharge.refunds.map((r) => [r.id, r.amount, r.status]),
      [['re_J1', 500, 'succeeded']],
    )
    assert.deepEqual((await c.refunds({ accountId: ACCT, paymentIntentId: 'pi_J1' })).refunds, [])
    const warnings = await c.earlyFraudWarnings({ accountId: ACCT, email: EMAIL })
    assert.deepEqual(
      warnings.warnings.map((w) => [w.id, w.chargeId, w.fraudType]),
      [['issfr_J1', 'ch_J1', 'misc']],
    )
    assert.equal(warnings.uncheckedCharges, 0)
    const timeline = await c.billingTimeline({ accountId: ACCT, email: EMAIL, limit: 5 })
    assert.deepEqual(
      timeline.entries.map((e) => `${e.at} ${e.kind} ${e.id}`),
      [
        '400 failed_payment pi_J2',
        '300 invoice in_J1',
        '270 fraud_warning issfr_J1',
        '250 charge ch_J1',
      ],
    )
    allAnswered()
  })

  test('the customer context names the latest invoice and counts recent failures', async () => {
    const store = {
      save() {},
      clearByAccount: () => null,
      getBySlug: () => null,
      list: () => [
        { appSlug: 'helpdesk', accountId: ACCT, livemode: false, scope: 'read_write' as const },
      ],
    }
    routes['/v1/invoices?customer=cus_J&expand%5B%5D=data.payments&limit=1'] = list([paid])
    routes['/v1/subscriptions?customer=cus_J&limit=100&status=all'] = list([])
    routes['/v1/products?limit=100'] = list([])
    const c = new StripeConnect({
      secretKey: KEY,
      apiBase: base,
      maxRetries: 0,
      stores: { connections: store },
    })
    const ctx = await c.customerContext({ email: EMAIL })
    const [app] = ctx.apps
    assert.equal(app?.error, null)
    assert.equal(app?.latestInvoice?.id, 'in_J1')
    assert.equal(app?.recentFailures, 1)
    allAnswered()
  })

  test('bad input is refused with its code and nothing is sent', async () => {
    const c = client()
    await rejectsCode(c.invoices({ accountId: ACCT, email: 'nope' }), 'invalid_input')
    await rejectsCode(c.invoices({ accountId: ACCT, email: EMAIL, limit: 1.5 }), 'invalid_input')
    // The exactly-one rules, past the type checker.
    await rejectsCode(
      c.invoices({ accountId: ACCT, email: EMAIL, customerId: 'cus_J' } as never),
      'invalid_input',
    )
    await rejectsCode(c.refunds({ accountId: ACCT } as never), 'invalid_input')
    await rejectsCode(c.refunds({ accountId: ACCT, chargeId: 'pi_1' }), 'invalid_input')
    await rejectsCode(
      c.refunds({ accountId: ACCT, paymentIntentId: '../v1/charges' }),
      'invalid_input',
    )
    await rejectsCode(
      c.earlyFraudWarnings({ accountId: ACCT, email: EMAIL, chargeId: 'ch_1' } as never),
      'invalid_input',
    )
    await rejectsCode(
      c.failedPayments({ accountId: ACCT, email: EMAIL, limit: 0 }),
      'invalid_input',
    )
    await rejectsCode(c.billingTimeline({ accountId: 'cus_1', email: EMAIL }), 'invalid_input')
    assert.deepEqual(sent, [])
  })
})
