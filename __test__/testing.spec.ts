// Tests of the test kit (bindings/src/testing): the fake Stripe Connect server, its objects and the
// webhook helpers. Stripe behaviours asserted here are the ones in Stripe's API and OAuth reference.

import assert from 'node:assert/strict'
import { STRIPE_VERSION } from '@support/stripe-connect'
import { createHmac } from 'node:crypto'
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, afterEach, before, beforeEach, describe, test } from 'node:test'

import {
  applicationDeauthorizedEvent,
  buildCharge,
  buildCustomer,
  deliverWebhook,
  disputeCreatedEvent,
  signWebhook,
  startFakeStripe,
  webhookRequest,
  type Customer,
  type FakeStripe,
  type StripeEvent,
} from '../bindings/src/testing/index.js'
import {
  chargeFixture,
  customerFixture,
  disputeFixture,
  subscriptionFixture,
} from '../bindings/src/testing/fixtures.js'

const KEY = 'sk_test_platform_key_123'
const CLIENT_ID = 'ca_testplatform123'
const REDIRECT = 'http://localhost:3000/api/stripe/connect/callback'

interface ApiResponse {
  status: number
  headers: Headers
  json: any
}

async function call(
  fake: FakeStripe,
  path: string,
  init: {
    account?: string | null
    key?: string | null
    method?: string
    body?: string
    headers?: Record<string, string>
  } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { 'stripe-version': STRIPE_VERSION, ...init.headers }
  if (init.key !== null) headers['authorization'] = `Bearer ${init.key ?? KEY}`
  if (init.account) headers['stripe-account'] = init.account
  if (init.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
  const res = await fetch(fake.url + path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body,
    redirect: 'manual',
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null }
}

function form(
  fake: FakeStripe,
  path: string,
  fields: Record<string, string>,
  key: string | null = KEY,
): Promise<ApiResponse> {
  return call(fake, path, { method: 'POST', key, body: new URLSearchParams(fields).toString() })
}

function authorizeUrl(fake: FakeStripe, overrides: Record<string, string | null> = {}): string {
  const params: Record<string, string | null> = {
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT,
    scope: 'read_write',
    state: 'state_abc',
    ...overrides,
  }
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== null) q.set(k, v)
  return `${fake.url}/oauth/authorize?${q}`
}

/** Runs authorize (approve) + token exchange; returns the token response and the code. */
async function connectViaOAuth(fake: FakeStripe, extra: Record<string, string> = {}) {
  const auth = await fake.authorize(authorizeUrl(fake, extra))
  assert.equal(auth.status, 302)
  const code = auth.params['code']!
  const token = await form(fake, '/oauth/token', { grant_type: 'authorization_code', code })
  return { auth, code, token }
}

function expectStripeError(
  res: ApiResponse,
  status: number,
  code: string | undefined,
  type = 'invalid_request_error',
) {
  assert.equal(res.status, status, JSON.stringify(res.json))
  assert.equal(res.json.error.type, type)
  assert.equal(res.json.error.code, code)
  assert.equal(typeof res.json.error.message, 'string')
  assert.match(res.headers.get('request-id') ?? '', /^req_[A-Za-z0-9]+$/)
}

let fake: FakeStripe

before(async () => {
  fake = await startFakeStripe({
    secretKey: KEY,
    clientId: CLIENT_ID,
    redirectUris: [REDIRECT, 'http://localhost:3000/cb?tenant=a'],
  })
})
beforeEach(() => fake.reset())
after(async () => {
  await fake.close()
})

describe('startFakeStripe', () => {
  test('listens on 127.0.0.1 and serves both hosts from one base url', async () => {
    assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.ok(fake.port > 0)
    const res = await call(fake, '/nowhere')
    assert.equal(res.status, 404)
  })

  test('close() ends keep-alive sockets and the port is released', async () => {
    const own = await startFakeStripe({ latencyMs: 0 })
    const acct = own.createAccount()
    const agent = new Agent({ keepAlive: true })
    const get = () =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          `${own.url}/v1/customers`,
          { agent, headers: { authorization: `Bearer ${KEY}`, 'stripe-account': acct } },
          (res) => {
            res.resume()
            res.on('end', () => resolve(res.statusCode ?? 0))
          },
        )
        req.on('error', reject)
        req.end()
      })
    assert.equal(await get(), 200)
    assert.equal(own.openConnections, 1)
    // A request parked in injected latency must not keep close() waiting.
    own.latencyMs = 60_000
    const parked = get().catch((e: Error) => e)
    await new Promise((r) => setTimeout(r, 50))
    const t0 = Date.now()
    await own.close()
    assert.ok(Date.now() - t0 < 1_000, 'close() returned promptly')
    assert.equal(own.openConnections, 0)
    assert.ok((await parked) instanceof Error, 'the parked request failed when the fake closed')
    await assert.rejects(fetch(`${own.url}/v1/customers`), TypeError)
    agent.destroy()
  })
})

