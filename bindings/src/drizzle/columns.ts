import type { Column, Table } from 'drizzle-orm'
import { orm } from './orm.js'

const { getTableColumns, getTableName } = orm

export interface ResolvedColumn {
  /** The property name in the Drizzle table object (what `.set({...})` takes). */
  key: string
  column: Column
}

export function checkTable(table: unknown, fn: string): Table {
  let ok = false
  try {
    ok =
      table !== null &&
      typeof table === 'object' &&
      typeof getTableName(table as Table) === 'string'
  } catch {
    ok = false
  }
  if (!ok)
    throw new TypeError(
      `${fn}: the second argument must be a Drizzle table (mysqlTable / pgTable / sqliteTable)`,
    )
  return table as Table
}

export function checkDb(db: unknown, fn: string): void {
  const d = db as Record<string, unknown> | null
  if (
    d === null ||
    typeof d !== 'object' ||
    !['select', 'insert', 'update', 'delete'].every((m) => typeof d[m] === 'function')
  ) {
    throw new TypeError(
      `${fn}: the first argument must be a Drizzle database (the value drizzle(...) returns)`,
    )
  }
}

/**
 * Finds a column by its property name in the table object or by its database name, trying each
 * candidate in turn: `stripe_account_id` finds `stripeAccountId: varchar('stripe_account_id')`.
 */
export function findColumn(table: Table, candidates: readonly string[]): ResolvedColumn | null {
  const columns = getTableColumns(table) as Record<string, Column>
  for (const name of candidates) {
    if (Object.prototype.hasOwnProperty.call(columns, name))
      return { key: name, column: columns[name]! }
  }
  for (const name of candidates) {
    for (const [key, column] of Object.entries(columns)) {
      if (column.name === name) return { key, column }
    }
  }
  return null
}

export function requireColumn(
  table: Table,
  fn: string,
  option: string,
  candidates: readonly string[],
): ResolvedColumn {
  const found = findColumn(table, candidates)
  if (found === null) {
    const available = Object.entries(getTableColumns(table) as Record<string, Column>)
      .map(([key, c]) => (key === c.name ? key : `${key} (${c.name})`))
      .join(', ')
    throw new TypeError(
      `${fn}: table ${getTableName(table)} has no column ${candidates.map((c) => JSON.stringify(c)).join(' or ')}; ` +
        `pass ${option} (its property or column name). Columns: ${available}`,
    )
  }
  return found
}
