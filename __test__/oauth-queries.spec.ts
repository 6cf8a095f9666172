// OAuth and the read-only queries through the Node package, against the test kit's local Stripe
// (`@support/stripe-connect/testing`, node:http on 127.0.0.1): what the fake received (method, path,
// query, form, Authorization, Stripe-Account, Stripe-Version) and the camelCase result shapes.
import { after, afterEach, before, beforeEach, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  StripeConnect,
  StripeConnectError,
  STRIPE_VERSION,
  type Connection,
  type ConnectionStore,
  type StripeConnectErrorCode,
} from '@support/stripe-connect'
import { startFakeStripe, type FakeStripe } from '@support/stripe-connect/testing'
import { mapConnectionStore, rejectsCode as rejects } from './helpers'

const KEY = 'sk_test_platform_SECRETVALUE'
const CLIENT_ID = 'ca_testplatform123'
const REDIRECT = 'http://localhost:3000/api/stripe/connect/callback'

/** The exact code, and the message never holds the secret key. */
async function rejectsCode(
  p: Promise<unknown>,
  code: StripeConnectErrorCode,
): Promise<StripeConnectError> {
  const e = await rejects(p, code)
  assert.ok(!e.message.includes('SECRETVALUE'))
  return e
}

let fake: FakeStripe
let connections: ReturnType<typeof mapConnectionStore>
let stripe: StripeConnect

before(async () => {
  fake = await startFakeStripe({ secretKey: KEY, clientId: CLIENT_ID, redirectUris: [REDIRECT] })
})
after(() => fake.close())
beforeEach(() => {
  fake.reset()
  connections = mapConnectionStore()
  stripe = new StripeConnect({
    secretKey: KEY,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT,
    apiBase: fake.url,
    connectBase: fake.url,
    maxRetries: 0,
    stores: { connections },
  })
})
afterEach(() => fake.assertNoViolations())

/** authorizeUrl → the fake's authorize page → the callback query. */
async function connect(appSlug: string, decision: 'approve' | 'deny' = 'approve') {
  const start = stripe.authorizeUrl({ appSlug })
  const visit = await fake.authorize(start.url, { decision })
  assert.equal(visit.status, 302)
  return { start, search: new URL(visit.location!).search, params: visit.params }
}