describe('OAuth', () => {
  test('approve redirects to redirect_uri with code, scope and state; token exchange connects the account', async () => {
    const { auth, code, token } = await connectViaOAuth(fake)
    assert.equal(auth.status, 302)
    const location = new URL(auth.location!)
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT)
    assert.match(code, /^ac_[A-Za-z0-9]{24}$/)
    assert.deepEqual(Object.keys(auth.params).sort(), ['code', 'scope', 'state'])
    assert.equal(auth.params['scope'], 'read_write')
    assert.equal(auth.params['state'], 'state_abc')

    assert.equal(token.status, 200)
    assert.deepEqual(Object.keys(token.json).sort(), [
      'access_token',
      'livemode',
      'refresh_token',
      'scope',
      'stripe_publishable_key',
      'stripe_user_id',
      'token_type',
    ])
    assert.equal(token.json.token_type, 'bearer')
    assert.equal(token.json.livemode, false)
    assert.equal(token.json.scope, 'read_write')
    assert.match(token.json.stripe_user_id, /^acct_[A-Za-z0-9]+$/)
    assert.match(token.json.stripe_publishable_key, /^pk_test_/)
    assert.equal(fake.isConnected(token.json.stripe_user_id), true)
    assert.equal(fake.account(token.json.stripe_user_id)?.scope, 'read_write')

    const tokenReq = fake.findRequests({ method: 'POST', path: '/oauth/token' })[0]!
    assert.deepEqual(tokenReq.form, { grant_type: 'authorization_code', code })
    assert.equal(tokenReq.headers['authorization'], `Bearer ${KEY}`)
    assert.equal(tokenReq.status, 200)
  })

  test('redirect_uri query parameters are kept', async () => {
    const auth = await fake.authorize(
      authorizeUrl(fake, { redirect_uri: 'http://localhost:3000/cb?tenant=a' }),
    )
    assert.equal(auth.status, 302)
    assert.equal(auth.params['tenant'], 'a')
    assert.match(auth.params['code']!, /^ac_/)
  })

  test('deny redirects with error=access_denied and the state, and issues no code', async () => {
    fake.oauth.queue.push('deny')
    const denied = await fake.authorize(authorizeUrl(fake, { state: 'st_1' }))
    assert.equal(denied.status, 302)
    assert.deepEqual(denied.params, {
      error: 'access_denied',
      error_description: 'The user denied your request',
      state: 'st_1',
    })
    assert.equal(fake.issuedCodes.length, 0)
    // The queue was one-shot: the next visit approves again.
    const approved = await fake.authorize(authorizeUrl(fake))
    assert.match(approved.params['code']!, /^ac_/)
    // Sticky decision and the per-visit override.
    fake.oauth.decision = 'deny'
    assert.equal((await fake.authorize(authorizeUrl(fake))).params['error'], 'access_denied')
    assert.match(
      (await fake.authorize(authorizeUrl(fake), { decision: 'approve' })).params['code']!,
      /^ac_/,
    )
  })

  test('authorize errors other than access_denied are shown, not redirected', async () => {
    const cases: [Record<string, string | null>, string][] = [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ response_type: null }, 'unsupported_response_type'],
      [{ client_id: 'ca_someoneelse' }, 'invalid_client'],
      [{ client_id: null }, 'invalid_request'],
      [{ redirect_uri: 'http://localhost:3000/other' }, 'invalid_redirect_uri'],
      [{ redirect_uri: `${REDIRECT}/` }, 'invalid_redirect_uri'],
      [{ scope: 'admin' }, 'invalid_scope'],
      [{ scope: null }, 'invalid_scope'],
      [{ state: null }, 'invalid_request'],
    ]
    for (const [override, error] of cases) {
      const res = await fake.authorize(authorizeUrl(fake, override))
      assert.equal(res.status, 400, JSON.stringify(override))
      assert.equal(res.location, null)
      assert.equal((res.body as { error: string }).error, error, JSON.stringify(override))
    }
    assert.equal(fake.issuedCodes.length, 0)
  })

  test('a code is single-use: the second exchange fails invalid_grant and revokes the connection, as on Stripe', async () => {
    const { code, token } = await connectViaOAuth(fake)
    const acct = token.json.stripe_user_id as string
    assert.equal((await call(fake, '/v1/customers', { account: acct })).status, 200)

    const again = await form(fake, '/oauth/token', { grant_type: 'authorization_code', code })
    assert.equal(again.status, 400)
    assert.deepEqual(again.json, {
      error: 'invalid_grant',
      error_description:
        'This authorization code has already been used. All tokens issued with this code have been revoked.',
    })
    assert.equal(fake.isConnected(acct), false)
    expectStripeError(await call(fake, '/v1/customers', { account: acct }), 403, 'account_invalid')
  })

  test('unknown and expired codes fail invalid_grant; bad grant type, missing code and missing key fail too', async () => {
    let now = 1_000_000
    const own = await startFakeStripe({ now: () => now })
    try {
      const unknown = await form(own, '/oauth/token', {
        grant_type: 'authorization_code',
        code: 'ac_doesnotexist',
      })
      assert.equal(unknown.status, 400)
      assert.equal(unknown.json.error, 'invalid_grant')
      assert.equal(unknown.json.error_description, 'Invalid authorization code: ac_doesnotexist')

      const auth = await own.authorize(authorizeUrl(own))
      now += 5 * 60_000 + 1
      const expired = await form(own, '/oauth/token', {
        grant_type: 'authorization_code',
        code: auth.params['code']!,
      })
      assert.equal(expired.status, 400)
      assert.equal(expired.json.error, 'invalid_grant')
      assert.match(expired.json.error_description, /expired/)
      const expiredAgain = await form(own, '/oauth/token', {
        grant_type: 'authorization_code',
        code: auth.params['code']!,
      })
      assert.match(
        expiredAgain.json.error_description,
        /expired/,
        'an expired code stays expired (it was not consumed)',
      )

      const fresh = await own.authorize(authorizeUrl(own))
      const badGrant = await form(own, '/oauth/token', {
        grant_type: 'password',
        code: fresh.params['code']!,
      })
      assert.equal(badGrant.status, 400)
      assert.equal(badGrant.json.error, 'unsupported_grant_type')
      const noCode = await form(own, '/oauth/token', { grant_type: 'authorization_code' })
      assert.equal(noCode.json.error, 'invalid_request')
      const noKey = await form(
        own,
        '/oauth/token',
        { grant_type: 'authorization_code', code: fresh.params['code']! },
        null,
      )
      assert.equal(noKey.status, 401)
      assert.equal(noKey.json.error, 'invalid_client')
      // None of the failures consumed the code.
      const ok = await form(own, '/oauth/token', {
        grant_type: 'authorization_code',
        code: fresh.params['code']!,
      })
      assert.equal(ok.status, 200)
    } finally {
      await own.close()
    }
  })

  test('the token response can omit the deprecated fields', async () => {
    fake.oauth.omitDeprecatedTokenFields = true
    const { token } = await connectViaOAuth(fake)
    assert.deepEqual(Object.keys(token.json).sort(), [
      'livemode',
      'scope',
      'stripe_user_id',
      'token_type',
    ])
  })

  test('approval reuses an account: nextAccount, the per-visit account, or stripe_user[email]', async () => {
    const seeded = fake.createAccount({
      id: 'acct_seeded1',
      connected: false,
      email: 'owner@app.test',
    })
    fake.oauth.nextAccount = seeded
    assert.equal((await connectViaOAuth(fake)).token.json.stripe_user_id, seeded)
    assert.equal(fake.isConnected(seeded), true)
    // nextAccount is one-shot: the next approval makes a new account.
    const other = (await connectViaOAuth(fake)).token.json.stripe_user_id
    assert.notEqual(other, seeded)
    assert.equal(
      (await connectViaOAuth(fake, { 'stripe_user[email]': 'owner@app.test' })).token.json
        .stripe_user_id,
      seeded,
    )
    const visit = await fake.authorize(authorizeUrl(fake), { account: 'acct_pervisit' })
    const tok = await form(fake, '/oauth/token', {
      grant_type: 'authorization_code',
      code: visit.params['code']!,
    })
    assert.equal(tok.json.stripe_user_id, 'acct_pervisit')
  })

  test('deauthorize disconnects; a second or unknown deauthorize fails invalid_client', async () => {
    const acct = fake.createAccount()
    const ok = await form(fake, '/oauth/deauthorize', {
      client_id: CLIENT_ID,
      stripe_user_id: acct,
    })
    assert.equal(ok.status, 200)
    assert.deepEqual(ok.json, { stripe_user_id: acct })
    assert.equal(fake.isConnected(acct), false)
    expectStripeError(await call(fake, '/v1/charges', { account: acct }), 403, 'account_invalid')

    const again = await form(fake, '/oauth/deauthorize', {
      client_id: CLIENT_ID,
      stripe_user_id: acct,
    })
    assert.equal(again.status, 400)
    assert.equal(again.json.error, 'invalid_client')
    assert.equal(
      again.json.error_description,
      `This application is not connected to stripe account ${acct}, or that account does not exist.`,
    )
    const unknown = await form(fake, '/oauth/deauthorize', {
      client_id: CLIENT_ID,
      stripe_user_id: 'acct_nobody',
    })
    assert.equal(unknown.status, 400)
    assert.equal(unknown.json.error, 'invalid_client')
    const wrongClient = await form(fake, '/oauth/deauthorize', {
      client_id: 'ca_other',
      stripe_user_id: fake.createAccount(),
    })
    assert.equal(wrongClient.json.error, 'invalid_client')
    const noKey = await form(
      fake,
      '/oauth/deauthorize',
      { client_id: CLIENT_ID, stripe_user_id: acct },
      null,
    )
    assert.equal(noKey.status, 401)
  })
})

