// The email → customers cache, request coalescing and `fetchedAt`, through the Node package
// against the test kit's local Stripe, counting the requests it received.
import { after, afterEach, before, beforeEach, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { StripeConnect } from '@support/stripe-connect'
import {
  applicationDeauthorizedEvent,
  signWebhook,
  startFakeStripe,
  webhookPayload,
  type FakeStripe,
} from '@support/stripe-connect/testing'
import { throwsCode } from './helpers'

const KEY = 'sk_test_cache_platform'
const WHSEC = 'whsec_cache_spec'
const EMAIL = 'jane@example.com'

let fake: FakeStripe

before(async () => {
  fake = await startFakeStripe({ secretKey: KEY })
})
after(() => fake.close())
beforeEach(() => fake.reset())
afterEach(() => fake.assertNoViolations())

const client = (options: { cacheTtlMs?: number } = {}) =>
  new StripeConnect({
    secretKey: KEY,
    apiBase: fake.url,
    maxRetries: 0,
    webhookSecrets: WHSEC,
    ...options,
  })

function seed() {
  const acct = fake.createAccount()
  const jane = fake.addCustomer(acct, { email: EMAIL })
  const charge = fake.addCharge(acct, { customer: jane, amount: 1200 })
  fake.addDispute(acct, { charge: charge.id, reason: 'fraudulent', status: 'needs_response' })
  fake.addSubscription(acct, { customer: jane, status: 'active', price: { nickname: 'Pro' } })
  return { acct, charge }
}

const customerLookups = () =>
  fake.findRequests({ path: '/v1/customers' }).filter((r) => r.path === '/v1/customers').length

/** A conversation: payments, subscriptions, disputes about one email on one account. */
async function conversation(stripe: StripeConnect, acct: string, fresh = false) {
  return [
    await stripe.paymentHistory({ accountId: acct, email: EMAIL, fresh }),
    await stripe.subscriptionStatus({ accountId: acct, email: EMAIL, fresh }),
    await stripe.disputes({ accountId: acct, email: EMAIL, fresh }),
  ]
}

describe('the email → customers cache (cacheTtlMs, default 60000)', () => {
  test('a conversation resolves the email once per account; money facts every time', async () => {
    const { acct } = seed()
    const stripe = client()
    await conversation(stripe, acct)
    assert.equal(customerLookups(), 1)
    assert.equal(fake.findRequests({ path: '/v1/customers/search' }).length, 1)
    assert.equal(fake.findRequests({ path: '/v1/charges' }).length, 2, 'payments, then disputes')
    await conversation(stripe, acct)
    assert.equal(customerLookups(), 1)
    assert.equal(fake.findRequests({ path: '/v1/charges' }).length, 4)
  })

  test('cacheTtlMs: 0 turns it off', async () => {
    const { acct } = seed()
    await conversation(client({ cacheTtlMs: 0 }), acct)
    assert.equal(customerLookups(), 3)
  })

  test('fresh: true reads the customers again', async () => {
    const { acct } = seed()
    const stripe = client()
    await conversation(stripe, acct)
    await conversation(stripe, acct, true)
    assert.equal(customerLookups(), 4)
  })

  test('a negative cacheTtlMs is config_invalid', () => {
    throwsCode(() => client({ cacheTtlMs: -1 }), 'config_invalid')
  })

  test('a deauthorization drops the account’s entries', async () => {
    const { acct } = seed()
    const stripe = client()
    await stripe.paymentHistory({ accountId: acct, email: EMAIL })
    const body = webhookPayload(applicationDeauthorizedEvent(acct, 'ca_cache'))
    const outcome = await stripe.handleWebhook(body, signWebhook(body, WHSEC))
    assert.equal(outcome.outcome, 'disconnected')
    await stripe.paymentHistory({ accountId: acct, email: EMAIL })
    assert.equal(customerLookups(), 2)
  })
})

describe('request coalescing and fetchedAt', () => {
  test('20 identical concurrent calls cost the requests of one', async () => {
    const { acct, charge } = seed()
    const stripe = client()
    fake.latencyMs = 100
    const charges = await Promise.all(
      Array.from({ length: 20 }, () =>
        stripe.lookupCharge({ accountId: acct, chargeId: charge.id }),
      ),
    )
    assert.ok(charges.every((c) => c.id === charge.id))
    assert.equal(fake.apiRequests().length, 1)
    const histories = await Promise.all(
      Array.from({ length: 20 }, () =>
        stripe.paymentHistory({ accountId: acct, email: EMAIL, fresh: false }),
      ),
    )
    assert.ok(histories.every((h) => h.payments.length === 1))
    assert.equal(fake.apiRequests().length, 4, 'then one list, one search, one charges page')
  })

  test('fresh calls send their own requests', async () => {
    const { acct, charge } = seed()
    const stripe = client()
    fake.latencyMs = 100
    await Promise.all(
      Array.from({ length: 3 }, () =>
        stripe.lookupCharge({ accountId: acct, chargeId: charge.id, fresh: true }),
      ),
    )
    assert.equal(fake.apiRequests().length, 3)
  })

  test('every query result says when it was read (Unix seconds)', async () => {
    const { acct, charge } = seed()
    const refund = fake.addRefund(acct, { charge: charge.id, amount: 100 })
    const stripe = client()
    const before = Math.floor(Date.now() / 1000)
    const results = [
      ...(await conversation(stripe, acct)),
      await stripe.subscriptionStatus({ accountId: acct, customerId: charge.customer! }),
      await stripe.disputes({ accountId: acct, chargeId: charge.id }),
      await stripe.lookupCharge({ accountId: acct, chargeId: charge.id }),
      await stripe.verifyRefund({ accountId: acct, refundId: refund.id }),
      await stripe.customerContext({ email: EMAIL }),
    ]
    const after = Math.ceil(Date.now() / 1000)
    for (const r of results) {
      assert.equal(typeof r.fetchedAt, 'number')
      assert.ok(r.fetchedAt >= before && r.fetchedAt <= after, `${r.fetchedAt}`)
    }
  })
})
