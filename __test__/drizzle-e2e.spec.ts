// The whole story with the real binding, the real route handlers and the Drizzle stores, against
// the test kit as Stripe: on PGlite always, on SQLite (a file, two connections) when @libsql/client
// is installed, and on MariaDB when MYSQL_URL is set.
//
// - connect: authorize → Stripe approves → callback → the apps row is updated; a replayed callback
//   is refused and changes nothing;
// - account.application.deauthorized → the row is cleared;
// - 50 concurrent deliveries of one charge.dispute.created across two StripeConnect instances
//   sharing the database → exactly one dispute alert; the others 409 (lease held) or 200 (done);
// - claims are leases: a slow first delivery makes a redelivery on the other instance 409 with
//   Retry-After; a hung sink is a 500 within webhookTimeoutMs and the redelivery runs the sink
//   again; a lease left by a dead process, or by a double failure, is taken over once it runs out;
// - leases are fenced (issue 22 item 1): a late release queued by an instance whose lease ran out
//   and was taken over leaves the new holder's lease in place, so a third delivery is a 409;
// - the database down → 500 from the webhook route (nothing recorded), and the event processed on
//   Stripe's redelivery once it is back; the dispute sink failing → 500, then processed once.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, beforeEach, describe, test as nodeTest } from 'node:test'

import { PGlite } from '@electric-sql/pglite'
import { eq, type Table } from 'drizzle-orm'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import mysql from 'mysql2/promise'

import {
  claimsTableDdl,
  claimsTablePg,
  drizzleClaimStore,
  drizzleConnectionStore,
  claimsTableSqlite,
  exampleAppsTableDdl,
  exampleAppsTablePg,
  exampleAppsTableSqlite,
  mysqlClaimsTable,
  mysqlExampleAppsTable,
  type DrizzleDatabase,
} from '../bindings/src/drizzle.js'
import { StripeConnect, type ClaimStore, type DisputeAlert } from '../bindings/src/index.js'
import { createRouteHandlers, type RouteHandlers } from '../bindings/src/next.js'
import {
  applicationDeauthorizedEvent,
  disputeCreatedEvent,
  startFakeStripe,
  webhookRequest,
  type FakeStripe,
} from '../bindings/src/testing/index.js'

const KEY = 'sk_test_e2e_platform_key'
const CLIENT_ID = 'ca_e2eplatform123'
const WHSEC = 'whsec_e2e_test_secret'
const STATE_SECRET = 'e2e-state-secret-0123456789abcdef0123456789'
const APP_ORIGIN = 'http://localhost:3000'
const CALLBACK_PATH = '/api/stripe/connect/callback'
const REDIRECT = `${APP_ORIGIN}${CALLBACK_PATH}`
const WEBHOOK_URL = `${APP_ORIGIN}/api/stripe/webhooks`
const SETTINGS = '/settings/integrations'
/** A lease token for acquisitions made by hand (the client makes its own for each delivery). */
const DEAD_TOKEN = 'dead'.repeat(8)

interface Db {
  /** Two independent connections to one database: two server instances. */
  db: DrizzleDatabase
  db2: DrizzleDatabase
  /** A handle to the same kind of database whose server is gone. */
  dead: DrizzleDatabase
  apps: Table & { slug: any; stripeAccountId: any; stripeConnected: any }
  claims: Table
  reset(): Promise<void>
  close(): Promise<void>
}

/**
 * A Drizzle database that is up or down on demand: each query goes to the live handle or to the
 * dead one (a closed PGlite, a closed pool), so the stores see the driver's real errors.
 */
function switchable(
  live: DrizzleDatabase,
  dead: DrizzleDatabase,
): { db: DrizzleDatabase; setDown(down: boolean): void } {
  let down = false
  const pick = () => (down ? dead : live)
  return {
    db: {
      select: (...args: any[]) => pick().select(...args),
      insert: (table: any) => pick().insert(table),
      update: (table: any) => pick().update(table),
      delete: (table: any) => pick().delete(table),
    },
    setDown(value: boolean) {
      down = value
    },
  }
}

