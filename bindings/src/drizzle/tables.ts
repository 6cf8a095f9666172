// The claims table this package documents, for each dialect, and an example apps table shaped like
// the support app's `SUPPORT_apps`. Use the Drizzle definitions in your schema (drizzle-kit then
// generates the migration), or run the DDL from `claimsTableDdl` / `exampleAppsTableDdl`.

import { mysqlCore, pgCore, sqliteCore } from './orm.js'

const {
  bigint: mysqlBigint,
  boolean: mysqlBoolean,
  customType: mysqlCustomType,
  index: mysqlIndex,
  int: mysqlInt,
  mysqlTable,
  varchar: mysqlVarchar,
} = mysqlCore
const {
  bigint: pgBigint,
  boolean: pgBoolean,
  index: pgIndex,
  pgTable,
  serial: pgSerial,
  varchar: pgVarchar,
} = pgCore
const { index: sqliteIndex, integer: sqliteInteger, sqliteTable, text: sqliteText } = sqliteCore

export type Dialect = 'mysql' | 'postgres' | 'sqlite'

/** The default name of the claims table. */
export const CLAIMS_TABLE_NAME = 'stripe_connect_claims'

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

function checkName(name: string, what: string): string {
  if (typeof name !== 'string' || !IDENT_RE.test(name)) {
    throw new TypeError(
      `${what}: table name ${JSON.stringify(name)} must be letters, digits and _ (at most 63, not starting with a digit)`,
    )
  }
  return name
}

/**
 * MySQL's default collations compare case-insensitively, but the keys (Stripe event ids, state
 * nonces) are case-sensitive: `evt_1Ab` and `evt_1aB` are different events. So the key column is
 * binary-collated; without it one of two such events would be dropped as a "duplicate".
 */
const mysqlClaimKey = mysqlCustomType<{ data: string; notNull: true }>({
  dataType: () => 'varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
})

/**
 * The claims table for MySQL / MariaDB / PlanetScale (`key` is binary-collated: case-sensitive).
 * A row is a lease until `expires_at` (`done` false) or a finished key until then (`done` true);
 * `token` is the acquisition that holds it (only that token completes or releases it).
 */
export function mysqlClaimsTable(name: string = CLAIMS_TABLE_NAME) {
  checkName(name, 'mysqlClaimsTable')
  return mysqlTable(
    name,
    {
      key: mysqlClaimKey('key').primaryKey(),
      expiresAt: mysqlBigint('expires_at', { mode: 'number' }).notNull(),
      done: mysqlBoolean('done').notNull().default(false),
      token: mysqlVarchar('token', { length: 64 }),
    },
    (t) => [mysqlIndex(`${name}_expires_at_idx`).on(t.expiresAt)],
  )
}

/** The claims table for Postgres (PGlite, node-postgres, postgres.js, Neon…). */
export function pgClaimsTable(name: string = CLAIMS_TABLE_NAME) {
  checkName(name, 'pgClaimsTable')
  return pgTable(
    name,
    {
      key: pgVarchar('key', { length: 255 }).primaryKey(),
      expiresAt: pgBigint('expires_at', { mode: 'number' }).notNull(),
      done: pgBoolean('done').notNull().default(false),
      token: pgVarchar('token', { length: 64 }),
    },
    (t) => [pgIndex(`${name}_expires_at_idx`).on(t.expiresAt)],
  )
}

/** The claims table for SQLite (libsql / Turso, better-sqlite3, bun:sqlite, D1). */
export function sqliteClaimsTable(name: string = CLAIMS_TABLE_NAME) {
  checkName(name, 'sqliteClaimsTable')
  return sqliteTable(
    name,
    {
      key: sqliteText('key').primaryKey(),
      expiresAt: sqliteInteger('expires_at').notNull(),
      done: sqliteInteger('done', { mode: 'boolean' }).notNull().default(false),
      token: sqliteText('token'),
    },
    (t) => [sqliteIndex(`${name}_expires_at_idx`).on(t.expiresAt)],
  )
}

/** `stripe_connect_claims` for MySQL: `key varchar(255) … PRIMARY KEY, expires_at bigint` (Unix seconds), `done boolean`, `token varchar(64)`. */
export const claimsTableMysql = mysqlClaimsTable()
/** `stripe_connect_claims` for Postgres. */
export const claimsTablePg = pgClaimsTable()
/** `stripe_connect_claims` for SQLite. */
export const claimsTableSqlite = sqliteClaimsTable()

