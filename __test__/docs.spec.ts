// What the guides show is what CI builds: every ```ts / ```tsx block in docs/ and the README whose
// first line names a file of examples/next-app (`// app/api/…/route.ts`) is that file, byte for byte.
// (examples/next-app is built, served and walked by .ci/next-app.sh; the Rust guide's blocks are
// doctests.)
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'

import { claimsTableDdl, exampleAppsTableDdl } from '../bindings/src/drizzle.js'
import { dialectBlocks, guideSql } from './guide'

const root = join(__dirname, '..')
const example = join(root, 'examples', 'next-app')
const FILE_LINE = /^\/\/ ((?:app|lib|db|tests)\/[\w./[\]-]+\.tsx?|next\.config\.ts)\n/

/** The example app's own source files (not node_modules, not the build). */
function exampleFiles(): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.next')) continue
      const p = join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (
        /\.(ts|tsx|mjs)$/.test(e.name) &&
        !p.includes(`${join('examples', 'next-app', 'e2e')}`) &&
        !p.includes(`${join('examples', 'next-app', 'tests')}`)
      )
        out.push(p)
    }
  }
  for (const d of ['app', 'db', 'lib']) walk(join(example, d))
  return out
}

function blocks(doc: string): { file: string; body: string }[] {
  const text = readFileSync(join(root, doc), 'utf8')
  const out: { file: string; body: string }[] = []
  for (const m of text.matchAll(/^```tsx?\n([\s\S]*?)^```$/gm)) {
    const head = FILE_LINE.exec(m[1]!)
    if (head) out.push({ file: head[1]!, body: m[1]!.slice(head[0].length) })
  }
  return out
}

