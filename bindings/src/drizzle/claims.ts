// The claims store: single-use keys with expiry (OAuth state nonces, webhook event ids), shared by
// every server instance through one small table.

import { and, eq, getTableName, lte, type Table } from 'drizzle-orm'

import { checkDb, checkTable, requireColumn } from './columns.js'
import {
  affectedRows,
  isRetryableConflict,
  isUniqueViolation,
  requireAffectedRows,
} from './driver.js'
import type { ClaimStore, DrizzleDatabase } from './types.js'

export interface DrizzleClaimStoreOptions {
  /** Column names if your table differs from the documented one (property or database names). */
  columns?: { key?: string; expiresAt?: string }
  /** Unix seconds now (tests). Default: the system clock. */
  now?: () => number
}

export interface DrizzleClaimStore extends ClaimStore {
  readonly tableName: string
  /**
   * Deletes expired claims and returns how many (or `null` if the driver does not say). The table
   * grows by one row per webhook event and OAuth attempt; run this now and then (a cron job, or
   * after handling a webhook). Expired rows are harmless otherwise: `claim` takes them over.
   */
  purgeExpired(): Promise<number | null>
}

/** Deadlocks / serialization failures are retried this many times before the error propagates. */
const CONFLICT_RETRIES = 3

/**
 * A claims store over the documented table (`claimsTableMysql` / `claimsTablePg` /
 * `claimsTableSqlite`, or the DDL from `claimsTableDdl`).
 *
 * `claim(key, ttl)` is atomic across processes, with no transaction and no lock held between statements:
 * 1. `INSERT (key, now + ttl)`: the primary key lets exactly one concurrent caller succeed → `true`.
 * 2. On a duplicate key, take the row over only if it has expired:
 *    `UPDATE … SET expires_at = now + ttl WHERE key = ? AND expires_at <= now`. The database
 *    serialises the updates of one row and re-checks the condition, so of several callers seeing the
 *    same expired row exactly one changes it (affected rows = 1) → `true`; the others → `false`.
 * 3. If neither worked the row may have been released in between: one more INSERT decides.
 *
 * `release(key)` deletes the row. Errors from the database propagate (→ `store_failed`).
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
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))
  const tableName = getTableName(table)

  async function withConflictRetry<T>(run: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run()
      } catch (error) {
        if (attempt >= CONFLICT_RETRIES || !isRetryableConflict(error)) throw error
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * (attempt + 1)))
      }
    }
  }

  async function tryInsert(key: string, expiresAt: number): Promise<boolean> {
    try {
      await withConflictRetry(() =>
        db.insert(table).values({ [keyCol.key]: key, [expCol.key]: expiresAt }),
      )
      return true
    } catch (error) {
      if (isUniqueViolation(error)) return false
      throw error
    }
  }

  return {
    tableName,

    async claim(key: string, ttlSeconds: number): Promise<boolean> {
      checkKey(key)
      if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
        throw new TypeError(
          `claim: ttlSeconds must be a positive number of seconds, got ${String(ttlSeconds)}`,
        )
      }
      const at = now()
      const expiresAt = at + Math.max(1, Math.ceil(ttlSeconds))
      if (await tryInsert(key, expiresAt)) return true
      const result = await withConflictRetry(() =>
        db
          .update(table)
          .set({ [expCol.key]: expiresAt })
          .where(and(eq(keyCol.column, key), lte(expCol.column, at))),
      )
      if (requireAffectedRows(result, 'the expired-claim takeover') > 0) return true
      return tryInsert(key, expiresAt)
    },

    async release(key: string): Promise<void> {
      checkKey(key)
      await withConflictRetry(() => db.delete(table).where(eq(keyCol.column, key)))
    },

    async purgeExpired(): Promise<number | null> {
      const result = await withConflictRetry(() =>
        db.delete(table).where(lte(expCol.column, now())),
      )
      return affectedRows(result) ?? null
    },
  }
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '')
    throw new TypeError('claim key must be a non-empty string')
  if (key.length > 255)
    throw new TypeError(`claim key is ${key.length} characters; the claims table holds at most 255`)
}