describe('API: accounts and auth', () => {
  test('Stripe-Account isolates data', async () => {
    const a = fake.createAccount()
    const b = fake.createAccount()
    const alice = fake.addCustomer(a, { email: 'same@example.com' })
    const bob = fake.addCustomer(b, { email: 'same@example.com' })
    const listA = await call(fake, '/v1/customers?email=same@example.com', { account: a })
    const listB = await call(fake, '/v1/customers?email=same@example.com', { account: b })
    assert.deepEqual(
      listA.json.data.map((c: Customer) => c.id),
      [alice.id],
    )
    assert.deepEqual(
      listB.json.data.map((c: Customer) => c.id),
      [bob.id],
    )
    expectStripeError(
      await call(fake, `/v1/customers/${alice.id}`, { account: b }),
      404,
      'resource_missing',
    )
    assert.equal((await call(fake, `/v1/customers/${alice.id}`, { account: a })).json.id, alice.id)
  })

  test('unknown or disconnected accounts get 403 account_invalid with a Request-Id', async () => {
    const res = await call(fake, '/v1/customers', { account: 'acct_unknown1' })
    expectStripeError(res, 403, 'account_invalid')
    assert.match(
      res.json.error.message,
      /does not have access to account 'acct_unknown1'.*Application access may have been revoked\./,
    )
    assert.doesNotMatch(res.json.error.message, new RegExp(KEY), 'the key is redacted')
    const acct = fake.createAccount()
    fake.disconnect(acct)
    expectStripeError(await call(fake, '/v1/disputes', { account: acct }), 403, 'account_invalid')
    fake.connect(acct)
    assert.equal((await call(fake, '/v1/disputes', { account: acct })).status, 200)
  })

  test('a call without Stripe-Account is refused and recorded as a violation', async () => {
    const res = await call(fake, '/v1/customers')
    expectStripeError(res, 403, 'account_invalid')
    assert.equal(fake.violations.length, 1)
    assert.equal(fake.violations[0]!.kind, 'missing_stripe_account')
    assert.throws(() => fake.assertNoViolations(), /1 read-only violation/)
  })

  test('missing or wrong API key: 401', async () => {
    const acct = fake.createAccount()
    const none = await call(fake, '/v1/customers', { account: acct, key: null })
    assert.equal(none.status, 401)
    assert.match(none.json.error.message, /You did not provide an API key/)
    const wrong = await call(fake, '/v1/customers', {
      account: acct,
      key: 'sk_test_wrongwrongwrong',
    })
    expectStripeError(wrong, 401, 'api_key_invalid')
    assert.doesNotMatch(wrong.json.error.message, /sk_test_wrongwrongwrong/)
  })

  test('responses echo Stripe-Version', async () => {
    const acct = fake.createAccount()
    const res = await call(fake, '/v1/charges', { account: acct })
    assert.equal(res.headers.get('stripe-version'), STRIPE_VERSION)
    assert.match(res.headers.get('request-id')!, /^req_/)
  })
})