/**
 * The statements that create the claims table (idempotent: `IF NOT EXISTS`), one per array entry
 * so each can be sent on its own (mysql2 refuses several statements in one query by default).
 */
export function claimsTableDdl(dialect: Dialect, name: string = CLAIMS_TABLE_NAME): string[] {
  checkName(name, 'claimsTableDdl')
  switch (dialect) {
    case 'mysql':
      return [
        `CREATE TABLE IF NOT EXISTS \`${name}\` (\n` +
          `  \`key\` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,\n` +
          `  \`expires_at\` bigint NOT NULL,\n` +
          `  \`done\` boolean NOT NULL DEFAULT false,\n` +
          `  \`token\` varchar(64),\n` +
          `  PRIMARY KEY (\`key\`),\n` +
          `  KEY \`${name}_expires_at_idx\` (\`expires_at\`)\n` +
          `)`,
      ]
    case 'postgres':
      return [
        `CREATE TABLE IF NOT EXISTS "${name}" (\n  "key" varchar(255) PRIMARY KEY NOT NULL,\n  "expires_at" bigint NOT NULL,\n  "done" boolean NOT NULL DEFAULT false,\n  "token" varchar(64)\n)`,
        `CREATE INDEX IF NOT EXISTS "${name}_expires_at_idx" ON "${name}" ("expires_at")`,
      ]
    case 'sqlite':
      return [
        `CREATE TABLE IF NOT EXISTS "${name}" (\n  "key" text PRIMARY KEY NOT NULL,\n  "expires_at" integer NOT NULL,\n  "done" integer NOT NULL DEFAULT 0,\n  "token" text\n)`,
        `CREATE INDEX IF NOT EXISTS "${name}_expires_at_idx" ON "${name}" ("expires_at")`,
      ]
    default:
      throw new TypeError(
        `claimsTableDdl: unknown dialect ${JSON.stringify(dialect)} (mysql, postgres or sqlite)`,
      )
  }
}

/** What a claims table had before this version: see {@link claimsTableUpgradeDdl}. */
export type ClaimsTableVersion = 'keys' | 'leases'

export interface ClaimsTableUpgradeOptions {
  /**
   * What the table has now: `'keys'` (made before leases: `key` and `expires_at` only; the
   * default) or `'leases'` (made by 0.1: `key`, `expires_at`, `done`, no `token`).
   */
  from?: ClaimsTableVersion
}

/**
 * The statements that upgrade an existing claims table to this version's. Run them once, in a
 * migration, before deploying this version, each on its own.
 *
 * - `from: 'leases'` (a table made by 0.1, with `done`): adds the nullable `token` column, the
 *   acquisition that holds a lease (`complete` and `release` change a row only with its token).
 *   Rows already there keep a `NULL` token: done rows stay done, and a lease left by the old
 *   version runs out and is taken over as usual.
 * - `from: 'keys'` (the default: a table made before leases, `key` and `expires_at` only): also
 *   adds the `done` column first and marks every row done: those rows were claims of finished (or
 *   abandoned) events, so a redelivery of one of them stays a duplicate instead of waiting out a
 *   lease.
 */
export function claimsTableUpgradeDdl(
  dialect: Dialect,
  name: string = CLAIMS_TABLE_NAME,
  options: ClaimsTableUpgradeOptions = {},
): string[] {
  checkName(name, 'claimsTableUpgradeDdl')
  const from = options.from ?? 'keys'
  if (from !== 'keys' && from !== 'leases') {
    throw new TypeError(
      `claimsTableUpgradeDdl: unknown options.from ${JSON.stringify(from)} ('keys': a table with key and expires_at only; 'leases': one with done but no token)`,
    )
  }
  const done = (() => {
    switch (dialect) {
      case 'mysql':
        return [
          `ALTER TABLE \`${name}\` ADD COLUMN \`done\` boolean NOT NULL DEFAULT false`,
          `UPDATE \`${name}\` SET \`done\` = true`,
        ]
      case 'postgres':
        return [
          `ALTER TABLE "${name}" ADD COLUMN "done" boolean NOT NULL DEFAULT false`,
          `UPDATE "${name}" SET "done" = true`,
        ]
      case 'sqlite':
        return [
          `ALTER TABLE "${name}" ADD COLUMN "done" integer NOT NULL DEFAULT 0`,
          `UPDATE "${name}" SET "done" = 1`,
        ]
      default:
        throw new TypeError(
          `claimsTableUpgradeDdl: unknown dialect ${JSON.stringify(dialect)} (mysql, postgres or sqlite)`,
        )
    }
  })()
  const token =
    dialect === 'mysql'
      ? `ALTER TABLE \`${name}\` ADD COLUMN \`token\` varchar(64)`
      : dialect === 'postgres'
        ? `ALTER TABLE "${name}" ADD COLUMN "token" varchar(64)`
        : `ALTER TABLE "${name}" ADD COLUMN "token" text`
  return from === 'keys' ? [...done, token] : [token]
}

