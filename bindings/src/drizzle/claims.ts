// The claims store: keys taken as leases that become done (webhook event ids) or single-use
// claims (OAuth state nonces), shared by every server instance through one small table. Leases are
// fenced: each acquisition's token is stored with it, and only that token completes or releases it.

import type { Table } from 'drizzle-orm'
import { orm } from './orm.js'

const { and, eq, getTableName, lte } = orm

import { checkDb, checkTable, findColumn, requireColumn } from './columns.js'
import {
  affectedRows,
  checkBusyTimeout,
  isUniqueViolation,
  requireAffectedRows,
  retryingConflicts,
} from './driver.js'
import type { ClaimState, ClaimStore, DrizzleDatabase } from './types.js'

export interface DrizzleClaimStoreOptions {
  /** Column names if your table differs from the documented one (property or database names). */
  columns?: { key?: string; expiresAt?: string; done?: string; token?: string }
  /** Unix seconds now (tests). Default: the system clock. */
  now?: () => number
  /**
   * SQLite only: how long a statement that finds the database locked by another connection or
   * process (`SQLITE_BUSY`) is tried again, in milliseconds, with jittered backoff. Default 5000;
   * keep it under the client's `storeTimeoutMs`. 0 turns the waiting off.
   */
  busyTimeoutMs?: number
}

export interface DrizzleClaimStore extends ClaimStore {
  readonly tableName: string
  /**
   * Deletes expired claims and returns how many (or `null` if the driver does not say). The table
   * grows by one row per webhook event and OAuth attempt; run this now and then (a cron job, or
   * after handling a webhook). Expired rows are harmless otherwise: `acquire` takes them over.
   */
  purgeExpired(): Promise<number | null>
}

/** Rounds of `acquire` when the row changes under it (released or expired between statements). */
const ACQUIRE_ROUNDS = 3

/**
 * A claims store over the documented table (`claimsTableMysql` / `claimsTablePg` /
 * `claimsTableSqlite`, or the DDL from `claimsTableDdl`). A row is a lease until `expires_at`
 * (`done` false) or a finished key until then (`done` true), held by the acquisition whose
 * `token` it carries; an expired row is free.
 *
 * `acquire(key, token, lease)` is atomic across processes, with no transaction and no lock held
 * between statements:
 * 1. `INSERT (key, now + lease, done = false, token)`: the primary key lets exactly one concurrent
 *    caller succeed → `'acquired'`.
 * 2. On a duplicate key, take the row over only if it has expired: `UPDATE … SET expires_at =
 *    now + lease, done = false, token = ? WHERE key = ? AND expires_at <= now`. The database
 *    serialises the updates of one row and re-checks the condition, so of several callers seeing
 *    the same expired row exactly one changes it (affected rows = 1) → `'acquired'`.
 * 3. Otherwise read the row: live → `'done'` or `'in_progress'` by its `done` flag. If it was
 *    released or expired in between, go round again (3 rounds, then `'in_progress'`: retry later).
 *
 * `complete(key, token, ttl)` sets `done = true, expires_at = now + ttl` `WHERE key = ? AND token =
 * ?` (inserting the done row if the key is gone) and `release(key, token)` deletes `WHERE key = ?
 * AND token = ? AND NOT done`: one conditional statement each, so a holder whose lease ran out and
 * was taken over changes nothing (they resolve `false`; `true` when the token held the key).
 * SQLite's "database is locked" (`SQLITE_BUSY`, another process is writing) is waited out, with
 * jittered backoff, for up to `busyTimeoutMs`; deadlocks and serialization failures are retried.
 * Other errors from the database propagate (→ `store_failed`).
 */
