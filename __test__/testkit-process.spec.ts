// The test kit as a person or a running app meets it: the consent page (Connect / Deny), the
// `stripe-connect-testkit` process, and an app pointed at it through STRIPE_API_BASE /
// STRIPE_CONNECT_BASE only.

import assert from 'node:assert/strict'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { promisify } from 'node:util'

import { StripeConnect, constructEvent } from '@support/stripe-connect'

import { startFakeStripe } from '../bindings/src/testing/index.js'
import { pageForm, throwsCode } from './helpers'

const KEY = 'sk_test_consent_platform'
const CLIENT_ID = 'ca_consentplatform'
const REDIRECT = 'http://127.0.0.1:3999/api/stripe/connect/callback'
const AUTHORIZE_QUERY = new URLSearchParams({
  response_type: 'code',
  client_id: CLIENT_ID,
  scope: 'read_write',
  state: 'st"ate<&>',
  redirect_uri: REDIRECT,
})

const post = (url: string, form: URLSearchParams) =>
  fetch(url, { method: 'POST', body: form, redirect: 'manual' })

describe('consent page', () => {
  test("consent: 'page' serves Connect / Deny; Connect redirects with a code, Deny with access_denied", async () => {
    const fake = await startFakeStripe({
      secretKey: KEY,
      clientId: CLIENT_ID,
      redirectUris: [REDIRECT],
      consent: 'page',
    })
    try {
      const acct = fake.createAccount({ connected: false, email: 'owner@example.com' })
      const page = await fetch(`${fake.url}/oauth/authorize?${AUTHORIZE_QUERY}`, {
        redirect: 'manual',
      })
      assert.equal(page.status, 200)
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/)
      const html = await page.text()
      assert.match(html, /<button type="submit" name="decision" value="approve">Connect<\/button>/)
      assert.match(html, /<button type="submit" name="decision" value="deny">Deny<\/button>/)
      assert.match(html, new RegExp(`<option value="${acct}">`))
      assert.ok(!html.includes('st"ate<&>'), 'the state is escaped in the page')
      const fields = pageForm(html)
      assert.deepEqual(Object.fromEntries(fields), Object.fromEntries(AUTHORIZE_QUERY))
      assert.equal(fake.issuedCodes.length, 0, 'showing the page decides nothing')

      fields.set('decision', 'approve')
      fields.set('account', acct)
      const approved = await post(`${fake.url}/oauth/authorize`, fields)
      assert.equal(approved.status, 302)
      const back = new URL(approved.headers.get('location') ?? '')
      assert.equal(`${back.origin}${back.pathname}`, REDIRECT)
      assert.equal(back.searchParams.get('state'), 'st"ate<&>')
      assert.match(back.searchParams.get('code') ?? '', /^ac_/)
      assert.equal(fake.issuedCodes[0]!.account, acct)

      fields.set('decision', 'deny')
      const denied = await post(`${fake.url}/oauth/authorize`, fields)
      assert.equal(denied.status, 302)
      const refused = new URL(denied.headers.get('location') ?? '')
      assert.equal(refused.searchParams.get('error'), 'access_denied')
      assert.equal(refused.searchParams.get('code'), null)

      fields.set('decision', 'maybe')
      const bad = await post(`${fake.url}/oauth/authorize`, fields)
      assert.equal(bad.status, 400)
      assert.equal(((await bad.json()) as { error: string }).error, 'invalid_request')
      fields.set('decision', 'approve')
      fields.set('redirect_uri', 'http://127.0.0.1:3999/elsewhere')
      const moved = await post(`${fake.url}/oauth/authorize`, fields)
      assert.equal(moved.status, 400, 'the posted parameters are checked again')
      assert.equal(((await moved.json()) as { error: string }).error, 'invalid_redirect_uri')
    } finally {
      await fake.close()
    }
  })

  test('oauth.defaultAccount: preselected on the page, connected by an approval that picks none', async () => {
    const fake = await startFakeStripe({ clientId: CLIENT_ID, consent: 'page' })
    try {
      const other = fake.createAccount({ connected: false })
      const demo = fake.createAccount({ connected: false, email: 'demo@example.com' })
      const page = async () =>
        (
          await fetch(`${fake.url}/oauth/authorize?${AUTHORIZE_QUERY}`, { redirect: 'manual' })
        ).text()
      assert.match(await page(), /<option value="">a new account, with no data/)
      assert.doesNotMatch(await page(), / selected>/, 'no default: nothing preselected')
      fake.oauth.defaultAccount = demo
      const html = await page()
      assert.match(html, new RegExp(`<option value="${demo}" selected>`))
      assert.match(html, new RegExp(`<option value="${other}">`))
      // A scripted approval connects the default account…
      const approved = await fake.authorize(`${fake.url}/oauth/authorize?${AUTHORIZE_QUERY}`)
      assert.equal(fake.issuedCodes.find((c) => c.code === approved.params.code)?.account, demo)
      // …and the page's "a new account" choice a new one, as it says.
      const fields = pageForm(html)
      fields.set('decision', 'approve')
      fields.set('account', '')
      const fresh = await post(`${fake.url}/oauth/authorize`, fields)
      const freshCode = new URL(fresh.headers.get('location') ?? '').searchParams.get('code')
      const freshAccount = fake.issuedCodes.find((c) => c.code === freshCode)?.account
      assert.ok(freshAccount && freshAccount !== demo && freshAccount !== other, freshAccount)
      fake.oauth.nextAccount = other
      const next = await fake.authorize(`${fake.url}/oauth/authorize?${AUTHORIZE_QUERY}`)
      assert.equal(fake.issuedCodes.find((c) => c.code === next.params.code)?.account, other)
      fake.reset()
      assert.equal(fake.oauth.defaultAccount, null, 'reset() forgets it')
    } finally {
      await fake.close()
    }
  })

  test("the default ('auto') redirects at once; fake.authorize() decides with the knobs in page mode too", async () => {
    const auto = await startFakeStripe({ clientId: CLIENT_ID })
    const paged = await startFakeStripe({ clientId: CLIENT_ID, consent: 'page' })
    try {
      const direct = await fetch(`${auto.url}/oauth/authorize?${AUTHORIZE_QUERY}`, {
        redirect: 'manual',
      })
      assert.equal(direct.status, 302)
      assert.equal(auto.oauth.consent, 'auto')

      paged.oauth.queue.push('deny')
      const scripted = await paged.authorize(`${paged.url}/oauth/authorize?${AUTHORIZE_QUERY}`)
      assert.equal(scripted.status, 302)
      assert.equal(scripted.params.error, 'access_denied')

      paged.oauth.consent = 'auto'
      const switched = await fetch(`${paged.url}/oauth/authorize?${AUTHORIZE_QUERY}`, {
        redirect: 'manual',
      })
      assert.equal(switched.status, 302)
      paged.reset()
      assert.equal(paged.oauth.consent, 'page', 'reset() restores the started mode')
      await assert.rejects(
        startFakeStripe({ consent: 'ask' as never }),
        /consent must be 'auto' or 'page'/,
      )
    } finally {
      await auto.close()
      await paged.close()
    }
  })
})

