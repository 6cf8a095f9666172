// The example app, built by `next build` and served by `next start`, walked against the package's
// test kit: once over plain HTTP (authorize → consent → callback → customer lookup → signed dispute
// webhook → an agent over MCP → deauthorization → replayed callback), and once through a real
// browser (Debian's chromium driven by playwright-core) clicking "Connect" on the test kit's
// consent page. The MCP endpoint is driven by the official SDK's Streamable HTTP client and by the
// MCP Inspector's CLI, each with a bearer token the app maps to the apps its user works on.
// Then a second `next start` of the same build with STRIPE_APP_ID set connects through the Stripe
// App's install link instead (authorize → install page → Install → callback → customer lookup →
// a forged account refused → replayed callback → uninstall), over HTTP and in the browser.
//
//   cd examples/next-app && npm run build && DATABASE_URL=mysql://… node --test e2e/walk.mjs
//
// The app is pointed at the test kit through the environment only (STRIPE_API_BASE,
// STRIPE_CONNECT_BASE, STRIPE_INSTALL_BASE): no code of the app knows it is under test.
// `.ci/next-app.sh` runs this.
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'

import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'

import { claimsTableDdl, exampleAppsTableDdl } from '@support/stripe-connect/drizzle'
import {
  applicationDeauthorizedEvent,
  deliverWebhook,
  disputeCreatedEvent,
  startFakeStripe,
} from '@support/stripe-connect/testing'
import { TOOL_NAMES } from '@support/stripe-connect/tools'
import mysql from 'mysql2/promise'

const SECRET_KEY = 'sk_test_example_app_platform'
const CLIENT_ID = 'ca_exampleplatform01'
const WEBHOOK_SECRET = 'whsec_example_app_endpoint'
// The platform's Stripe App (its manifest id and signing secret), for the install-link walk.
const APP_ID = 'com.example.support-walk'
const APP_SECRET = 'absec_example_app_walk'
const COOKIE = 'stripe_connect_state'
const CALLBACK_PATH = '/api/stripe/connect/callback'
const EMAIL = 'jane@example.com'
// Signed in as a support admin through the CI build's stand-in for lib/auth.ts (e2e/auth.ts).
const SESSION = 'e2e_session=admin%40support.example'
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const APP_DIR = new URL('..', import.meta.url).pathname

const databaseUrl = process.env.DATABASE_URL
if (!databaseUrl) throw new Error('DATABASE_URL (a MySQL/MariaDB URL) is required by the walk')

/** A free TCP port on 127.0.0.1 for `next start`. */
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

/** `next start` on `port`, resolved once it answers; its output is kept for failure messages. */
async function startNext(port, env) {
  const out = []
  const child = spawn(
    process.execPath,
    [
      join(APP_DIR, 'node_modules/next/dist/bin/next'),
      'start',
      '-p',
      String(port),
      '-H',
      '127.0.0.1',
    ],
    { cwd: APP_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child.stdout.on('data', (d) => out.push(String(d)))
  child.stderr.on('data', (d) => out.push(String(d)))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited:\n${out.join('')}`)
    try {
      await fetch(`http://127.0.0.1:${port}/settings/integrations`, {
        signal: AbortSignal.timeout(2000),
      })
      return { output: out, stop: () => (child.kill('SIGTERM'), exited) }
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL')
        throw new Error(`next start did not answer within 60 s:\n${out.join('')}`)
      }
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}

/** Path and query of a redirect (Next.js reports its own origin as localhost or 127.0.0.1). */
const target = (location) => {
  const u = new URL(location ?? '', 'http://unknown')
  return u.pathname + u.search
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

/** The test kit's consent page: its form's action and fields, as a browser would submit them. */
function consentForm(html, baseUrl) {
  const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(html)
  assert.ok(form, `no form on the consent page:\n${html}`)
  const fields = new URLSearchParams()
  for (const m of form[2].matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(m[0])?.[1]
    const value = /value="([^"]*)"/.exec(m[0])?.[1] ?? ''
    if (name) fields.append(name, value.replaceAll('&amp;', '&').replaceAll('&quot;', '"'))
  }
  return { action: new URL(form[1].replaceAll('&amp;', '&'), baseUrl).href, fields }
}

