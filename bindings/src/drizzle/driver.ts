// What differs between the Drizzle drivers and that the stores must read: how many rows a
// statement changed, and what a unique-key violation looks like.

/**
 * Rows changed by an `update`/`delete`/`insert` without `.returning()`, from whatever the driver
 * returned, or `undefined` if this driver's result shape is unknown.
 *
 * - mysql2: `[ResultSetHeader, fields]` → `affectedRows` (with mysql2's default `FOUND_ROWS` flag
 *   this is rows *matched*; the stores only rely on it where matched = changed)
 * - PlanetScale serverless, libsql / Turso: `rowsAffected`
 * - PGlite: `affectedRows`; node-postgres, Neon: `rowCount`; postgres.js: `count`
 * - better-sqlite3, bun:sqlite: `changes`; Cloudflare D1: `meta.changes`
 */
export function affectedRows(result: unknown): number | undefined {
  if (result === null || typeof result !== 'object') return undefined
  if (Array.isArray(result)) {
    const count = numberField(result, 'count') // postgres.js: an array of rows with `count`
    if (count !== undefined) return count
    const head: unknown = result[0] // mysql2: [ResultSetHeader, FieldPacket[]]
    if (head !== null && typeof head === 'object' && !Array.isArray(head))
      return numberField(head, 'affectedRows')
    return undefined
  }
  for (const field of ['affectedRows', 'rowsAffected', 'rowCount', 'changes', 'count']) {
    const n = numberField(result, field)
    if (n !== undefined) return n
  }
  const meta = (result as { meta?: unknown }).meta
  if (meta !== null && typeof meta === 'object') return numberField(meta, 'changes')
  return undefined
}

function numberField(value: object, field: string): number | undefined {
  const n = (value as Record<string, unknown>)[field]
  if (typeof n === 'number' && Number.isFinite(n)) return n
  if (typeof n === 'bigint') return Number(n)
  return undefined
}

/** Like {@link affectedRows}, but an unknown result shape is an error (it would make a claim unsafe). */
export function requireAffectedRows(result: unknown, what: string): number {
  const n = affectedRows(result)
  if (n === undefined) {
    throw new Error(
      `@support/stripe-connect/drizzle: cannot tell how many rows ${what} changed: this Drizzle driver returned ` +
        `${describe(result)} (known: mysql2 affectedRows, PGlite affectedRows, node-postgres rowCount, postgres.js count, ` +
        `libsql rowsAffected, better-sqlite3 changes, D1 meta.changes). Please report the driver you use.`,
    )
  }
  return n
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value)
  if (Array.isArray(value)) return `an array of ${value.length}`
  return `an object with keys [${Object.keys(value).slice(0, 10).join(', ')}]`
}

/** The error and its `cause` chain (Drizzle ≥ 0.44 wraps driver errors in `DrizzleQueryError`). */
export function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = []
  let current: unknown = error
  while (
    current !== null &&
    current !== undefined &&
    chain.length < 8 &&
    !chain.includes(current)
  ) {
    chain.push(current)
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined
  }
  return chain
}

/** A duplicate primary/unique key, in any of the supported drivers' words. */
export function isUniqueViolation(error: unknown): boolean {
  for (const e of errorChain(error)) {
    if (e === null || typeof e !== 'object') continue
    const { code, errno, extendedCode, message } = e as {
      code?: unknown
      errno?: unknown
      extendedCode?: unknown
      message?: unknown
    }
    if (code === 'ER_DUP_ENTRY' || errno === 1062) return true // mysql2 / MariaDB
    if (code === '23505') return true // Postgres: unique_violation (pg, PGlite, postgres.js, Neon)
    for (const c of [code, extendedCode]) {
      if (c === 'SQLITE_CONSTRAINT_PRIMARYKEY' || c === 'SQLITE_CONSTRAINT_UNIQUE') return true // better-sqlite3, libsql, bun:sqlite
    }
    if (typeof message === 'string') {
      if (code === 'SQLITE_CONSTRAINT' && /UNIQUE constraint failed/.test(message)) return true
      // Drivers that only give a message (PlanetScale serverless, D1, proxies).
      if (
        /Duplicate entry .* for key|UNIQUE constraint failed|duplicate key value violates unique constraint/.test(
          message,
        )
      )
        return true
    }
  }
  return false
}

