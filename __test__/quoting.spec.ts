// Issue 20 items 2 and 3, in the face where they were found. Item 3: messages quoted their input
// (`app_out_of_scope`, `app_not_connected`, `disconnect`'s "app sk_test_… has no Stripe
// connection", an id equal to the configured state secret, Stripe's 404 text quoting the id).
// Item 2: text from JS stores passed through untouched. A store whose promise rejects
// with a message holding the configured key, a webhook secret, the state secret, a key inside a
// database URL, a Bearer token, CR/LF/ESC or 5 MB of text reached `err.message`, a tool result
// (the model reads it) and the route's default log line verbatim; and the opposite failure, a
// Drizzle query error whose database reason ("no such table") was lost. Now the core quotes the
// store's words, the error itself is `cause`, and a model reads only the operation.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'

import { StripeConnect, type Stores } from '@support/stripe-connect'
import { startFakeStripe } from '@support/stripe-connect/testing'
import { claimsTableSqlite, drizzleClaimStore } from '@support/stripe-connect/drizzle'
import { createRouteHandlers } from '@support/stripe-connect/next'
import { SECRET, disputeEvent, rejectsCode, sign } from './helpers'

const KEY = `sk_test_${'Kq7'.repeat(30)}`
const STATE_SECRET = 'state-secret-for-the-store-errors-spec-0123'
const NO_STRIPE = { apiBase: 'http://127.0.0.1:9', maxRetries: 0 }

const POISON: Array<[string, string]> = [
  ['the configured key', `auth failed for ${KEY}`],
  ['a webhook secret', `cannot verify with ${SECRET}`],
  ['the state secret', `state ${STATE_SECRET} refused`],
  ['a key in a database URL', `connect mysql://app:${KEY}@db.internal:3306/prod: ECONNREFUSED`],
  ['a Bearer token', 'proxy said: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig'],
  ['CR, LF and ESC', 'down\r\n2026-12-07 INFO admin logged in\u001b[2J'],
  ['5 MB of text', `huge ${'x'.repeat(5 << 20)}`],
]
const LEAKS = [KEY, SECRET, STATE_SECRET, 'eyJhbGciOiJIUzI1NiJ9', '\r', '\n', '\u001b']

function assertClean(text: string, what: string): void {
  for (const leak of LEAKS) assert.ok(!text.includes(leak), `${what} holds ${JSON.stringify(leak)}`)
  assert.ok(text.length < 2_000, `${what} is ${text.length} characters`)
}

const client = (stores: Stores) =>
  new StripeConnect({
    secretKey: KEY,
    webhookSecrets: SECRET,
    stateSecret: STATE_SECRET,
    clientId: 'ca_StoreErrorsSpec',
    ...NO_STRIPE,
    stores,
  })

const failingConnections = (error: unknown): NonNullable<Stores['connections']> => ({
  save: async () => Promise.reject(error),
  clearByAccount: async () => Promise.reject(error),
  getBySlug: async () => Promise.reject(error),
  list: async () => Promise.reject(error),
})

describe('a JS store rejecting with what must not be printed', () => {
  for (const [name, message] of POISON) {
    test(`${name}: quoted in err.message and the tool result, the original is err.cause`, async () => {
      const original = new Error(message)
      const c = client({ connections: failingConnections(original) })
      const e = await rejectsCode(c.disconnect({ appSlug: 'helpdesk' }), 'store_failed')
      assertClean(e.message, 'err.message')
      assert.match(e.message, /store failed during connections\.getBySlug: /)
      assert.equal(e.cause, original, 'the app can still log the original')

      const r = await c.callTool('list_connected_apps', {}, { appSlugs: ['helpdesk'] })
      assert.equal(r.success, false)
      if (r.success) return
      assert.equal(r.error.code, 'store_failed')
      assert.equal(r.error.retryable, true)
      assertClean(JSON.stringify(r), 'the tool result')
      // The model reads the operation, not the store's words.
      assert.match(r.error.message, /connections\.getBySlug/)
      assert.ok(!r.error.message.includes(message.slice(0, 12)), r.error.message)
    })
  }

  test('a rejection that is not an Error (a string) is quoted too, and is the cause', async () => {
    const c = client({ connections: failingConnections(`plain ${KEY}\n`) })
    const e = await rejectsCode(c.disconnect({ appSlug: 'helpdesk' }), 'store_failed')
    assertClean(e.message, 'err.message')
    assert.equal(e.cause, `plain ${KEY}\n`)
  })

  test("the webhook route's default log line quotes it; the response says only the code", async () => {
    const original = new Error(`sink down: ${KEY}\r\nforged`)
    const c = client({
      disputes: {
        disputeCreated: () => {
          throw original
        },
      },
    })
    const routes = createRouteHandlers(c, {
      settingsPath: '/s',
      callbackPath: '/c',
      canConnect: () => true,
    })
    const body = disputeEvent('evt_store_errors')
    const lines: unknown[][] = []
    const log = console.error
    console.error = (...args: unknown[]) => void lines.push(args)
    let res: Response
    try {
      res = await routes.webhook(
        new Request('https://support.example.com/w', {
          method: 'POST',
          headers: { 'stripe-signature': sign(body) },
          body,
        }),
      )
    } finally {
      console.error = log
    }
    assert.equal(res.status, 500)
    assert.deepEqual(await res.json(), { error: 'Webhook handler failed', code: 'store_failed' })
    assert.equal(lines.length, 1)
    const printed = lines[0]!.map(String).join(' ')
    assertClean(printed, 'the log line')
    assert.match(
      printed,
      /webhook route failed \(store_failed\): StripeConnectError: store failed during disputes\.disputeCreated/,
    )
  })
})