const INSPECTOR = join(
  APP_DIR,
  'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js',
)

/** A raw MCP initialize POST (what a client sends first). */
function mcpPost(url, headers) {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'walk', version: '1' },
      },
    }),
  })
}

/** The tables the app uses, empty but for two apps and who works on them. */
async function resetDatabase(pool) {
  for (const t of [
    'SUPPORT_apps',
    'stripe_connect_claims',
    'SUPPORT_stripe_disputes',
    'SUPPORT_app_agents',
  ])
    await pool.query(`DROP TABLE IF EXISTS \`${t}\``)
  for (const sql of [...exampleAppsTableDdl('mysql'), ...claimsTableDdl('mysql')])
    await pool.query(sql)
  // db/schema.ts's stripeDisputes, as drizzle-kit would create it.
  await pool.query(
    'CREATE TABLE `SUPPORT_stripe_disputes` (`dispute_id` varchar(255) PRIMARY KEY, ' +
      '`app_slug` varchar(100), `account_id` varchar(255), `charge_id` varchar(255), ' +
      '`amount` bigint NOT NULL, `currency` varchar(3) NOT NULL, `reason` varchar(64) NOT NULL, ' +
      '`evidence_due_by` bigint, `livemode` boolean NOT NULL, ' +
      '`created_at` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP)',
  )
  await pool.query(
    "INSERT INTO `SUPPORT_apps` (slug, name) VALUES ('helpdesk', 'Helpdesk'), ('billing', 'Billing Bot')",
  )
  // db/schema.ts's appAgents: who works on which app (what their agents may reach over MCP).
  await pool.query(
    'CREATE TABLE `SUPPORT_app_agents` (`user_id` varchar(255) NOT NULL, ' +
      '`app_slug` varchar(100) NOT NULL, PRIMARY KEY (`user_id`, `app_slug`))',
  )
  await pool.query(
    "INSERT INTO `SUPPORT_app_agents` VALUES ('agent-helpdesk', 'helpdesk'), " +
      "('agent-both', 'helpdesk'), ('agent-both', 'billing')",
  )
}

/** The connection columns of an app's row. */
async function appRow(pool, slug) {
  const [rows] = await pool.query(
    'SELECT stripe_account_id, stripe_connected FROM SUPPORT_apps WHERE slug = ?',
    [slug],
  )
  return rows
}

/** `next start`'s environment: the app pointed at the kit at `fake.url`, plus `extra`. */
function appEnv(origin, fake, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    APP_URL: origin,
    DATABASE_URL: databaseUrl,
    STRIPE_SECRET_KEY: SECRET_KEY,
    STRIPE_CONNECT_CLIENT_ID: CLIENT_ID,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    // The only thing that points the app at the test kit.
    STRIPE_API_BASE: fake.url,
    STRIPE_CONNECT_BASE: fake.url,
    ...extra,
  }
}