describe('API: lists, search and retrieval', () => {
  test('customers: pagination with limit, starting_after, has_more and url, newest first', async () => {
    const acct = fake.createAccount()
    const made = Array.from({ length: 25 }, (_, i) =>
      fake.addCustomer(acct, { email: `c${i}@example.com` }),
    )
    const seen: string[] = []
    const pages: [number, boolean][] = []
    let cursor: string | undefined
    for (;;) {
      const res = await call(
        fake,
        `/v1/customers?limit=10${cursor ? `&starting_after=${cursor}` : ''}`,
        { account: acct },
      )
      assert.equal(res.status, 200)
      assert.equal(res.json.object, 'list')
      assert.equal(res.json.url, '/v1/customers')
      pages.push([res.json.data.length, res.json.has_more])
      seen.push(...res.json.data.map((c: Customer) => c.id))
      if (!res.json.has_more) break
      cursor = res.json.data.at(-1).id
    }
    assert.deepEqual(pages, [
      [10, true],
      [10, true],
      [5, false],
    ])
    assert.deepEqual(seen, made.map((c) => c.id).reverse())
    // Every page request carried the account.
    assert.ok(fake.apiRequests().every((r) => r.account === acct))
    // Default limit is 10; ending_before pages backwards.
    assert.equal((await call(fake, '/v1/customers', { account: acct })).json.data.length, 10)
    const before = await call(fake, `/v1/customers?limit=3&ending_before=${seen[5]}`, {
      account: acct,
    })
    assert.deepEqual(
      before.json.data.map((c: Customer) => c.id),
      seen.slice(2, 5),
    )
  })

  test('list parameter errors are Stripe-shaped', async () => {
    const acct = fake.createAccount()
    for (const limit of ['0', '101', 'abc']) {
      const res = await call(fake, `/v1/customers?limit=${limit}`, { account: acct })
      expectStripeError(res, 400, 'parameter_invalid_integer')
      assert.equal(res.json.error.param, 'limit')
    }
    const cursor = await call(fake, '/v1/customers?starting_after=cus_missing', { account: acct })
    expectStripeError(cursor, 400, 'resource_missing')
    assert.equal(cursor.json.error.param, 'starting_after')
    const unknown = await call(fake, '/v1/charges?emial=x', { account: acct })
    expectStripeError(unknown, 400, 'parameter_unknown')
    assert.equal(unknown.json.error.message, 'Received unknown parameter: emial')
    expectStripeError(await call(fake, '/v1/balance', { account: acct }), 404, undefined)
  })

  test('customers list email filter is case-sensitive; search is case-insensitive', async () => {
    const acct = fake.createAccount()
    const lower = fake.addCustomer(acct, { email: 'jane@example.com' })
    const mixed = fake.addCustomer(acct, { email: 'Jane@Example.com', name: 'Jane' })
    fake.addCustomer(acct, { email: 'john@example.com' })
    const exact = await call(fake, '/v1/customers?email=jane@example.com', { account: acct })
    assert.deepEqual(
      exact.json.data.map((c: Customer) => c.id),
      [lower.id],
    )
    const exactUpper = await call(
      fake,
      `/v1/customers?email=${encodeURIComponent('JANE@EXAMPLE.COM')}`,
      { account: acct },
    )
    assert.deepEqual(exactUpper.json.data, [])

    const search = await call(
      fake,
      `/v1/customers/search?query=${encodeURIComponent('email:"JANE@example.COM"')}`,
      { account: acct },
    )
    assert.equal(search.status, 200)
    assert.equal(search.json.object, 'search_result')
    assert.equal(search.json.url, '/v1/customers/search')
    assert.equal(search.json.has_more, false)
    assert.equal(search.json.next_page, null)
    assert.deepEqual(
      search.json.data.map((c: Customer) => c.id).sort(),
      [lower.id, mixed.id].sort(),
    )
    assert.equal('total_count' in search.json, false)

    const counted = await call(
      fake,
      `/v1/customers/search?query=${encodeURIComponent('email~"example.com"')}&expand[]=total_count&limit=2`,
      { account: acct },
    )
    assert.equal(counted.json.total_count, 3)
    assert.equal(counted.json.data.length, 2)
    assert.equal(counted.json.has_more, true)
    const next = await call(
      fake,
      `/v1/customers/search?query=${encodeURIComponent('email~"example.com"')}&limit=2&page=${counted.json.next_page}`,
      { account: acct },
    )
    assert.equal(next.json.data.length, 1)
    assert.equal(next.json.has_more, false)

    const both = await call(
      fake,
      `/v1/customers/search?query=${encodeURIComponent('email:"jane@example.com" AND name:"jane"')}`,
      { account: acct },
    )
    assert.deepEqual(
      both.json.data.map((c: Customer) => c.id),
      [mixed.id],
    )
    expectStripeError(
      await call(fake, `/v1/customers/search?query=${encodeURIComponent('created>1')}`, {
        account: acct,
      }),
      400,
      'parameter_invalid_string',
    )
    expectStripeError(
      await call(fake, '/v1/customers/search', { account: acct }),
      400,
      'parameter_missing',
    )
  })

  test('search lags like Stripe for customers seeded searchable: false', async () => {
    const acct = fake.createAccount()
    const fresh = fake.addCustomer(acct, { email: 'new@example.com', searchable: false })
    const search = await call(
      fake,
      `/v1/customers/search?query=${encodeURIComponent('email:"new@example.com"')}`,
      { account: acct },
    )
    assert.deepEqual(search.json.data, [])
    const list = await call(fake, '/v1/customers?email=new@example.com', { account: acct })
    assert.deepEqual(
      list.json.data.map((c: Customer) => c.id),
      [fresh.id],
    )
  })

  test('charges: customer filter, pagination, retrieve, refunds update the charge', async () => {
    const acct = fake.createAccount()
    const { customers, charges, refunds } = fake.seed(acct, {
      customers: [
        { id: 'cus_alice', email: 'alice@example.com' },
        { id: 'cus_bob', email: 'bob@example.com' },
      ],
      charges: [
        { id: 'ch_a1', customer: 'cus_alice', amount: 1000 },
        { id: 'ch_a2', customer: 'cus_alice', amount: 2500, description: 'Pro' },
        { id: 'ch_a3', customer: 'cus_alice', amount: 700, status: 'failed' },
        { id: 'ch_b1', customer: 'cus_bob', amount: 999 },
      ],
      refunds: [{ charge: 'ch_a2', amount: 500, reason: 'requested_by_customer' }],
    })
    assert.equal(customers.length, 2)
    assert.equal(charges.length, 4)
    const page1 = await call(fake, '/v1/charges?customer=cus_alice&limit=2', { account: acct })
    assert.deepEqual(
      page1.json.data.map((c: { id: string }) => c.id),
      ['ch_a3', 'ch_a2'],
    )
    assert.equal(page1.json.has_more, true)
    const page2 = await call(fake, '/v1/charges?customer=cus_alice&limit=2&starting_after=ch_a2', {
      account: acct,
    })
    assert.deepEqual(
      page2.json.data.map((c: { id: string }) => c.id),
      ['ch_a1'],
    )
    assert.equal(page2.json.has_more, false)

    const ch = await call(fake, '/v1/charges/ch_a2', { account: acct })
    assert.equal(ch.json.amount_refunded, 500)
    assert.equal(ch.json.refunded, false)
    assert.equal(ch.json.refunds.data[0].id, refunds[0]!.id)
    assert.equal(ch.json.description, 'Pro')
    assert.equal((await call(fake, '/v1/charges/ch_a3', { account: acct })).json.paid, false)

    const re = await call(fake, `/v1/refunds/${refunds[0]!.id}`, { account: acct })
    assert.equal(re.status, 200)
    assert.equal(re.json.object, 'refund')
    assert.equal(re.json.charge, 'ch_a2')
    assert.equal(re.json.amount, 500)
    assert.equal(re.json.reason, 'requested_by_customer')
    fake.addRefund(acct, { charge: 'ch_a2', amount: 2000 })
    assert.equal((await call(fake, '/v1/charges/ch_a2', { account: acct })).json.refunded, true)

    const missing = await call(fake, '/v1/refunds/re_nope', { account: acct })
    expectStripeError(missing, 404, 'resource_missing')
    assert.equal(missing.json.error.message, "No such refund: 're_nope'")
    expectStripeError(
      await call(fake, '/v1/charges/ch_nope', { account: acct }),
      404,
      'resource_missing',
    )
    assert.throws(() => fake.addRefund(acct, { charge: 'ch_nope' }), /no charge ch_nope/)
  })

  test('subscriptions: status filter (default hides canceled, all, ended), items carry the period, expand[] works', async () => {
    const acct = fake.createAccount()
    const cus = fake.addCustomer(acct, { email: 'sub@example.com' })
    const active = fake.addSubscription(acct, {
      customer: cus,
      current_period_end: 1_800_000_000,
      product_name: 'Gold',
      cancel_at_period_end: true,
    })
    const canceled = fake.addSubscription(acct, { customer: cus.id, status: 'canceled' })
    const pastDue = fake.addSubscription(acct, { customer: cus.id, status: 'past_due' })
    const ids = (r: ApiResponse) => r.json.data.map((s: { id: string }) => s.id).sort()

    assert.deepEqual(
      ids(await call(fake, `/v1/subscriptions?customer=${cus.id}`, { account: acct })),
      [active.id, pastDue.id].sort(),
    )
    assert.deepEqual(
      ids(await call(fake, `/v1/subscriptions?customer=${cus.id}&status=all`, { account: acct })),
      [active.id, canceled.id, pastDue.id].sort(),
    )
    assert.deepEqual(
      ids(
        await call(fake, `/v1/subscriptions?customer=${cus.id}&status=canceled`, { account: acct }),
      ),
      [canceled.id],
    )
    assert.deepEqual(ids(await call(fake, `/v1/subscriptions?status=ended`, { account: acct })), [
      canceled.id,
    ])
    expectStripeError(
      await call(fake, '/v1/subscriptions?status=bogus', { account: acct }),
      400,
      'parameter_invalid_string',
    )

    const expanded = await call(
      fake,
      `/v1/subscriptions?customer=${cus.id}&status=all&expand[]=data.items.data.price.product&expand[]=data.customer`,
      { account: acct },
    )
    assert.equal(expanded.status, 200)
    const sub = expanded.json.data.find((s: { id: string }) => s.id === active.id)
    assert.equal(sub.items.data[0].current_period_end, 1_800_000_000)
    assert.equal(sub.items.data[0].price.product.object, 'product')
    assert.equal(sub.items.data[0].price.product.name, 'Gold')
    assert.equal(sub.customer.email, 'sub@example.com')
    assert.equal(sub.cancel_at_period_end, true)
    // Not expanded: the product is an id.
    const plain = await call(fake, `/v1/subscriptions/${active.id}`, { account: acct })
    assert.match(plain.json.items.data[0].price.product, /^prod_/)
    expectStripeError(
      await call(fake, '/v1/subscriptions?expand[]=data.nope', { account: acct }),
      400,
      undefined,
    )
  })

  test('disputes: charge filter, limit, created[gte] and retrieve; the charge is marked disputed', async () => {
    const acct = fake.createAccount()
    const c1 = fake.addCharge(acct, { amount: 5000 })
    const c2 = fake.addCharge(acct, { amount: 100 })
    const d1 = fake.addDispute(acct, { charge: c1.id, reason: 'fraudulent' })
    fake.addDispute(acct, { charge: c2.id })
    fake.addDispute(acct, { charge: c2.id })
    const byCharge = await call(fake, `/v1/disputes?charge=${c1.id}`, { account: acct })
    assert.deepEqual(
      byCharge.json.data.map((d: { id: string }) => d.id),
      [d1.id],
    )
    assert.equal(byCharge.json.data[0].amount, 5000)
    const limited = await call(fake, '/v1/disputes?limit=2', { account: acct })
    assert.equal(limited.json.data.length, 2)
    assert.equal(limited.json.has_more, true)
    // The account's recent disputes in one page, as the customer context reads them: `created[gte]`
    // and `limit` together, newest first.
    const all = await call(fake, '/v1/disputes?limit=100', { account: acct })
    const [newest, middle, oldest] = all.json.data as { id: string; created: number }[]
    assert.equal(all.json.has_more, false)
    assert.ok(newest!.created > middle!.created && middle!.created > oldest!.created)
    const recent = await call(fake, `/v1/disputes?limit=100&created[gte]=${middle!.created}`, {
      account: acct,
    })
    assert.equal(recent.status, 200, JSON.stringify(recent.json))
    assert.deepEqual(
      recent.json.data.map((d: { id: string }) => d.id),
      [newest!.id, middle!.id],
    )
    const recentFull = await call(fake, `/v1/disputes?limit=1&created[gte]=${middle!.created}`, {
      account: acct,
    })
    assert.deepEqual(
      [recentFull.json.data.map((d: { id: string }) => d.id), recentFull.json.has_more],
      [[newest!.id], true],
    )
    expectStripeError(
      await call(fake, '/v1/disputes?created[since]=1', { account: acct }),
      400,
      'parameter_unknown',
    )
    const one = await call(fake, `/v1/disputes/${d1.id}`, { account: acct })
    assert.equal(one.json.object, 'dispute')
    assert.equal(one.json.charge, c1.id)
    assert.equal(typeof one.json.evidence_details.due_by, 'number')
    assert.equal((await call(fake, `/v1/charges/${c1.id}`, { account: acct })).json.disputed, true)
    expectStripeError(
      await call(fake, '/v1/disputes/dp_nope', { account: acct }),
      404,
      'resource_missing',
    )
  })

  test('products: listed by ids[] (how plan names are read), by active, and in one page', async () => {
    const acct = fake.createAccount()
    const a = fake.addProduct(acct, { name: 'Pro' })
    const b = fake.addProduct(acct, { name: 'Team', active: false })
    fake.addProduct(acct, { name: 'Other' })
    const byIds = await call(fake, `/v1/products?ids[]=${a.id}&ids[]=${b.id}&limit=2`, {
      account: acct,
    })
    assert.equal(byIds.status, 200, JSON.stringify(byIds.json))
    assert.deepEqual(byIds.json.data.map((p: { name: string }) => p.name).sort(), ['Pro', 'Team'])
    const inactive = await call(fake, '/v1/products?active=false', { account: acct })
    assert.deepEqual(
      inactive.json.data.map((p: { id: string }) => p.id),
      [b.id],
    )
    // One page of every product, active or not, as the customer context reads them for plan names.
    const page = await call(fake, '/v1/products?limit=100', { account: acct })
    assert.equal(page.json.has_more, false)
    assert.deepEqual(page.json.data.map((p: { name: string }) => p.name).sort(), [
      'Other',
      'Pro',
      'Team',
    ])
    expectStripeError(
      await call(fake, '/v1/products?nope=1', { account: acct }),
      400,
      'parameter_unknown',
    )
  })

  test('served objects keep every field of Stripe fixtures and use Stripe id prefixes', async () => {
    const acct = fake.createAccount()
    const seeded = fake.seed(acct, {
      customers: [{ email: 'shape@example.com' }],
      charges: [{ amount: 1234 }],
    })
    const charge = seeded.charges[0]!
    const sub = fake.addSubscription(acct, { customer: seeded.customers[0]! })
    const refund = fake.addRefund(acct, { charge: charge.id })
    const dispute = fake.addDispute(acct, { charge: charge.id })
    const checks: [object, object, RegExp][] = [
      [seeded.customers[0]!, customerFixture, /^cus_[A-Za-z0-9]{14}$/],
      [charge, chargeFixture, /^ch_[A-Za-z0-9]{24}$/],
      [sub, subscriptionFixture, /^sub_[A-Za-z0-9]{24}$/],
      [dispute, disputeFixture, /^dp_[A-Za-z0-9]{24}$/],
    ]
    for (const [obj, fixture, idRe] of checks) {
      for (const key of Object.keys(fixture))
        assert.ok(key in obj, `${(obj as { object: string }).object} lacks fixture field ${key}`)
      assert.match((obj as { id: string }).id, idRe)
    }
    assert.match(refund.id, /^re_/)
    assert.match(sub.items.data[0]!.id, /^si_/)
    assert.match(sub.items.data[0]!.price.id, /^price_/)
    assert.match(charge.balance_transaction as string, /^txn_/)
    assert.equal(typeof sub.items.data[0]!.current_period_end, 'number')
    // The served JSON equals the builder's object.
    const served = await call(fake, `/v1/charges/${charge.id}`, { account: acct })
    assert.deepEqual(served.json, JSON.parse(JSON.stringify(fake.get(acct, charge.id))))
    assert.throws(() => fake.addCustomer('not_an_account', {}), TypeError)
    assert.throws(() => buildCustomer({ id: 'cus_../x' }), TypeError)
    assert.equal(buildCharge({ customer: buildCustomer({ id: 'cus_x1' }) }).customer, 'cus_x1')
  })
})

