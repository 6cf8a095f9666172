// Many instances, one database (issue 22), with real processes: each instance is a child Node
// process (fixtures/instance.mjs) with its own StripeConnect and Drizzle stores on a database they
// share, as the support app runs behind a load balancer.
//
// - SQLite, one file, two processes (item 3): 400 concurrent acquires give exactly one 'acquired'
//   per key and no error (SQLITE_BUSY used to fail 365 of 400), and 30 concurrent deliveries give
//   no store_failed and one alert per event;
// - MariaDB, two processes with a pool each: the same 400 acquires;
// - a deauthorization handled by instance A is seen by instance B at once (item 5): B's next tool
//   call for that app is app_not_connected and its customer context leaves the app out, with
//   nothing sent to Stripe (B's cache still holds the app's customers); on SQLite and on MariaDB.
//
// Node only: the instances are Node processes (and better-sqlite3 does not load under Bun); under
// Bun the suites are skipped with that reason.

import assert from 'node:assert/strict'
import { type ChildProcess, fork } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'

import mysql from 'mysql2/promise'

import { claimsTableDdl, exampleAppsTableDdl } from '../bindings/src/drizzle.js'
import {
  applicationDeauthorizedEvent,
  disputeCreatedEvent,
  startFakeStripe,
  type FakeStripe,
} from '../bindings/src/testing/index.js'

const NODE_ONLY = 'bun' in process.versions ? 'Node only: the instances are Node processes' : false
const KEY = 'sk_test_instances_platform'
const CLIENT_ID = 'ca_instancesplatform'
const WHSEC = 'whsec_instances'
const EMAIL = 'jane@example.com'

interface Database {
  dialect: 'sqlite' | 'mysql'
  url: string
  appsTable: string
  claimsTable: string
  /** Run one statement on the shared database (from this, the parent, process). */
  exec(sql: string): Promise<void>
  close(): Promise<void>
}

/** One child process: an instance of the app. */
class Instance {
  #child: ChildProcess
  #next = 0
  #waiting = new Map<number, { resolve(v: any): void; reject(e: Error): void }>()
  #stderr = ''
  readonly ready: Promise<void>

  constructor(db: Database, apiBase: string) {
    const config = {
      dialect: db.dialect,
      url: db.url,
      apiBase,
      appsTable: db.appsTable,
      claimsTable: db.claimsTable,
      webhookSecret: WHSEC,
    }
    this.#child = fork(join(__dirname, 'fixtures', 'instance.mjs'), [JSON.stringify(config)], {
      cwd: join(__dirname, '..'),
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    })
    this.#child.stderr!.on('data', (chunk) => {
      this.#stderr += chunk
    })
    this.ready = new Promise((resolve, reject) => {
      this.#child.once('exit', (code) =>
        reject(new Error(`the instance exited (${code}) before it was ready: ${this.#stderr}`)),
      )
      this.#child.on('message', (message: any) => {
        if (message.ready) return resolve()
        const waiting = this.#waiting.get(message.id)
        this.#waiting.delete(message.id)
        if (message.error)
          waiting?.reject(new Error(`${message.error.code}: ${message.error.message}`))
        else waiting?.resolve(message.result)
      })
    })
  }

  call<T = any>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.#next
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject })
      this.#child.send({ id, op, ...args })
    })
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || !this.#child.connected) return
    const exited = new Promise((resolve) => this.#child.once('exit', resolve))
    this.#child.send({ op: 'exit' })
    await exited
  }
}

async function sqliteDatabase(): Promise<Database> {
  const file = join(tmpdir(), `stripe-connect-instances-${randomUUID()}.db`)
  // Imported through a variable: type-checking does not need the driver's types.
  const betterSqlite3: string = 'better-sqlite3'
  const Sqlite = (await import(betterSqlite3)).default as new (
    path: string,
  ) => { exec(sql: string): void; close(): void }
  const sqlite = new Sqlite(file)
  for (const stmt of [...exampleAppsTableDdl('sqlite'), ...claimsTableDdl('sqlite')])
    sqlite.exec(stmt)
  return {
    dialect: 'sqlite',
    url: file,
    appsTable: 'SUPPORT_apps',
    claimsTable: 'stripe_connect_claims',
    async exec(sql) {
      sqlite.exec(sql)
    },
    async close() {
      sqlite.close()
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true })
    },
  }
}