/** A deadlock or serialization failure: the statement did nothing and may be run again. */
export function isRetryableConflict(error: unknown): boolean {
  for (const e of errorChain(error)) {
    if (e === null || typeof e !== 'object') continue
    const { code, errno } = e as { code?: unknown; errno?: unknown }
    if (code === 'ER_LOCK_DEADLOCK' || errno === 1213) return true // MySQL / MariaDB
    if (code === '40001' || code === '40P01') return true // Postgres serialization failure / deadlock
  }
  return isBusy(error)
}

/**
 * SQLite's "database is locked": another connection (often another process on the same file)
 * holds the write lock, and the statement did nothing. It clears as soon as that writer commits,
 * so it is waited out rather than counted like a deadlock. libsql and better-sqlite3 give `code`
 * `SQLITE_BUSY` (or an extended `SQLITE_BUSY_*`), libsql also `rawCode` 5 (low byte), bun:sqlite
 * `errno` 5; D1 and proxies only the message.
 */
export function isBusy(error: unknown): boolean {
  for (const e of errorChain(error)) {
    if (e === null || typeof e !== 'object') continue
    const { code, extendedCode, rawCode, errno, message } = e as {
      code?: unknown
      extendedCode?: unknown
      rawCode?: unknown
      errno?: unknown
      message?: unknown
    }
    for (const c of [code, extendedCode]) {
      if (typeof c === 'string' && /^SQLITE_BUSY(?:_|$)/.test(c)) return true
    }
    if (typeof rawCode === 'number' && (rawCode & 0xff) === 5) return true
    if (typeof code === 'string' && code.startsWith('SQLITE') && errno === 5) return true
    if (typeof message === 'string' && /\bSQLITE_BUSY\b|database is locked/.test(message))
      return true
  }
  return false
}

/** Deadlocks / serialization failures are retried this many times before the error propagates. */
const CONFLICT_RETRIES = 3

/**
 * How long SQLite's "database is locked" is waited out by default: a few seconds, well within the
 * client's store timeout (10 s by default), and more than a burst of writers from a few processes
 * on one file needs.
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000

/** The longest single wait between two attempts while SQLite is busy. */
const BUSY_MAX_WAIT_MS = 100

/**
 * `run()` (a statement, built anew on each call), run again while it fails with a conflict the
 * database says did nothing: a deadlock or a serialization failure (a few times), or SQLite's
 * `SQLITE_BUSY` (another connection or process holds the lock; until `busyTimeoutMs` has passed
 * since the first attempt). The waits are jittered and grow, so that processes that collided do
 * not collide again in step. Any other error, or the last one, propagates.
 */
export async function retryingConflicts<T>(
  run: () => PromiseLike<T>,
  busyTimeoutMs: number,
): Promise<T> {
  const started = performance.now()
  for (let attempt = 0; ; attempt++) {
    try {
      return await run()
    } catch (error) {
      const busy = isBusy(error)
      if (!busy && (attempt >= CONFLICT_RETRIES || !isRetryableConflict(error))) throw error
      const wait = Math.random() * Math.min(BUSY_MAX_WAIT_MS, 5 * 2 ** Math.min(attempt, 6)) + 1
      if (busy && performance.now() - started + wait > busyTimeoutMs) throw error
      await new Promise((resolve) => setTimeout(resolve, wait))
    }
  }
}

/** `options.busyTimeoutMs` checked: a number of milliseconds, 0 or more (default 5000). */
export function checkBusyTimeout(fn: string, value: unknown): number {
  if (value === undefined) return DEFAULT_BUSY_TIMEOUT_MS
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${fn}: busyTimeoutMs must be 0 or more milliseconds, got ${String(value)}`)
  }
  return value
}
