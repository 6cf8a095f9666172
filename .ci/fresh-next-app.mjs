// A new Next.js app made from docs/nextjs.md's own blocks, for SQLite, as a newcomer follows the
// guide (issue 25): not the example app. The steps, each read from the guide:
//
//   1. install: the guide's SQLite `npm i` line (the package as `npm pack` makes it; drizzle-orm and
//      @libsql/client at the versions this repository pins), over the files create-next-app makes;
//   2. next.config.ts: the guide's one line added to the template's config, whose settings stay;
//   4. db/: the SQLite blocks; lib/stripe-connect.ts and the routes: the shared blocks (the optional
//      MCP files are left out, so the app never installs the MCP SDK: it must not need it);
//   5. the tables and the apps: the guide's SQLite SQL and INSERT, run with @libsql/client;
//   6. lib/auth.ts: the guide's is a seam that fails closed until the app's BetterAuth replaces it,
//      so this app gets the example's CI stand-in (e2e/auth.ts: a cookie signs an admin in), the
//      only file not from the guide;
//   then `next build` with no Stripe variable, and (8.) `next start` with exactly the variables the
//   test kit process (`stripe-connect-testkit`, started here) prints plus DATABASE_URL, walked over
//   HTTP: authorize → the kit's consent page (its seeded account preselected) → callback → customer
//   lookup → `stripe-connect-testkit trigger` for the dispute, the early fraud warning and the
//   deauthorization, checked in the SQLite file.
//
//   node --test .ci/fresh-next-app.mjs      after `npm run build` and .ci/next-app.sh (warm npm cache)
//
// Prints how long each step took. Only 127.0.0.1 is contacted, besides the npm registry.
import assert from 'node:assert/strict'
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const guide = readFileSync(join(root, 'docs', 'nextjs.md'), 'utf8')
const example = join(root, 'examples', 'next-app')
// Outside the repository, as a new app is (a lockfile above it would make Next.js guess its root).
const app = process.env.FRESH_APP_DIR ?? mkdtempSync(join(tmpdir(), 'fresh-support-app-'))
const dbFile = join(app, 'support.db')
const DATABASE_URL = `file:${dbFile}`
const EMAIL = 'jane@example.com'
const SESSION = 'e2e_session=admin%40support.example'
const SEEDED = 'acct_1TestkitHelpdesk'

let started = Date.now()
const step = (what) => {
  console.log(`# fresh-next-app: ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`)
  started = Date.now()
}

// ---- what the guide says ----

/** The guide's ```ts blocks whose first line is `// <file>` or `// <file> (SQLite)`. */
function guideFiles() {
  const shared = new Map()
  const sqlite = new Map()
  for (const m of guide.matchAll(
    /^```tsx?\n\/\/ ([\w./[\]-]+\.tsx?)( \((?:MySQL|Postgres|SQLite)\))?\n([\s\S]*?)^```$/gm,
  )) {
    const [, file, dialect, body] = m
    if (!dialect) shared.set(file, body)
    else if (dialect === ' (SQLite)') sqlite.set(file, body)
  }
  const files = new Map(shared)
  for (const [file, body] of sqlite) files.set(file, body)
  return { files, sqliteFiles: [...sqlite.keys()] }
}

