// Drizzle stores (`@support/stripe-connect/drizzle`) against real databases:
// - PGlite (embedded Postgres): always;
// - MariaDB on 127.0.0.1 when MYSQL_URL is set (`export MYSQL_URL="$(.ci/mariadb.sh start)"`);
// - SQLite through libsql when `@libsql/client` is installed.
// The same suite runs on each: connections over an apps table, atomic claims and leases (50
// concurrent calls across two store instances on separate connections), expiry, done marks,
// release, fencing (only the holding token completes or releases), upgrading a claims table made
// before leases or by 0.1, and a database that is down.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, beforeEach, describe, test as nodeTest, test } from 'node:test'

import { PGlite } from '@electric-sql/pglite'
import { eq, type Table } from 'drizzle-orm'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import {
  boolean as pgBoolean,
  pgTable,
  serial as pgSerial,
  text as pgText,
  varchar as pgVarchar,
} from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { integer as sqliteInteger, sqliteTable, text as sqliteText } from 'drizzle-orm/sqlite-core'
import mysql from 'mysql2/promise'

import {
  affectedRows,
  claimsTableDdl,
  claimsTableUpgradeDdl,
  claimsTableMysql,
  claimsTablePg,
  claimsTableSqlite,
  drizzleClaimStore,
  drizzleConnectionStore,
  exampleAppsTableDdl,
  exampleAppsTablePg,
  isUniqueViolation,
  mysqlClaimsTable,
  mysqlExampleAppsTable,
  pgClaimsTable,
  sqliteClaimsTable,
  type Dialect,
  type DrizzleDatabase,
} from '../bindings/src/drizzle.js'
import { isBusy, retryingConflicts } from '../bindings/src/drizzle/driver.js'

/** A stand-in database for checks made before any query. */
const env0 = () => ({ select() {}, insert() {}, update() {}, delete() {} })

/** One database, reached through two independent connections (two "server instances"). */
interface Env {
  dialect: Dialect
  db: DrizzleDatabase
  db2: DrizzleDatabase
  apps: Table & { slug: any; stripeAccountId: any; stripeConnected: any; name: any }
  claims: Table
  /** Run one SQL statement as it is. */
  exec(sql: string): Promise<void>
  reset(): Promise<void>
  /** A database handle whose server is gone, and what its error looks like. */
  down(): Promise<{ db: DrizzleDatabase; matches: RegExp }>
  close(): Promise<void>
}

/** An environment, or why it is unavailable (the suite is then skipped with that message). */
type EnvFactory = () => Promise<Env | string>

// ---------------------------------------------------------------------------------------------
// The shared suite