describe('read-only tripwire', () => {
  test('any non-GET on /v1 is refused 405 and recorded as a violation', async () => {
    const acct = fake.createAccount()
    const charge = fake.addCharge(acct)
    const post = await call(fake, '/v1/refunds', {
      account: acct,
      method: 'POST',
      body: `charge=${charge.id}`,
    })
    expectStripeError(post, 405, 'fake_stripe_read_only')
    assert.equal(post.headers.get('allow'), 'GET')
    assert.match(post.json.error.message, /read-only: POST \/v1\/refunds/)
    const del = await call(fake, `/v1/customers/cus_x`, { account: acct, method: 'DELETE' })
    assert.equal(del.status, 405)
    assert.deepEqual(
      fake.violations.map((v) => [v.kind, v.method, v.path]),
      [
        ['non_get', 'POST', '/v1/refunds'],
        ['non_get', 'DELETE', '/v1/customers/cus_x'],
      ],
    )
    assert.equal(fake.get<typeof charge>(acct, charge.id)!.refunded, false)
    assert.throws(() => fake.assertNoViolations(), /POST \/v1\/refunds/)
  })

  test('a violation is recorded even when a fault answers the request', async () => {
    fake.fault('/v1/', { kind: 'server_error' })
    const res = await call(fake, '/v1/charges', {
      account: fake.createAccount(),
      method: 'POST',
      body: 'amount=1',
    })
    assert.equal(res.status, 500)
    assert.equal(fake.violations.length, 1)
  })

  test('the official stripe SDK pointed at the fake reads, pages and is stopped from writing', async () => {
    const { default: Stripe } = await import('stripe')
    const acct = fake.createAccount()
    for (let i = 0; i < 12; i++) fake.addCustomer(acct, { email: 'many@example.com' })
    const stripe = new Stripe(KEY, {
      host: '127.0.0.1',
      port: fake.port,
      protocol: 'http',
      stripeAccount: acct,
      maxNetworkRetries: 0,
    })
    const all: string[] = []
    for await (const c of stripe.customers.list({ email: 'many@example.com', limit: 5 }))
      all.push(c.id)
    assert.equal(all.length, 12)
    assert.equal(new Set(all).size, 12)
    assert.equal(fake.findRequests({ path: '/v1/customers' }).length, 3)
    const found = await stripe.customers.search({ query: 'email:"MANY@example.com"', limit: 3 })
    assert.equal(found.data.length, 3)
    assert.equal(found.has_more, true)
    await assert.rejects(
      stripe.refunds.create({ charge: 'ch_1' }),
      (err: { statusCode?: number; code?: string }) => {
        assert.equal(err.statusCode, 405)
        assert.equal(err.code, 'fake_stripe_read_only')
        return true
      },
    )
    assert.equal(fake.violations.length, 1)
  })
})

