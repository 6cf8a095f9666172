// StripeConnect: options, fromEnv, secrets kept out of inspect/JSON/errors, handleWebhook outcomes
// with the in-memory stores, and async failures that reject (never throw).
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import {
  StripeConnect,
  StripeConnectError,
  type StripeConnectErrorCode,
} from '@support/stripe-connect'
import {
  SECRET,
  deauthorizedEvent,
  disputeEvent,
  eventBody,
  objects,
  sign,
  rejectsCode,
  throwsCode,
} from './helpers'

const KEY = 'sk_test_SECRETVALUE_key'
const STATE = 'state_SECRETVALUE_0123456789abcdefghijklmnop'
// A dispute alert reads the disputed charge: no test here serves Stripe, so the API is a closed
// loopback port (nothing leaves the machine; the read fails at once and the alert says so).
const client = (extra: Partial<ConstructorParameters<typeof StripeConnect>[0]> = {}) =>
  new StripeConnect({
    secretKey: KEY,
    webhookSecrets: SECRET,
    apiBase: 'http://127.0.0.1:9',
    maxRetries: 0,
    ...extra,
  })

describe('options', () => {
  test('unusable options are config_invalid, wrong types invalid_input', () => {
    throwsCode(() => new StripeConnect({ secretKey: 'pk_test_nope' }), 'config_invalid')
    throwsCode(() => new StripeConnect({ secretKey: '' }), 'config_invalid')
    throwsCode(() => new StripeConnect({} as never), 'config_invalid')
    throwsCode(() => new StripeConnect(undefined as never), 'config_invalid')
    throwsCode(() => client({ clientId: 'acct_1' }), 'config_invalid')
    throwsCode(() => client({ scope: 'admin' as never }), 'config_invalid')
    throwsCode(() => client({ apiBase: 'ftp://x' }), 'config_invalid')
    throwsCode(() => client({ webhookSecrets: 'sk_test_x' }), 'config_invalid')
    throwsCode(() => client({ webhookSecrets: [] }), 'config_invalid')
    throwsCode(() => client({ webhookToleranceSeconds: 0 }), 'config_invalid')
    throwsCode(() => client({ stateSecret: 'short' }), 'config_invalid')
    throwsCode(() => client({ timeoutMs: 0 }), 'config_invalid')
    throwsCode(() => new StripeConnect({ secretKey: 42 } as never), 'invalid_input')
    throwsCode(() => client({ maxRetries: 'two' as never }), 'invalid_input')
  })

  test('every documented option is accepted', () => {
    const c = new StripeConnect({
      secretKey: KEY,
      clientId: 'ca_123',
      redirectUri: 'https://support.example.com/api/stripe/callback',
      scope: 'read_only',
      webhookSecrets: [SECRET, 'whsec_next'],
      webhookToleranceSeconds: 60,
      stateSecret: STATE,
      apiBase: 'http://127.0.0.1:1',
      connectBase: 'http://127.0.0.1:2',
      stripeVersion: '2026-10-28.endive',
      timeoutMs: 5000,
      maxRetries: 0,
      livemode: false,
    })
    assert.ok(c instanceof StripeConnect)
  })

  test('fromEnv reads STRIPE_* and applies overrides on top', async () => {
    const saved = { ...process.env }
    try {
      process.env.STRIPE_SECRET_KEY = KEY
      process.env.STRIPE_WEBHOOK_SECRET = `whsec_old, ${SECRET}`
      process.env.STRIPE_CONNECT_CLIENT_ID = 'ca_env'
      const c = StripeConnect.fromEnv()
      assert.ok(c instanceof StripeConnect)
      const body = eventBody('customer.created', { id: 'cus_1' }, { id: 'evt_env' })
      assert.equal((await c.handleWebhook(body, sign(body))).outcome, 'ignored')
      throwsCode(() => StripeConnect.fromEnv({ clientId: 'nope' }), 'config_invalid')
      delete process.env.STRIPE_SECRET_KEY
      throwsCode(() => StripeConnect.fromEnv(), 'config_invalid')
      assert.ok(StripeConnect.fromEnv({ secretKey: KEY }) instanceof StripeConnect)
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
      Object.assign(process.env, saved)
    }
  })

  test('secrets never appear in util.inspect, console output, JSON or errors', () => {
    const c = client({ stateSecret: STATE, clientId: 'ca_visible' })
    const shown = [
      inspect(c),
      inspect(c, { showHidden: true, depth: 10 }),
      JSON.stringify(c),
      String(c),
      Object.keys(c).join(),
    ]
    for (const s of shown) assert.ok(!s.includes('SECRETVALUE'), s)
    assert.match(inspect(c), /ca_visible/)
    assert.match(inspect(c), /redacted/)
    const e = throwsCode(
      () => new StripeConnect({ secretKey: 'pk_live_SECRETVALUE' }),
      'config_invalid',
    )
    assert.ok(!e.message.includes('SECRETVALUE') && !inspect(e).includes('SECRETVALUE'))
  })
})