describe('OAuth', () => {
  test('authorizeUrl: Stripe authorize URL with client id, scope, redirect URI, state and prefill', () => {
    const start = stripe.authorizeUrl({
      appSlug: 'helpdesk',
      prefill: { email: 'owner@example.com', businessName: 'Acme' },
    })
    const url = new URL(start.url)
    assert.equal(`${url.origin}${url.pathname}`, `${fake.url}/oauth/authorize`)
    assert.equal(url.searchParams.get('response_type'), 'code')
    assert.equal(url.searchParams.get('client_id'), CLIENT_ID)
    assert.equal(url.searchParams.get('scope'), 'read_write')
    assert.equal(url.searchParams.get('redirect_uri'), REDIRECT)
    assert.equal(url.searchParams.get('state'), start.state)
    assert.equal(url.searchParams.get('stripe_user[email]'), 'owner@example.com')
    assert.equal(url.searchParams.get('stripe_user[business_name]'), 'Acme')
    assert.deepEqual(Object.keys(start).sort(), ['expiresAt', 'state', 'url'])
    assert.ok(start.expiresAt > Date.now() / 1000)
  })

  test('handleCallback exchanges the code once and saves the connection; a replay sends nothing', async () => {
    const { start, search, params } = await connect('helpdesk')
    const connection = await stripe.handleCallback({ query: search, state: start.state })
    assert.match(connection.accountId, /^acct_/)
    assert.deepEqual(connection, {
      appSlug: 'helpdesk',
      accountId: connection.accountId,
      livemode: false,
      scope: 'read_write',
      replacedAccountId: null,
    })
    const { replacedAccountId: _, ...saved } = connection
    assert.deepEqual(connections.rows.get('helpdesk'), saved)
    const token = fake.findRequests({ path: '/oauth/token' })
    assert.equal(token.length, 1)
    assert.equal(token[0]!.method, 'POST')
    assert.equal(token[0]!.headers['authorization'], `Bearer ${KEY}`)
    assert.deepEqual(token[0]!.form, { grant_type: 'authorization_code', code: params['code'] })
    await rejectsCode(
      stripe.handleCallback({ query: search, state: start.state }),
      'oauth_state_used',
    )
    assert.equal(fake.findRequests({ path: '/oauth/token' }).length, 1)
  })

  test('the query may be a URLSearchParams or a parsed record', async () => {
    const a = await connect('app-a')
    assert.equal(
      (await stripe.handleCallback({ query: new URLSearchParams(a.search), state: a.start.state }))
        .appSlug,
      'app-a',
    )
    const b = await connect('app-b')
    assert.equal(
      (await stripe.handleCallback({ query: b.params, state: b.start.state })).appSlug,
      'app-b',
    )
    const c = await connect('app-c')
    const repeated = { ...c.params, code: [c.params['code']!, 'ac_other'] }
    await rejectsCode(
      stripe.handleCallback({ query: repeated, state: c.start.state }),
      'invalid_input',
    )
  })

  test('denied, wrong state, missing cookie, bad grant: exact codes', async () => {
    const denied = await connect('helpdesk', 'deny')
    await rejectsCode(
      stripe.handleCallback({ query: denied.search, state: denied.start.state }),
      'oauth_access_denied',
    )
    const ok = await connect('helpdesk')
    const other = stripe.authorizeUrl({ appSlug: 'helpdesk' }).state
    await rejectsCode(
      stripe.handleCallback({ query: ok.search, state: other }),
      'oauth_invalid_state',
    )
    await rejectsCode(
      stripe.handleCallback({ query: ok.search, state: undefined }),
      'oauth_invalid_state',
    )
    const bogus = new URLSearchParams({
      code: 'ac_not_issued',
      scope: 'read_write',
      state: ok.start.state,
    })
    const e = await rejectsCode(
      stripe.handleCallback({ query: bogus, state: ok.start.state }),
      'oauth_invalid_grant',
    )
    assert.equal(e.statusCode, 400)
    assert.equal(e.stripeCode, 'invalid_grant')
    assert.equal(connections.rows.size, 0)
  })

  test('handleCallback reports the account it replaced; the same account again replaces nothing', async () => {
    const first = await connect('helpdesk')
    const a = await stripe.handleCallback({ query: first.search, state: first.start.state })
    assert.equal(a.replacedAccountId, null, 'a first connection replaces nothing')

    const startAgain = stripe.authorizeUrl({ appSlug: 'helpdesk' })
    const same = await fake.authorize(startAgain.url, { account: a.accountId })
    const again = await stripe.handleCallback({
      query: new URL(same.location!).search,
      state: startAgain.state,
    })
    assert.equal(again.accountId, a.accountId)
    assert.equal(again.replacedAccountId, null, 'the same account again is not a replacement')

    const startOther = stripe.authorizeUrl({ appSlug: 'helpdesk' })
    const other = await fake.authorize(startOther.url)
    const b = await stripe.handleCallback({
      query: new URL(other.location!).search,
      state: startOther.state,
    })
    assert.notEqual(b.accountId, a.accountId)
    assert.equal(b.replacedAccountId, a.accountId)
    assert.equal(connections.rows.get('helpdesk')?.accountId, b.accountId)
  })

  test('disconnect deauthorizes at Stripe and clears the connection', async () => {
    const { start, search } = await connect('helpdesk')
    const { accountId } = await stripe.handleCallback({ query: search, state: start.state })
    assert.deepEqual(await stripe.disconnect({ appSlug: 'helpdesk' }), {
      accountId,
      appSlug: 'helpdesk',
      alreadyDisconnected: false,
      leftInstalled: false,
    })
    const sent = fake.findRequests({ path: '/oauth/deauthorize' })
    assert.equal(sent.length, 1)
    assert.equal(sent[0]!.headers['authorization'], `Bearer ${KEY}`)
    assert.deepEqual(sent[0]!.form, { client_id: CLIENT_ID, stripe_user_id: accountId })
    assert.equal(connections.rows.size, 0)
    await rejectsCode(stripe.disconnect({ appSlug: 'helpdesk' }), 'invalid_input')
  })

  test('authorizeUrl without clientId is config_invalid; a bad slug is invalid_input (sync)', () => {
    const bare = new StripeConnect({ secretKey: KEY })
    assert.throws(
      () => bare.authorizeUrl({ appSlug: 'helpdesk' }),
      (e: unknown) => e instanceof StripeConnectError && e.code === 'config_invalid',
    )
    assert.throws(
      () => stripe.authorizeUrl({ appSlug: 'Not A Slug!' }),
      (e: unknown) => e instanceof StripeConnectError && e.code === 'invalid_input',
    )
  })
})