const BIN = join(__dirname, '..', 'bindings', 'dist', 'testing', 'bin.js')
const SEEDED = ['acct_1TestkitHelpdesk', 'acct_1TestkitBillingBot']

/** Starts `stripe-connect-testkit` (the built bin) and reads the variables it prints. */
async function startBin(
  args: string[],
): Promise<{ child: ChildProcess; vars: Record<string, string>; out: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => (out += String(d)))
  child.stderr!.on('data', (d) => (out += String(d)))
  const deadline = Date.now() + 15_000
  while (!/^#   acct_.*\n#   acct_.*\n/m.test(out)) {
    if (child.exitCode !== null) throw new Error(`stripe-connect-testkit exited: ${out}`)
    if (Date.now() > deadline) throw new Error(`stripe-connect-testkit said nothing: ${out}`)
    await new Promise((r) => setTimeout(r, 25))
  }
  const vars: Record<string, string> = {}
  for (const m of out.matchAll(/^([A-Z_]+)=(.*)$/gm)) vars[m[1]!] = m[2]!
  return { child, vars, out }
}

describe('stripe-connect-testkit (the bin)', () => {
  const children: ChildProcess[] = []
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  })

  test('prints the variables; an app configured by them alone connects and reads the seeded data', async () => {
    const { child, vars, out } = await startBin(['--port', '0'])
    children.push(child)
    assert.deepEqual(Object.keys(vars).sort(), [
      'APP_URL',
      'STRIPE_API_BASE',
      'STRIPE_CONNECT_BASE',
      'STRIPE_CONNECT_CLIENT_ID',
      'STRIPE_CONNECT_REDIRECT_URI',
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
    ])
    assert.match(vars.STRIPE_API_BASE!, /^http:\/\/127\.0\.0\.1:\d+$/)
    // The app's origin: `next dev`'s by default, and the callback under it.
    assert.equal(vars.APP_URL, 'http://localhost:3000')
    assert.equal(
      vars.STRIPE_CONNECT_REDIRECT_URI,
      'http://localhost:3000/api/stripe/connect/callback',
    )
    const seeded = [...out.matchAll(/^# {3}(acct_\w+) \(([^)]+)\)/gm)].map((m) => m[1]!)
    assert.deepEqual(seeded, SEEDED, 'fixed ids: a saved connection survives a restart')

    const saved = { ...process.env }
    try {
      Object.assign(process.env, vars)
      const stripe = StripeConnect.fromEnv({ redirectUri: REDIRECT })
      const start = stripe.authorizeUrl({ appSlug: 'helpdesk' })
      assert.ok(start.url.startsWith(`${vars.STRIPE_CONNECT_BASE}/oauth/authorize?`), start.url)
      const page = await fetch(start.url)
      assert.equal(page.status, 200)
      const html = await page.text()
      // The seeded demo account is preselected: Connect as it stands connects an account with data.
      assert.match(html, new RegExp(`<option value="${seeded[0]}" selected>`))
      const fields = pageForm(html)
      fields.set('decision', 'approve')
      fields.set('account', /<option value="(acct_\w+)" selected>/.exec(html)![1]!)
      const approved = await post(`${vars.STRIPE_CONNECT_BASE}/oauth/authorize`, fields)
      const back = new URL(approved.headers.get('location') ?? '')
      const connection = await stripe.handleCallback({
        query: back.searchParams,
        state: start.state,
      })
      assert.equal(connection.accountId, seeded[0])
      const history = await stripe.paymentHistory({
        accountId: seeded[0]!,
        email: 'jane@example.com',
      })
      assert.deepEqual(history.payments.map((p) => [p.amount, p.refunded]).sort(), [
        [4900, false],
        [4900, true],
      ])
      // The plan's invoice, paid by the last charge's payment intent, and that charge's warning.
      const get = async (path: string) =>
        (
          await fetch(`${vars.STRIPE_API_BASE}${path}`, {
            headers: {
              authorization: `Bearer ${vars.STRIPE_SECRET_KEY}`,
              'stripe-account': seeded[0]!,
            },
          })
        ).json() as Promise<{ data: Record<string, any>[] }>
      const invoices = await get('/v1/invoices?expand[]=data.payments')
      assert.deepEqual(
        invoices.data.map((i) => [i.status, i.amount_paid, i.payments.data[0].status]),
        [['paid', 4900, 'paid']],
      )
      const intent = invoices.data[0]!.payments.data[0].payment.payment_intent
      const warnings = await get(`/v1/radar/early_fraud_warnings?payment_intent=${intent}`)
      assert.deepEqual(
        warnings.data.map((w) => [w.fraud_type, w.actionable]),
        [['made_with_stolen_card', false]],
      )
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
      Object.assign(process.env, saved)
    }
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    child.kill('SIGTERM')
    assert.equal(await exited, 0)
  })

  test('--auto-approve connects the seeded demo account, --account the other; a bad option exits 2 with the usage', async () => {
    for (const [args, expected] of [
      [[], SEEDED[0]],
      [['--account', SEEDED[1]!], SEEDED[1]],
    ] as const) {
      const { child, vars } = await startBin(['--port', '0', '--auto-approve', ...args])
      children.push(child)
      const res = await fetch(
        `${vars.STRIPE_CONNECT_BASE}/oauth/authorize?${new URLSearchParams({ ...Object.fromEntries(AUTHORIZE_QUERY), client_id: vars.STRIPE_CONNECT_CLIENT_ID! })}`,
        { redirect: 'manual' },
      )
      assert.equal(res.status, 302)
      const code = new URL(res.headers.get('location') ?? '').searchParams.get('code')!
      const token = await fetch(`${vars.STRIPE_CONNECT_BASE}/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${vars.STRIPE_SECRET_KEY}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code }),
      })
      assert.equal(((await token.json()) as { stripe_user_id: string }).stripe_user_id, expected)
      child.kill('SIGTERM')
    }

    const bad = spawn(process.execPath, [BIN, '--port', 'x'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    bad.stderr.on('data', (d) => (err += String(d)))
    const code = await new Promise<number | null>((r) => bad.once('exit', (c) => r(c)))
    assert.equal(code, 2)
    assert.match(err, /--port must be a port number/)
    assert.match(err, /--auto-approve/)
  })
})

/** `stripe-connect-testkit trigger …`: its exit code and output. */
async function runTrigger(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [BIN, 'trigger', ...args],
      {
        timeout: 20_000,
      },
    )
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code?: unknown; stdout: string; stderr: string }
    if (typeof e.code !== 'number') throw err
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('stripe-connect-testkit trigger', () => {
  test("sends signed events with the kit's data to the app and reports its answer", async () => {
    const { child, vars } = await startBin(['--port', '0', '--auto-approve'])
    // The app: verifies each delivery with the library and the printed secret, answers `status`.
    const received: { type: string; account: string; object: Record<string, unknown> }[] = []
    let status = 200
    const app = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        try {
          const event = constructEvent(
            Buffer.concat(chunks),
            String(req.headers['stripe-signature']),
            vars.STRIPE_WEBHOOK_SECRET!,
          ) as unknown as {
            type: string
            account: string
            data: { object: Record<string, unknown> }
          }
          received.push({ type: event.type, account: event.account, object: event.data.object })
          res.writeHead(status, { 'content-type': 'application/json' })
          res.end(status === 200 ? '{"received":true}' : '{"error":"Webhook handler failed"}')
        } catch (err) {
          res.writeHead(400).end(String((err as Error).message))
        }
      })
    })
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r))
    const to = `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/stripe/webhooks`
    const kit = ['--kit', vars.STRIPE_API_BASE!]
    const read = async (path: string, account?: string) =>
      (await (
        await fetch(`${vars.STRIPE_API_BASE}${path}`, {
          headers: {
            authorization: `Bearer ${vars.STRIPE_SECRET_KEY}`,
            ...(account ? { 'stripe-account': account } : {}),
          },
        })
      ).json()) as { data: Record<string, any>[] }
    try {
      // Nothing connected yet: Stripe sends Connect events only for connected accounts.
      const none = await runTrigger(['charge.dispute.created', '--to', to, ...kit])
      assert.equal(none.code, 1)
      assert.match(none.stderr, /no account is connected on the kit/)
      assert.equal(received.length, 0)

      // Connect the demo account (auto-approve), as the app's callback would.
      const start = await fetch(
        `${vars.STRIPE_CONNECT_BASE}/oauth/authorize?${new URLSearchParams({ ...Object.fromEntries(AUTHORIZE_QUERY), client_id: vars.STRIPE_CONNECT_CLIENT_ID! })}`,
        { redirect: 'manual' },
      )
      const code = new URL(start.headers.get('location') ?? '').searchParams.get('code')!
      await fetch(`${vars.STRIPE_CONNECT_BASE}/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${vars.STRIPE_SECRET_KEY}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code }),
      })

      const dispute = await runTrigger(['charge.dispute.created', '--to', to, ...kit])
      assert.equal(dispute.code, 0, dispute.stderr)
      const [seededDispute] = (await read('/v1/disputes', SEEDED[0])).data
      assert.deepEqual(
        received.map((e) => [e.type, e.account, e.object.id]),
        [['charge.dispute.created', SEEDED[0], seededDispute!.id]],
      )
      assert.deepEqual(received[0]!.object, seededDispute, "the event carries the kit's dispute")
      assert.match(
        dispute.stdout,
        new RegExp(
          `^# charge\\.dispute\\.created evt_\\w+ on ${SEEDED[0]}: dispute ${seededDispute!.id}`,
          'm',
        ),
      )
      assert.match(dispute.stdout, new RegExp(`^-> POST ${to} `, 'm'))
      assert.match(dispute.stdout, /^<- 200 \{"received":true\}$/m)

      const warning = await runTrigger(['radar.early_fraud_warning.created', '--to', to, ...kit])
      assert.equal(warning.code, 0, warning.stderr)
      const [seededWarning] = (await read('/v1/radar/early_fraud_warnings', SEEDED[0])).data
      assert.deepEqual(received[1]!.object, seededWarning)
      assert.equal(received[1]!.type, 'radar.early_fraud_warning.created')

      // The app failing: printed, and a non-zero exit.
      status = 500
      const failed = await runTrigger(['charge.dispute.created', '--to', to, ...kit])
      assert.equal(failed.code, 1)
      assert.match(failed.stdout, /^<- 500 \{"error":"Webhook handler failed"\}$/m)
      status = 200

      // A wrong secret: the app refuses the signature, trigger says so.
      const forged = await runTrigger([
        'charge.dispute.created',
        '--to',
        to,
        ...kit,
        '--webhook-secret',
        'whsec_not_the_apps',
      ])
      assert.equal(forged.code, 1)
      assert.match(forged.stdout, /^<- 400 /m)

      const gone = await runTrigger(['account.application.deauthorized', '--to', to, ...kit])
      assert.equal(gone.code, 0, gone.stderr)
      const last = received[received.length - 1]!
      assert.deepEqual(
        [last.type, last.account, last.object.id],
        ['account.application.deauthorized', SEEDED[0], vars.STRIPE_CONNECT_CLIENT_ID],
      )
      const accounts = await read('/testkit/accounts')
      assert.deepEqual(
        accounts.data.map((a) => [a.id, a.connected]),
        [
          [SEEDED[0], false],
          [SEEDED[1], false],
        ],
        'the deauthorization disconnected the account on the kit too',
      )

      const unknown = await runTrigger(['customer.created', '--to', to, ...kit])
      assert.equal(unknown.code, 2)
      assert.match(
        unknown.stderr,
        /unknown event "customer\.created": trigger sends charge\.dispute\.created/,
      )
      const noTo = await runTrigger(['charge.dispute.created', ...kit])
      assert.equal(noTo.code, 2)
      assert.match(noTo.stderr, /--to/)
    } finally {
      child.kill('SIGTERM')
      await new Promise<void>((r) => app.close(() => r()))
    }
    const noKit = await runTrigger([
      'charge.dispute.created',
      '--to',
      'http://127.0.0.1:9/x',
      '--kit',
      vars.STRIPE_API_BASE!,
    ])
    assert.equal(noKit.code, 1)
    assert.match(noKit.stderr, /no test kit answers at http:\/\/127\.0\.0\.1:\d+/)
  })

  test('/testkit/accounts needs the platform key', async () => {
    const fake = await startFakeStripe({ secretKey: KEY })
    try {
      const acct = fake.createAccount({ connected: false, email: 'a@example.com' })
      const anonymous = await fetch(`${fake.url}/testkit/accounts`)
      assert.equal(anonymous.status, 401)
      const ok = await fetch(`${fake.url}/testkit/accounts`, {
        headers: { authorization: `Bearer ${KEY}` },
      })
      assert.deepEqual(await ok.json(), {
        object: 'list',
        url: '/testkit/accounts',
        data: [{ id: acct, email: 'a@example.com', connected: false, scope: null }],
      })
      assert.deepEqual(fake.violations, [], 'not a /v1 call: no read-only violation')
    } finally {
      await fake.close()
    }
  })
})

describe('STRIPE_API_BASE / STRIPE_CONNECT_BASE', () => {
  test('plain http:// off loopback is config_invalid naming the variable', () => {
    const saved = { ...process.env }
    try {
      process.env.STRIPE_SECRET_KEY = KEY
      process.env.STRIPE_API_BASE = 'http://stripe.internal:12111'
      const e = throwsCode(() => StripeConnect.fromEnv(), 'config_invalid')
      assert.match(e.message, /STRIPE_API_BASE/)
      process.env.STRIPE_API_BASE = 'http://localhost:12111'
      process.env.STRIPE_CONNECT_BASE = 'http://10.1.2.3'
      assert.match(
        throwsCode(() => StripeConnect.fromEnv(), 'config_invalid').message,
        /STRIPE_CONNECT_BASE/,
      )
      process.env.STRIPE_CONNECT_BASE = 'https://connect.stripe.internal'
      assert.ok(StripeConnect.fromEnv() instanceof StripeConnect)
      throwsCode(
        () => new StripeConnect({ secretKey: KEY, apiBase: 'http://api.example.com' }),
        'config_invalid',
      )
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
      Object.assign(process.env, saved)
    }
  })
})