/** The packages of the guide's SQLite install line. */
function guidePackages() {
  const line = /^npm i ([^#\n]+?)\s+# SQLite/m.exec(guide)
  assert.ok(line, 'docs/nextjs.md has no SQLite `npm i` line')
  return line[1].split(/\s+/)
}

/** The one line the guide says to add to next.config.ts. */
function guideConfigLine() {
  const m = /^```ts\n\/\/ next\.config\.ts: add to the nextConfig object\n([\s\S]*?)^```$/m.exec(
    guide,
  )
  assert.ok(m, 'docs/nextjs.md has no "next.config.ts: add" block')
  return m[1].trim()
}

/** The guide's SQLite SQL, then its INSERT of the apps, as statements. */
function guideSql() {
  const head = '```sql\n-- SQLite: the tables of db/schema.ts\n'
  const i = guide.indexOf(head)
  assert.ok(i >= 0, 'docs/nextjs.md has no SQLite SQL block')
  const tables = guide.slice(i + head.length, guide.indexOf('```', i + head.length))
  const insert = /^```sql\n-- the apps \(a new app adds its own\)\n(INSERT[^\n]*;)\n```$/m.exec(
    guide,
  )
  assert.ok(insert, 'docs/nextjs.md has no INSERT of the apps')
  return `${tables}\n${insert[1]}`
    .split(/;\n/)
    .map((s) => s.trim().replace(/;$/, ''))
    .filter(Boolean)
}

// ---- the app as create-next-app leaves it (the parts that matter), then the guide's files ----

const lockVersion = (lockDir, name) =>
  JSON.parse(readFileSync(join(lockDir, 'package-lock.json'), 'utf8')).packages[
    `node_modules/${name}`
  ]?.version

function makeApp() {
  rmSync(app, { recursive: true, force: true })
  mkdirSync(app, { recursive: true })
  const pkg = JSON.parse(readFileSync(join(example, 'package.json'), 'utf8'))
  // The package the way npm installs it.
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', app, root], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop()
  const dependencies = {
    next: pkg.dependencies.next,
    react: pkg.dependencies.react,
    'react-dom': pkg.dependencies['react-dom'],
  }
  for (const name of guidePackages()) {
    if (name === '@support/stripe-connect') dependencies[name] = `file:./${tarball}`
    else {
      const version = lockVersion(example, name) ?? lockVersion(root, name)
      assert.ok(version, `no pinned version of ${name} in this repository's lockfiles`)
      dependencies[name] = version
    }
  }
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify(
      {
        name: 'fresh-support-app',
        private: true,
        scripts: { dev: 'next dev', build: 'next build', start: 'next start' },
        dependencies,
        devDependencies: {
          typescript: pkg.devDependencies.typescript,
          '@types/node': pkg.devDependencies['@types/node'],
          '@types/react': pkg.devDependencies['@types/react'],
        },
      },
      null,
      2,
    )}\n`,
  )
  // create-next-app's tsconfig (the example's is that one) and its starter files.
  writeFileSync(join(app, 'tsconfig.json'), readFileSync(join(example, 'tsconfig.json')))
  mkdirSync(join(app, 'app'), { recursive: true })
  writeFileSync(
    join(app, 'app', 'layout.tsx'),
    'import type { ReactNode } from \'react\'\n\nexport default function RootLayout({ children }: { children: ReactNode }) {\n  return (\n    <html lang="en">\n      <body>{children}</body>\n    </html>\n  )\n}\n',
  )
  writeFileSync(
    join(app, 'app', 'page.tsx'),
    'export default function Home() {\n  return <main>Support</main>\n}\n',
  )
  // The template's next.config.ts (create-next-app 16 turns these two on); the guide's line is
  // added to it after a first build without it (item 4).
  writeFileSync(join(app, 'next.config.ts'), TEMPLATE_CONFIG)

  const { files, sqliteFiles } = guideFiles()
  assert.deepEqual(sqliteFiles.sort(), ['db/disputes.ts', 'db/index.ts', 'db/schema.ts'])
  const written = []
  for (const [file, body] of files) {
    // The optional MCP endpoint needs the MCP SDK, which this app does not install.
    if (file === 'lib/mcp.ts' || file.includes('/mcp/')) continue
    mkdirSync(dirname(join(app, file)), { recursive: true })
    writeFileSync(join(app, file), body)
    written.push(file)
  }
  for (const needed of [
    'lib/stripe-connect.ts',
    'lib/auth.ts',
    'app/api/stripe/connect/authorize/route.ts',
    'app/api/stripe/connect/callback/route.ts',
    'app/api/stripe/webhooks/route.ts',
    'app/api/support/customer/route.ts',
  ])
    assert.ok(written.includes(needed), `the guide gave no ${needed}`)
  // Step 6: the seam fails closed until the app's BetterAuth replaces it; the walk's stand-in here.
  writeFileSync(join(app, 'lib', 'auth.ts'), readFileSync(join(example, 'e2e', 'auth.ts')))
  return written
}

const TEMPLATE_CONFIG =
  "import type { NextConfig } from 'next'\n\nconst nextConfig: NextConfig = {\n  cacheComponents: true,\n  partialPrefetching: true,\n}\n\nexport default nextConfig\n"

/** The template's config with the guide's line added to its object. */
function configWithGuideLine() {
  const line = guideConfigLine()
  const config = TEMPLATE_CONFIG.replace(
    /\n}\n\nexport default nextConfig/,
    `\n  ${line}\n}\n\nexport default nextConfig`,
  )
  assert.notEqual(config, TEMPLATE_CONFIG)
  return config
}

// ---- processes ----

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** Starts a process and waits until `ready(output)` holds; its output is kept for messages. */
async function startProcess(args, options, ready, what) {
  const out = []
  const child = spawn(process.execPath, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.on('data', (d) => out.push(String(d)))
  child.stderr.on('data', (d) => out.push(String(d)))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited:\n${out.join('')}`)
    if (await ready(out.join(''))) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${what} was not ready within 60 s:\n${out.join('')}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return { output: out, stop: () => (child.kill('SIGTERM'), exited) }
}