export function drizzleClaimStore(
  db: DrizzleDatabase,
  table: Table,
  options: DrizzleClaimStoreOptions = {},
): DrizzleClaimStore {
  const fn = 'drizzleClaimStore'
  checkDb(db, fn)
  checkTable(table, fn)
  const keyCol = requireColumn(table, fn, 'columns.key', [options.columns?.key ?? 'key'])
  const expCol = requireColumn(
    table,
    fn,
    'columns.expiresAt',
    options.columns?.expiresAt !== undefined
      ? [options.columns.expiresAt]
      : ['expiresAt', 'expires_at'],
  )
  const doneCol = findColumn(table, [options.columns?.done ?? 'done'])
  if (doneCol === null) {
    throw new TypeError(
      `${fn}: table ${getTableName(table)} has no column ${JSON.stringify(options.columns?.done ?? 'done')}: ` +
        'claims are leases that become done, and the table needs a boolean `done` column. Add it with the ' +
        'statements of claimsTableUpgradeDdl(dialect, name) (ALTER TABLE … ADD COLUMN done … DEFAULT false; ' +
        'UPDATE … SET done = true; ALTER TABLE … ADD COLUMN token …), or pass columns.done (its property or column name).',
    )
  }
  const tokenCol = findColumn(table, [options.columns?.token ?? 'token'])
  if (tokenCol === null) {
    throw new TypeError(
      `${fn}: table ${getTableName(table)} has no column ${JSON.stringify(options.columns?.token ?? 'token')}: ` +
        'leases are fenced by the token of the acquisition that holds them, and the table needs a nullable ' +
        '`token` column (varchar(64) / text). Add it with the statement of ' +
        "claimsTableUpgradeDdl(dialect, name, { from: 'leases' }) (ALTER TABLE … ADD COLUMN token …), or pass " +
        'columns.token (its property or column name).',
    )
  }
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))
  const busyTimeoutMs = checkBusyTimeout(fn, options.busyTimeoutMs)
  const tableName = getTableName(table)

  const withConflictRetry = <T>(run: () => PromiseLike<T>): Promise<T> =>
    retryingConflicts(run, busyTimeoutMs)

  async function tryInsert(
    key: string,
    expiresAt: number,
    done: boolean,
    token: string,
  ): Promise<boolean> {
    try {
      await withConflictRetry(() =>
        db.insert(table).values({
          [keyCol.key]: key,
          [expCol.key]: expiresAt,
          [doneCol!.key]: done,
          [tokenCol!.key]: token,
        }),
      )
      return true
    } catch (error) {
      if (isUniqueViolation(error)) return false
      throw error
    }
  }

  async function acquire(key: string, token: string, leaseSeconds: number): Promise<ClaimState> {
    checkKey(key)
    checkToken('acquire', token)
    checkSeconds('acquire', 'leaseSeconds', leaseSeconds)
    for (let round = 0; round < ACQUIRE_ROUNDS; round++) {
      const at = now()
      const expiresAt = at + Math.max(1, Math.ceil(leaseSeconds))
      if (await tryInsert(key, expiresAt, false, token)) return 'acquired'
      const result = await withConflictRetry(() =>
        db
          .update(table)
          .set({ [expCol.key]: expiresAt, [doneCol!.key]: false, [tokenCol!.key]: token })
          .where(and(eq(keyCol.column, key), lte(expCol.column, at))),
      )
      if (requireAffectedRows(result, 'the expired-claim takeover') > 0) return 'acquired'
      const rows: Array<{ expiresAt: unknown; done: unknown }> = await withConflictRetry(() =>
        db
          .select({ expiresAt: expCol.column, done: doneCol!.column })
          .from(table)
          .where(eq(keyCol.column, key)),
      )
      const row = rows[0]
      // Gone (released) or expired since the statements above: another round decides.
      if (row === undefined || Number(row.expiresAt) <= at) continue
      return isTrue(row.done) ? 'done' : 'in_progress'
    }
    // The row keeps changing under us: say "busy" (the caller answers non-2xx; Stripe retries).
    return 'in_progress'
  }

  return {
    tableName,
    acquire,

    async complete(key: string, token: string, ttlSeconds: number): Promise<boolean> {
      checkKey(key)
      checkToken('complete', token)
      checkSeconds('complete', 'ttlSeconds', ttlSeconds)
      const expiresAt = now() + Math.max(1, Math.ceil(ttlSeconds))
      const result = await withConflictRetry(() =>
        db
          .update(table)
          .set({ [expCol.key]: expiresAt, [doneCol!.key]: true })
          .where(and(eq(keyCol.column, key), eq(tokenCol!.column, token))),
      )
      if (requireAffectedRows(result, 'marking a claim done') > 0) return true
      // The key is gone (purged after it expired): nobody holds it, and the work is done, so the
      // done mark is written anew. A row there now is another acquisition's: left as it is.
      return tryInsert(key, expiresAt, true, token)
    },

    async release(key: string, token: string): Promise<boolean> {
      checkKey(key)
      checkToken('release', token)
      const result = await withConflictRetry(() =>
        db
          .delete(table)
          .where(
            and(eq(keyCol.column, key), eq(tokenCol!.column, token), eq(doneCol!.column, false)),
          ),
      )
      return requireAffectedRows(result, 'giving a lease back') > 0
    },

    async claim(key: string, ttlSeconds: number): Promise<boolean> {
      checkSeconds('claim', 'ttlSeconds', ttlSeconds)
      return (await acquire(key, newLeaseToken(), ttlSeconds)) === 'acquired'
    },

    async purgeExpired(): Promise<number | null> {
      const result = await withConflictRetry(() =>
        db.delete(table).where(lte(expCol.column, now())),
      )
      return affectedRows(result) ?? null
    },
  }
}

/** 128 random bits as 32 lowercase hex digits: the core's lease token, for `claim`'s own acquisitions. */
function newLeaseToken(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function checkToken(method: string, token: unknown): asserts token is string {
  if (typeof token !== 'string' || token === '' || token.length > 64) {
    throw new TypeError(
      `${method}: token must be the lease token the client passes (a non-empty string of at most 64 characters), got ${
        typeof token === 'string' ? `a string of ${token.length} characters` : typeof token
      }`,
    )
  }
}

/** A `done` value as the drivers return it (boolean, or 0/1 from an integer column). */
function isTrue(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 1n
}

function checkSeconds(method: string, name: string, seconds: unknown): asserts seconds is number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new TypeError(
      `${method}: ${name} must be a positive number of seconds, got ${String(seconds)}`,
    )
  }
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '')
    throw new TypeError('claim key must be a non-empty string')
  if (key.length > 255)
    throw new TypeError(`claim key is ${key.length} characters; the claims table holds at most 255`)
}