const MYSQL_URL = process.env.MYSQL_URL

async function mariadbDatabase(): Promise<Database> {
  const pool = mysql.createPool({ uri: MYSQL_URL!, connectionLimit: 2 })
  const suffix = `_inst_${process.pid}_${Math.floor(Math.random() * 1e6)}`
  const appsTable = `SUPPORT_apps${suffix}`
  const claimsTable = `sc_claims${suffix}`
  for (const stmt of [
    ...exampleAppsTableDdl('mysql', appsTable),
    ...claimsTableDdl('mysql', claimsTable),
  ])
    await pool.query(stmt)
  return {
    dialect: 'mysql',
    url: MYSQL_URL!,
    appsTable,
    claimsTable,
    async exec(sql) {
      await pool.query(sql)
    },
    async close() {
      for (const t of [appsTable, claimsTable]) await pool.query(`DROP TABLE IF EXISTS \`${t}\``)
      await pool.end()
    },
  }
}

/** The two instances, and the database and fake Stripe they share, for one suite. */
function twoInstances(make: () => Promise<Database>) {
  const env = {} as { db: Database; fake: FakeStripe; a: Instance; b: Instance }
  before(
    async () => {
      env.fake = await startFakeStripe({ secretKey: KEY, clientId: CLIENT_ID })
      env.db = await make()
      env.a = new Instance(env.db, env.fake.url)
      env.b = new Instance(env.db, env.fake.url)
      await Promise.all([env.a.ready, env.b.ready])
    },
    { timeout: 60_000 },
  )
  after(async () => {
    await Promise.all([env.a?.stop(), env.b?.stop()])
    await env.db?.close()
    await env.fake?.close()
  })
  return env
}

/** In 1.5 s from now (ms): both instances are idle and start their burst together. */
const soon = () => Date.now() + 1500

/** 400 acquires of 40 keys from two processes at once: one 'acquired' per key, no error. */
async function acquireBurst(env: { a: Instance; b: Instance }, prefix: string) {
  const keys = Array.from({ length: 40 }, (_, i) => `webhook:evt_${prefix}_${i}`)
  const startAt = soon()
  const [fromA, fromB] = await Promise.all(
    [env.a, env.b].map((instance) =>
      instance.call<{
        acquired: Record<string, number>
        answered: number
        failures: Array<{ code: string | null; message: string }>
      }>('acquireMany', { keys, perKey: 5, leaseSeconds: 60, startAt }),
    ),
  )
  assert.deepEqual([...fromA!.failures, ...fromB!.failures], [], 'no acquire failed')
  assert.equal(fromA!.answered + fromB!.answered, 400)
  for (const key of keys)
    assert.equal((fromA!.acquired[key] ?? 0) + (fromB!.acquired[key] ?? 0), 1, key)
}

/**
 * Item 5: B has the app's customers cached; A handles the deauthorization; B's next tool call is
 * app_not_connected and its customer context leaves the app out, with nothing sent to Stripe.
 */