function storeSuite(name: string, factory: EnvFactory | string): void {
  // A suite without its database still registers its tests, each skipped with the reason, so
  // the runner's `# skipped` count is the true number of tests not run.
  describe(name, () => {
    let env: Env
    let unavailable: string | null = typeof factory === 'string' ? factory : null
    let now = 1_700_000_000
    const clock = () => now
    /** `test`, skipped with the reason when the database is not available. */
    const test = (title: string, fn: () => Promise<void> | void) =>
      typeof factory === 'string'
        ? nodeTest(title, { skip: factory }, fn)
        : nodeTest(title, async (t) => {
            if (unavailable !== null) return t.skip(unavailable)
            await fn()
          })

    before(async () => {
      if (typeof factory === 'string') return
      const made = await factory()
      if (typeof made === 'string') unavailable = made
      else env = made
    })
    after(async () => {
      await env?.close()
    })
    beforeEach(async () => {
      if (unavailable !== null || env === undefined) return
      now = 1_700_000_000
      await env.reset()
      await env.db.insert(env.apps).values([
        { slug: 'helper', name: 'Helper' },
        { slug: 'billing-bot', name: 'Billing bot' },
        { slug: 'zeta.app', name: 'Zeta' },
      ])
    })

    const row = async (slug: string) => {
      const rows = await env.db.select().from(env.apps).where(eq(env.apps.slug, slug))
      assert.equal(rows.length, 1)
      const r = rows[0] as Record<string, unknown>
      return {
        slug: r.slug,
        stripeAccountId: r.stripeAccountId,
        stripeConnected: r.stripeConnected,
      }
    }
    const connection = (appSlug: string, accountId: string) => ({
      appSlug,
      accountId,
      livemode: false,
      scope: 'read_write' as const,
    })

    describe('connections', () => {
      test('save updates the row matched by slug (account id, connected = true) and nothing else', async () => {
        const store = drizzleConnectionStore(env.db, env.apps)
        await store.save(connection('helper', 'acct_1Helper'))
        assert.deepEqual(await row('helper'), {
          slug: 'helper',
          stripeAccountId: 'acct_1Helper',
          stripeConnected: true,
        })
        assert.deepEqual(await row('billing-bot'), {
          slug: 'billing-bot',
          stripeAccountId: null,
          stripeConnected: false,
        })
        assert.deepEqual(await row('zeta.app'), {
          slug: 'zeta.app',
          stripeAccountId: null,
          stripeConnected: false,
        })
      })

      test('saving the same connection again is fine (drivers that count changed rows report 0)', async () => {
        const store = drizzleConnectionStore(env.db, env.apps)
        await store.save(connection('helper', 'acct_1Helper'))
        await store.save(connection('helper', 'acct_1Helper'))
        await store.save(connection('helper', 'acct_2Other'))
        assert.deepEqual(await row('helper'), {
          slug: 'helper',
          stripeAccountId: 'acct_2Other',
          stripeConnected: true,
        })
      })

      test('save for a slug with no row throws a clear error and inserts nothing', async () => {
        const store = drizzleConnectionStore(env.db, env.apps)
        await assert.rejects(store.save(connection('nope', 'acct_1')), (e: Error) => {
          assert.match(
            e.message,
            /^no row in \w+ has slug = "nope": the connections store updates the app's existing row and never inserts one/,
          )
          return true
        })
        assert.equal((await env.db.select().from(env.apps)).length, 3)
      })

      test('getBySlug, getByAccount and list see connected rows only; hasApp any row', async () => {
        const store = drizzleConnectionStore(env.db, env.apps)
        assert.equal(await store.hasApp('helper'), true, 'a row, not connected yet')
        assert.equal(await store.hasApp('nope'), false)
        assert.equal(await store.getBySlug('helper'), null)
        assert.equal(await store.getBySlug('unknown'), null)
        assert.deepEqual(await store.list(), [])
        await store.save(connection('zeta.app', 'acct_Z'))
        await store.save(connection('helper', 'acct_H'))
        assert.deepEqual(await store.getBySlug('helper'), {
          appSlug: 'helper',
          accountId: 'acct_H',
          livemode: false,
          scope: 'read_write',
        })
        assert.deepEqual(await store.getByAccount('acct_Z'), {
          appSlug: 'zeta.app',
          accountId: 'acct_Z',
          livemode: false,
          scope: 'read_write',
        })
        assert.equal(await store.getByAccount('acct_unknown'), null)
        assert.deepEqual(
          (await store.list()).map((c) => [c.appSlug, c.accountId]),
          [
            ['helper', 'acct_H'],
            ['zeta.app', 'acct_Z'],
          ],
        )
        // A row with an account id but connected = false (e.g. flipped by hand) is not connected.
        await env.db
          .update(env.apps)
          .set({ stripeConnected: false })
          .where(eq(env.apps.slug, 'helper'))
        assert.equal(await store.getBySlug('helper'), null)
        assert.equal(await store.getByAccount('acct_H'), null)
        assert.deepEqual(
          (await store.list()).map((c) => c.appSlug),
          ['zeta.app'],
        )
      })

      test('clearByAccount clears the row and returns its slug; unknown accounts give null', async () => {
        const store = drizzleConnectionStore(env.db, env.apps)
        await store.save(connection('helper', 'acct_H'))
        await store.save(connection('billing-bot', 'acct_B'))
        assert.equal(await store.clearByAccount('acct_H'), 'helper')
        assert.deepEqual(await row('helper'), {
          slug: 'helper',
          stripeAccountId: null,
          stripeConnected: false,
        })
        assert.deepEqual(await row('billing-bot'), {
          slug: 'billing-bot',
          stripeAccountId: 'acct_B',
          stripeConnected: true,
        })
        assert.equal(
          await store.clearByAccount('acct_H'),
          null,
          'a second deauthorization finds nothing',
        )
        assert.equal(await store.clearByAccount('acct_unknown'), null)
        assert.equal(await store.getBySlug('helper'), null)
      })

      test('one account on two apps: clearByAccount clears both and returns the first slug', async () => {
        const store = drizzleConnectionStore(env.db, env.apps)
        await store.save(connection('zeta.app', 'acct_S'))
        await store.save(connection('billing-bot', 'acct_S'))
        assert.equal((await store.getByAccount('acct_S'))?.appSlug, 'billing-bot')
        assert.equal(await store.clearByAccount('acct_S'), 'billing-bot')
        assert.deepEqual(await store.list(), [])
      })

      test("defaults.scope 'stripe_app' for a deployment that connects by installs; others are refused", async () => {
        const store = drizzleConnectionStore(env.db, env.apps, {
          defaults: { livemode: false, scope: 'stripe_app' },
        })
        await store.save(connection('helper', 'acct_I'))
        assert.equal((await store.getBySlug('helper'))?.scope, 'stripe_app')
        assert.throws(
          () =>
            drizzleConnectionStore(env.db, env.apps, {
              // @ts-expect-error: not a scope
              defaults: { scope: 'read' },
            }),
          /defaults.scope must be 'read_write', 'read_only' or 'stripe_app'/,
        )
      })

      test('defaults for livemode and scope (the apps table has no columns for them)', async () => {
        const store = drizzleConnectionStore(env.db, env.apps, {
          defaults: { livemode: true, scope: 'read_only' },
        })
        await store.save({
          appSlug: 'helper',
          accountId: 'acct_H',
          livemode: false,
          scope: 'read_write',
        })
        assert.deepEqual(await store.getBySlug('helper'), {
          appSlug: 'helper',
          accountId: 'acct_H',
          livemode: true,
          scope: 'read_only',
        })
      })

      test('columns are found by property name or database name; unknown ones are a clear TypeError', () => {
        drizzleConnectionStore(env.db, env.apps, {
          columns: { slug: 'slug', accountId: 'stripeAccountId', connected: 'stripeConnected' },
        })
        drizzleConnectionStore(env.db, env.apps, {
          columns: { accountId: 'stripe_account_id', connected: 'stripe_connected' },
        })
        assert.throws(
          () => drizzleConnectionStore(env.db, env.apps, { columns: { accountId: 'acct' } }),
          (e: Error) =>
            e instanceof TypeError &&
            /has no column "acct"; pass columns.accountId .* Columns: id, slug, name, stripeAccountId \(stripe_account_id\)/.test(
              e.message,
            ),
        )
        assert.throws(() => drizzleConnectionStore(env.db, env.claims), /has no column "slug"/)
        assert.throws(
          () => drizzleConnectionStore({} as DrizzleDatabase, env.apps),
          /must be a Drizzle database/,
        )
        assert.throws(() => drizzleConnectionStore(env.db, {} as Table), /must be a Drizzle table/)
      })

      test('store methods reject with the driver error when the database is down', async () => {
        const { db, matches } = await env.down()
        const store = drizzleConnectionStore(db, env.apps)
        for (const call of [
          () => store.save(connection('helper', 'acct_1')),
          () => store.clearByAccount('acct_1'),
          () => store.getBySlug('helper'),
          () => store.getByAccount('acct_1'),
          () => store.list(),
        ]) {
          await assert.rejects(call(), (e: unknown) => chainMatches(e, matches))
        }
      })
    })

    describe('claims', () => {
      /** Lease tokens as the client makes them: 32 hex digits, one per acquisition. */
      const T1 = '1'.repeat(32)
      const T2 = '2'.repeat(32)
      const T3 = '3'.repeat(32)

      test('claim is single-use until expiry; a lease given back by its token is free again', async () => {
        const store = drizzleClaimStore(env.db, env.claims, { now: clock })
        assert.equal(await store.claim('webhook:evt_1', 60), true)
        assert.equal(await store.claim('webhook:evt_1', 60), false)
        assert.equal(await store.claim('webhook:evt_2', 60), true, 'other keys are independent')
        now += 59
        assert.equal(await store.claim('webhook:evt_1', 60), false, 'not yet expired')
        now += 1
        assert.equal(
          await store.acquire('webhook:evt_1', T1, 60),
          'acquired',
          'expired (expires_at <= now): taken over',
        )
        assert.equal(await store.claim('webhook:evt_1', 60), false, 'the takeover set a new expiry')
        assert.equal(await store.release('webhook:evt_1', T1), true)
        assert.equal(await store.claim('webhook:evt_1', 60), true, 'released: claimable again')
        assert.equal(await store.release('never-claimed', T1), false)
      })

      test('keys are case-sensitive (Stripe ids are): evt_1Ab and evt_1aB are two claims', async () => {
        const store = drizzleClaimStore(env.db, env.claims, { now: clock })
        assert.equal(await store.claim('webhook:evt_1Ab', 60), true)
        assert.equal(await store.claim('webhook:evt_1aB', 60), true)
        assert.equal(await store.claim('webhook:evt_1AB', 60), true)
        assert.equal(await store.claim('webhook:evt_1Ab', 60), false)
      })

      test('50 concurrent claims of one key across two store instances: exactly one true', async () => {
        const a = drizzleClaimStore(env.db, env.claims, { now: clock })
        const b = drizzleClaimStore(env.db2, env.claims, { now: clock })
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).claim('webhook:evt_race', 345_600)),
        )
        assert.equal(results.filter(Boolean).length, 1)
      })

      test('50 concurrent takeovers of one expired claim across two instances: exactly one true', async () => {
        const a = drizzleClaimStore(env.db, env.claims, { now: clock })
        const b = drizzleClaimStore(env.db2, env.claims, { now: clock })
        assert.equal(await a.claim('state:nonce', 600), true)
        now += 601
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).claim('state:nonce', 600)),
        )
        assert.equal(results.filter(Boolean).length, 1)
      })

      test('concurrent claims of many keys: one winner each', async () => {
        const a = drizzleClaimStore(env.db, env.claims, { now: clock })
        const b = drizzleClaimStore(env.db2, env.claims, { now: clock })
        const keys = Array.from({ length: 10 }, (_, i) => `webhook:evt_many_${i}`)
        const results = await Promise.all(
          keys.flatMap((k) => [a.claim(k, 60), b.claim(k, 60), a.claim(k, 60), b.claim(k, 60)]),
        )
        assert.equal(results.filter(Boolean).length, keys.length)
      })

      test('a fractional ttl rounds up (at least one second); bad ttls and keys are TypeErrors', async () => {
        const store = drizzleClaimStore(env.db, env.claims, { now: clock })
        assert.equal(await store.claim('k', 0.2), true)
        assert.equal(await store.claim('k', 60), false)
        now += 1
        assert.equal(await store.claim('k', 60), true)
        for (const ttl of [0, -1, Number.NaN, Infinity])
          await assert.rejects(store.claim('k2', ttl), TypeError)
        await assert.rejects(store.claim('', 60), TypeError)
        await assert.rejects(store.claim('x'.repeat(256), 60), /at most 255/)
        assert.equal(await store.claim('x'.repeat(255), 60), true)
      })

      test('purgeExpired deletes expired rows only', async () => {
        const store = drizzleClaimStore(env.db, env.claims, { now: clock })
        await store.claim('short', 10)
        await store.claim('long', 1000)
        now += 10
        assert.equal(await store.purgeExpired(), 1)
        assert.equal(await store.claim('long', 10), false)
        assert.equal(await store.claim('short', 10), true)
      })

      test('claim and release reject with the driver error when the database is down', async () => {
        const { db, matches } = await env.down()
        const store = drizzleClaimStore(db, env.claims, { now: clock })
        await assert.rejects(store.claim('webhook:evt_down', 60), (e: unknown) =>
          chainMatches(e, matches),
        )
        await assert.rejects(store.release('webhook:evt_down', T1), (e: unknown) =>
          chainMatches(e, matches),
        )
      })

      test('the claims table must have key and expires_at columns', () => {
        assert.throws(
          () => drizzleClaimStore(env.db, env.apps),
          /has no column "key"; pass columns.key/,
        )
      })

      test('acquire: a lease is in_progress until it runs out, complete makes it done until its ttl', async () => {
        const store = drizzleClaimStore(env.db, env.claims, { now: clock })
        const other = drizzleClaimStore(env.db2, env.claims, { now: clock })
        assert.equal(await store.acquire('webhook:evt_lease', T1, 23), 'acquired')
        assert.equal(await other.acquire('webhook:evt_lease', T2, 23), 'in_progress')
        now += 22
        assert.equal(await other.acquire('webhook:evt_lease', T2, 23), 'in_progress', '1 s left')
        now += 1
        assert.equal(
          await other.acquire('webhook:evt_lease', T2, 23),
          'acquired',
          'ran out: taken over',
        )
        assert.equal(await store.acquire('webhook:evt_lease', T3, 23), 'in_progress')
        assert.equal(await other.complete('webhook:evt_lease', T2, 345_600), true)
        assert.equal(await store.acquire('webhook:evt_lease', T3, 23), 'done')
        assert.equal(await store.claim('webhook:evt_lease', 23), false)
        assert.equal(await other.release('webhook:evt_lease', T2), false, 'release keeps done')
        assert.equal(await store.acquire('webhook:evt_lease', T3, 23), 'done')
        now += 345_599
        assert.equal(await store.acquire('webhook:evt_lease', T3, 23), 'done')
        now += 1
        assert.equal(
          await store.acquire('webhook:evt_lease', T3, 23),
          'acquired',
          'the done mark expired',
        )
        assert.equal(await store.release('webhook:evt_lease', T3), true)
        assert.equal(await other.acquire('webhook:evt_lease', T1, 23), 'acquired', 'released: free')
      })

      // Issue 22 item 1 at the store, on each database: the late holder's statements carry its
      // token, which the takeover replaced, so they match no row.
      test('only the holding token completes or releases: a late holder changes nothing', async () => {
        const late = drizzleClaimStore(env.db, env.claims, { now: clock })
        const holder = drizzleClaimStore(env.db2, env.claims, { now: clock })
        assert.equal(await late.acquire('webhook:evt_fenced', T1, 23), 'acquired')
        now += 23
        assert.equal(await holder.acquire('webhook:evt_fenced', T2, 23), 'acquired', 'taken over')
        assert.equal(await late.release('webhook:evt_fenced', T1), false)
        assert.equal(await late.acquire('webhook:evt_fenced', T3, 23), 'in_progress', 'still held')
        assert.equal(await late.complete('webhook:evt_fenced', T1, 345_600), false)
        assert.equal(await late.acquire('webhook:evt_fenced', T3, 23), 'in_progress', 'not done')
        const rows = await env.db.select().from(env.claims)
        assert.deepEqual(
          rows.map((r: any) => [r.key, Number(r.expiresAt), Boolean(r.done), r.token]),
          [['webhook:evt_fenced', now + 23, false, T2]],
        )
        assert.equal(await holder.complete('webhook:evt_fenced', T2, 345_600), true)
        assert.equal(await late.acquire('webhook:evt_fenced', T3, 23), 'done')
      })

      test('complete writes the done mark when the key is gone, never over another holder', async () => {
        const store = drizzleClaimStore(env.db, env.claims, { now: clock })
        assert.equal(await store.complete('webhook:evt_never_leased', T1, 60), true)
        assert.equal(await store.acquire('webhook:evt_never_leased', T2, 23), 'done')
        assert.equal(await store.acquire('webhook:evt_lost_lease', T1, 23), 'acquired')
        now += 23
        assert.equal(await store.purgeExpired(), 1)
        assert.equal(await store.complete('webhook:evt_lost_lease', T1, 60), true, 'purged: gone')
        assert.equal(await store.complete('webhook:evt_lost_lease', T1, 60), true, 'twice: fine')
        assert.equal(await store.acquire('webhook:evt_lost_lease', T2, 23), 'done')
        assert.equal(await store.acquire('webhook:evt_other', T2, 23), 'acquired')
        assert.equal(await store.complete('webhook:evt_other', T1, 60), false)
        assert.equal(await store.acquire('webhook:evt_other', T3, 23), 'in_progress')
      })

      test('50 concurrent acquires of one key across two instances: one acquired, the rest in_progress', async () => {
        const a = drizzleClaimStore(env.db, env.claims, { now: clock })
        const b = drizzleClaimStore(env.db2, env.claims, { now: clock })
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            (i % 2 ? a : b).acquire('webhook:evt_burst', String(i).padStart(32, '0'), 23),
          ),
        )
        assert.equal(results.filter((r) => r === 'acquired').length, 1)
        assert.equal(results.filter((r) => r === 'in_progress').length, 49)
      })

      test('50 concurrent takeovers of one expired lease across two instances: one acquired, its token in the row', async () => {
        const a = drizzleClaimStore(env.db, env.claims, { now: clock })
        const b = drizzleClaimStore(env.db2, env.claims, { now: clock })
        assert.equal(await a.acquire('webhook:evt_dead', T1, 23), 'acquired')
        now += 23
        const tokens = Array.from({ length: 50 }, (_, i) => String(i).padStart(32, 'f'))
        const results = await Promise.all(
          tokens.map((token, i) => (i % 2 ? a : b).acquire('webhook:evt_dead', token, 23)),
        )
        assert.equal(results.filter((r) => r === 'acquired').length, 1)
        assert.equal(results.filter((r) => r === 'in_progress').length, 49)
        const winner = tokens[results.indexOf('acquired')]!
        assert.equal(await a.release('webhook:evt_dead', T1), false, 'the dead holder')
        assert.equal(await b.release('webhook:evt_dead', winner), true, 'the winner')
      })

      test('bad lease, ttl and token values are TypeErrors', async () => {
        const store = drizzleClaimStore(env.db, env.claims, { now: clock })
        for (const bad of [0, -1, Number.NaN, Infinity, '23' as never]) {
          await assert.rejects(
            store.acquire('k', T1, bad),
            /acquire: leaseSeconds must be a positive/,
          )
          await assert.rejects(
            store.complete('k', T1, bad),
            /complete: ttlSeconds must be a positive/,
          )
        }
        await assert.rejects(store.complete('', T1, 60), TypeError)
        await assert.rejects(store.acquire('x'.repeat(256), T1, 60), /at most 255/)
        for (const bad of ['', 'x'.repeat(65), 23 as never, undefined as never]) {
          await assert.rejects(
            store.acquire('k', bad, 60),
            /acquire: token must be the lease token/,
          )
          await assert.rejects(store.complete('k', bad, 60), /complete: token must be/)
          await assert.rejects(store.release('k', bad), /release: token must be/)
        }
        // An old caller's (key, leaseSeconds) is refused, never read as a token.
        await assert.rejects(
          (store.acquire as unknown as (k: string, l: number) => Promise<unknown>)('k', 23),
          /acquire: token must be the lease token .*got number/,
        )
      })

      test('a claims table made before leases: claimsTableUpgradeDdl adds done and token, its rows read as done', async () => {
        const name = `claims_before_leases${process.pid}`
        const q = env.dialect === 'mysql' ? '`' : '"'
        await env.exec(`DROP TABLE IF EXISTS ${q}${name}${q}`)
        await env.exec(
          `CREATE TABLE ${q}${name}${q} (${q}key${q} varchar(255) NOT NULL PRIMARY KEY, ${q}expires_at${q} bigint NOT NULL)`,
        )
        try {
          await env.exec(
            `INSERT INTO ${q}${name}${q} (${q}key${q}, ${q}expires_at${q}) VALUES ('webhook:evt_old', ${now + 3600})`,
          )
          for (const statement of claimsTableUpgradeDdl(env.dialect, name))
            await env.exec(statement)
          const store = drizzleClaimStore(env.db, claimsTableNamed(env.dialect, name), {
            now: clock,
          })
          assert.equal(await store.acquire('webhook:evt_old', T1, 23), 'done', 'processed before')
          assert.equal(await store.acquire('webhook:evt_new', T1, 23), 'acquired')
          assert.equal(await store.acquire('webhook:evt_new', T2, 23), 'in_progress')
          assert.equal(await store.release('webhook:evt_new', T2), false)
          assert.equal(await store.release('webhook:evt_new', T1), true)
        } finally {
          await env.exec(`DROP TABLE IF EXISTS ${q}${name}${q}`)
        }
      })

      test("a claims table made by 0.1 (with done, no token): claimsTableUpgradeDdl({ from: 'leases' }) adds token", async () => {
        const name = `claims_leases_01_${process.pid}`
        const q = env.dialect === 'mysql' ? '`' : '"'
        const done =
          env.dialect === 'sqlite'
            ? `${q}done${q} integer NOT NULL DEFAULT 0`
            : `${q}done${q} boolean NOT NULL DEFAULT false`
        await env.exec(`DROP TABLE IF EXISTS ${q}${name}${q}`)
        await env.exec(
          `CREATE TABLE ${q}${name}${q} (${q}key${q} varchar(255) NOT NULL PRIMARY KEY, ${q}expires_at${q} bigint NOT NULL, ${done})`,
        )
        try {
          const t = env.dialect === 'sqlite' ? 1 : 'true'
          const f = env.dialect === 'sqlite' ? 0 : 'false'
          await env.exec(
            `INSERT INTO ${q}${name}${q} (${q}key${q}, ${q}expires_at${q}, ${q}done${q}) VALUES ('webhook:evt_done', ${now + 3600}, ${t}), ('webhook:evt_leased', ${now + 23}, ${f})`,
          )
          for (const statement of claimsTableUpgradeDdl(env.dialect, name, { from: 'leases' }))
            await env.exec(statement)
          const store = drizzleClaimStore(env.db, claimsTableNamed(env.dialect, name), {
            now: clock,
          })
          assert.equal(await store.acquire('webhook:evt_done', T1, 23), 'done')
          // A lease the old version took (no token) is not anyone's to give back; it runs out.
          assert.equal(await store.acquire('webhook:evt_leased', T1, 23), 'in_progress')
          assert.equal(await store.release('webhook:evt_leased', T1), false)
          now += 23
          assert.equal(await store.acquire('webhook:evt_leased', T1, 23), 'acquired')
          assert.equal(await store.complete('webhook:evt_leased', T1, 60), true)
          assert.equal(await store.acquire('webhook:evt_leased', T2, 23), 'done')
        } finally {
          await env.exec(`DROP TABLE IF EXISTS ${q}${name}${q}`)
        }
      })
    })
  })
}

