// The database blocks of docs/nextjs.md, run: for Postgres (PGlite) and SQLite (libsql), and for
// MySQL when MYSQL_URL is set, the guide's SQL creates the tables, its INSERT adds the apps, and its
// db/schema.ts and db/disputes.ts for that dialect (written out as files and imported, with db/index.ts
// pointed at the test database) drive the package's stores and the dispute upsert. The SQLite
// blocks are also what .ci/fresh-next-app.mjs builds a new app from; the MySQL ones are the
// example's files, which .ci/next-app.sh builds and walks.
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { pathToFileURL } from 'node:url'

import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import mysql from 'mysql2/promise'

import {
  claimsTableDdl,
  drizzleClaimStore,
  drizzleConnectionStore,
} from '../bindings/src/drizzle.js'
import { dialectBlocks, guideSql } from './guide'

const root = join(__dirname, '..')
const guide = readFileSync(join(root, 'docs/nextjs.md'), 'utf8')
const example = join(root, 'examples', 'next-app')
// Under the repository, so that the files resolve drizzle-orm and @support/stripe-connect as an
// app's would.
mkdirSync(join(root, 'target'), { recursive: true })
const work = mkdtempSync(join(root, 'target', 'guide-dialects-'))
after(() => rmSync(work, { recursive: true, force: true }))

/** The guide's INSERT of the apps, for a dialect's quoting. */
function appsInsert(dialect: 'mysql' | 'postgres' | 'sqlite'): string {
  const m = /^```sql\n-- the apps \(a new app adds its own\)\n(INSERT[^\n]*);\n```$/m.exec(guide)
  assert.ok(m, 'docs/nextjs.md has no INSERT of the apps')
  return dialect === 'mysql' ? m[1]!.replaceAll('"', '`') : m[1]!
}

/** Writes the dialect's db/ files into a fresh folder; db/index.ts exports the test's `db`. */
function writeApp(name: string, files: Record<string, string>): string {
  const dir = join(work, name)
  mkdirSync(join(dir, 'db'), { recursive: true })
  // `@/db` is the app root's db/ (create-next-app's path alias); here, relative imports.
  for (const [file, body] of Object.entries(files))
    writeFileSync(
      join(dir, file),
      body
        .replaceAll("from '@/db/schema'", "from './schema'")
        .replaceAll("from '@/db'", "from './index'"),
    )
  return dir
}

function guideFiles(dialect: 'Postgres' | 'SQLite'): Record<string, string> {
  const files: Record<string, string> = {}
  for (const b of dialectBlocks('docs/nextjs.md'))
    if (b.dialect === dialect && b.file !== 'db/index.ts') files[b.file] = b.body
  assert.deepEqual(Object.keys(files).sort(), ['db/disputes.ts', 'db/schema.ts'])
  return files
}

const row = (reason: string) => ({
  disputeId: 'du_guide_1',
  appSlug: 'helpdesk',
  accountId: 'acct_guide',
  chargeId: 'ch_guide',
  amount: 2500,
  currency: 'usd',
  reason,
  evidenceDueBy: 1_800_000_000,
  livemode: false,
})

/** What every dialect must do with the guide's files. */
async function exercise(
  dir: string,
  db: any,
  readDisputes: () => Promise<{ dispute_id: string; reason: string; amount: number }[]>,
): Promise<void> {
  const schema = await import(pathToFileURL(join(dir, 'db', 'schema.ts')).href)
  const { recordDispute } = await import(pathToFileURL(join(dir, 'db', 'disputes.ts')).href)
  const connections = drizzleConnectionStore(db, schema.apps)
  assert.equal(await connections.hasApp('helpdesk'), true, 'the guide inserts the app')
  assert.equal(await connections.hasApp('nope'), false)
  await connections.save({
    appSlug: 'helpdesk',
    accountId: 'acct_guide',
    livemode: false,
    scope: 'read_write',
  })
  assert.equal((await connections.getBySlug('helpdesk'))?.accountId, 'acct_guide')
  assert.equal(await connections.clearByAccount('acct_guide'), 'helpdesk')
  const claims = drizzleClaimStore(db, schema.stripeConnectClaims)
  assert.equal(await claims.acquire('webhook:evt_guide', 'lease-a', 30), 'acquired')
  assert.equal(await claims.acquire('webhook:evt_guide', 'lease-b', 30), 'in_progress')
  // Fenced: only the holder's token completes the lease.
  assert.equal(await claims.complete('webhook:evt_guide', 'lease-b', 60), false)
  assert.notEqual(await claims.complete('webhook:evt_guide', 'lease-a', 60), false)
  assert.equal(await claims.acquire('webhook:evt_guide', 'lease-c', 30), 'done')
  // The sink's upsert: a redelivery keeps one row (and its latest reason).
  await recordDispute(row('fraudulent'))
  await recordDispute(row('general'))
  const disputes = await readDisputes()
  assert.deepEqual(
    disputes.map((d) => [d.dispute_id, d.reason, Number(d.amount)]),
    [['du_guide_1', 'general', 2500]],
  )
}