/** A page of Debian's Chromium (playwright-core) signed in at `origin`; closed when test `t` ends. */
async function signedInBrowser(t, origin) {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install chromium)`)
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Headless, and no calls home: this machine's network is closed.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ], // and a new empty profile: launch() makes one per browser
  })
  t.after(() => browser.close())
  const context = await browser.newContext()
  await context.addCookies([
    { name: 'e2e_session', value: SESSION.split('=')[1], url: origin, httpOnly: true },
  ])
  return context.newPage()
}

describe('examples/next-app under next start, against the test kit', () => {
  let fake
  let app
  let pool
  let origin
  const tokenExchanges = () => fake.findRequests({ method: 'POST', path: '/oauth/token' }).length

  before(async () => {
    pool = mysql.createPool({ uri: databaseUrl, connectionLimit: 2 })
    await resetDatabase(pool)

    const port = await freePort()
    origin = `http://127.0.0.1:${port}`
    // Strict like Stripe: only this key, client id and redirect URI; a consent page, as a person sees.
    fake = await startFakeStripe({
      secretKey: SECRET_KEY,
      clientId: CLIENT_ID,
      redirectUris: [`${origin}${CALLBACK_PATH}`],
      consent: 'page',
    })
    app = await startNext(port, appEnv(origin, fake))
  })

  after(async () => {
    await app?.stop()
    await fake?.close()
    await pool?.end()
  })

  const state = {}

  /** The official SDK's client over Streamable HTTP, with an MCP access token. */
  async function mcpClient(token) {
    const client = new Client({ name: 'walk', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${origin}/api/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    )
    return client
  }

  /** Valid arguments for every tool, for the customer the lookup test made. */
  const toolCalls = () => [
    ['get_customer_context', { email: EMAIL }],
    ['get_payment_history', { appSlug: 'helpdesk', email: EMAIL }],
    ['get_subscription_status', { appSlug: 'helpdesk', email: EMAIL }],
    ['lookup_charge', { appSlug: 'helpdesk', chargeId: state.paidCharge }],
    [
      'verify_refund',
      {
        appSlug: 'helpdesk',
        refundId: state.refund,
        expectedAmount: 4900,
        chargeId: state.paidCharge,
      },
    ],
    ['get_disputes', { appSlug: 'helpdesk', email: EMAIL }],
    ['list_connected_apps', {}],
    ['get_invoices', { appSlug: 'helpdesk', email: EMAIL }],
    ['get_failed_payments', { appSlug: 'helpdesk', email: EMAIL }],
    ['get_billing_timeline', { appSlug: 'helpdesk', email: EMAIL }],
  ]

  /** The MCP Inspector's CLI (`inspector --cli`) against /api/mcp; its exit code and output. */
  async function inspector(args) {
    const home = mkdtempSync(join(tmpdir(), 'inspector-'))
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [INSPECTOR, '--cli', `${origin}/api/mcp`, '--transport', 'http', ...args],
        {
          env: { PATH: process.env.PATH, HOME: home, MCP_CATALOG_PATH: join(home, 'mcp.json') },
          timeout: 60_000,
        },
      )
      return { code: 0, stdout, stderr }
    } catch (err) {
      if (typeof err.code !== 'number') throw err
      return { code: err.code, stdout: err.stdout, stderr: err.stderr }
    }
  }

  test('authorize → consent page → Connect → callback: connected', async () => {
    const account = fake.createAccount({ connected: false, email: 'owner@helpdesk.example' })
    fake.oauth.nextAccount = account
    const authorize = `${origin}/api/stripe/connect/authorize?appSlug=helpdesk`
    const anonymous = await hop(authorize)
    assert.equal(anonymous.status, 303, 'canConnect: no session, no Stripe')
    assert.match(anonymous.location ?? '', /\/sign-in\?/)
    const start = await hop(authorize, { headers: { cookie: SESSION } })
    assert.equal(start.status, 307, start.text)
    assert.ok(start.location?.startsWith(`${fake.url}/oauth/authorize?`), start.location ?? '')
    assert.equal(new URL(start.location).searchParams.get('client_id'), CLIENT_ID)
    const cookie = start.cookies.find((c) => c.startsWith(`${COOKIE}=`))
    assert.match(cookie ?? '', new RegExp(`^${COOKIE}=[^;]+; Path=${CALLBACK_PATH}; `))
    state.cookie = cookie.split(';')[0]

    const consent = await hop(start.location)
    assert.equal(consent.status, 200)
    assert.match(consent.text, /Connect/)
    const { action, fields } = consentForm(consent.text, fake.url)
    fields.set('decision', 'approve')
    const approved = await hop(action, { method: 'POST', body: fields })
    assert.equal(approved.status, 302, approved.text)
    assert.ok(approved.location?.startsWith(`${origin}${CALLBACK_PATH}?code=`), approved.location)
    state.callbackUrl = approved.location

    const done = await hop(state.callbackUrl, { headers: { cookie: state.cookie } })
    assert.equal(done.status, 303)
    assert.equal(target(done.location), '/settings/integrations?success=connected&app=helpdesk')
    assert.ok(done.cookies.some((c) => c.startsWith(`${COOKIE}=;`) && c.includes('Max-Age=0')))
    assert.equal(tokenExchanges(), 1)
    const [rows] = await pool.query(
      "SELECT stripe_account_id, stripe_connected FROM SUPPORT_apps WHERE slug = 'helpdesk'",
    )
    assert.deepEqual(rows, [{ stripe_account_id: account, stripe_connected: 1 }])
    state.account = account

    const page = await hop(`${origin}${target(done.location)}`)
    assert.equal(page.status, 200)
    assert.match(page.text, /Stripe connected for <!-- -->helpdesk|Stripe connected for helpdesk/)
  })

  test('customer lookup across the connected apps', async () => {
    const jane = fake.addCustomer(state.account, { email: EMAIL })
    const paid = fake.addCharge(state.account, { customer: jane, amount: 4900, description: 'Pro' })
    const refund = fake.addRefund(state.account, { charge: paid.id, amount: 4900 })
    Object.assign(state, { paidCharge: paid.id, refund: refund.id })
    fake.addCharge(state.account, { customer: jane, amount: 1900, description: 'Basic' })
    const res = await fetch(`${origin}/api/support/customer?email=${encodeURIComponent(EMAIL)}`)
    assert.equal(res.status, 200)
    const body = await res.json()
    const helpdesk = body.apps.find((a) => a.appSlug === 'helpdesk')
    assert.ok(helpdesk, JSON.stringify(body))
    assert.deepEqual(helpdesk.payments.map((p) => [p.amount, p.refunded]).sort(), [
      [1900, false],
      [4900, true],
    ])
    const missing = await fetch(`${origin}/api/support/customer`)
    assert.equal(missing.status, 400)
  })

  test('a signed charge.dispute.created is recorded once; a bad signature is refused', async () => {
    const charge = fake.addCharge(state.account, { amount: 2500 })
    const dispute = fake.addDispute(state.account, { charge: charge.id, reason: 'fraudulent' })
    const event = disputeCreatedEvent(state.account, dispute)
    const url = `${origin}/api/stripe/webhooks`
    const first = await deliverWebhook(url, event, { secret: WEBHOOK_SECRET })
    assert.equal(first.status, 200)
    assert.deepEqual(first.json, { received: true })
    const again = await deliverWebhook(url, event, { secret: WEBHOOK_SECRET })
    assert.equal(again.status, 200)
    const forged = await deliverWebhook(url, event, { secret: 'whsec_not_the_endpoints' })
    assert.equal(forged.status, 400)
    const [rows] = await pool.query(
      'SELECT dispute_id, app_slug, amount, reason FROM SUPPORT_stripe_disputes',
    )
    assert.deepEqual(rows, [
      { dispute_id: dispute.id, app_slug: 'helpdesk', amount: 2500, reason: 'fraudulent' },
    ])
  })

  test('an agent over MCP (the SDK client): every tool, only the apps its user works on', async () => {
    const client = await mcpClient('e2e_mcp_agent-helpdesk')
    try {
      const { tools } = await client.listTools()
      assert.deepEqual(
        tools.map((t) => t.name),
        [...TOOL_NAMES],
      )
      for (const [name, args] of toolCalls()) {
        const r = await client.callTool({ name, arguments: args })
        assert.equal(r.isError, false, `${name}: ${JSON.stringify(r.content)}`)
        assert.equal(r.structuredContent.success, true, name)
        if (name === 'get_payment_history')
          assert.deepEqual(
            r.structuredContent.data.payments.items.map((p) => p.amount).sort(),
            [1900, 4900],
          )
        if (name === 'verify_refund') assert.equal(r.structuredContent.data.verified, true)
        if (name === 'list_connected_apps')
          assert.deepEqual(
            r.structuredContent.data.apps.map((a) => a.appSlug),
            ['helpdesk'],
          )
      }
      // Connected, but not one of this user's apps.
      const refused = await client.callTool({
        name: 'get_payment_history',
        arguments: { appSlug: 'billing', email: EMAIL },
      })
      assert.equal(refused.isError, true)
      assert.equal(refused.structuredContent.error.code, 'app_out_of_scope')
    } finally {
      await client.close()
    }
    const both = await mcpClient('e2e_mcp_agent-both')
    try {
      const r = await both.callTool({ name: 'list_connected_apps', arguments: {} })
      assert.deepEqual(r.structuredContent.data.apps.map((a) => a.appSlug).sort(), [
        'billing',
        'helpdesk',
      ])
    } finally {
      await both.close()
    }
  })

  test('MCP: no token or a wrong one is a 401 naming the metadata; a user with no app, 403', async () => {
    const url = `${origin}/api/mcp`
    const missing = await mcpPost(url, {})
    assert.equal(missing.status, 401)
    const challenge = missing.headers.get('www-authenticate') ?? ''
    const metadataUrl = /^Bearer resource_metadata="([^"]+)"$/.exec(challenge)?.[1]
    assert.ok(metadataUrl, challenge)
    assert.equal(new URL(metadataUrl).pathname, '/.well-known/oauth-protected-resource/api/mcp')
    const wrong = await mcpPost(url, { authorization: 'Bearer stolen-or-expired' })
    assert.equal(wrong.status, 401)
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token", /)
    const nobody = await mcpPost(url, { authorization: 'Bearer e2e_mcp_agent-nobody' })
    assert.equal(nobody.status, 403)
    const evil = await mcpPost(url, {
      authorization: 'Bearer e2e_mcp_agent-helpdesk',
      origin: 'https://evil.example',
    })
    assert.equal(evil.status, 403)

    // The metadata the challenge names, served by the app (RFC 9728).
    const metadata = await fetch(`${origin}${new URL(metadataUrl).pathname}`)
    assert.equal(metadata.status, 200)
    const body = await metadata.json()
    assert.equal(new URL(body.resource).pathname, '/api/mcp')
    assert.deepEqual(
      body.authorization_servers.map((s) => new URL(s).pathname),
      ['/api/auth'],
    )
    assert.deepEqual(body.bearer_methods_supported, ['header'])
  })

  test('MCP: the Inspector CLI lists the tools, calls one, and is refused another app and no token', async () => {
    const bearer = ['--header', 'Authorization: Bearer e2e_mcp_agent-helpdesk']
    // --strict: the schemas are portable (no type arrays, …): exit 6 on an error, warnings listed.
    const list = await inspector([...bearer, '--method', 'tools/list', '--strict'])
    assert.equal(list.code, 0, list.stderr)
    assert.doesNotMatch(list.stderr, /Warning|Error/, list.stderr)
    assert.deepEqual(
      JSON.parse(list.stdout).tools.map((t) => t.name),
      [...TOOL_NAMES],
    )
    const call = await inspector([
      ...bearer,
      '--method',
      'tools/call',
      '--tool-name',
      'lookup_charge',
      '--tool-arg',
      'appSlug=helpdesk',
      `chargeId=${state.paidCharge}`,
    ])
    assert.equal(call.code, 0, call.stderr)
    const charge = JSON.parse(call.stdout).structuredContent
    assert.equal(charge.success, true, call.stdout)
    assert.equal(charge.data.charge.amountFormatted, '$49.00')
    const outside = await inspector([
      ...bearer,
      '--method',
      'tools/call',
      '--tool-name',
      'get_payment_history',
      '--tool-arg',
      'appSlug=billing',
      `email=${EMAIL}`,
    ])
    assert.notEqual(outside.code, 0)
    assert.match(outside.stdout, /app_out_of_scope/)
    const anonymous = await inspector(['--method', 'tools/list'])
    assert.notEqual(anonymous.code, 0)
    assert.doesNotMatch(anonymous.stdout, /get_customer_context/)
  })

  test('account.application.deauthorized clears the app row', async () => {
    const event = applicationDeauthorizedEvent(state.account, CLIENT_ID)
    const res = await deliverWebhook(`${origin}/api/stripe/webhooks`, event, {
      secret: WEBHOOK_SECRET,
    })
    assert.equal(res.status, 200)
    const [rows] = await pool.query(
      "SELECT stripe_account_id, stripe_connected FROM SUPPORT_apps WHERE slug = 'helpdesk'",
    )
    assert.deepEqual(rows, [{ stripe_account_id: null, stripe_connected: 0 }])
  })

  test('a replayed callback is refused and the code is not exchanged again', async () => {
    const replay = await hop(state.callbackUrl, { headers: { cookie: state.cookie } })
    assert.equal(replay.status, 303)
    assert.equal(target(replay.location), '/settings/integrations?error=invalid_state')
    assert.equal(tokenExchanges(), 1)
    assert.deepEqual(
      fake.apiRequests().filter((r) => r.method !== 'GET'),
      [],
      'the app sent only GETs to the API',
    )
    fake.assertNoViolations()
  })

  test('a real browser: Connect on the consent page lands on the settings page', async (t) => {
    const page = await signedInBrowser(t, origin)
    const account = fake.createAccount({ connected: false, email: 'finance@billing.example' })
    fake.oauth.nextAccount = account
    await page.goto(`${origin}/api/stripe/connect/authorize?appSlug=billing`)
    assert.ok(page.url().startsWith(`${fake.url}/oauth/authorize?`), page.url())
    await page.getByRole('button', { name: 'Connect' }).click()
    await page.waitForURL(/\/settings\/integrations\?/)
    assert.equal(target(page.url()), '/settings/integrations?success=connected&app=billing')
    assert.equal(
      await page.locator('#stripe-connect-result').textContent(),
      'Stripe connected for billing.',
    )
    const [rows] = await pool.query(
      "SELECT stripe_account_id, stripe_connected FROM SUPPORT_apps WHERE slug = 'billing'",
    )
    assert.deepEqual(rows, [{ stripe_account_id: account, stripe_connected: 1 }])
  })
})