function claimsTableNamed(dialect: Dialect, name: string) {
  return dialect === 'mysql'
    ? mysqlClaimsTable(name)
    : dialect === 'postgres'
      ? pgClaimsTable(name)
      : sqliteClaimsTable(name)
}

/** The error or one of its causes (Drizzle wraps driver errors) matches. */
function chainMatches(error: unknown, re: RegExp): boolean {
  let e: unknown = error
  const seen: string[] = []
  for (let i = 0; i < 6 && e; i++) {
    const text = `${(e as { code?: string }).code ?? ''} ${(e as Error).message ?? String(e)}`
    seen.push(text)
    if (re.test(text)) return true
    e = (e as { cause?: unknown }).cause
  }
  assert.fail(`expected an error matching ${re}, got: ${seen.join(' <- ')}`)
}

// ---------------------------------------------------------------------------------------------
// PGlite (always)

storeSuite('PGlite (embedded Postgres)', async () => {
  const pg = new PGlite()
  for (const stmt of [...exampleAppsTableDdl('postgres'), ...claimsTableDdl('postgres')])
    await pg.exec(stmt)
  // PGlite is one connection: two Drizzle instances over it stand in for two servers.
  const db = drizzlePglite({ client: pg })
  const db2 = drizzlePglite({ client: pg })
  let dead: PGlite | undefined
  return {
    dialect: 'postgres',
    db,
    db2,
    apps: exampleAppsTablePg,
    claims: claimsTablePg,
    async exec(sql) {
      await pg.exec(sql)
    },
    async reset() {
      await pg.exec('DELETE FROM "SUPPORT_apps"; DELETE FROM "stripe_connect_claims";')
    },
    async down() {
      if (dead === undefined) {
        dead = new PGlite()
        await dead.waitReady
        await dead.close()
      }
      return { db: drizzlePglite({ client: dead }), matches: /closed/i }
    },
    async close() {
      await pg.close()
    },
  }
})