/** `next start` of the built app on 127.0.0.1:`port` with exactly `vars` (and PATH, HOME). */
function startNext(port, vars, what = 'next start') {
  return startProcess(
    [join(app, 'node_modules/next/dist/bin/next'), 'start', '-p', String(port), '-H', '127.0.0.1'],
    {
      cwd: app,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        NEXT_TELEMETRY_DISABLED: '1',
        ...vars,
      },
    },
    async () => {
      try {
        await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })
        return true
      } catch {
        return false
      }
    },
    what,
  )
}

/** One request without following redirects. */
async function hop(url, init = {}) {
  const res = await fetch(url, { redirect: 'manual', ...init })
  return {
    status: res.status,
    location: res.headers.get('location'),
    cookies: res.headers.getSetCookie(),
    text: await res.text(),
  }
}

/** SQL on the app's SQLite file, with the app's own @libsql/client. */
async function query(sql) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { createClient } from '@libsql/client'
const c = createClient({ url: ${JSON.stringify(DATABASE_URL)} })
const statements = JSON.parse(process.argv[1])
let rows = []
for (const s of statements) rows = (await c.execute(s)).rows
c.close()
console.log(JSON.stringify(rows))`,
      JSON.stringify(Array.isArray(sql) ? sql : [sql]),
    ],
    { cwd: app },
  )
  return JSON.parse(stdout)
}

/** `stripe-connect-testkit trigger …` from the app's node_modules: exit code and output. */
async function trigger(args) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      join(app, 'node_modules', '.bin', 'stripe-connect-testkit'),
      ['trigger', ...args],
      { cwd: app, timeout: 30_000 },
    )
    return { code: 0, stdout, stderr }
  } catch (err) {
    if (typeof err.code !== 'number') throw err
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

describe('a new app from docs/nextjs.md (SQLite), built and walked against the test kit process', () => {
  let kit
  let server
  let origin
  let vars
  const state = {}

  before(
    async () => {
      const written = makeApp()
      step(`the app from the guide's blocks (${written.length} files)`)
      // The npm cache is warm (this repository's and the example's installs); a registry that
      // stalls fails the step within minutes instead of holding CI to its limit.
      execFileSync(
        'npm',
        [
          'install',
          '--prefer-offline',
          '--no-audit',
          '--no-fund',
          '--loglevel=error',
          '--fetch-timeout=60000',
        ],
        { cwd: app, stdio: 'inherit', timeout: 5 * 60_000 },
      )
      step("npm install (the guide's SQLite line)")
      await query(guideSql())
      step("the guide's SQL and INSERT")
      const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }
      for (const k of Object.keys(env))
        if (k.startsWith('STRIPE_') || k === 'APP_URL') delete env[k]
      const nextBin = join(app, 'node_modules/next/dist/bin/next')
      // Without the guide's line the build fails, and says which line (docs/nextjs.md, step 2).
      const bare = spawnSync(process.execPath, [nextBin, 'build'], {
        cwd: app,
        env,
        encoding: 'utf8',
      })
      state.bareBuild = { status: bare.status, output: `${bare.stdout}\n${bare.stderr}` }
      step('next build without serverExternalPackages (fails)')
      writeFileSync(join(app, 'next.config.ts'), configWithGuideLine())
      execFileSync(process.execPath, [nextBin, 'build'], { cwd: app, env, stdio: 'inherit' })
      step('next build (no Stripe variable)')

      const port = await freePort()
      origin = `http://127.0.0.1:${port}`
      kit = await startProcess(
        [
          join(app, 'node_modules/@support/stripe-connect/bindings/dist/testing/bin.js'),
          '--port',
          '0',
          '--app-url',
          origin,
        ],
        { cwd: app },
        (out) => /^# Send a signed event/m.test(out),
        'stripe-connect-testkit',
      )
      vars = Object.fromEntries(
        [...kit.output.join('').matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]),
      )
      assert.equal(vars.APP_URL, origin)
      // The guide's variables: what the kit printed, and DATABASE_URL. Nothing else of the app's.
      server = await startNext(port, { DATABASE_URL, ...vars })
      step('the test kit process and next start')
    },
    { timeout: 15 * 60_000 },
  )

  after(async () => {
    await server?.stop()
    await kit?.stop()
    if (!process.env.FRESH_APP_DIR) rmSync(app, { recursive: true, force: true })
  })

  test('without the line the build fails naming serverExternalPackages, not a bundler error', () => {
    const { status, output } = state.bareBuild
    assert.notEqual(status, 0, output)
    assert.match(output, /serverExternalPackages: \['@support\/stripe-connect'\]/, output)
    assert.doesNotMatch(output, /not placeable in ESM chunks|Module parse failed/, output)
  })

  test("next.config.ts kept the template settings and gained the guide's line", () => {
    const config = readFileSync(join(app, 'next.config.ts'), 'utf8')
    assert.match(
      config,
      /cacheComponents: true,\n {2}partialPrefetching: true,\n {2}serverExternalPackages: \['@support\/stripe-connect'\],/,
    )
    assert.ok(
      !existsSync(join(app, 'node_modules', '@modelcontextprotocol', 'sdk')),
      'no MCP SDK installed: the app does not need it',
    )
  })

  test('authorize: no session → sign-in; an unknown app → 404 before Stripe; an admin → the kit', async () => {
    const authorize = (slug) => `${origin}/api/stripe/connect/authorize?appSlug=${slug}`
    const anonymous = await hop(authorize('helpdesk'))
    assert.equal(anonymous.status, 303)
    assert.match(anonymous.location ?? '', /\/sign-in\?/)
    const unknown = await hop(authorize('nope'), { headers: { cookie: SESSION } })
    assert.equal(unknown.status, 404, unknown.text)
    assert.deepEqual(JSON.parse(unknown.text), { error: 'Unknown app', code: 'unknown_app' })
    assert.equal(unknown.location, null)
    const start = await hop(authorize('helpdesk'), { headers: { cookie: SESSION } })
    assert.equal(start.status, 307, start.text)
    assert.ok(
      start.location?.startsWith(`${vars.STRIPE_CONNECT_BASE}/oauth/authorize?`),
      start.location,
    )
    assert.equal(
      new URL(start.location).searchParams.get('redirect_uri'),
      `${origin}/api/stripe/connect/callback`,
    )
    state.cookie = start.cookies.find((c) => c.startsWith('stripe_connect_state='))?.split(';')[0]
    assert.ok(state.cookie, start.cookies.join('\n'))
    state.authorize = start.location
  })

  test("the kit's consent page preselects its seeded account; Connect → callback → connected", async () => {
    const page = await hop(state.authorize)
    assert.equal(page.status, 200)
    const selected = /<option value="(acct_\w+)" selected>/.exec(page.text)?.[1]
    assert.equal(selected, SEEDED)
    // The form as a browser posts it: hidden fields, the selected account, the Connect button.
    const fields = new URLSearchParams()
    for (const m of page.text.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
      fields.append(m[1], m[2].replaceAll('&quot;', '"').replaceAll('&amp;', '&'))
    fields.set('account', selected)
    fields.set('decision', 'approve')
    const approved = await hop(`${vars.STRIPE_CONNECT_BASE}/oauth/authorize`, {
      method: 'POST',
      body: fields,
    })
    assert.equal(approved.status, 302, approved.text)
    const done = await hop(approved.location, { headers: { cookie: state.cookie } })
    assert.equal(done.status, 303, done.text)
    assert.equal(
      new URL(done.location, origin).pathname + new URL(done.location, origin).search,
      '/settings/integrations?success=connected&app=helpdesk',
    )
    assert.deepEqual(
      await query(
        `SELECT "stripe_account_id", "stripe_connected" FROM "SUPPORT_apps" WHERE "slug" = 'helpdesk'`,
      ),
      [{ stripe_account_id: SEEDED, stripe_connected: 1 }],
    )
  })

  test("the customer lookup shows the seeded account's payments", async () => {
    const res = await fetch(`${origin}/api/support/customer?email=${encodeURIComponent(EMAIL)}`)
    assert.equal(res.status, 200)
    const body = await res.json()
    const helpdesk = body.apps.find((a) => a.appSlug === 'helpdesk')
    assert.ok(helpdesk, JSON.stringify(body))
    assert.deepEqual(helpdesk.payments.map((p) => [p.amount, p.refunded]).sort(), [
      [4900, false],
      [4900, true],
    ])
  })

  test('without APP_URL (the table says it is needed) the routes answer 500 and the log names it', async () => {
    const port = await freePort()
    const { APP_URL, ...rest } = vars
    assert.ok(APP_URL)
    const bare = await startNext(port, { DATABASE_URL, ...rest }, 'next start without APP_URL')
    try {
      const res = await hop(
        `http://127.0.0.1:${port}/api/stripe/connect/authorize?appSlug=helpdesk`,
        {
          headers: { cookie: SESSION },
        },
      )
      assert.equal(res.status, 500)
      assert.match(bare.output.join(''), /APP_URL is not set/)
    } finally {
      await bare.stop()
    }
  })

  test('stripe-connect-testkit trigger: a dispute is recorded once, a warning answered, a deauthorization clears the app', async () => {
    const to = ['--to', `${origin}/api/stripe/webhooks`, '--kit', vars.STRIPE_API_BASE]
    const dispute = await trigger(['charge.dispute.created', ...to])
    assert.equal(dispute.code, 0, dispute.stdout + dispute.stderr)
    assert.match(dispute.stdout, /^<- 200 \{"received":true\}$/m)
    const disputes = () =>
      query('SELECT "app_slug", "account_id", "amount", "reason" FROM "SUPPORT_stripe_disputes"')
    assert.deepEqual(await disputes(), [
      { app_slug: 'helpdesk', account_id: SEEDED, amount: 4900, reason: 'fraudulent' },
    ])
    const again = await trigger(['charge.dispute.created', ...to])
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.equal((await disputes()).length, 1, 'the upsert keeps one row per dispute')
    const warning = await trigger(['radar.early_fraud_warning.created', ...to])
    assert.equal(warning.code, 0, warning.stdout + warning.stderr)
    assert.match(warning.stdout, /^<- 200 /m)
    const forged = await trigger([
      'charge.dispute.created',
      ...to,
      '--webhook-secret',
      'whsec_not_the_apps',
    ])
    assert.equal(forged.code, 1)
    assert.match(forged.stdout, /^<- 400 /m)
    const gone = await trigger(['account.application.deauthorized', ...to])
    assert.equal(gone.code, 0, gone.stdout + gone.stderr)
    assert.deepEqual(
      await query(
        `SELECT "stripe_account_id", "stripe_connected" FROM "SUPPORT_apps" WHERE "slug" = 'helpdesk'`,
      ),
      [{ stripe_account_id: null, stripe_connected: 0 }],
    )
    step('the walk')
  })
})
