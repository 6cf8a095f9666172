// Issue 10 through the JS face: secrets that verify nothing are config_invalid everywhere they
// enter, numbers that are not what they claim are refused before anything is sent, no message
// quotes a secret, and what a request or an upstream body carries reaches errors clean and short.
import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  StripeConnect,
  constructEvent,
  generateTestHeader,
  verifySignature,
} from '@support/stripe-connect'
import { createRouteHandlers } from '@support/stripe-connect/next'
import { SECRET, disputeEvent, nowSeconds, rejectsCode, throwsCode } from './helpers'

const KEY = 'sk_test_51EdgesSpecKey0123456789'

/** A header anyone can compute for `secret` (what `constructEvent(body, sig, '')` used to accept). */
function forged(payload: string, secret: string, t = nowSeconds()): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex')
  return `t=${t},v1=${v1}`
}

/** A local stand-in for the API: records each request, answers with `reply`. */
async function standIn(
  reply: (req: IncomingMessage) => { status: number; body: string },
): Promise<{ base: string; requests: IncomingMessage[]; server: Server }> {
  const requests: IncomingMessage[] = []
  const server = createServer((req, res) => {
    requests.push(req)
    const { status, body } = reply(req)
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { base: `http://127.0.0.1:${port}`, requests, server }
}

const BLANKS = ['', ' ', ' \t\n', 'whsec_', ' whsec_ ']

describe('item 1: a secret that verifies nothing is config_invalid, in every entry point', () => {
  const body = disputeEvent('evt_forged')

  test('constructEvent and verifySignature refuse blank secrets even for a header signed with them', () => {
    for (const blank of BLANKS) {
      const header = forged(body, blank)
      for (const secret of [blank, [blank], ['whsec_real', blank], [blank, SECRET]]) {
        throwsCode(() => constructEvent(body, header, secret), 'config_invalid')
        throwsCode(() => verifySignature(body, header, secret), 'config_invalid')
      }
      // Before the header is looked at: a missing header does not hide it.
      throwsCode(() => constructEvent(body, undefined, blank), 'config_invalid')
    }
    throwsCode(() => constructEvent(body, forged(body, ''), []), 'config_invalid')
    throwsCode(() => verifySignature(body, forged(body, ''), []), 'config_invalid')
  })

  test('generateTestHeader refuses a blank secret', () => {
    for (const secret of BLANKS)
      throwsCode(() => generateTestHeader({ payload: body, secret }), 'config_invalid')
  })

  test('client options and environment variables refuse blank and prefix-only secrets', () => {
    for (const webhookSecrets of ['', ' ', 'whsec_', ['whsec_ok', ''], ['whsec_']]) {
      throwsCode(() => new StripeConnect({ secretKey: KEY, webhookSecrets }), 'config_invalid')
    }
    const saved = { ...process.env }
    try {
      process.env.STRIPE_SECRET_KEY = KEY
      for (const value of ['', ' ', 'whsec_', 'whsec_ok,', ' , ']) {
        process.env.STRIPE_WEBHOOK_SECRET = value
        throwsCode(() => StripeConnect.fromEnv(), 'config_invalid')
      }
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
      Object.assign(process.env, saved)
    }
  })
})

describe('item 8: numbers that are not what they claim', () => {
  const body = disputeEvent('evt_numbers')
  const header = generateTestHeader({ payload: body, secret: SECRET })

  test('now and toleranceSeconds must be whole numbers: invalid_input', () => {
    for (const now of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5]) {
      throwsCode(() => constructEvent(body, header, SECRET, { now }), 'invalid_input')
      throwsCode(() => verifySignature(body, header, SECRET, { now }), 'invalid_input')
    }
    throwsCode(
      () => constructEvent(body, header, SECRET, { toleranceSeconds: Number.NaN }),
      'invalid_input',
    )
    throwsCode(
      () => generateTestHeader({ payload: body, secret: SECRET, timestamp: Number.NaN }),
      'invalid_input',
    )
  })

  test('number options must be whole numbers: config_invalid', () => {
    throwsCode(() => new StripeConnect({ secretKey: KEY, timeoutMs: 1.5 }), 'config_invalid')
    throwsCode(
      () => new StripeConnect({ secretKey: KEY, maxRetries: Number.NaN }),
      'config_invalid',
    )
    throwsCode(
      () =>
        new StripeConnect({ secretKey: KEY, webhookToleranceSeconds: Number.POSITIVE_INFINITY }),
      'config_invalid',
    )
    // NaN used to read as 0, which turns the cache off without a word.
    throwsCode(
      () => new StripeConnect({ secretKey: KEY, cacheTtlMs: Number.NaN }),
      'config_invalid',
    )
    throwsCode(() => new StripeConnect({ secretKey: KEY, cacheMaxEntries: 2.5 }), 'config_invalid')
  })

  test('apiRateShare is a share: more than 0, at most 1, else config_invalid naming it', () => {
    for (const apiRateShare of [0, -0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const e = throwsCode(
        () => new StripeConnect({ secretKey: KEY, apiRateShare }),
        'config_invalid',
      )
      assert.match(
        e.message,
        /`apiRateShare`: must be more than 0 and at most 1 \(this instance's share of each account's rate budget at Stripe\), got /,
      )
    }
    for (const apiRateShare of [1, 0.5, 0.01])
      assert.ok(new StripeConnect({ secretKey: KEY, apiRateShare }))
  })

  test('a limit that is not a whole number is invalid_input and nothing is sent', async () => {
    const api = await standIn(() => ({
      status: 200,
      body: '{"object":"list","data":[],"has_more":false}',
    }))
    after(() => api.server.close())
    const client = new StripeConnect({ secretKey: KEY, apiBase: api.base, maxRetries: 0 })
    for (const limit of [1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await rejectsCode(
        client.paymentHistory({ accountId: 'acct_1', email: 'a@example.com', limit }),
        'invalid_input',
      )
      await rejectsCode(client.customerContext({ email: 'a@example.com', limit }), 'invalid_input')
    }
    assert.equal(api.requests.length, 0)
  })

  test('app slugs . and .. are refused', () => {
    const client = new StripeConnect({
      secretKey: KEY,
      clientId: 'ca_1',
      redirectUri: 'https://support.example.com/cb',
    })
    for (const appSlug of ['.', '..'])
      throwsCode(() => client.authorizeUrl({ appSlug }), 'invalid_input')
  })
})

describe('item 3: no secret in any message', () => {
  test('a live key in the client id is named by kind and length, not quoted', () => {
    const live = `sk_live_${'Q7'.repeat(28)}`
    const e = throwsCode(
      () => new StripeConnect({ secretKey: KEY, clientId: live }),
      'config_invalid',
    )
    assert.ok(!e.message.includes(live.slice(0, 12)), e.message)
    assert.match(e.message, /64 chars/)
  })

  test('an upstream body that echoes the Authorization header is scrubbed', async () => {
    const api = await standIn((req) => ({
      status: 502,
      body: `GET ${req.url} HTTP/1.1\r\nauthorization: ${req.headers.authorization}\r\n`,
    }))
    after(() => api.server.close())
    const client = new StripeConnect({ secretKey: KEY, apiBase: api.base, maxRetries: 0 })
    const e = await rejectsCode(
      client.lookupCharge({ accountId: 'acct_1', chargeId: 'ch_1' }),
      'stripe_unavailable',
    )
    assert.equal(api.requests.length, 1)
    assert.ok(!e.message.includes('51EdgesSpec'), e.message)
    assert.match(e.message, /credential redacted/)
  })
})

describe('item 5: what a request carries reaches logs clean and bounded', () => {
  test('a CRLF + 500 KB error_description reaches onError as one short line', async () => {
    const client = new StripeConnect({ secretKey: KEY })
    const seen: unknown[] = []
    const routes = createRouteHandlers(client, {
      settingsPath: '/settings',
      callbackPath: '/cb',
      canConnect: () => true,
      onError: (error) => seen.push(error),
    })
    const description = `x\r\n2026-11-30 INFO admin logged in\r\n${'A'.repeat(500_000)}`
    const query = new URLSearchParams({ error: 'server_error', error_description: description })
    const res = await routes.callback(new Request(`https://support.example.com/cb?${query}`))
    assert.equal(res.status, 303)
    assert.equal(seen.length, 1)
    const message = (seen[0] as Error).message
    assert.equal((seen[0] as { code?: string }).code, 'oauth_error')
    assert.ok(!/[\r\n]/.test(message), JSON.stringify(message.slice(0, 120)))
    assert.ok(message.length < 500, `${message.length} characters`)
  })
})

describe('item 8: one event rule for constructEvent and handleWebhook', () => {
  test('a signed body with a duplicate "type" key gets the same answer from both', async () => {
    const event = JSON.parse(disputeEvent('evt_duplicate_type')) as Record<string, unknown>
    // The first `type` is what a reader that keeps the first key sees, the last what JSON.parse sees.
    const body = JSON.stringify(event, null, 2).replace(
      '"type": "charge.dispute.created"',
      '"type": "account.application.deauthorized",\n  "type": "charge.dispute.created"',
    )
    assert.match(body, /"type": "account\.application\.deauthorized",\n {2}"type"/)
    const header = generateTestHeader({ payload: body, secret: SECRET })
    const client = new StripeConnect({ secretKey: KEY, webhookSecrets: SECRET })
    let direct: string
    try {
      constructEvent(body, header, SECRET)
      direct = 'accepted'
    } catch (e) {
      direct = (e as { code: string }).code
    }
    let handled: string
    try {
      await client.handleWebhook(body, header)
      handled = 'accepted'
    } catch (e) {
      handled = (e as { code: string }).code
    }
    assert.equal(direct, handled)
    assert.equal(direct, 'webhook_invalid_payload')
  })
})