// A table whose Connect columns have other names, plus livemode/scope columns (Postgres only: the
// column mapping is dialect-neutral).
describe('PGlite: custom columns, livemode and scope columns, no connected column', () => {
  const apps = pgTable('tenants', {
    id: pgSerial('id').primaryKey(),
    handle: pgText('handle').notNull().unique(),
    stripeAcct: pgVarchar('stripe_acct', { length: 255 }),
    stripeLive: pgBoolean('stripe_live'),
    stripeScope: pgText('stripe_scope'),
  })
  let pg: PGlite
  let db: DrizzleDatabase
  before(async () => {
    pg = new PGlite()
    await pg.exec(
      'CREATE TABLE tenants (id serial PRIMARY KEY, handle text NOT NULL UNIQUE, stripe_acct varchar(255), stripe_live boolean, stripe_scope text)',
    )
    await pg.exec("INSERT INTO tenants (handle) VALUES ('a'), ('b')")
    db = drizzlePglite({ client: pg })
  })
  after(async () => {
    await pg.close()
  })

  test('save, read back and clear through the mapped columns', async () => {
    const store = drizzleConnectionStore(db, apps, {
      columns: {
        slug: 'handle',
        accountId: 'stripe_acct',
        connected: null,
        livemode: 'stripeLive',
        scope: 'stripe_scope',
      },
    })
    await store.save({ appSlug: 'b', accountId: 'acct_B', livemode: true, scope: 'read_only' })
    assert.deepEqual(
      (
        await pg.query(
          'SELECT handle, stripe_acct, stripe_live, stripe_scope FROM tenants ORDER BY handle',
        )
      ).rows,
      [
        { handle: 'a', stripe_acct: null, stripe_live: null, stripe_scope: null },
        { handle: 'b', stripe_acct: 'acct_B', stripe_live: true, stripe_scope: 'read_only' },
      ],
    )
    assert.deepEqual(await store.getBySlug('b'), {
      appSlug: 'b',
      accountId: 'acct_B',
      livemode: true,
      scope: 'read_only',
    })
    assert.deepEqual(await store.list(), [
      { appSlug: 'b', accountId: 'acct_B', livemode: true, scope: 'read_only' },
    ])
    // A Stripe App install's connection keeps its scope through a scope column.
    await store.save({ appSlug: 'a', accountId: 'acct_A', livemode: false, scope: 'stripe_app' })
    assert.equal((await store.getBySlug('a'))?.scope, 'stripe_app')
    await store.clearByAccount('acct_A')
    assert.equal(
      await store.getBySlug('a'),
      null,
      'without a connected column, a null account id means not connected',
    )
    assert.equal(await store.clearByAccount('acct_B'), 'b')
    assert.equal(await store.getBySlug('b'), null)
  })

  test('without connected: null, a table lacking stripe_connected is refused with a hint', () => {
    assert.throws(
      () =>
        drizzleConnectionStore(db, apps, { columns: { slug: 'handle', accountId: 'stripe_acct' } }),
      /has no column "stripe_connected"; pass columns.connected \(its name\), or columns.connected: null/,
    )
  })
})