function e2eSuite(name: string, makeDb: (() => Promise<Db>) | string): void {
  // Without its database the suite still registers its tests, each skipped with the reason, so
  // the runner's `# skipped` count is the true number of tests not run.
  describe(name, () => {
    let fake: FakeStripe
    let env: Db
    const alerts: DisputeAlert[] = []
    let sinkFailures = 0
    let sinkCalls = 0
    /** Sink calls under way now, and the most there ever were at once. */
    let sinkRunning = 0
    let sinkMostAtOnce = 0
    /** What the sink's next call does before alerting (hang, wait for a gate, fail after a step). */
    let nextSinkCall: (() => Promise<void>) | null = null
    const sink = {
      async disputeCreated(alert: DisputeAlert) {
        sinkCalls++
        sinkMostAtOnce = Math.max(sinkMostAtOnce, ++sinkRunning)
        try {
          const before = nextSinkCall
          nextSinkCall = null
          if (before !== null) await before()
          if (sinkFailures > 0) {
            sinkFailures--
            throw new Error('alerting service unavailable')
          }
          alerts.push(alert)
        } finally {
          sinkRunning--
        }
      },
    }
    const test = (title: string, fn: () => Promise<void>) =>
      typeof makeDb === 'string' ? nodeTest(title, { skip: makeDb }, fn) : nodeTest(title, fn)
    /**
     * Unix seconds as the claims store sees them: frozen for each test (taken in beforeEach) and
     * advanced by hand to let leases run out, so a second boundary never changes an outcome.
     */
    let storeTime = 0
    let clockSkew = 0
    const storeNow = () => storeTime + clockSkew

    function client(
      db: DrizzleDatabase,
      options: { webhookTimeoutMs?: number; claims?: ClaimStore } = {},
    ): StripeConnect {
      const { claims, ...rest } = options
      return new StripeConnect({
        ...rest,
        secretKey: KEY,
        clientId: CLIENT_ID,
        redirectUri: REDIRECT,
        scope: 'read_write',
        webhookSecrets: [WHSEC],
        stateSecret: STATE_SECRET,
        apiBase: fake.url,
        connectBase: fake.url,
        maxRetries: 0,
        stores: {
          connections: drizzleConnectionStore(db, env.apps),
          claims: claims ?? drizzleClaimStore(db, env.claims, { now: storeNow }),
          disputes: sink,
        },
      })
    }

    function routes(c: StripeConnect): RouteHandlers {
      return createRouteHandlers(c, {
        settingsPath: SETTINGS,
        callbackPath: CALLBACK_PATH,
        canConnect: () => true, // a test: no users to check
        onError: () => {},
      })
    }

    async function row(slug: string) {
      const rows = await env.db.select().from(env.apps).where(eq(env.apps.slug, slug))
      const r = rows[0] as Record<string, unknown>
      return { stripeAccountId: r.stripeAccountId, stripeConnected: r.stripeConnected }
    }

    async function connectDirectly(slug: string, account: string) {
      await env.db
        .update(env.apps)
        .set({ stripeAccountId: account, stripeConnected: true })
        .where(eq(env.apps.slug, slug))
    }

    before(
      async () => {
        if (typeof makeDb === 'string') return
        fake = await startFakeStripe({
          secretKey: KEY,
          clientId: CLIENT_ID,
          redirectUris: [REDIRECT],
        })
        env = await (makeDb as () => Promise<Db>)()
        // An embedded Postgres starts in seconds, more on a loaded machine: Bun's default hook
        // timeout (5 s) is not the point of these tests.
      },
      { timeout: 60_000 },
    )
    after(async () => {
      await fake?.close()
      await env?.close()
    })
    beforeEach(
      async () => {
        if (typeof makeDb === 'string') return
        fake.reset()
        alerts.length = 0
        sinkFailures = 0
        sinkCalls = 0
        sinkRunning = 0
        sinkMostAtOnce = 0
        nextSinkCall = null
        storeTime = Math.floor(Date.now() / 1000)
        clockSkew = 0
        await env.reset()
        await env.db.insert(env.apps).values([
          { slug: 'helper', name: 'Helper' },
          { slug: 'billing-bot', name: 'Billing bot' },
        ])
      },
      // The first statements on an embedded Postgres compile its queries: seconds on a loaded
      // machine, past Bun's default hook timeout (5 s; seen once under Bun while other builds ran).
      { timeout: 60_000 },
    )

    test('connect: authorize → approve → callback updates the apps row; a replayed callback is refused', async () => {
      const r = routes(client(env.db))
      const account = fake.createAccount({ connected: false })
      fake.oauth.nextAccount = account

      const start = await r.authorize(
        new Request(`${APP_ORIGIN}/api/stripe/connect/authorize?appSlug=helper`),
      )
      assert.equal(start.status, 307)
      const stripeUrl = start.headers.get('location')!
      assert.ok(stripeUrl.startsWith(`${fake.url}/oauth/authorize?`), stripeUrl)
      const setCookie = start.headers.get('set-cookie')!
      assert.match(
        setCookie,
        /^stripe_connect_state=[^;]+; Path=\/api\/stripe\/connect\/callback; Max-Age=600; HttpOnly; SameSite=Lax$/,
      )
      const cookie = setCookie.split(';')[0]!

      const approved = await fake.authorize(stripeUrl)
      assert.equal(approved.status, 302)
      assert.ok(approved.location!.startsWith(`${REDIRECT}?`), approved.location!)

      const done = await r.callback(new Request(approved.location!, { headers: { cookie } }))
      assert.equal(done.status, 303)
      assert.equal(
        done.headers.get('location'),
        `${APP_ORIGIN}${SETTINGS}?success=connected&app=helper`,
      )
      assert.equal(
        done.headers.get('set-cookie'),
        `stripe_connect_state=; Path=${CALLBACK_PATH}; Max-Age=0; HttpOnly; SameSite=Lax`,
      )
      assert.deepEqual(await row('helper'), { stripeAccountId: account, stripeConnected: true })
      assert.deepEqual(await row('billing-bot'), { stripeAccountId: null, stripeConnected: false })
      assert.equal(fake.findRequests({ method: 'POST', path: '/oauth/token' }).length, 1)

      // The same callback again (browser back button, a replay): refused before any exchange.
      const replay = await r.callback(new Request(approved.location!, { headers: { cookie } }))
      assert.equal(replay.headers.get('location'), `${APP_ORIGIN}${SETTINGS}?error=invalid_state`)
      assert.equal(
        fake.findRequests({ method: 'POST', path: '/oauth/token' }).length,
        1,
        'the code is never exchanged twice',
      )
      assert.deepEqual(await row('helper'), { stripeAccountId: account, stripeConnected: true })
    })

    test('connect: the user declines → ?error=denied, the row is untouched', async () => {
      const r = routes(client(env.db))
      const start = await r.authorize(
        new Request(`${APP_ORIGIN}/api/stripe/connect/authorize?appSlug=helper`),
      )
      const cookie = start.headers.get('set-cookie')!.split(';')[0]!
      const denied = await fake.authorize(start.headers.get('location')!, { decision: 'deny' })
      const done = await r.callback(new Request(denied.location!, { headers: { cookie } }))
      assert.equal(done.headers.get('location'), `${APP_ORIGIN}${SETTINGS}?error=denied`)
      assert.deepEqual(await row('helper'), { stripeAccountId: null, stripeConnected: false })
    })

    test('connect with the database down: ?error=oauth_failed and nothing saved', async () => {
      const sw = switchable(env.db, env.dead)
      const r = routes(client(sw.db))
      const start = await r.authorize(
        new Request(`${APP_ORIGIN}/api/stripe/connect/authorize?appSlug=helper`),
      )
      const cookie = start.headers.get('set-cookie')!.split(';')[0]!
      const approved = await fake.authorize(start.headers.get('location')!)
      sw.setDown(true)
      const done = await r.callback(new Request(approved.location!, { headers: { cookie } }))
      sw.setDown(false)
      assert.equal(done.headers.get('location'), `${APP_ORIGIN}${SETTINGS}?error=oauth_failed`)
      assert.deepEqual(await row('helper'), { stripeAccountId: null, stripeConnected: false })
    })

    test('account.application.deauthorized clears the row', async () => {
      const account = fake.createAccount()
      await connectDirectly('helper', account)
      const r = routes(client(env.db))
      const res = await r.webhook(
        webhookRequest(WEBHOOK_URL, applicationDeauthorizedEvent(account, CLIENT_ID), {
          secret: WHSEC,
        }),
      )
      assert.equal(res.status, 200)
      assert.deepEqual(await res.json(), { received: true })
      assert.deepEqual(await row('helper'), { stripeAccountId: null, stripeConnected: false })
    })

    test('50 concurrent deliveries of one dispute event across two instances → one alert', async () => {
      const account = fake.createAccount()
      await connectDirectly('helper', account)
      const a = routes(client(env.db))
      const b = routes(client(env.db2))
      const event = disputeCreatedEvent(account, {
        amount: 4200,
        currency: 'usd',
        reason: 'fraudulent',
      })
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 ? a : b).webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC })),
        ),
      )
      // One delivery holds the lease; the others find it live (409: Stripe retries) or done (200).
      for (const res of responses) {
        if (res.status === 409) {
          assert.equal(res.headers.get('retry-after'), '23')
          assert.deepEqual(await res.json(), {
            error: 'Event is being processed',
            code: 'webhook_in_progress',
          })
        } else {
          assert.equal(res.status, 200)
          assert.deepEqual(await res.json(), { received: true })
        }
      }
      assert.ok(responses.some((res) => res.status === 200))
      // Stripe's retries of the 409s, once the first is done: duplicates.
      const busy = responses.filter((res) => res.status === 409).length
      for (let i = 0; i < busy; i++) {
        const retried = await a.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
        assert.equal(retried.status, 200)
      }
      assert.equal(alerts.length, 1)
      assert.equal(alerts[0]!.eventId, event.id)
      assert.equal(alerts[0]!.appSlug, 'helper')
      assert.equal(alerts[0]!.accountId, account)
      assert.equal(alerts[0]!.dispute.id, event.data.object.id)
      assert.equal(alerts[0]!.dispute.amount, 4200)
    })

    test('database down → 500 (nothing recorded); redelivered after recovery → processed once', async () => {
      const account = fake.createAccount()
      await connectDirectly('helper', account)
      const sw = switchable(env.db, env.dead)
      const r = routes(client(sw.db))
      const dispute = disputeCreatedEvent(account)
      const deauth = applicationDeauthorizedEvent(account, CLIENT_ID)

      sw.setDown(true)
      for (const event of [dispute, deauth]) {
        const res = await r.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
        assert.equal(res.status, 500, event.type)
        assert.deepEqual(await res.json(), {
          error: 'Webhook handler failed',
          code: 'store_failed',
        })
      }
      assert.equal(alerts.length, 0)
      assert.deepEqual(await row('helper'), { stripeAccountId: account, stripeConnected: true })

      sw.setDown(false)
      // Stripe redelivers (a new signature, the same event id).
      for (const event of [dispute, deauth]) {
        const res = await r.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
        assert.equal(res.status, 200, event.type)
      }
      assert.equal(alerts.length, 1)
      assert.equal(alerts[0]!.eventId, dispute.id)
      assert.deepEqual(await row('helper'), { stripeAccountId: null, stripeConnected: false })

      // And a third delivery is a duplicate: still one alert.
      const again = await r.webhook(webhookRequest(WEBHOOK_URL, dispute, { secret: WHSEC }))
      assert.equal(again.status, 200)
      assert.equal(alerts.length, 1)
    })

    test('the dispute sink failing → 500, the claim is released, the redelivery alerts once', async () => {
      const account = fake.createAccount()
      await connectDirectly('billing-bot', account)
      const r = routes(client(env.db))
      const event = disputeCreatedEvent(account)
      sinkFailures = 1
      const first = await r.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      assert.equal(first.status, 500)
      assert.deepEqual(await first.json(), {
        error: 'Webhook handler failed',
        code: 'store_failed',
      })
      assert.equal(alerts.length, 0)
      const second = await r.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      assert.equal(second.status, 200)
      assert.equal(alerts.length, 1)
      assert.equal(alerts[0]!.appSlug, 'billing-bot')
    })

    test('a slow first delivery and a redelivery on the other instance during its lease → 409 with Retry-After, one alert', async () => {
      const account = fake.createAccount()
      await connectDirectly('helper', account)
      const a = routes(client(env.db))
      const b = routes(client(env.db2))
      const event = disputeCreatedEvent(account)
      let entered!: () => void
      const inSink = new Promise<void>((resolve) => {
        entered = resolve
      })
      let open!: () => void
      const gate = new Promise<void>((resolve) => {
        open = resolve
      })
      nextSinkCall = () => {
        entered()
        return gate
      }
      const first = a.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      await inSink
      const second = await b.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      assert.equal(second.status, 409)
      assert.equal(second.headers.get('retry-after'), '23')
      assert.deepEqual(await second.json(), {
        error: 'Event is being processed',
        code: 'webhook_in_progress',
      })
      open()
      assert.equal((await first).status, 200)
      const third = await b.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      assert.equal(third.status, 200, 'done: a duplicate')
      assert.equal(sinkCalls, 1)
      assert.deepEqual(
        alerts.map((alert) => alert.eventId),
        [event.id],
      )
    })

    test('a hung sink → 500 within webhookTimeoutMs; the redelivery is processed and the sink runs again', async () => {
      const account = fake.createAccount()
      await connectDirectly('helper', account)
      const reported: unknown[] = []
      const r = createRouteHandlers(client(env.db, { webhookTimeoutMs: 300 }), {
        settingsPath: SETTINGS,
        callbackPath: CALLBACK_PATH,
        canConnect: () => true, // a test: no users to check
        onError: (error) => void reported.push(error),
      })
      const event = disputeCreatedEvent(account)
      nextSinkCall = () => new Promise<void>(() => {}) // never settles
      const started = performance.now()
      const first = await r.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      const took = performance.now() - started
      assert.equal(first.status, 500)
      assert.deepEqual(await first.json(), {
        error: 'Webhook handler failed',
        code: 'store_failed',
      })
      assert.equal(reported.length, 1)
      assert.match(
        (reported[0] as Error).message,
        /disputes\.dispute_created: timed out: .* within the webhook timeout of 300 ms/,
      )
      assert.ok(took >= 299 && took < 10_000, `answered after ${took} ms`) // 1 ms for the clocks' rounding
      assert.equal(alerts.length, 0)

      const again = await r.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      assert.equal(again.status, 200)
      assert.equal(sinkCalls, 2, 'the sink ran again')
      assert.deepEqual(
        alerts.map((alert) => alert.eventId),
        [event.id],
      )
      const third = await r.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      assert.equal(third.status, 200)
      assert.equal(sinkCalls, 2)
    })

    test('a lease taken by a process that died is taken over once it runs out', async () => {
      const account = fake.createAccount()
      await connectDirectly('helper', account)
      const event = disputeCreatedEvent(account)
      // The dead process took the lease (as handleWebhook does, 20 s + 3 s) and never came back.
      const dead = drizzleClaimStore(env.db2, env.claims, { now: storeNow })
      assert.equal(await dead.acquire(`webhook:${event.id}`, DEAD_TOKEN, 23), 'acquired')

      const r = routes(client(env.db))
      const busy = await r.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      assert.equal(busy.status, 409)
      clockSkew = 22
      const stillBusy = await r.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      assert.equal(stillBusy.status, 409, 'a second of the lease is left')
      clockSkew = 23
      const takenOver = await r.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      assert.equal(takenOver.status, 200)
      assert.deepEqual(
        alerts.map((alert) => alert.eventId),
        [event.id],
      )
      assert.equal(await dead.acquire(`webhook:${event.id}`, DEAD_TOKEN, 23), 'done')
      assert.equal(await dead.release(`webhook:${event.id}`, DEAD_TOKEN), false)
    })

    test('issue 22 item 1: a late release from an instance whose lease was taken over leaves the new lease in place; a third delivery → 409, the sink runs once at a time', async () => {
      const account = fake.createAccount()
      await connectDirectly('helper', account)
      const event = disputeCreatedEvent(account)
      const key = `webhook:${event.id}`
      // Instance A's release is queued behind its blocked event loop (a gate here): the core stops
      // waiting for it after 2 s, but the statement still runs when A wakes.
      const real = drizzleClaimStore(env.db, env.claims, { now: storeNow })
      let wake!: () => void
      const woken = new Promise<void>((resolve) => {
        wake = resolve
      })
      let lateRelease: Promise<boolean> | undefined
      const paused: ClaimStore = {
        acquire: (k, token, lease) => real.acquire(k, token, lease),
        complete: (k, token, ttl) => real.complete(k, token, ttl),
        release: (k, token) => {
          lateRelease = woken.then(() => real.release(k, token))
          return lateRelease
        },
      }
      const a = routes(client(env.db, { claims: paused }))
      const b = routes(client(env.db2))
      const c = routes(client(env.db2))

      sinkFailures = 1
      const first = await a.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      assert.equal(first.status, 500, "A's sink failed; its release did not finish in time")
      assert.equal(sinkRunning, 0)

      // A's lease runs out; Stripe's redelivery reaches B, which takes it over and works.
      clockSkew = 23
      let entered!: () => void
      const inSink = new Promise<void>((resolve) => {
        entered = resolve
      })
      let finish!: () => void
      const gate = new Promise<void>((resolve) => {
        finish = resolve
      })
      nextSinkCall = () => {
        entered()
        return gate
      }
      const second = b.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      await inSink

      // A wakes: its queued release runs now, with A's token.
      wake()
      assert.equal(await lateRelease, false, "A's release matched no row")
      const rows = await env.db.select().from(env.claims)
      assert.equal(rows.length, 1, "B's lease is still there")
      assert.equal(Boolean((rows[0] as { done: unknown }).done), false)

      const third = await c.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      assert.equal(third.status, 409)
      assert.equal(third.headers.get('retry-after'), '23')
      assert.deepEqual(await third.json(), {
        error: 'Event is being processed',
        code: 'webhook_in_progress',
      })

      finish()
      assert.equal((await second).status, 200)
      const fourth = await c.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      assert.equal(fourth.status, 200, 'done: a duplicate')
      assert.equal(sinkCalls, 2, "A's failed call and B's")
      assert.equal(sinkMostAtOnce, 1, 'never two sink calls at once')
      assert.deepEqual(
        alerts.map((alert) => alert.eventId),
        [event.id],
      )
      assert.equal(await real.acquire(key, DEAD_TOKEN, 23), 'done')
    })

    test('a double failure (the sink fails, then releasing the lease fails) heals after the lease', async () => {
      const account = fake.createAccount()
      await connectDirectly('helper', account)
      const sw = switchable(env.db, env.dead)
      const reported: unknown[] = []
      const r = createRouteHandlers(client(sw.db), {
        settingsPath: SETTINGS,
        callbackPath: CALLBACK_PATH,
        canConnect: () => true, // a test: no users to check
        onError: (error) => void reported.push(error),
      })
      const event = disputeCreatedEvent(account)
      sinkFailures = 1
      nextSinkCall = async () => sw.setDown(true) // the database goes down with the alerting service
      const first = await r.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      sw.setDown(false)
      assert.equal(first.status, 500)
      assert.match(
        (reported[0] as Error).message,
        /alerting service unavailable; releasing the lease on evt_\w+ also failed \(.*\): a redelivery after the lease runs out \(within 23 s\) processes the event/s,
      )
      const busy = await r.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      assert.equal(busy.status, 409, 'never a 200 duplicate for an event that was not processed')
      clockSkew = 23
      const healed = await r.webhook(webhookRequest(WEBHOOK_URL, event, { secret: WHSEC }))
      assert.equal(healed.status, 200)
      assert.equal(sinkCalls, 2)
      assert.deepEqual(
        alerts.map((alert) => alert.eventId),
        [event.id],
      )
    })

    test('bad deliveries: no signature 400, wrong secret 400, and nothing is recorded', async () => {
      const account = fake.createAccount()
      await connectDirectly('helper', account)
      const r = routes(client(env.db))
      const event = disputeCreatedEvent(account)
      const missing = await r.webhook(
        webhookRequest(WEBHOOK_URL, event, { secret: WHSEC, signature: false }),
      )
      assert.equal(missing.status, 400)
      assert.deepEqual(await missing.json(), {
        error: 'Missing signature',
        code: 'webhook_missing_header',
      })
      const wrong = await r.webhook(webhookRequest(WEBHOOK_URL, event, { secret: 'whsec_wrong' }))
      assert.equal(wrong.status, 400)
      assert.deepEqual(await wrong.json(), {
        error: 'Invalid signature',
        code: 'webhook_signature_mismatch',
      })
      assert.equal(alerts.length, 0)
    })
  })
}

