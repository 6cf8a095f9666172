// The connections store over the app's own apps table.

import type { SQL, Table } from 'drizzle-orm'
import { orm } from './orm.js'

const { and, asc, eq, getTableName, isNotNull } = orm

import { checkDb, checkTable, findColumn, requireColumn, type ResolvedColumn } from './columns.js'
import { affectedRows, checkBusyTimeout, retryingConflicts } from './driver.js'
import type { Connection, ConnectionStore, DrizzleDatabase, Scope } from './types.js'

/** Which columns of the apps table hold what: each a property name of the table object or a database column name. */
export interface ConnectionColumns {
  /** The app's slug, unique. Default `slug`. */
  slug?: string
  /** The connected account (`acct_…`), nullable. Default `stripe_account_id` (or `stripeAccountId`). */
  accountId?: string
  /**
   * Whether the app is connected. Default `stripe_connected` (or `stripeConnected`). `null` if the
   * table has no such column: then a row is connected when its account id is set.
   */
  connected?: string | null
  /** Optional: where to keep the connection's `livemode` (boolean). Without it, `defaults.livemode` is reported. */
  livemode?: string
  /** Optional: where to keep the granted scope (string). Without it, `defaults.scope` is reported. */
  scope?: string
}

export interface DrizzleConnectionStoreOptions {
  columns?: ConnectionColumns
  /**
   * What to report for `livemode` / `scope` when the table has no column for them (the support
   * app's table has neither). Defaults: `livemode: false`, `scope: 'read_write'`. Set `livemode`
   * from your secret key (`sk_live_…` → true): Stripe connects in the mode of the key.
   */
  defaults?: { livemode?: boolean; scope?: Scope }
  /**
   * SQLite only: how long a statement that finds the database locked by another connection or
   * process (`SQLITE_BUSY`) is tried again, in milliseconds, with jittered backoff. Default 5000;
   * keep it under the client's `storeTimeoutMs`. 0 turns the waiting off.
   */
  busyTimeoutMs?: number
}

export interface DrizzleConnectionStore extends ConnectionStore {
  /** The table's name, for messages. */
  readonly tableName: string
}

/**
 * A connections store over your apps table: one row per app, matched by slug.
 *
 * - `save` updates the row whose slug is `connection.appSlug`: account id set, connected = true.
 *   **It never inserts**: the apps table belongs to the app. If no row has that slug it throws
 *   (the binding reports `store_failed`, and the OAuth callback redirects with `error=oauth_failed`).
 * - `clearByAccount` sets account id = NULL and connected = false on every row connected to the
 *   account and returns the first slug (by slug order), or `null` if none.
 * - `getBySlug` / `getByAccount` / `list` see connected rows only (account id set and, if there is
 *   a connected column, connected = true).
 * - `hasApp` says whether a row has the slug, connected or not: the authorize route refuses an
 *   unknown slug (404 `unknown_app`) before the user is sent to Stripe.
 *
 * SQLite's "database is locked" (`SQLITE_BUSY`: another process is writing the file) is waited
 * out for up to `busyTimeoutMs`, and deadlocks are retried; other errors from the database
 * propagate as they are (the binding turns them into `store_failed`).
 */
