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
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT') return true
  }
  return false
}