describe("docs/nextjs.md's database blocks", () => {
  test('SQLite (libsql): the SQL, the INSERT, db/schema.ts and db/disputes.ts', async () => {
    const { createClient } = await import('@libsql/client')
    const { drizzle } = await import('drizzle-orm/libsql')
    const file = join(work, 'support.db')
    const client = createClient({ url: `file:${file}` })
    try {
      for (const stmt of `${guideSql(guide, 'SQLite')}\n${appsInsert('sqlite')};`.split(/;\n/))
        if (stmt.trim()) await client.execute(stmt)
      const dir = writeApp('sqlite', {
        ...guideFiles('SQLite'),
        'db/index.ts': `import { drizzle } from 'drizzle-orm/libsql'\nimport * as schema from './schema'\nexport const db = drizzle({ connection: { url: ${JSON.stringify(`file:${file}`)} }, schema })\n`,
      })
      const db = drizzle({ client })
      await exercise(dir, db, async () => {
        const r = await client.execute(
          'SELECT dispute_id, reason, amount FROM "SUPPORT_stripe_disputes"',
        )
        return r.rows as never
      })
    } finally {
      client.close()
    }
  })

  test('Postgres (PGlite): the SQL, the INSERT, db/schema.ts and db/disputes.ts', async () => {
    const { PGlite } = await import('@electric-sql/pglite')
    const { drizzle } = await import('drizzle-orm/pglite')
    const pg = new PGlite()
    try {
      await pg.exec(`${guideSql(guide, 'Postgres')}\n${appsInsert('postgres')};`)
      const db = drizzle({ client: pg })
      ;(globalThis as { __guidePg?: unknown }).__guidePg = db
      const dir = writeApp('postgres', {
        ...guideFiles('Postgres'),
        // The guide's db/index.ts uses node-postgres (pg), which is not installed here: the same
        // schema on PGlite.
        'db/index.ts': 'export const db = (globalThis as any).__guidePg\n',
      })
      await exercise(dir, db, async () => {
        const r = await pg.query('SELECT dispute_id, reason, amount FROM "SUPPORT_stripe_disputes"')
        return r.rows as never
      })
    } finally {
      await pg.close()
    }
  })

  test("MySQL (MariaDB, when MYSQL_URL is set): the SQL, the INSERT and the example's db/ files", async (t) => {
    const url = process.env.MYSQL_URL
    if (!url) return t.skip('MYSQL_URL is not set (.ci/mariadb.sh start)')
    const pool = mysql.createPool({ uri: url, connectionLimit: 2 })
    try {
      for (const t of [
        'SUPPORT_apps',
        'stripe_connect_claims',
        'SUPPORT_stripe_disputes',
        'SUPPORT_app_agents',
      ])
        await pool.query(`DROP TABLE IF EXISTS \`${t}\``)
      for (const stmt of `${guideSql(guide, 'MySQL / MariaDB / PlanetScale')}\n${appsInsert('mysql')};`.split(
        /;\n/,
      ))
        if (stmt.trim()) await pool.query(stmt)
      ;(globalThis as { __guideMysql?: unknown }).__guideMysql = drizzleMysql({ client: pool })
      const dir = writeApp('mysql', {
        'db/schema.ts': readFileSync(join(example, 'db', 'schema.ts'), 'utf8'),
        'db/disputes.ts': readFileSync(join(example, 'db', 'disputes.ts'), 'utf8'),
        'db/index.ts': 'export const db = (globalThis as any).__guideMysql\n',
      })
      await exercise(dir, (globalThis as { __guideMysql?: unknown }).__guideMysql, async () => {
        const [rows] = await pool.query(
          'SELECT dispute_id, reason, amount FROM `SUPPORT_stripe_disputes`',
        )
        return rows as never
      })
    } finally {
      for (const t of [
        'SUPPORT_apps',
        'stripe_connect_claims',
        'SUPPORT_stripe_disputes',
        'SUPPORT_app_agents',
      ])
        await pool.query(`DROP TABLE IF EXISTS \`${t}\``).catch(() => {})
      await pool.end()
    }
  })
})

test("the guide's claims table is the package's (claimsTableDdl), in each dialect", () => {
  for (const [label, dialect] of [
    ['MySQL / MariaDB / PlanetScale', 'mysql'],
    ['Postgres', 'postgres'],
    ['SQLite', 'sqlite'],
  ] as const) {
    const sql = guideSql(guide, label)
    for (const stmt of claimsTableDdl(dialect))
      assert.ok(sql.includes(`${stmt};`), `${label}: the guide lacks\n${stmt}`)
  }
})