export function drizzleConnectionStore(
  db: DrizzleDatabase,
  table: Table,
  options: DrizzleConnectionStoreOptions = {},
): DrizzleConnectionStore {
  const fn = 'drizzleConnectionStore'
  checkDb(db, fn)
  checkTable(table, fn)
  const cols = options.columns ?? {}
  const slug = requireColumn(
    table,
    fn,
    'columns.slug',
    cols.slug !== undefined ? [cols.slug] : ['slug'],
  )
  const account = requireColumn(
    table,
    fn,
    'columns.accountId',
    cols.accountId !== undefined ? [cols.accountId] : ['stripe_account_id', 'stripeAccountId'],
  )
  let connected: ResolvedColumn | null = null
  if (cols.connected !== null) {
    connected =
      cols.connected !== undefined
        ? requireColumn(table, fn, 'columns.connected', [cols.connected])
        : findColumn(table, ['stripe_connected', 'stripeConnected'])
    if (connected === null) {
      throw new TypeError(
        `${fn}: table ${getTableName(table)} has no column "stripe_connected"; pass columns.connected (its name), or columns.connected: null if the table has none`,
      )
    }
  }
  const livemode =
    cols.livemode !== undefined
      ? requireColumn(table, fn, 'columns.livemode', [cols.livemode])
      : null
  const scope =
    cols.scope !== undefined ? requireColumn(table, fn, 'columns.scope', [cols.scope]) : null
  const defaultLivemode = options.defaults?.livemode ?? false
  const defaultScope: Scope = options.defaults?.scope ?? 'read_write'
  if (typeof defaultLivemode !== 'boolean')
    throw new TypeError(`${fn}: defaults.livemode must be a boolean`)
  if (!isScope(defaultScope))
    throw new TypeError(`${fn}: defaults.scope must be 'read_write', 'read_only' or 'stripe_app'`)
  const tableName = getTableName(table)
  const busyTimeoutMs = checkBusyTimeout(fn, options.busyTimeoutMs)
  const retrying = <T>(run: () => PromiseLike<T>): Promise<T> =>
    retryingConflicts(run, busyTimeoutMs)

  const selection: Record<string, unknown> = { slug: slug.column, accountId: account.column }
  if (connected) selection.connected = connected.column
  if (livemode) selection.livemode = livemode.column
  if (scope) selection.scope = scope.column

  /** Rows that count as connected. */
  const isConnected = (): SQL =>
    connected
      ? and(isNotNull(account.column), eq(connected.column, true))!
      : isNotNull(account.column)

  const toConnection = (row: Record<string, unknown>): Connection => ({
    appSlug: String(row.slug),
    accountId: String(row.accountId),
    livemode: livemode ? toBoolean(row.livemode, defaultLivemode) : defaultLivemode,
    scope: scope ? toScope(row.scope, defaultScope) : defaultScope,
  })

  const select = (where: SQL | undefined) =>
    db.select(selection).from(table).where(where).orderBy(asc(slug.column))
  /** The connected rows matching `where`, at most `limit`. */
  const connectedRows = (where: SQL | undefined, limit?: number) =>
    retrying(() => (limit === undefined ? select(where) : select(where).limit(limit))) as Promise<
      Array<Record<string, unknown>>
    >

  return {
    tableName,

    async save(connection: Connection): Promise<void> {
      const appSlug = requireString(connection?.appSlug, 'connection.appSlug')
      const accountId = requireString(connection?.accountId, 'connection.accountId')
      const values: Record<string, unknown> = { [account.key]: accountId }
      if (connected) values[connected.key] = true
      if (livemode) values[livemode.key] = Boolean(connection.livemode)
      if (scope) values[scope.key] = connection.scope
      const result = await retrying(() =>
        db.update(table).set(values).where(eq(slug.column, appSlug)),
      )
      const changed = affectedRows(result)
      if (changed !== undefined && changed > 0) return
      // 0 can mean "no such row" or, for drivers that count changed (not matched) rows, "already
      // saved as it is": look.
      const rows: unknown[] = await retrying(() =>
        db.select({ slug: slug.column }).from(table).where(eq(slug.column, appSlug)).limit(1),
      )
      if (rows.length === 0) {
        throw new Error(
          `no row in ${tableName} has ${slug.column.name} = ${JSON.stringify(appSlug)}: the connections store updates the app's existing row and never inserts one; create the app first`,
        )
      }
    },

    async clearByAccount(accountId: string): Promise<string | null> {
      const id = requireString(accountId, 'accountId')
      const rows = await connectedRows(eq(account.column, id))
      if (rows.length === 0) return null
      const values: Record<string, unknown> = { [account.key]: null }
      if (connected) values[connected.key] = false
      await retrying(() => db.update(table).set(values).where(eq(account.column, id)))
      return String(rows[0]!.slug)
    },

    async getBySlug(appSlug: string): Promise<Connection | null> {
      const s = requireString(appSlug, 'appSlug')
      const rows = await connectedRows(and(eq(slug.column, s), isConnected()), 1)
      return rows.length === 0 ? null : toConnection(rows[0]!)
    },

    async list(): Promise<Connection[]> {
      const rows = await connectedRows(isConnected())
      return rows.map(toConnection)
    },

    async hasApp(appSlug: string): Promise<boolean> {
      const s = requireString(appSlug, 'appSlug')
      const rows: unknown[] = await db
        .select({ slug: slug.column })
        .from(table)
        .where(eq(slug.column, s))
        .limit(1)
      return rows.length > 0
    },

    async getByAccount(accountId: string): Promise<Connection | null> {
      const id = requireString(accountId, 'accountId')
      const rows = await connectedRows(and(eq(account.column, id), isConnected()), 1)
      return rows.length === 0 ? null : toConnection(rows[0]!)
    },
  }
}

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '')
    throw new TypeError(
      `${what} must be a non-empty string, got ${value === '' ? '""' : typeof value}`,
    )
  return value
}

function toBoolean(value: unknown, fallback: boolean): boolean {
  if (typeof value === 'boolean') return value
  if (typeof value === 'number' || typeof value === 'bigint') return value !== 0 && value !== 0n
  if (value === '1' || value === 'true') return true
  if (value === '0' || value === 'false') return false
  return fallback
}

function toScope(value: unknown, fallback: Scope): Scope {
  return isScope(value) ? value : fallback
}

function isScope(value: unknown): value is Scope {
  return value === 'read_write' || value === 'read_only' || value === 'stripe_app'
}