// ---------------------------------------------------------------------------------------------
// MariaDB / MySQL (when MYSQL_URL is set)

const MYSQL_URL = process.env.MYSQL_URL
const suffix = `_${process.pid}`
const myApps = mysqlExampleAppsTable(`SUPPORT_apps${suffix}`)
const myClaims = mysqlClaimsTable(`sc_claims${suffix}`)

storeSuite(
  'MariaDB (mysql2, MYSQL_URL)',
  MYSQL_URL === undefined || MYSQL_URL === ''
    ? 'MYSQL_URL is not set: MariaDB tests skipped (run `export MYSQL_URL="$(.ci/mariadb.sh start)"` first)'
    : async () => {
        // Two pools: two "server instances" with their own connections to one database.
        const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 10 })
        const pool2 = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 10 })
        const names = [`SUPPORT_apps${suffix}`, `sc_claims${suffix}`]
        for (const n of names) await pool.query(`DROP TABLE IF EXISTS \`${n}\``)
        for (const stmt of [
          ...exampleAppsTableDdl('mysql', names[0]),
          ...claimsTableDdl('mysql', names[1]),
        ])
          await pool.query(stmt)
        return {
          dialect: 'mysql',
          db: drizzleMysql({ client: pool }),
          db2: drizzleMysql({ client: pool2 }),
          apps: myApps,
          claims: myClaims,
          async exec(sql) {
            await pool.query(sql)
          },
          async reset() {
            for (const n of names) await pool.query(`DELETE FROM \`${n}\``)
          },
          async down() {
            // A closed pool, and a server that does not answer: both must reject, not hang.
            const closed = mysql.createPool({ uri: MYSQL_URL })
            await closed.end()
            return { db: drizzleMysql({ client: closed }), matches: /Pool is closed|closed state/i }
          },
          async close() {
            for (const n of names) await pool.query(`DROP TABLE IF EXISTS \`${n}\``)
            await pool.end()
            await pool2.end()
          },
        }
      },
)