describe('queries', () => {
  function seed() {
    const acct = fake.createAccount()
    const jane = fake.addCustomer(acct, { email: 'jane@example.com', name: 'Jane' })
    const janeUpper = fake.addCustomer(acct, { email: 'Jane@Example.com' })
    const ch1 = fake.addCharge(acct, {
      customer: jane,
      amount: 2500,
      currency: 'eur',
      description: 'Pro',
    })
    const ch2 = fake.addCharge(acct, { customer: janeUpper, amount: 999, description: null })
    const refund = fake.addRefund(acct, { charge: ch1.id, amount: 500 })
    const dispute = fake.addDispute(acct, {
      charge: ch2.id,
      reason: 'fraudulent',
      status: 'needs_response',
    })
    // The plan name comes from the price's nickname here (a price without one is named from its
    // product: see the demo and the Rust contract tests).
    const sub = fake.addSubscription(acct, {
      customer: jane,
      status: 'active',
      price: { nickname: 'Pro' },
      current_period_end: 1_800_000_000,
    })
    return { acct, jane, janeUpper, ch1, ch2, refund, dispute, sub }
  }

  /** Every request carried the key, the account and the pinned version. */
  function assertHeaders(acct: string) {
    const api = fake.apiRequests()
    assert.ok(api.length > 0)
    for (const r of api) {
      assert.equal(r.method, 'GET')
      assert.equal(r.account, acct)
      assert.equal(r.headers['authorization'], `Bearer ${KEY}`)
      assert.equal(r.headers['stripe-version'], STRIPE_VERSION)
    }
  }

  test('paymentHistory: every customer with the email (any case), newest first', async () => {
    const s = seed()
    const history = await stripe.paymentHistory({
      accountId: s.acct,
      email: 'jane@example.com',
      limit: 10,
    })
    assert.deepEqual(new Set(history.customerIds), new Set([s.jane.id, s.janeUpper.id]))
    assert.equal(history.hasMore, false)
    assert.equal(history.searchFallback, null)
    assert.deepEqual(
      history.payments.map((p) => p.id),
      [s.ch2.id, s.ch1.id],
    )
    assert.deepEqual(history.payments[1], {
      id: s.ch1.id,
      amount: 2500,
      currency: 'eur',
      status: 'succeeded',
      refunded: false,
      amountRefunded: 500,
      disputed: false,
      created: s.ch1.created,
      description: 'Pro',
      customerId: s.jane.id,
    })
    assert.equal(history.payments[0]!.disputed, true)
    assert.equal(history.payments[0]!.description, null)
    // The exact-case list and the case-insensitive search run concurrently (either may come first).
    const list = fake.apiRequests().find((r) => r.path === '/v1/customers')
    assert.equal(list?.query['email'], 'jane@example.com')
    const search = fake.apiRequests().find((r) => r.path === '/v1/customers/search')
    assert.equal(search?.query['query'], 'email:"jane@example.com"')
    assertHeaders(s.acct)
  })

  test('subscriptionStatus by email or by customer id', async () => {
    const s = seed()
    const byEmail = await stripe.subscriptionStatus({
      accountId: s.acct,
      email: 'jane@example.com',
    })
    assert.equal(byEmail.subscriptions.length, 1)
    const sub = byEmail.subscriptions[0]!
    assert.deepEqual(sub, {
      id: s.sub.id,
      status: 'active',
      currentPeriodEnd: 1_800_000_000,
      cancelAtPeriodEnd: false,
      canceledAt: null,
      planName: sub.planName,
      priceId: sub.priceId,
      productId: sub.productId,
      customerId: s.jane.id,
      created: s.sub.created,
    })
    assert.equal(sub.planName, 'Pro')
    const byId = await stripe.subscriptionStatus({ accountId: s.acct, customerId: s.jane.id })
    assert.deepEqual(byId, {
      customerIds: [s.jane.id],
      subscriptions: byEmail.subscriptions,
      searchFallback: null,
      fetchedAt: byId.fetchedAt,
    })
    assert.ok(Number.isInteger(byId.fetchedAt) && byId.fetchedAt > 1_700_000_000)
    assert.equal(
      fake.findRequests({ path: '/v1/subscriptions' }).at(-1)!.query['customer'],
      s.jane.id,
    )
    assertHeaders(s.acct)
  })

  test('lookupCharge, verifyRefund', async () => {
    const s = seed()
    const charge = await stripe.lookupCharge({ accountId: s.acct, chargeId: s.ch1.id })
    assert.equal(charge.id, s.ch1.id)
    assert.equal(charge.amount, 2500)
    assert.equal(charge.amountRefunded, 500)
    assert.equal(charge.customerId, s.jane.id)
    assert.deepEqual(
      Object.keys(charge).sort(),
      [
        'amount',
        'amountCaptured',
        'amountRefunded',
        'captured',
        'created',
        'currency',
        'customerId',
        'description',
        'disputed',
        'failureCode',
        'failureMessage',
        'fetchedAt',
        'id',
        'paid',
        'paymentIntent',
        'receiptUrl',
        'refunded',
        'status',
      ].sort(),
    )
    const refund = await stripe.verifyRefund({ accountId: s.acct, refundId: s.refund.id })
    assert.deepEqual(refund, {
      id: s.refund.id,
      status: s.refund.status,
      amount: 500,
      currency: 'eur',
      chargeId: s.ch1.id,
      paymentIntentId: null,
      reason: s.refund.reason,
      created: s.refund.created,
      fetchedAt: refund.fetchedAt,
    })
    assert.deepEqual(
      fake.apiRequests().map((r) => r.path),
      [`/v1/charges/${s.ch1.id}`, `/v1/refunds/${s.refund.id}`],
    )
    assertHeaders(s.acct)
  })

  test('disputes by email or by charge', async () => {
    const s = seed()
    const expected = {
      id: s.dispute.id,
      amount: 999,
      currency: 'usd',
      chargeId: s.ch2.id,
      paymentIntentId: s.dispute.payment_intent ?? null,
      reason: 'fraudulent',
      status: 'needs_response',
      evidenceDueBy: s.dispute.evidence_details?.due_by ?? null,
      isChargeRefundable: s.dispute.is_charge_refundable,
      created: s.dispute.created,
    }
    const byEmail = await stripe.disputes({ accountId: s.acct, email: 'jane@example.com' })
    assert.deepEqual(byEmail, {
      disputes: [expected],
      searchFallback: null,
      fetchedAt: byEmail.fetchedAt,
    })
    const byCharge = await stripe.disputes({ accountId: s.acct, chargeId: s.ch2.id })
    assert.deepEqual(byCharge, {
      disputes: [expected],
      searchFallback: null,
      fetchedAt: byCharge.fetchedAt,
    })
    assertHeaders(s.acct)
  })

  test('customerContext: every connected app; a revoked one reports its own error', async () => {
    const s = seed()
    const gone = fake.createAccount()
    fake.disconnect(gone)
    await connections.save({
      appSlug: 'helpdesk',
      accountId: s.acct,
      livemode: false,
      scope: 'read_write',
    })
    await connections.save({
      appSlug: 'old-app',
      accountId: gone,
      livemode: false,
      scope: 'read_write',
    })
    const ctx = await stripe.customerContext({ email: 'jane@example.com' })
    assert.equal(ctx.email, 'jane@example.com')
    assert.deepEqual(
      ctx.apps.map((a) => a.appSlug),
      ['helpdesk', 'old-app'],
    )
    const [ok, revoked] = ctx.apps
    assert.equal(ok!.error, null)
    assert.equal(ok!.payments.length, 2)
    assert.equal(ok!.subscriptions.length, 1)
    assert.deepEqual(
      ok!.openDisputes.map((d) => d.id),
      [s.dispute.id],
    )
    assert.equal(ok!.customers.length, 2)
    // The dispute came from the account's dispute page read with the charges (the kit accepts its
    // `created[gte]` and `limit`), so no charge was asked about on its own.
    const disputeRequests = fake
      .apiRequests()
      .filter((r) => r.account === s.acct && r.path === '/v1/disputes')
    assert.deepEqual(
      disputeRequests.map((r) => Object.keys(r.query).sort()),
      [['created[gte]', 'limit']],
    )
    assert.deepEqual(
      fake
        .apiRequests()
        .filter((r) => r.account === s.acct && r.path === '/v1/products')
        .map((r) => r.query),
      [{ limit: '100' }],
    )
    assert.equal(revoked!.accountId, gone)
    assert.equal(revoked!.payments.length, 0)
    assert.ok(revoked!.error)
    assert.equal(revoked!.error.status, 403)
    assert.match(revoked!.error.code, /^stripe_/)
  })

  test('errors: exact codes, Stripe details, and nothing sent for bad input', async () => {
    const s = seed()
    const e = await rejectsCode(
      stripe.lookupCharge({ accountId: s.acct, chargeId: 'ch_missing' }),
      'stripe_not_found',
    )
    assert.equal(e.statusCode, 404)
    assert.equal(e.stripeCode, 'resource_missing')
    assert.match(e.requestId ?? '', /^req_/)
    fake.clearRequests()
    await rejectsCode(
      stripe.verifyRefund({ accountId: s.acct, refundId: '../charges' }),
      'invalid_input',
    )
    await rejectsCode(
      stripe.lookupCharge({ accountId: 'acct_../x', chargeId: s.ch1.id }),
      'invalid_input',
    )
    await rejectsCode(
      stripe.paymentHistory({ accountId: s.acct, email: 'not-an-email' }),
      'invalid_input',
    )
    await rejectsCode(
      stripe.paymentHistory({ accountId: s.acct, email: 'jane@example.com', limit: 0 }),
      'invalid_input',
    )
    await rejectsCode(stripe.subscriptionStatus({ accountId: s.acct } as never), 'invalid_input')
    await rejectsCode(
      stripe.disputes({
        accountId: s.acct,
        email: 'jane@example.com',
        chargeId: s.ch1.id,
      } as never),
      'invalid_input',
    )
    await rejectsCode(
      stripe.lookupCharge({ accountId: 42, chargeId: s.ch1.id } as never),
      'invalid_input',
    )
    await rejectsCode(stripe.customerContext({ email: 'x' }), 'invalid_input')
    assert.deepEqual(fake.requests, [])
    fake.fault('/v1/', { kind: 'rate_limit' }, { times: 1 })
    await rejectsCode(
      stripe.lookupCharge({ accountId: s.acct, chargeId: s.ch1.id }),
      'stripe_rate_limited',
    )
  })
})