describe('faults', () => {
  test('latency per path and globally', async () => {
    const acct = fake.createAccount()
    fake.fault('/v1/charges', { kind: 'latency', ms: 150 })
    let t0 = performance.now()
    assert.equal((await call(fake, '/v1/charges', { account: acct })).status, 200)
    assert.ok(performance.now() - t0 >= 140, 'charges delayed')
    t0 = performance.now()
    await call(fake, '/v1/customers', { account: acct })
    assert.ok(performance.now() - t0 < 140, 'customers not delayed')
    fake.latencyMs = 100
    t0 = performance.now()
    await call(fake, '/v1/customers', { account: acct })
    assert.ok(performance.now() - t0 >= 90, 'global latency applies')
    assert.equal(fake.findRequests({ path: '/v1/charges' })[0]!.fault, 'latency')
  })

  test('429 with Retry-After, N times then normal', async () => {
    const acct = fake.createAccount()
    const handle = fake.fault('/v1/customers', { kind: 'rate_limit', retryAfter: 2 }, { times: 2 })
    for (let i = 0; i < 2; i++) {
      const res = await call(fake, '/v1/customers', { account: acct })
      expectStripeError(res, 429, 'rate_limit')
      assert.equal(res.headers.get('retry-after'), '2')
      assert.equal(res.headers.get('stripe-rate-limited-reason'), 'global-rate')
    }
    assert.equal((await call(fake, '/v1/customers', { account: acct })).status, 200)
    assert.equal(handle.hits, 2)
    assert.deepEqual(
      fake.requests.map((r) => r.status),
      [429, 429, 200],
    )
    assert.deepEqual(
      fake.requests.map((r) => r.fault),
      ['rate_limit', 'rate_limit', null],
    )
  })

  test('500 always (RegExp match, method filter) until removed', async () => {
    const acct = fake.createAccount()
    const handle = fake.fault(
      /^\/v1\/charges\/ch_/,
      { kind: 'server_error', shouldRetry: true },
      { method: 'GET' },
    )
    const ch = fake.addCharge(acct)
    for (let i = 0; i < 3; i++) {
      const res = await call(fake, `/v1/charges/${ch.id}`, { account: acct })
      expectStripeError(res, 500, undefined, 'api_error')
      assert.equal(res.headers.get('stripe-should-retry'), 'true')
    }
    assert.equal(
      (await call(fake, '/v1/charges', { account: acct })).status,
      200,
      'the list path does not match the RegExp',
    )
    handle.remove()
    assert.equal((await call(fake, `/v1/charges/${ch.id}`, { account: acct })).status, 200)
    assert.equal(handle.hits, 3)
  })

  test('faults apply to the OAuth endpoints too', async () => {
    fake.fault('/oauth/token', { kind: 'server_error', status: 503 }, { times: 1 })
    const { token } = await connectViaOAuth(fake)
    assert.equal(token.status, 503)
  })

  test('dropped connection: mid-response and before any byte', async () => {
    const acct = fake.createAccount()
    fake.fault('/v1/customers', { kind: 'drop' }, { times: 1 })
    await assert.rejects(async () => {
      const res = await fetch(`${fake.url}/v1/customers`, {
        headers: { authorization: `Bearer ${KEY}`, 'stripe-account': acct },
      })
      assert.equal(res.status, 200, 'the status line arrived before the cut')
      await res.text()
    })
    fake.fault('/v1/charges', { kind: 'drop', when: 'before_response' }, { times: 1 })
    await assert.rejects(
      fetch(`${fake.url}/v1/charges`, {
        headers: { authorization: `Bearer ${KEY}`, 'stripe-account': acct },
      }),
    )
    assert.deepEqual(
      fake.requests.map((r) => [r.path, r.status, r.fault]),
      [
        ['/v1/customers', null, 'drop'],
        ['/v1/charges', null, 'drop'],
      ],
    )
    assert.equal(
      (await call(fake, '/v1/customers', { account: acct })).status,
      200,
      'times: 1 only',
    )
  })

  test('TCP connections are counted (keep-alive reuse vs a new socket per request)', async () => {
    const acct = fake.createAccount()
    const get = (agent: Agent | false) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          `${fake.url}/v1/customers`,
          { agent, headers: { authorization: `Bearer ${KEY}`, 'stripe-account': acct } },
          (res) => {
            res.resume()
            res.on('end', () => resolve(res.statusCode ?? 0))
          },
        )
        req.on('error', reject)
        req.end()
      })
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 })
    for (let i = 0; i < 5; i++) assert.equal(await get(keepAlive), 200)
    assert.equal(fake.connections, 1)
    keepAlive.destroy()
    for (let i = 0; i < 3; i++) assert.equal(await get(false), 200)
    assert.equal(fake.connections, 4)
  })
})