describe('MariaDB: a stopped server', () => {
  const skip = MYSQL_URL ? false : 'MYSQL_URL is not set'
  test('the stores reject with ECONNREFUSED (nothing listens on the port)', { skip }, async () => {
    const url = new URL(MYSQL_URL!)
    url.port = '1' // nothing listens on 127.0.0.1:1
    const pool = mysql.createPool({ uri: url.href, connectTimeout: 2000 })
    try {
      const db = drizzleMysql({ client: pool })
      await assert.rejects(drizzleClaimStore(db, myClaims).claim('k', 60), (e: unknown) =>
        chainMatches(e, /ECONNREFUSED/),
      )
      await assert.rejects(drizzleConnectionStore(db, myApps).getBySlug('helper'), (e: unknown) =>
        chainMatches(e, /ECONNREFUSED/),
      )
    } finally {
      await pool.end()
    }
  })
})

// ---------------------------------------------------------------------------------------------
// SQLite through libsql (when @libsql/client is installed)

interface LibsqlClient {
  execute(sql: string): Promise<unknown>
  close(): void
}

const sqliteApps = sqliteTable('SUPPORT_apps', {
  id: sqliteInteger('id').primaryKey({ autoIncrement: true }),
  slug: sqliteText('slug').notNull().unique(),
  name: sqliteText('name').notNull().default(''),
  stripeAccountId: sqliteText('stripe_account_id'),
  stripeConnected: sqliteInteger('stripe_connected', { mode: 'boolean' }).notNull().default(false),
})

