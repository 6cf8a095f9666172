// Issue 21 items 3 and 4 through the Node package against the test kit's local Stripe: a
// restricted key that lacks permissions (`restrictedKeys`), `checkAccess` per capability,
// `stripe_key_lacks_permission` naming the permission and never the key, and `accountHeader`
// (Stripe-Account by default, Stripe-Context when chosen, never both).
import { after, afterEach, before, beforeEach, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { StripeConnect, type Connection } from '@support/stripe-connect'
import { startFakeStripe, type FakeStripe } from '@support/stripe-connect/testing'
import { rejectsCode } from './helpers'

const FULL = 'rk_test_support_full_READSECRET'
const NO_CHARGES = 'rk_test_support_nocharges_READSECRET'

let fake: FakeStripe

before(async () => {
  fake = await startFakeStripe({
    restrictedKeys: { [FULL]: { deny: [] }, [NO_CHARGES]: { deny: ['charges', 'disputes'] } },
  })
})
after(() => fake.close())
beforeEach(() => fake.reset())
afterEach(() => fake.assertNoViolations())

const client = (
  secretKey: string,
  options: { accountHeader?: 'stripe-account' | 'stripe-context' } = {},
) => {
  const rows = new Map<string, Connection>()
  return {
    rows,
    stripe: new StripeConnect({
      secretKey,
      apiBase: fake.url,
      maxRetries: 0,
      ...options,
      stores: {
        connections: {
          async save(c) {
            rows.set(c.appSlug, c)
          },
          async clearByAccount() {
            return null
          },
          async getBySlug(s) {
            return rows.get(s) ?? null
          },
          async list() {
            return [...rows.values()]
          },
        },
      },
    }),
  }
}

function seeded(): string {
  const acct = fake.createAccount()
  const jane = fake.addCustomer(acct, { email: 'jane@example.com' })
  fake.addCharge(acct, { customer: jane, amount: 1200 })
  return acct
}

const CAPABILITIES = ['customers', 'charges', 'refunds', 'subscriptions', 'disputes', 'search']

describe('checkAccess', () => {
  test('a key with every permission reads every capability, one limit=1 GET each', async () => {
    const acct = seeded()
    const { stripe, rows } = client(FULL)
    rows.set('helpdesk', {
      appSlug: 'helpdesk',
      accountId: acct,
      livemode: false,
      scope: 'read_write',
    })
    const report = await stripe.checkAccess({ appSlug: 'helpdesk' })
    assert.equal(report.allOk, true)
    assert.equal(report.accountId, acct)
    assert.equal(report.appSlug, 'helpdesk')
    assert.deepEqual(
      report.checks.map((c) => [c.capability, c.ok, c.denied, c.code]),
      CAPABILITIES.map((c) => [c, true, false, null]),
    )
    const sent = fake.findRequests({ account: acct })
    assert.equal(sent.length, 6)
    for (const r of sent) {
      assert.equal(r.method, 'GET')
      assert.equal(r.query['limit'], '1', r.path)
      assert.equal(r.headers['stripe-account'], acct)
      assert.equal(r.headers['stripe-context'], undefined)
    }
  })

  test('a restricted key without Charges and Disputes: those two are denied, naming the permission', async () => {
    const acct = seeded()
    const { stripe } = client(NO_CHARGES)
    const report = await stripe.checkAccess({ accountId: acct })
    assert.equal(report.allOk, false)
    assert.equal(report.appSlug, null)
    const by = new Map(report.checks.map((c) => [c.capability, c]))
    for (const denied of ['charges', 'disputes'] as const) {
      const c = by.get(denied)!
      assert.equal(c.ok, false)
      assert.equal(c.denied, true)
      assert.equal(c.code, 'stripe_key_lacks_permission')
      assert.match(c.message ?? '', /`rak_(charge|dispute)_read`/)
      assert.ok(!(c.message ?? '').includes('READSECRET'), c.message ?? '')
    }
    assert.equal(by.get('charges')!.permission, 'rak_charge_read')
    assert.equal(by.get('disputes')!.permission, 'rak_dispute_read')
    for (const readable of ['customers', 'refunds', 'subscriptions', 'search'] as const) {
      assert.equal(by.get(readable)!.ok, true, readable)
    }
  })

  test('exactly one of appSlug or accountId; an app without a connection is app_not_connected', async () => {
    const { stripe } = client(FULL)
    await rejectsCode(stripe.checkAccess({} as never), 'invalid_input')
    await rejectsCode(
      stripe.checkAccess({ appSlug: 'a', accountId: 'acct_1' } as never),
      'invalid_input',
    )
    await rejectsCode(stripe.checkAccess({ appSlug: 'nobody' }), 'app_not_connected')
    assert.equal(fake.requests.length, 0)
  })
})

describe('a restricted key lacking a permission', () => {
  test('a query it may not make rejects with stripe_key_lacks_permission, never showing the key', async () => {
    const acct = seeded()
    const { stripe } = client(NO_CHARGES)
    const e = await rejectsCode(
      stripe.paymentHistory({ accountId: acct, email: 'jane@example.com' }),
      'stripe_key_lacks_permission',
    )
    assert.equal(e.statusCode, 403)
    assert.match(e.message, /rak_charge_read/)
    assert.ok(!e.message.includes('READSECRET'), e.message)
    assert.ok(!JSON.stringify(e).includes('READSECRET'))
  })
})

describe('accountHeader', () => {
  test("'stripe-context' sends Stripe-Context and no Stripe-Account; the default the reverse", async () => {
    for (const [option, sent, absent] of [
      [undefined, 'stripe-account', 'stripe-context'],
      ['stripe-context', 'stripe-context', 'stripe-account'],
    ] as const) {
      fake.reset()
      const acct = seeded()
      const { stripe } = client(FULL, option ? { accountHeader: option } : {})
      const history = await stripe.paymentHistory({ accountId: acct, email: 'jane@example.com' })
      assert.equal(history.payments.length, 1, sent)
      const requests = fake.findRequests({ account: acct })
      assert.ok(requests.length >= 2, sent)
      for (const r of requests) {
        assert.equal(r.headers[sent], acct, `${sent} on ${r.path}`)
        assert.equal(r.headers[absent], undefined, `${absent} on ${r.path}`)
      }
    }
  })

  test('any other value is config_invalid', () => {
    for (const accountHeader of ['both', 'Stripe-Account, Stripe-Context', '']) {
      assert.throws(
        () => new StripeConnect({ secretKey: FULL, accountHeader: accountHeader as never }),
        (e: { code?: string }) => e.code === 'config_invalid',
        accountHeader,
      )
    }
  })

  test('the test kit refuses a request that sends both headers', async () => {
    const acct = seeded()
    const res = await fetch(`${fake.url}/v1/customers?limit=1`, {
      headers: { authorization: `Bearer ${FULL}`, 'stripe-account': acct, 'stripe-context': acct },
    })
    assert.equal(res.status, 400)
    const body = (await res.json()) as { error: { type: string; message: string } }
    assert.equal(body.error.type, 'invalid_request_error')
    assert.match(body.error.message, /not both/)
  })
})