describe("rate limits (Stripe's, per account, when enforced)", () => {
  // A clock of our own: the windows move only when the test moves it.
  let now = 1_000_000
  let limited: FakeStripe
  before(async () => {
    limited = await startFakeStripe({
      secretKey: KEY,
      rateLimits: { requestsPerSecond: 3, searchesPerSecond: 2 },
      now: () => now,
    })
  })
  beforeEach(() => {
    limited.reset()
    now = 1_000_000
  })
  after(() => limited.close())

  const statuses = async (path: string, account: string, n: number) => {
    const out: number[] = []
    for (let i = 0; i < n; i++) out.push((await call(limited, path, { account })).status)
    return out
  }

  test("beyond the account's limit: Stripe's 429 body and headers, no Retry-After", async () => {
    const acct = limited.createAccount()
    assert.deepEqual(await statuses('/v1/customers', acct, 3), [200, 200, 200])
    const res = await call(limited, '/v1/charges', { account: acct })
    expectStripeError(res, 429, 'rate_limit')
    assert.equal(
      res.json.error.message,
      'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
    )
    assert.equal(res.headers.get('stripe-rate-limited-reason'), 'global-rate')
    assert.equal(res.headers.get('retry-after'), null)
    assert.deepEqual(
      limited.requests.map((r) => [r.status, r.fault]),
      [
        [200, null],
        [200, null],
        [200, null],
        [429, 'rate_limit'],
      ],
    )
  })

  test('each account has its own budget; a sliding second frees it; refused requests use none', async () => {
    const [a, b] = [limited.createAccount(), limited.createAccount()]
    assert.deepEqual(await statuses('/v1/customers', a, 3), [200, 200, 200])
    assert.deepEqual(await statuses('/v1/customers', b, 3), [200, 200, 200], 'another account')
    now += 500
    assert.deepEqual(await statuses('/v1/customers', a, 2), [429, 429])
    now += 499
    assert.deepEqual(await statuses('/v1/customers', a, 1), [429], '999 ms later: same second')
    now += 1
    // A second after the first three; the refused ones counted for nothing.
    assert.deepEqual(await statuses('/v1/customers', a, 4), [200, 200, 200, 429])
  })

  test('the Search API has its own limit, and searches count against the account', async () => {
    const acct = limited.createAccount()
    const search = '/v1/customers/search?query=email%3A%27a%40example.com%27'
    assert.deepEqual(await statuses(search, acct, 2), [200, 200])
    const res = await call(limited, search, { account: acct })
    expectStripeError(res, 429, 'rate_limit')
    assert.equal(res.headers.get('stripe-rate-limited-reason'), 'resource-specific')
    // Two searches and this list fill the account's three.
    assert.deepEqual(await statuses('/v1/customers', acct, 2), [200, 429])
  })

  test('changeable at run time; reset() restores the option and empties the windows', async () => {
    const acct = limited.createAccount()
    limited.rateLimits = null
    assert.deepEqual(await statuses('/v1/customers', acct, 5), [200, 200, 200, 200, 200])
    limited.rateLimits = { requestsPerSecond: 1 }
    assert.deepEqual(await statuses('/v1/customers', acct, 2), [200, 429])
    limited.reset()
    assert.deepEqual(limited.rateLimits, { requestsPerSecond: 3, searchesPerSecond: 2 })
    const again = limited.createAccount({ id: acct })
    assert.deepEqual(await statuses('/v1/customers', again, 4), [200, 200, 200, 429])
  })
})