/**
 * An apps table shaped like the support app's `SUPPORT_apps` (MySQL): `slug` plus the two Connect
 * columns `stripe_account_id varchar(255)` (nullable) and `stripe_connected boolean default false`.
 * Your own table works as it is: the connection store only touches the columns it is told about.
 */
export function mysqlExampleAppsTable(name: string = 'SUPPORT_apps') {
  return mysqlTable(name, {
    id: mysqlInt('id').autoincrement().primaryKey(),
    slug: mysqlVarchar('slug', { length: 100 }).notNull().unique(),
    name: mysqlVarchar('name', { length: 255 }).notNull().default(''),
    stripeAccountId: mysqlVarchar('stripe_account_id', { length: 255 }),
    stripeConnected: mysqlBoolean('stripe_connected').notNull().default(false),
  })
}

export const exampleAppsTableMysql = mysqlExampleAppsTable()

/** The same apps table for Postgres (the demo runs it on PGlite). */
export const exampleAppsTablePg = pgTable('SUPPORT_apps', {
  id: pgSerial('id').primaryKey(),
  slug: pgVarchar('slug', { length: 100 }).notNull().unique(),
  name: pgVarchar('name', { length: 255 }).notNull().default(''),
  stripeAccountId: pgVarchar('stripe_account_id', { length: 255 }),
  stripeConnected: pgBoolean('stripe_connected').notNull().default(false),
})

/** The same apps table for SQLite. */
export const exampleAppsTableSqlite = sqliteTable('SUPPORT_apps', {
  id: sqliteInteger('id').primaryKey({ autoIncrement: true }),
  slug: sqliteText('slug').notNull().unique(),
  name: sqliteText('name').notNull().default(''),
  stripeAccountId: sqliteText('stripe_account_id'),
  stripeConnected: sqliteInteger('stripe_connected', { mode: 'boolean' }).notNull().default(false),
})

/** DDL for the example apps table (default name `SUPPORT_apps`), one statement per entry. */
export function exampleAppsTableDdl(dialect: Dialect, name: string = 'SUPPORT_apps'): string[] {
  checkName(name, 'exampleAppsTableDdl')
  switch (dialect) {
    case 'mysql':
      return [
        `CREATE TABLE IF NOT EXISTS \`${name}\` (\n` +
          '  `id` int AUTO_INCREMENT PRIMARY KEY,\n' +
          '  `slug` varchar(100) NOT NULL UNIQUE,\n' +
          "  `name` varchar(255) NOT NULL DEFAULT '',\n" +
          '  `stripe_account_id` varchar(255),\n' +
          '  `stripe_connected` boolean NOT NULL DEFAULT false\n' +
          ')',
      ]
    case 'postgres':
      return [
        `CREATE TABLE IF NOT EXISTS "${name}" (\n` +
          '  "id" serial PRIMARY KEY,\n' +
          '  "slug" varchar(100) NOT NULL UNIQUE,\n' +
          '  "name" varchar(255) NOT NULL DEFAULT \'\',\n' +
          '  "stripe_account_id" varchar(255),\n' +
          '  "stripe_connected" boolean NOT NULL DEFAULT false\n' +
          ')',
      ]
    case 'sqlite':
      return [
        `CREATE TABLE IF NOT EXISTS "${name}" (\n` +
          '  "id" integer PRIMARY KEY AUTOINCREMENT,\n' +
          '  "slug" text NOT NULL UNIQUE,\n' +
          '  "name" text NOT NULL DEFAULT \'\',\n' +
          '  "stripe_account_id" text,\n' +
          '  "stripe_connected" integer NOT NULL DEFAULT 0\n' +
          ')',
      ]
    default:
      throw new TypeError(
        `exampleAppsTableDdl: unknown dialect ${JSON.stringify(dialect)} (mysql, postgres or sqlite)`,
      )
  }
}