storeSuite('SQLite (libsql, file database)', async () => {
  // Optional dev dependency: imported through variables so that type-checking does not need it.
  const libsqlModule: string = '@libsql/client'
  const drizzleLibsqlModule: string = 'drizzle-orm/libsql'
  let libsql: { createClient(config: { url: string }): LibsqlClient }
  let drizzleLibsql: (config: { client: LibsqlClient }) => DrizzleDatabase
  try {
    libsql = await import(libsqlModule)
    drizzleLibsql = (await import(drizzleLibsqlModule)).drizzle
  } catch {
    return '@libsql/client is not installed: SQLite tests skipped'
  }
  const file = join(tmpdir(), `stripe-connect-${randomUUID()}.db`)
  const client = libsql.createClient({ url: `file:${file}` })
  for (const stmt of [...exampleAppsTableDdl('sqlite'), ...claimsTableDdl('sqlite')])
    await client.execute(stmt)
  // SQLite has one writer at a time; the second instance shares the client as PGlite does.
  const db = drizzleLibsql({ client })
  const db2 = drizzleLibsql({ client })
  return {
    dialect: 'sqlite',
    db,
    db2,
    apps: sqliteApps,
    claims: claimsTableSqlite,
    async exec(sql) {
      await client.execute(sql)
    },
    async reset() {
      await client.execute('DELETE FROM "SUPPORT_apps"')
      await client.execute('DELETE FROM "stripe_connect_claims"')
    },
    async down() {
      const dead = libsql.createClient({ url: ':memory:' })
      dead.close()
      return { db: drizzleLibsql({ client: dead }), matches: /closed/i }
    },
    async close() {
      client.close()
      rmSync(file, { force: true })
    },
  }
})

// ---------------------------------------------------------------------------------------------
// Pure helpers