const docs = ['README.md', ...readdirSync(join(root, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
)

describe('docs show the example files as they are', () => {
  for (const doc of docs) {
    const found = blocks(doc)
    if (found.length === 0) continue
    test(doc, () => {
      for (const { file, body } of found) {
        const path = join(example, file)
        assert.ok(existsSync(path), `${doc} shows ${file}, which examples/next-app does not have`)
        assert.equal(body, readFileSync(path, 'utf8'), `${doc}: the block of ${file} differs`)
      }
    })
  }

  test('the Next.js guide shows every file a new app pastes, db/ in every dialect', () => {
    const shown = blocks('docs/nextjs.md').map((b) => b.file)
    for (const file of [
      'db/index.ts',
      'db/schema.ts',
      'db/disputes.ts',
      'lib/auth.ts',
      'lib/stripe-connect.ts',
      'app/api/stripe/connect/authorize/route.ts',
      'app/api/stripe/connect/callback/route.ts',
      'app/api/stripe/webhooks/route.ts',
    ])
      assert.ok(shown.includes(file), `docs/nextjs.md does not show ${file}`)
    assert.ok(blocks('docs/errors.md').some((b) => b.file === 'lib/callback-by-hand.ts'))
    // The files that differ by dialect: the example's (MySQL) and a Postgres and a SQLite block.
    const variants = dialectBlocks('docs/nextjs.md')
    for (const file of ['db/index.ts', 'db/schema.ts', 'db/disputes.ts'])
      for (const dialect of ['Postgres', 'SQLite'])
        assert.ok(
          variants.some((v) => v.file === file && v.dialect === dialect),
          `docs/nextjs.md shows no ${dialect} ${file}`,
        )
    // No dialect-specific call left in the shared files.
    for (const file of ['lib/stripe-connect.ts', 'lib/mcp.ts'])
      assert.doesNotMatch(
        readFileSync(join(example, file), 'utf8'),
        /onDuplicateKeyUpdate|onConflictDo|mysql-core|pg-core|sqlite-core/,
        file,
      )
  })

  test("the README says what cargo test costs on a clone's first run and on later runs", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const cost = /\*\*What `cargo test` costs\.\*\*([\s\S]*?)\n\n/.exec(readme)?.[1] ?? ''
    assert.match(cost, /first run on a clone compiles the debug profile/, cost)
    assert.match(cost, /\d+ crates, \d+ min \d+ s/, 'the first run, in minutes and seconds')
    assert.match(cost, /Later runs with nothing changed took \d+ s/, 'later runs')
    assert.doesNotMatch(readme, /about 3 s\)/, 'the old figure, which left out the first compile')
  })

  test('next.config.ts is added to, not pasted over: the guide and the README show the one line the example has', () => {
    const config = readFileSync(join(example, 'next.config.ts'), 'utf8')
    for (const doc of ['docs/nextjs.md', 'README.md']) {
      const text = readFileSync(join(root, doc), 'utf8')
      const add =
        /^```ts\n\/\/ next\.config\.ts: add to the nextConfig object\n([\s\S]*?)^```$/m.exec(text)
      assert.ok(add, `${doc} has no "next.config.ts: add" block`)
      const line = add[1]!.trim()
      assert.equal(line, "serverExternalPackages: ['@support/stripe-connect'],")
      assert.ok(config.includes(`  ${line}\n`), `examples/next-app/next.config.ts lacks ${line}`)
      assert.ok(
        !blocks(doc).some((b) => b.file === 'next.config.ts'),
        `${doc} shows a whole next.config.ts to paste over the template's`,
      )
    }
  })

  test("the environment table of docs/nextjs.md lists every variable the guide's files read", () => {
    const text = readFileSync(join(root, 'docs/nextjs.md'), 'utf8')
    const section = text.slice(text.indexOf('### 3. Environment variables'), text.indexOf('### 4.'))
    const listed = new Set(
      [...section.matchAll(/^\| ((?:`[A-Z_]+`(?:, )?)+) \|/gm)].flatMap((m) =>
        [...m[1]!.matchAll(/`([A-Z_]+)`/g)].map((v) => v[1]!),
      ),
    )
    assert.ok(listed.has('APP_URL') && listed.has('DATABASE_URL'), [...listed].join(' '))
    const sources = [
      ...[...text.matchAll(/^```tsx?\n([\s\S]*?)^```$/gm)].map((m) => m[1]!),
      ...exampleFiles().map((f) => readFileSync(f, 'utf8')),
    ]
    const read = new Set(
      sources.flatMap((src) => [...src.matchAll(/process\.env\.([A-Z_]+)/g)].map((m) => m[1]!)),
    )
    assert.ok(read.size >= 4, [...read].join(' '))
    for (const name of read) assert.ok(listed.has(name), `${name} is read but not in the table`)
    // And what the kit prints for an app is in the table too (its variables are the guide's).
    for (const name of [
      'STRIPE_API_BASE',
      'STRIPE_CONNECT_BASE',
      'STRIPE_SECRET_KEY',
      'STRIPE_CONNECT_CLIENT_ID',
      'STRIPE_WEBHOOK_SECRET',
      'APP_URL',
    ])
      assert.ok(listed.has(name), name)
  })

  test("the SQL of docs/nextjs.md starts with the package's own DDL, per dialect", () => {
    const text = readFileSync(join(root, 'docs/nextjs.md'), 'utf8')
    for (const [dialect, label] of [
      ['mysql', 'MySQL / MariaDB / PlanetScale'],
      ['postgres', 'Postgres'],
      ['sqlite', 'SQLite'],
    ] as const) {
      const sql = guideSql(text, label)
      const statements = sql
        .split(/;\n/)
        .map((s) => s.trim())
        .filter(Boolean)
      const own = [...exampleAppsTableDdl(dialect), ...claimsTableDdl(dialect)]
      assert.deepEqual(statements.slice(0, own.length), own, label)
      assert.ok(
        statements.some((s) => s.includes('SUPPORT_stripe_disputes')),
        label,
      )
      assert.ok(
        statements.some((s) => s.includes('SUPPORT_app_agents')),
        label,
      )
    }
  })

  test('no snippet sets the runtime segment config that cacheComponents forbids', () => {
    for (const doc of docs) {
      const text = readFileSync(join(root, doc), 'utf8')
      for (const m of text.matchAll(/^```tsx?\n([\s\S]*?)^```$/gm))
        assert.ok(!/export const runtime\s*=/.test(m[1]!), `${doc} sets export const runtime`)
    }
  })
})