describe('request log', () => {
  test('records method, path, query (arrays for repeated keys), lowercased headers and body', async () => {
    const acct = fake.createAccount()
    await call(
      fake,
      '/v1/subscriptions?customer=cus_1&expand[]=data.customer&expand[]=data.items.data.price.product',
      {
        account: acct,
        headers: { 'X-Custom-Header': 'Yes' },
      },
    )
    await form(fake, '/oauth/deauthorize', { client_id: CLIENT_ID, stripe_user_id: acct })
    const [get, post] = fake.requests
    assert.equal(get!.method, 'GET')
    assert.equal(get!.path, '/v1/subscriptions')
    assert.deepEqual(get!.query, {
      customer: 'cus_1',
      'expand[]': ['data.customer', 'data.items.data.price.product'],
    })
    assert.equal(get!.headers['x-custom-header'], 'Yes')
    assert.equal(get!.headers['stripe-version'], STRIPE_VERSION)
    assert.equal(get!.account, acct)
    assert.equal(get!.body, '')
    assert.equal(get!.form, null)
    assert.equal(get!.status, 200)
    assert.equal(post!.body, `client_id=${CLIENT_ID}&stripe_user_id=${acct}`)
    assert.deepEqual(post!.form, { client_id: CLIENT_ID, stripe_user_id: acct })
    assert.ok(get!.seq < post!.seq)

    assert.equal(fake.findRequests({ method: 'post' }).length, 1)
    assert.equal(fake.findRequests({ path: /^\/oauth\// }).length, 1)
    assert.equal(fake.findRequests({ account: acct }).length, 1)
    assert.equal(fake.apiRequests().length, 1)
    fake.clearRequests()
    assert.equal(fake.requests.length, 0)
  })

  test('reset() forgets accounts, data, faults and knobs', async () => {
    const acct = fake.createAccount()
    fake.fault('/v1/', { kind: 'server_error' })
    fake.oauth.decision = 'deny'
    fake.reset()
    assert.deepEqual(fake.accounts, [])
    assert.equal(fake.oauth.decision, 'approve')
    expectStripeError(await call(fake, '/v1/customers', { account: acct }), 403, 'account_invalid')
  })
})

describe('webhooks', () => {
  const SECRET = 'whsec_test_secret_0123456789'

  test('signWebhook reproduces the stripe-dotnet literal vector', () => {
    const payload =
      '{\n  "id": "evt_123",\n  "object": "event",\n  "account": "acct_123",\n  "api_version": "2017-05-25",\n  "created": 1533204620,\n  "data": {\n    "object": {\n      "id": "cus_123",\n      "object": "customer",\n      "created": 123456789,\n      "email": "test@stripe.com",\n      "livemode": false,\n      "metadata": {}\n    }\n  },\n  "livemode": false,\n  "pending_webhooks": 1,\n  "request": {\n    "id": "req_123",\n    "idempotency_key": "idempotency-key-123"\n  },\n  "type": "customer.created"\n}\n'
    assert.equal(
      signWebhook(payload, 'webhook_secret', 1533204620),
      't=1533204620,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7',
    )
  })

  test('signatures verify with the official stripe package, and match its test header', async () => {
    const { default: Stripe } = await import('stripe')
    const stripe = new Stripe('sk_test_unused')
    const event = disputeCreatedEvent('acct_123')
    const payload = JSON.stringify(event, null, 2)
    const t = Math.floor(Date.now() / 1000)
    const header = signWebhook(payload, SECRET, t)
    // The async variants: under Bun the package loads its worker build (SubtleCrypto, async only).
    assert.equal(
      header,
      await stripe.webhooks.generateTestHeaderStringAsync({
        payload,
        secret: SECRET,
        timestamp: t,
      }),
    )
    const verified = await stripe.webhooks.constructEventAsync(payload, header, SECRET)
    assert.equal(verified.id, event.id)
    assert.equal(verified.type, 'charge.dispute.created')
    await assert.rejects(
      stripe.webhooks.constructEventAsync(payload, header, 'whsec_other'),
      /No signatures found matching/,
    )
    await assert.rejects(
      stripe.webhooks.constructEventAsync(`${payload} `, header, SECRET),
      /No signatures found matching/,
    )
    const old = signWebhook(payload, SECRET, t - 301)
    await assert.rejects(
      stripe.webhooks.constructEventAsync(payload, old, SECRET),
      /Timestamp outside the tolerance zone/,
    )
    // Rotation: one v1 per secret; either secret verifies.
    const rotated = signWebhook(payload, ['whsec_old', SECRET], t)
    assert.equal(rotated.split(',').filter((p) => p.startsWith('v1=')).length, 2)
    assert.equal(
      (await stripe.webhooks.constructEventAsync(payload, rotated, 'whsec_old')).id,
      event.id,
    )
    assert.equal((await stripe.webhooks.constructEventAsync(payload, rotated, SECRET)).id, event.id)
    const mac = createHmac('sha256', SECRET).update(`${t}.${payload}`).digest('hex')
    assert.equal(header, `t=${t},v1=${mac}`)
  })

  test('deliverWebhook POSTs the pretty-printed body with a signature the official package accepts', async () => {
    const { default: Stripe } = await import('stripe')
    const stripe = new Stripe('sk_test_unused')
    const received: { headers: IncomingMessage['headers']; body: string }[] = []
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8')
        received.push({ headers: req.headers, body })
        const sig = req.headers['stripe-signature']
        if (typeof sig !== 'string') {
          res
            .writeHead(400, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: 'Missing signature' }))
          return
        }
        try {
          await stripe.webhooks.constructEventAsync(body, sig, SECRET)
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ received: true }))
        } catch {
          res
            .writeHead(400, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: 'Invalid signature' }))
        }
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/stripe/webhooks`
    try {
      const event = applicationDeauthorizedEvent('acct_gone', CLIENT_ID)
      const ok = await deliverWebhook(url, event, { secret: SECRET })
      assert.equal(ok.status, 200)
      assert.deepEqual(ok.json, { received: true })
      assert.equal(received[0]!.body, JSON.stringify(event, null, 2))
      assert.ok(received[0]!.body.includes('\n  "id": "evt_'), 'two-space indent like Stripe')
      assert.equal(received[0]!.headers['content-type'], 'application/json; charset=utf-8')
      assert.match(received[0]!.headers['user-agent']!, /^Stripe\/1\.0/)
      assert.equal(ok.sent.signature, received[0]!.headers['stripe-signature'])

      const wrong = await deliverWebhook(url, event, { secret: 'whsec_wrong' })
      assert.deepEqual([wrong.status, wrong.json], [400, { error: 'Invalid signature' }])
      const none = await deliverWebhook(url, event, { secret: SECRET, signature: false })
      assert.deepEqual([none.status, none.json], [400, { error: 'Missing signature' }])
      assert.equal(received[2]!.headers['stripe-signature'], undefined)
      const stale = await deliverWebhook(url, event, {
        secret: SECRET,
        timestamp: Math.floor(Date.now() / 1000) - 600,
      })
      assert.equal(stale.status, 400)
      const tampered = await deliverWebhook(url, JSON.stringify(event), {
        secret: SECRET,
        signature: signWebhook(JSON.stringify(event, null, 2), SECRET),
        headers: { 'x-extra': '1' },
      })
      assert.equal(tampered.status, 400)
      assert.equal(received[4]!.headers['x-extra'], '1')
    } finally {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    }
  })

  test('webhookRequest builds the same signed delivery as a Web Request', async () => {
    const { default: Stripe } = await import('stripe')
    const stripe = new Stripe('sk_test_unused')
    const event = disputeCreatedEvent('acct_1')
    const req = webhookRequest('http://localhost:3000/api/stripe/webhooks', event, {
      secret: SECRET,
      headers: { 'x-extra': '1' },
    })
    assert.equal(req.method, 'POST')
    assert.equal(req.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(req.headers.get('x-extra'), '1')
    const body = await req.text()
    assert.equal(body, JSON.stringify(event, null, 2))
    assert.equal(
      (
        await stripe.webhooks.constructEventAsync(
          body,
          req.headers.get('stripe-signature')!,
          SECRET,
        )
      ).id,
      event.id,
    )
    assert.equal(
      webhookRequest('http://x.test/', event, { secret: SECRET, signature: false }).headers.has(
        'stripe-signature',
      ),
      false,
    )
  })

  test('event builders produce Stripe-shaped Connect events', () => {
    const dispute = disputeCreatedEvent(
      'acct_1',
      { amount: 4200, reason: 'product_not_received' },
      { id: 'evt_fixed', created: 1_800_000_000 },
    )
    assert.equal(dispute.id, 'evt_fixed')
    assert.equal(dispute.object, 'event')
    assert.equal(dispute.type, 'charge.dispute.created')
    assert.equal(dispute.account, 'acct_1')
    assert.equal(dispute.livemode, false)
    assert.equal(dispute.api_version, STRIPE_VERSION)
    assert.equal(dispute.created, 1_800_000_000)
    assert.deepEqual(dispute.request, { id: null, idempotency_key: null })
    const d = dispute.data.object
    assert.equal(d.object, 'dispute')
    assert.match(d.id, /^dp_/)
    assert.match(d.charge, /^ch_/)
    assert.equal(d.amount, 4200)
    assert.equal(d.currency, 'usd')
    assert.equal(d.reason, 'product_not_received')
    assert.equal(d.payment_intent, null)
    assert.equal(typeof d.evidence_details.due_by, 'number')
    assert.equal(typeof d.is_charge_refundable, 'boolean')

    const deauth: StripeEvent = applicationDeauthorizedEvent('acct_2', CLIENT_ID, {
      livemode: true,
    })
    assert.equal(deauth.type, 'account.application.deauthorized')
    assert.equal(deauth.account, 'acct_2')
    assert.equal(deauth.livemode, true)
    assert.deepEqual(deauth.data.object, { id: CLIENT_ID, name: null, object: 'application' })
    assert.match(deauth.id, /^evt_[A-Za-z0-9]{24}$/)
    assert.notEqual(applicationDeauthorizedEvent('acct_2', CLIENT_ID).id, deauth.id)
  })

  test('disputeCreatedEvent wraps a dispute seeded in the fake as-is', () => {
    const acct = fake.createAccount()
    const charge = fake.addCharge(acct, { amount: 777 })
    const dispute = fake.addDispute(acct, { charge: charge.id })
    const event = disputeCreatedEvent(acct, dispute)
    assert.deepEqual(event.data.object, dispute)
    assert.equal(event.data.object.amount, 777)
  })
})

afterEach(() => {
  // Tests that provoke violations on purpose check them; none may leak into the next test.
  fake.clearRequests()
})