describe('driver results and errors', () => {
  test('affectedRows reads every supported driver shape', () => {
    assert.equal(affectedRows([{ affectedRows: 2, insertId: 0 }, undefined]), 2) // mysql2
    assert.equal(affectedRows({ affectedRows: 1, rows: [] }), 1) // PGlite
    assert.equal(affectedRows({ rowCount: 3, rows: [] }), 3) // node-postgres, Neon
    assert.equal(affectedRows(Object.assign([], { count: 4 })), 4) // postgres.js
    assert.equal(affectedRows({ rowsAffected: 5, rows: [] }), 5) // libsql, PlanetScale
    assert.equal(affectedRows({ changes: 6, lastInsertRowid: 1 }), 6) // better-sqlite3, bun:sqlite
    assert.equal(affectedRows({ changes: 7n }), 7)
    assert.equal(affectedRows({ meta: { changes: 8 }, success: true }), 8) // D1
    assert.equal(affectedRows({ rows: [] }), undefined)
    assert.equal(affectedRows(undefined), undefined)
    assert.equal(affectedRows([]), undefined)
  })

  test('isBusy knows SQLite\'s "database is locked" from each driver, through Drizzle\'s cause', () => {
    const wrapped = (cause: unknown) =>
      Object.assign(new Error('Failed query: insert …'), { cause })
    const busy: unknown[] = [
      // libsql: LibsqlError (code, extendedCode, rawCode) wrapping the native error
      Object.assign(new Error('SQLITE_BUSY: database is locked'), {
        code: 'SQLITE_BUSY',
        rawCode: 5,
      }),
      Object.assign(new Error('x'), {
        code: 'SQLITE_UNKNOWN',
        extendedCode: 'SQLITE_BUSY_SNAPSHOT',
      }),
      Object.assign(new Error('x'), { rawCode: 5 | (2 << 8) }), // SQLITE_BUSY_SNAPSHOT by number
      // better-sqlite3: SqliteError with code
      Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }),
      // bun:sqlite: errno
      Object.assign(new Error('x'), { code: 'SQLITE_BUSY_RECOVERY', errno: 5 }),
      // D1 and proxies: the message only
      new Error('D1_ERROR: database is locked: SQLITE_BUSY'),
    ]
    for (const e of busy) {
      assert.equal(isBusy(e), true, String((e as Error).message))
      assert.equal(isBusy(wrapped(e)), true, 'through DrizzleQueryError')
    }
    for (const e of [
      Object.assign(new Error('x'), { code: 'SQLITE_CONSTRAINT_PRIMARYKEY', rawCode: 1555 }),
      Object.assign(new Error('x'), { code: 'SQLITE_LOCKED', rawCode: 6 }),
      Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 }),
      new Error('connection refused'),
      null,
    ])
      assert.equal(isBusy(e), false, String((e as Error)?.message))
  })

  test('retryingConflicts waits SQLITE_BUSY out within busyTimeoutMs; other errors at once', async () => {
    const busyError = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
    let calls = 0
    const twiceBusy = () => {
      calls++
      return calls <= 2 ? Promise.reject(busyError()) : Promise.resolve('done')
    }
    assert.equal(await retryingConflicts(twiceBusy, 5000), 'done')
    assert.equal(calls, 3)

    calls = 0
    const alwaysBusy = () => {
      calls++
      return Promise.reject(busyError())
    }
    await assert.rejects(retryingConflicts(alwaysBusy, 0), /database is locked/)
    assert.equal(calls, 1, 'busyTimeoutMs 0: no waiting')
    calls = 0
    const started = performance.now()
    await assert.rejects(retryingConflicts(alwaysBusy, 150), /database is locked/)
    const took = performance.now() - started
    assert.ok(calls > 2 && took < 1000, `${calls} attempts in ${took} ms`)

    calls = 0
    const unique = () => {
      calls++
      return Promise.reject(
        Object.assign(new Error('UNIQUE'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }),
      )
    }
    await assert.rejects(retryingConflicts(unique, 5000), /UNIQUE/)
    assert.equal(calls, 1, 'not a conflict: not retried')
    for (const bad of [-1, Number.NaN, '5000']) {
      assert.throws(
        () => drizzleClaimStore(env0(), claimsTableSqlite, { busyTimeoutMs: bad as never }),
        /drizzleClaimStore: busyTimeoutMs must be 0 or more milliseconds/,
      )
      assert.throws(
        () => drizzleConnectionStore(env0(), exampleAppsTablePg, { busyTimeoutMs: bad as never }),
        /drizzleConnectionStore: busyTimeoutMs must be 0 or more milliseconds/,
      )
    }
  })

  test('isUniqueViolation knows each driver, through Drizzle’s DrizzleQueryError cause', () => {
    const wrap = (cause: object) =>
      Object.assign(new Error('Failed query: insert into …'), { cause })
    assert.equal(isUniqueViolation(wrap({ code: 'ER_DUP_ENTRY', errno: 1062 })), true)
    assert.equal(isUniqueViolation(wrap({ code: '23505' })), true)
    assert.equal(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }), true)
    assert.equal(
      isUniqueViolation({
        code: 'SQLITE_CONSTRAINT',
        extendedCode: 'SQLITE_CONSTRAINT_PRIMARYKEY',
      }),
      true,
    )
    assert.equal(
      isUniqueViolation(
        wrap(new Error("target: x.-.primary: vttablet: Duplicate entry 'k' for key 'PRIMARY'")),
      ),
      true,
    )
    assert.equal(
      isUniqueViolation(
        wrap({ code: 'SQLITE_CONSTRAINT', message: 'NOT NULL constraint failed: t.k' }),
      ),
      false,
    )
    assert.equal(isUniqueViolation(wrap({ code: 'ECONNREFUSED' })), false)
    assert.equal(isUniqueViolation(new Error('Pool is closed.')), false)
  })

  test('DDL for each dialect names the table and a binary-collated key on MySQL', () => {
    assert.match(
      claimsTableDdl('mysql')[0]!,
      /`key` varchar\(255\) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL/,
    )
    assert.match(
      claimsTableDdl('postgres', 'my_claims')[0]!,
      /^CREATE TABLE IF NOT EXISTS "my_claims"/,
    )
    assert.equal(claimsTableDdl('sqlite').length, 2)
    assert.throws(() => claimsTableDdl('mysql', 'x; DROP TABLE y'), TypeError)
    assert.throws(() => claimsTableDdl('oracle' as Dialect), /unknown dialect/)
    for (const dialect of ['mysql', 'postgres', 'sqlite'] as const)
      assert.match(
        claimsTableDdl(dialect)[0]!,
        /done.? (boolean|integer) NOT NULL DEFAULT (false|0)/,
      )
    for (const dialect of ['mysql', 'postgres', 'sqlite'] as const)
      assert.match(claimsTableDdl(dialect)[0]!, /token.? (varchar\(64\)|text),?\n/)
    // The Drizzle definitions are the same table.
    for (const t of [claimsTableMysql, claimsTablePg, claimsTableSqlite]) {
      assert.deepEqual(
        Object.keys(t).filter((k) => ['key', 'expiresAt', 'done', 'token'].includes(k)),
        ['key', 'expiresAt', 'done', 'token'],
      )
    }
  })

  test('the upgrade from a table before leases: per dialect, add done (false for new rows), mark the old rows done, add token', () => {
    assert.deepEqual(claimsTableUpgradeDdl('mysql', 'my_claims'), [
      'ALTER TABLE `my_claims` ADD COLUMN `done` boolean NOT NULL DEFAULT false',
      'UPDATE `my_claims` SET `done` = true',
      'ALTER TABLE `my_claims` ADD COLUMN `token` varchar(64)',
    ])
    assert.deepEqual(claimsTableUpgradeDdl('postgres'), [
      'ALTER TABLE "stripe_connect_claims" ADD COLUMN "done" boolean NOT NULL DEFAULT false',
      'UPDATE "stripe_connect_claims" SET "done" = true',
      'ALTER TABLE "stripe_connect_claims" ADD COLUMN "token" varchar(64)',
    ])
    assert.deepEqual(claimsTableUpgradeDdl('sqlite', undefined, { from: 'keys' }), [
      'ALTER TABLE "stripe_connect_claims" ADD COLUMN "done" integer NOT NULL DEFAULT 0',
      'UPDATE "stripe_connect_claims" SET "done" = 1',
      'ALTER TABLE "stripe_connect_claims" ADD COLUMN "token" text',
    ])
    assert.throws(() => claimsTableUpgradeDdl('mysql', 'x; DROP TABLE y'), TypeError)
  })

  test('the upgrade from 0.1 leases: per dialect, add the nullable token column', () => {
    assert.deepEqual(claimsTableUpgradeDdl('mysql', 'my_claims', { from: 'leases' }), [
      'ALTER TABLE `my_claims` ADD COLUMN `token` varchar(64)',
    ])
    assert.deepEqual(claimsTableUpgradeDdl('postgres', undefined, { from: 'leases' }), [
      'ALTER TABLE "stripe_connect_claims" ADD COLUMN "token" varchar(64)',
    ])
    assert.deepEqual(claimsTableUpgradeDdl('sqlite', undefined, { from: 'leases' }), [
      'ALTER TABLE "stripe_connect_claims" ADD COLUMN "token" text',
    ])
    assert.throws(
      () => claimsTableUpgradeDdl('mysql', undefined, { from: 'done' as never }),
      /unknown options\.from "done"/,
    )
    assert.throws(() => claimsTableUpgradeDdl('oracle' as Dialect), /unknown dialect/)
  })

  test('a claims table without done or token is refused, naming the upgrade', () => {
    const old = pgTable('old_claims', {
      key: pgVarchar('key', { length: 255 }).primaryKey(),
      expiresAt: pgText('expires_at'),
    })
    const fakeDb = { select() {}, insert() {}, update() {}, delete() {} }
    assert.throws(
      () => drizzleClaimStore(fakeDb, old),
      /table old_claims has no column "done".*claimsTableUpgradeDdl\(dialect, name\)/,
    )
    const leases01 = pgTable('leases_01', {
      key: pgVarchar('key', { length: 255 }).primaryKey(),
      expiresAt: pgText('expires_at'),
      done: pgBoolean('done').notNull().default(false),
    })
    assert.throws(
      () => drizzleClaimStore(fakeDb, leases01),
      /table leases_01 has no column "token".*claimsTableUpgradeDdl\(dialect, name, \{ from: 'leases' \}\)/,
    )
  })
})
