// The test kit as a person or a running app meets it: the consent page (Connect / Deny), the
// `stripe-connect-testkit` process, and an app pointed at it through STRIPE_API_BASE /
// STRIPE_CONNECT_BASE only.

import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'

import { StripeConnect } from '@support/stripe-connect'

import { startFakeStripe } from '../bindings/src/testing/index.js'
import { throwsCode } from './helpers'

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

/** The hidden fields of the consent form, decoded as a browser would post them. */
function hiddenFields(html: string): URLSearchParams {
  const decode = (s: string) =>
    s
      .replaceAll('&quot;', '"')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&#39;', "'")
      .replaceAll('&amp;', '&')
  const fields = new URLSearchParams()
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
    fields.append(decode(m[1]!), decode(m[2]!))
  return fields
}

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
      const fields = hiddenFields(html)
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

/** Starts `stripe-connect-testkit` (the built bin) and reads the variables it prints. */
async function startBin(
  args: string[],
): Promise<{ child: ChildProcess; vars: Record<string, string>; out: string }> {
  const bin = join(__dirname, '..', 'bindings', 'dist', 'testing', 'bin.js')
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
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
      'STRIPE_API_BASE',
      'STRIPE_CONNECT_BASE',
      'STRIPE_CONNECT_CLIENT_ID',
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
    ])
    assert.match(vars.STRIPE_API_BASE!, /^http:\/\/127\.0\.0\.1:\d+$/)
    const seeded = [...out.matchAll(/^# {3}(acct_\w+) \(([^)]+)\)/gm)].map((m) => m[1]!)
    assert.equal(seeded.length, 2)

    const saved = { ...process.env }
    try {
      Object.assign(process.env, vars)
      const stripe = StripeConnect.fromEnv({ redirectUri: REDIRECT })
      const start = stripe.authorizeUrl({ appSlug: 'helpdesk' })
      assert.ok(start.url.startsWith(`${vars.STRIPE_CONNECT_BASE}/oauth/authorize?`), start.url)
      const page = await fetch(start.url)
      assert.equal(page.status, 200)
      const fields = hiddenFields(await page.text())
      fields.set('decision', 'approve')
      fields.set('account', seeded[0]!)
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

  test('--auto-approve redirects at once; a bad option exits 2 with the usage', async () => {
    const { child, vars } = await startBin(['--port', '0', '--auto-approve'])
    children.push(child)
    const res = await fetch(
      `${vars.STRIPE_CONNECT_BASE}/oauth/authorize?${new URLSearchParams({ ...Object.fromEntries(AUTHORIZE_QUERY), client_id: vars.STRIPE_CONNECT_CLIENT_ID! })}`,
      { redirect: 'manual' },
    )
    assert.equal(res.status, 302)
    child.kill('SIGTERM')

    const bad = spawn(
      process.execPath,
      [join(__dirname, '..', 'bindings', 'dist', 'testing', 'bin.js'), '--port', 'x'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let err = ''
    bad.stderr.on('data', (d) => (err += String(d)))
    const code = await new Promise<number | null>((r) => bad.once('exit', (c) => r(c)))
    assert.equal(code, 2)
    assert.match(err, /--port must be a port number/)
    assert.match(err, /--auto-approve/)
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