describe('handleWebhook with the in-memory stores', () => {
  test('dispute_recorded, then duplicate on redelivery', async () => {
    const c = client()
    const body = disputeEvent('evt_mem_dispute')
    assert.deepEqual(await c.handleWebhook(body, sign(body)), {
      outcome: 'dispute_recorded',
      eventId: 'evt_mem_dispute',
      disputeId: objects.dispute.id,
      accountId: 'acct_1disputed',
      appSlug: null,
    })
    assert.deepEqual(await c.handleWebhook(Buffer.from(body), sign(body)), {
      outcome: 'duplicate',
      eventId: 'evt_mem_dispute',
      eventType: 'charge.dispute.created',
    })
  })

  test('disconnected, ignored (unhandled type, other mode)', async () => {
    const c = client({ livemode: false })
    const de = deauthorizedEvent('evt_mem_deauth', 'acct_1gone')
    assert.deepEqual(await c.handleWebhook(de, sign(de)), {
      outcome: 'disconnected',
      eventId: 'evt_mem_deauth',
      accountId: 'acct_1gone',
      appSlug: null,
    })
    const other = eventBody('customer.created', { id: 'cus_1' }, { id: 'evt_mem_other' })
    assert.deepEqual(await c.handleWebhook(other, sign(other)), {
      outcome: 'ignored',
      eventId: 'evt_mem_other',
      eventType: 'customer.created',
      reason: 'unhandled_type',
    })
    const live = disputeEvent('evt_mem_live', 'acct_1', { livemode: true })
    assert.deepEqual(await c.handleWebhook(live, sign(live)), {
      outcome: 'ignored',
      eventId: 'evt_mem_live',
      eventType: 'charge.dispute.created',
      reason: 'livemode_mismatch',
    })
  })

  test('failures reject with the exact code and never throw synchronously', async () => {
    const c = client()
    const body = disputeEvent('evt_mem_fail')
    const checks: Array<Promise<StripeConnectError>> = []
    const call = (f: () => Promise<unknown>, code: StripeConnectErrorCode) => {
      let p: Promise<unknown> | undefined
      assert.doesNotThrow(() => {
        p = f()
      })
      assert.ok(p instanceof Promise)
      checks.push(rejectsCode(p as Promise<unknown>, code))
    }
    call(() => c.handleWebhook(body, undefined), 'webhook_missing_header')
    call(() => c.handleWebhook(body, 'nonsense'), 'webhook_malformed_header')
    call(() => c.handleWebhook(body, sign(body, 'whsec_other')), 'webhook_signature_mismatch')
    call(() => c.handleWebhook(42 as never, sign(body)), 'invalid_input')
    call(() => c.handleWebhook(body, 42 as never), 'invalid_input')
    call(
      () => new StripeConnect({ secretKey: KEY }).handleWebhook(body, sign(body)),
      'config_invalid',
    )
    const noAccount = deauthorizedEvent('evt_mem_noacct', 'acct_1').replace(
      '"account": "acct_1"',
      '"account": null',
    )
    call(() => c.handleWebhook(noAccount, sign(noAccount)), 'webhook_invalid_payload')
    await Promise.all(checks)
  })
})