// The same build, connecting through the platform's Stripe App: STRIPE_APP_ID set makes
// lib/stripe-connect.ts build the routes with `connect: 'stripe-app'`, so authorize sends the admin
// to the app's install link and the callback verifies the install's signature (no code, no token
// exchange). The kit serves the link at STRIPE_INSTALL_BASE, with its install page.
describe('examples/next-app with STRIPE_APP_ID: Stripe App installs', () => {
  let fake
  let app
  let pool
  let origin
  const state = {}
  const link = () => `${fake.url}/apps/install/link/${APP_ID}`
  const authorize = (slug) => `${origin}/api/stripe/connect/authorize?appSlug=${slug}`

  before(async () => {
    pool = mysql.createPool({ uri: databaseUrl, connectionLimit: 2 })
    await resetDatabase(pool)
    const port = await freePort()
    origin = `http://127.0.0.1:${port}`
    // The app's manifest allows only this server's callback; the install page, as a person sees it.
    fake = await startFakeStripe({
      secretKey: SECRET_KEY,
      clientId: CLIENT_ID,
      redirectUris: [`${origin}${CALLBACK_PATH}`],
      webhookSecret: WEBHOOK_SECRET,
      stripeApp: {
        appId: APP_ID,
        signingSecret: APP_SECRET,
        redirectUris: [`${origin}${CALLBACK_PATH}`],
        consent: 'page',
      },
    })
    app = await startNext(
      port,
      appEnv(origin, fake, {
        STRIPE_APP_ID: APP_ID,
        STRIPE_APP_SECRET: APP_SECRET,
        STRIPE_INSTALL_BASE: fake.url,
      }),
    )
  })

  after(async () => {
    await app?.stop()
    await fake?.close()
    await pool?.end()
  })

  /** authorize as the signed-in admin: the install link (checked) and the state cookie. */
  async function startInstall(slug) {
    const start = await hop(authorize(slug), { headers: { cookie: SESSION } })
    assert.equal(start.status, 307, start.text)
    const url = new URL(start.location ?? '')
    assert.equal(`${url.origin}${url.pathname}`, link(), start.location ?? '')
    assert.equal(url.searchParams.get('redirect_uri'), `${origin}${CALLBACK_PATH}`)
    const linkState = url.searchParams.get('state')
    assert.ok(linkState, start.location)
    const cookie = start.cookies.find((c) => c.startsWith(`${COOKIE}=`))
    assert.match(cookie ?? '', new RegExp(`^${COOKIE}=[^;]+; Path=${CALLBACK_PATH}; `))
    const pair = cookie.split(';')[0]
    assert.equal(decodeURIComponent(pair.slice(COOKIE.length + 1)), linkState)
    return { location: start.location, state: linkState, cookie: pair }
  }

  test('authorize → install page → Install → callback: connected', async () => {
    const account = fake.createAccount({ connected: false, email: 'owner@helpdesk.example' })
    const other = fake.createAccount({ connected: false, email: 'someone@else.example' })
    const anonymous = await hop(authorize('helpdesk'))
    assert.equal(anonymous.status, 303, 'canConnect: no session, no Stripe')
    assert.match(anonymous.location ?? '', /\/sign-in\?/)
    const start = await startInstall('helpdesk')
    state.cookie = start.cookie

    // The kit's install page: the app, the accounts to choose from, Install and Cancel.
    const page = await hop(start.location, { headers: { accept: 'text/html' } })
    assert.equal(page.status, 200)
    assert.match(page.text, new RegExp(`<h1>Install ${APP_ID.replaceAll('.', '\\.')}</h1>`))
    for (const acct of [account, other])
      assert.match(page.text, new RegExp(`name="account" value="${acct}"`), `${acct} not listed`)
    assert.match(
      page.text,
      /<button type="submit" name="decision" value="approve">Install<\/button>/,
    )
    const { action, fields } = consentForm(page.text, fake.url)
    assert.equal(action, link())
    assert.equal(fields.get('state'), start.state)
    fields.set('account', account)
    fields.set('decision', 'approve')
    const installed = await hop(action, { method: 'POST', body: fields })
    assert.equal(installed.status, 302, installed.text)
    const back = new URL(installed.location ?? '')
    assert.equal(`${back.origin}${back.pathname}`, `${origin}${CALLBACK_PATH}`)
    const params = Object.fromEntries(back.searchParams)
    assert.deepEqual(Object.keys(params).sort(), [
      'account_id',
      'install_signature',
      'livemode',
      'state',
      'user_id',
    ])
    assert.equal(params.account_id, account)
    assert.equal(params.state, start.state)
    assert.equal(params.livemode, 'false')
    assert.match(params.user_id, /^usr_/)
    assert.match(params.install_signature, /^t=\d+,v1=[0-9a-f]{64}$/)
    state.callbackUrl = installed.location

    const done = await hop(state.callbackUrl, { headers: { cookie: state.cookie } })
    assert.equal(done.status, 303, done.text)
    assert.equal(target(done.location), '/settings/integrations?success=connected&app=helpdesk')
    assert.ok(done.cookies.some((c) => c.startsWith(`${COOKIE}=;`) && c.includes('Max-Age=0')))
    assert.deepEqual(await appRow(pool, 'helpdesk'), [
      { stripe_account_id: account, stripe_connected: 1 },
    ])
    assert.deepEqual(await appRow(pool, 'billing'), [
      { stripe_account_id: null, stripe_connected: 0 },
    ])
    state.account = account

    const settings = await hop(`${origin}${target(done.location)}`)
    assert.equal(settings.status, 200)
    assert.match(
      settings.text,
      /Stripe connected for <!-- -->helpdesk|Stripe connected for helpdesk/,
    )
    // An install is proven by its signature: nothing went to Stripe's OAuth.
    assert.deepEqual(fake.findRequests({ path: '/oauth/token' }), [])
    assert.deepEqual(fake.findRequests({ path: '/oauth/authorize' }), [])
  })

  test('customer lookup on the installed account', async () => {
    const jane = fake.addCustomer(state.account, { email: EMAIL })
    const paid = fake.addCharge(state.account, { customer: jane, amount: 4900, description: 'Pro' })
    fake.addRefund(state.account, { charge: paid.id, amount: 4900 })
    fake.addCharge(state.account, { customer: jane, amount: 1900, description: 'Basic' })
    const res = await fetch(`${origin}/api/support/customer?email=${encodeURIComponent(EMAIL)}`)
    assert.equal(res.status, 200)
    const body = await res.json()
    const helpdesk = body.apps.find((a) => a.appSlug === 'helpdesk')
    assert.ok(helpdesk, JSON.stringify(body))
    assert.deepEqual(helpdesk.payments.map((p) => [p.amount, p.refunded]).sort(), [
      [1900, false],
      [4900, true],
    ])
    // Read on the installed account, with the platform's key.
    const reads = fake.apiRequests().filter((r) => r.account === state.account)
    assert.ok(reads.length > 0, 'no API request carried Stripe-Account for the installed account')
    assert.ok(reads.every((r) => r.headers.authorization === `Bearer ${SECRET_KEY}`))
  })

  test('a forged account_id on a genuine redirect is refused; the row is unchanged', async () => {
    const start = await startInstall('helpdesk')
    const mine = fake.createAccount({ connected: false, email: 'attacker@evil.example' })
    const genuine = await fake.install({ url: start.location, account: mine })
    assert.equal(genuine.status, 302)
    assert.equal(genuine.params.account_id, mine)
    assert.equal(genuine.params.state, start.state)
    const victim = fake.createAccount({ connected: false, email: 'victim@bank.example' })
    const forged = new URL(genuine.location)
    forged.searchParams.set('account_id', victim)
    const refused = await hop(forged.href, { headers: { cookie: start.cookie } })
    assert.equal(refused.status, 303)
    assert.equal(target(refused.location), '/settings/integrations?error=oauth_failed')
    assert.deepEqual(await appRow(pool, 'helpdesk'), [
      { stripe_account_id: state.account, stripe_connected: 1 },
    ])
    // The route's onError logged why (console.error of next start).
    assert.match(app.output.join(''), /callback route failed \(install_signature_invalid\)/)
  })

  test('a replayed callback is refused; the row is unchanged', async () => {
    const replay = await hop(state.callbackUrl, { headers: { cookie: state.cookie } })
    assert.equal(replay.status, 303)
    assert.equal(target(replay.location), '/settings/integrations?error=invalid_state')
    assert.deepEqual(await appRow(pool, 'helpdesk'), [
      { stripe_account_id: state.account, stripe_connected: 1 },
    ])
  })

  test('uninstalling the app (account.application.deauthorized) clears the row', async () => {
    const { delivery } = await fake.uninstall(state.account, {
      to: `${origin}/api/stripe/webhooks`,
    })
    assert.equal(delivery.status, 200)
    assert.deepEqual(await appRow(pool, 'helpdesk'), [
      { stripe_account_id: null, stripe_connected: 0 },
    ])
    const res = await fetch(`${origin}/api/support/customer?email=${encodeURIComponent(EMAIL)}`)
    assert.equal(res.status, 200)
    const body = await res.json()
    assert.equal(
      body.apps.find((a) => a.appSlug === 'helpdesk'),
      undefined,
      JSON.stringify(body),
    )
    assert.deepEqual(
      fake.apiRequests().filter((r) => r.method !== 'GET'),
      [],
      'the app sent only GETs to the API',
    )
    fake.assertNoViolations()
  })

  test('a real browser: Install on the install page lands on the settings page', async (t) => {
    const page = await signedInBrowser(t, origin)
    const account = fake.createAccount({ connected: false, email: 'finance@billing.example' })
    await page.goto(authorize('billing'))
    assert.ok(page.url().startsWith(`${link()}?`), page.url())
    await page.locator(`input[name="account"][value="${account}"]`).check()
    await page.getByRole('button', { name: 'Install' }).click()
    await page.waitForURL(/\/settings\/integrations\?/)
    assert.equal(target(page.url()), '/settings/integrations?success=connected&app=billing')
    assert.equal(
      await page.locator('#stripe-connect-result').textContent(),
      'Stripe connected for billing.',
    )
    assert.deepEqual(await appRow(pool, 'billing'), [
      { stripe_account_id: account, stripe_connected: 1 },
    ])
  })
})