describe('messages that quoted their input (item 3)', () => {
  const slugKey = `sk_test_${'Zz9'.repeat(30)}`
  const memory = (): NonNullable<Stores['connections']> => {
    const rows = new Map<
      string,
      { appSlug: string; accountId: string; livemode: boolean; scope: 'read_write' }
    >()
    return {
      save: (c) => void rows.set(c.appSlug, { ...c, scope: 'read_write' }),
      clearByAccount: () => null,
      getBySlug: (slug) => rows.get(slug) ?? null,
      list: () => [...rows.values()],
    }
  }

  test('disconnect of a slug that is a key or the state secret: invalid_input, neither quoted', async () => {
    const c = client({ connections: memory() })
    for (const slug of [slugKey, STATE_SECRET]) {
      const e = await rejectsCode(c.disconnect({ appSlug: slug }), 'invalid_input')
      assert.ok(!e.message.includes(slug), e.message)
      assert.match(e.message, /redacted, \d+ chars\]/)
    }
  })

  test('app_out_of_scope and app_not_connected name a secret-shaped slug by kind and length', async () => {
    const c = client({ connections: memory() })
    const out = await c.callTool(
      'lookup_charge',
      { appSlug: STATE_SECRET, chargeId: 'ch_1' },
      {
        appSlugs: ['helpdesk'],
      },
    )
    assert.equal(out.success, false)
    if (!out.success) assert.equal(out.error.code, 'app_out_of_scope')
    assert.ok(!JSON.stringify(out).includes(STATE_SECRET), JSON.stringify(out))
    const missing = await c.callTool('lookup_charge', { chargeId: 'ch_1' }, { appSlugs: [slugKey] })
    assert.equal(missing.success, false)
    if (!missing.success) assert.equal(missing.error.code, 'app_not_connected')
    assert.ok(!JSON.stringify(missing).includes(slugKey), JSON.stringify(missing))
  })

  test("Stripe's 404 quoting an id built around the key: stripe_not_found, the key not quoted", async () => {
    const fake = await startFakeStripe({ secretKey: KEY })
    try {
      const account = fake.createAccount()
      const c = new StripeConnect({ secretKey: KEY, apiBase: fake.url, maxRetries: 0 })
      const charge = `ch_${KEY}`
      const e = await rejectsCode(
        c.lookupCharge({ accountId: account, chargeId: charge }),
        'stripe_not_found',
      )
      assert.match(e.message, /No such charge/)
      assert.ok(!e.message.includes(KEY), e.message)
      assert.match(e.message, /ch_\[sk_test_… redacted, 98 chars\]/)
    } finally {
      await fake.close()
    }
  })
})

describe('a Drizzle store whose table is missing (SQLite)', () => {
  test("the database's reason is in err.message, the query error is err.cause", async (t) => {
    const libsqlModule: string = '@libsql/client'
    const drizzleLibsqlModule: string = 'drizzle-orm/libsql'
    let libsql: { createClient(config: { url: string }): { close(): void } }
    let drizzle: (config: { client: unknown }) => unknown
    try {
      libsql = await import(libsqlModule)
      drizzle = (await import(drizzleLibsqlModule)).drizzle
    } catch {
      t.skip('@libsql/client is not installed')
      return
    }
    const file = join(tmpdir(), `stripe-connect-${randomUUID()}.db`)
    const sqlite = libsql.createClient({ url: `file:${file}` })
    try {
      // No claims table: the first acquire fails in the database.
      const claims = drizzleClaimStore(drizzle({ client: sqlite }) as never, claimsTableSqlite)
      const c = client({ claims })
      const body = disputeEvent('evt_no_table')
      const e = await rejectsCode(c.handleWebhook(body, sign(body)), 'store_failed')
      assert.match(e.message, /no such table: stripe_connect_claims/)
      assert.match(e.message, /claims\.acquire/)
      assert.ok(e.cause instanceof Error, 'the query error is kept')
      assert.match(String((e.cause as Error).message), /Failed query/)
    } finally {
      sqlite.close()
      rmSync(file, { force: true })
    }
  })
})