e2eSuite('end to end on PGlite', async () => {
  const pg = new PGlite()
  for (const stmt of [...exampleAppsTableDdl('postgres'), ...claimsTableDdl('postgres')])
    await pg.exec(stmt)
  const dead = new PGlite()
  await dead.waitReady
  await dead.close()
  return {
    db: drizzlePglite({ client: pg }),
    db2: drizzlePglite({ client: pg }),
    dead: drizzlePglite({ client: dead }),
    apps: exampleAppsTablePg,
    claims: claimsTablePg,
    async reset() {
      await pg.exec('DELETE FROM "SUPPORT_apps"; DELETE FROM "stripe_connect_claims";')
    },
    async close() {
      await pg.close()
    },
  }
})

interface LibsqlClient {
  execute(sql: string): Promise<unknown>
  close(): void
}

// SQLite: one file, two clients (two connections: two instances).
e2eSuite('end to end on SQLite (libsql, file database)', async () => {
  // Optional dev dependency: imported through variables so that type-checking does not need it.
  const libsqlModule: string = '@libsql/client'
  const drizzleLibsqlModule: string = 'drizzle-orm/libsql'
  const libsql: { createClient(config: { url: string }): LibsqlClient } = await import(libsqlModule)
  const drizzleLibsql: (config: { client: LibsqlClient }) => DrizzleDatabase = (
    await import(drizzleLibsqlModule)
  ).drizzle
  const file = join(tmpdir(), `stripe-connect-e2e-${randomUUID()}.db`)
  const one = libsql.createClient({ url: `file:${file}` })
  for (const stmt of [...exampleAppsTableDdl('sqlite'), ...claimsTableDdl('sqlite')])
    await one.execute(stmt)
  const two = libsql.createClient({ url: `file:${file}` })
  const dead = libsql.createClient({ url: ':memory:' })
  dead.close()
  return {
    db: drizzleLibsql({ client: one }),
    db2: drizzleLibsql({ client: two }),
    dead: drizzleLibsql({ client: dead }),
    apps: exampleAppsTableSqlite,
    claims: claimsTableSqlite,
    async reset() {
      await one.execute('DELETE FROM "SUPPORT_apps"')
      await one.execute('DELETE FROM "stripe_connect_claims"')
    },
    async close() {
      one.close()
      two.close()
      rmSync(file, { force: true })
    },
  }
})