async function deauthorizationSeenByTheOtherInstance(env: {
  db: Database
  fake: FakeStripe
  a: Instance
  b: Instance
}) {
  const acct = env.fake.createAccount()
  const jane = env.fake.addCustomer(acct, { email: EMAIL })
  env.fake.addCharge(acct, { customer: jane, amount: 2500, description: 'Pro' })
  const q = env.db.dialect === 'mysql' ? '`' : '"'
  const t = env.db.dialect === 'mysql' ? 'true' : '1'
  await env.db.exec(
    `INSERT INTO ${q}${env.db.appsTable}${q} (slug, name, stripe_account_id, stripe_connected) VALUES ('helpdesk', 'Helpdesk', '${acct}', ${t})`,
  )
  const ask = () =>
    env.b.call('callTool', {
      name: 'get_payment_history',
      args: { appSlug: 'helpdesk', email: EMAIL },
      appSlugs: ['helpdesk'],
    })

  const answered = await ask()
  assert.equal(answered.success, true, JSON.stringify(answered))
  assert.equal(answered.data.payments.count, 1)
  const cached = await ask()
  assert.equal(cached.success, true)
  const sent = env.fake.findRequests({ account: acct }).length
  assert.equal(
    env.fake.findRequests({ path: /^\/v1\/customers$/, account: acct }).length,
    1,
    "B resolved the email once: the second answer came from B's cache",
  )

  const outcome = await env.a.call('webhook', {
    event: applicationDeauthorizedEvent(acct, CLIENT_ID),
  })
  assert.deepEqual(
    { outcome: outcome.outcome, accountId: outcome.accountId, appSlug: outcome.appSlug },
    { outcome: 'disconnected', accountId: acct, appSlug: 'helpdesk' },
  )

  const refused = await ask()
  assert.equal(refused.success, false)
  assert.equal(refused.error.code, 'app_not_connected')
  const context = await env.b.call('customerContext', { email: EMAIL })
  assert.deepEqual(context.apps, [], 'the app is no longer in the customer context')
  assert.equal(env.fake.findRequests({ account: acct }).length, sent, 'nothing sent to Stripe')
}

describe('two processes on one SQLite file', { skip: NODE_ONLY }, () => {
  const env = twoInstances(sqliteDatabase)

  test('400 concurrent acquires: exactly one acquired per key, none fails (SQLITE_BUSY is waited out)', async () => {
    await acquireBurst(env, 'sqlite_burst')
  })

  test('30 concurrent deliveries of 15 events: no store_failed, one alert per event', async () => {
    const acct = env.fake.createAccount()
    const events = Array.from({ length: 15 }, () => disputeCreatedEvent(acct))
    const startAt = soon()
    const [fromA, fromB] = await Promise.all(
      [env.a, env.b].map((instance) =>
        instance.call<{
          results: Array<{ eventId: string; outcome: string; error?: { message: string } }>
          alerts: string[]
        }>('deliverMany', { events, startAt }),
      ),
    )
    const results = [...fromA!.results, ...fromB!.results]
    assert.equal(results.length, 30)
    assert.deepEqual(
      results.filter(
        (r) => !['dispute_recorded', 'duplicate', 'webhook_in_progress'].includes(r.outcome),
      ),
      [],
      'no delivery failed',
    )
    for (const event of events) {
      const recorded = results.filter(
        (r) => r.eventId === event.id && r.outcome === 'dispute_recorded',
      )
      assert.equal(recorded.length, 1, event.id)
    }
    assert.deepEqual(
      [...fromA!.alerts, ...fromB!.alerts].sort(),
      events.map((e) => e.id).sort(),
      'one alert per event, across both instances',
    )
  })

  test('item 5: after A handles a deauthorization, B answers app_not_connected at once and sends nothing', async () => {
    await deauthorizationSeenByTheOtherInstance(env)
  })
})

describe('two processes on MariaDB, a pool each (MYSQL_URL)', {
  skip: NODE_ONLY
    ? NODE_ONLY
    : MYSQL_URL
      ? false
      : 'MYSQL_URL is not set: MariaDB multi-process tests skipped (run `export MYSQL_URL="$(.ci/mariadb.sh start)"` first)',
}, () => {
  const env = twoInstances(mariadbDatabase)

  test('400 concurrent acquires: exactly one acquired per key, none fails', async () => {
    await acquireBurst(env, 'mariadb_burst')
  })

  test('item 5: after A handles a deauthorization, B answers app_not_connected at once and sends nothing', async () => {
    await deauthorizationSeenByTheOtherInstance(env)
  })
})