const MYSQL_URL = process.env.MYSQL_URL
const suffix = `_e2e_${process.pid}`
const myApps = mysqlExampleAppsTable(`SUPPORT_apps${suffix}`)
const myClaims = mysqlClaimsTable(`sc_claims${suffix}`)

e2eSuite(
  'end to end on MariaDB (MYSQL_URL)',
  !MYSQL_URL
    ? 'MYSQL_URL is not set: MariaDB end-to-end tests skipped (run `export MYSQL_URL="$(.ci/mariadb.sh start)"` first)'
    : async () => {
        const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 10 })
        const pool2 = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 10 })
        const deadPool = mysql.createPool({ uri: MYSQL_URL })
        await deadPool.end()
        const names = [`SUPPORT_apps${suffix}`, `sc_claims${suffix}`]
        for (const n of names) await pool.query(`DROP TABLE IF EXISTS \`${n}\``)
        for (const stmt of [
          ...exampleAppsTableDdl('mysql', names[0]),
          ...claimsTableDdl('mysql', names[1]),
        ])
          await pool.query(stmt)
        return {
          db: drizzleMysql({ client: pool }),
          db2: drizzleMysql({ client: pool2 }),
          dead: drizzleMysql({ client: deadPool }),
          apps: myApps,
          claims: myClaims,
          async reset() {
            for (const n of names) await pool.query(`DELETE FROM \`${n}\``)
          },
          async close() {
            for (const n of names) await pool.query(`DROP TABLE IF EXISTS \`${n}\``)
            await pool.end()
            await pool2.end()
          },
        }
      },
)
