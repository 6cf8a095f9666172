// The test kit's Stripe App install links (issue 21, item 2): `GET /apps/install/link/{appId}` as
// https://docs.stripe.com/stripe-apps/install-links describes it: the redirect's parameters, the
// `install_signature` that Stripe's own code verifies (checked here with the official `stripe`
// package), a denial, the links Stripe refuses to follow, the page a browser walks, uninstall,
// and `stripe-connect-testkit --connect stripe-app`.

import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, afterEach, before, beforeEach, describe, test } from 'node:test'

import Stripe from 'stripe'

import { pageForm } from './helpers'
import { startFakeStripe, trigger, type FakeStripe } from '../bindings/src/testing/index.js'

const KEY = 'sk_test_install_platform'
const CLIENT_ID = 'ca_installplatform'
const APP_ID = 'com.example.helpdesk'
const SECRET = 'absec_install_spec'
const WHSEC = 'whsec_install_spec'
const REDIRECT = 'https://app.example.com/callback/stripe'
const STATE = 'st"ate<&> signed.by.the.library'

const stripe = new Stripe('sk_test_unused')
const signature = stripe.webhooks.signature!

/**
 * Stripe's verification of an install: the header format over `{state, user_id, account_id}`.
 * (The async form: under Bun the `stripe` package verifies with Web Crypto, async only.)
 */
function verify(params: Record<string, string>, secret: string): Promise<boolean> {
  const payload = JSON.stringify(
    params.state !== undefined
      ? { state: params.state, user_id: params.user_id, account_id: params.account_id }
      : { user_id: params.user_id, account_id: params.account_id },
  )
  return signature.verifyHeaderAsync(payload, params.install_signature!, secret)
}

/** An API read on `account`, as the library does it in platform-key mode. */
async function readCustomers(fake: FakeStripe, account: string): Promise<number> {
  const res = await fetch(`${fake.url}/v1/customers?limit=1`, {
    headers: { authorization: `Bearer ${KEY}`, 'stripe-account': account },
  })
  await res.arrayBuffer()
  return res.status
}

/** A webhook endpoint that keeps what it received. */
async function webhookSink(): Promise<{
  url: string
  received: { body: string; signature: string }[]
  server: Server
}> {
  const received: { body: string; signature: string }[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += String(c)))
    req.on('end', () => {
      received.push({ body, signature: String(req.headers['stripe-signature'] ?? '') })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"received":true}')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/api/stripe/webhooks`, received, server }
}

describe('Stripe App install links', () => {
  let fake: FakeStripe
  before(async () => {
    fake = await startFakeStripe({
      secretKey: KEY,
      clientId: CLIENT_ID,
      webhookSecret: WHSEC,
      stripeApp: { appId: APP_ID, signingSecret: SECRET, redirectUris: [REDIRECT] },
    })
  })
  beforeEach(() => fake.reset())
  afterEach(() => fake.assertNoViolations())
  after(() => fake.close())

  test('approve: 302 to redirect_uri with user_id, account_id, state, install_signature, livemode=false; the account is installed', async () => {
    const acct = fake.createAccount({ connected: false })
    assert.equal(await readCustomers(fake, acct), 403, 'not installed yet')
    fake.appInstall.nextAccount = acct
    const link = `${fake.url}/apps/install/link/${APP_ID}?${new URLSearchParams({ redirect_uri: REDIRECT, state: STATE })}`
    const res = await fetch(link, { redirect: 'manual' })
    assert.equal(res.status, 302)
    const location = new URL(res.headers.get('location')!)
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT)
    const params = Object.fromEntries(location.searchParams)
    assert.deepEqual(Object.keys(params), [
      'user_id',
      'account_id',
      'state',
      'install_signature',
      'livemode',
    ])
    assert.match(params.user_id!, /^usr_\w+$/)
    assert.equal(params.user_id, fake.appInstall.user)
    assert.equal(params.account_id, acct)
    assert.equal(params.state, STATE, 'state comes back unmodified')
    assert.equal(params.livemode, 'false')
    assert.match(params.install_signature!, /^t=\d+,v1=[0-9a-f]{64}$/)
    assert.equal(fake.isConnected(acct), true)
    assert.equal(await readCustomers(fake, acct), 200, 'the API answers for the installed account')
  })

  test('install_signature verifies with the stripe package over {state, user_id, account_id}, and with nothing else', async () => {
    const { params } = await fake.install({ redirectUri: REDIRECT, state: STATE })
    assert.equal(await verify(params, SECRET), true)
    await assert.rejects(verify(params, 'absec_another_app'), /No signatures found matching/)
    // Each field is signed: another account, user or state fails.
    for (const [k, v] of [
      ['account_id', 'acct_1Forged'],
      ['user_id', 'usr_Forged'],
      ['state', `${STATE}x`],
    ] as const)
      await assert.rejects(verify({ ...params, [k]: v }, SECRET), /No signatures found matching/, k)
    // The order of the payload's fields is part of what is signed.
    const reordered = JSON.stringify({
      user_id: params.user_id,
      state: params.state,
      account_id: params.account_id,
    })
    await assert.rejects(
      signature.verifyHeaderAsync(reordered, params.install_signature!, SECRET),
      /No signatures found matching/,
    )
  })

  test('without state: no state parameter, and the signature covers {user_id, account_id}', async () => {
    const { status, params } = await fake.install({ redirectUri: REDIRECT })
    assert.equal(status, 302)
    assert.deepEqual(Object.keys(params), [
      'user_id',
      'account_id',
      'install_signature',
      'livemode',
    ])
    assert.equal(await verify(params, SECRET), true)
  })

  test('the signature is stamped with the fake clock', async () => {
    const own = await startFakeStripe({ now: () => 1_700_000_000_500 })
    try {
      const { params } = await own.install({ redirectUri: REDIRECT, state: 's' })
      assert.match(params.install_signature!, /^t=1700000000,v1=/)
      const payload = JSON.stringify({
        state: 's',
        user_id: params.user_id,
        account_id: params.account_id,
      })
      // With a tolerance (300 s, as for webhooks), an old redirect is refused: not replayable.
      await assert.rejects(
        signature.verifyHeaderAsync(payload, params.install_signature!, 'absec_testkit', 300),
        /Timestamp outside the tolerance zone/,
      )
      assert.equal(
        await signature.verifyHeaderAsync(
          payload,
          params.install_signature!,
          'absec_testkit',
          300,
          undefined,
          1_700_000_010,
        ),
        true,
      )
    } finally {
      await own.close()
    }
  })

  test('deny: error=access_denied with the description, and the state; nothing is installed', async () => {
    const acct = fake.createAccount({ connected: false })
    fake.appInstall.defaultAccount = acct
    const denied = await fake.install({ redirectUri: REDIRECT, state: STATE, decision: 'deny' })
    assert.equal(denied.status, 302)
    assert.deepEqual(denied.params, {
      error: 'access_denied',
      error_description: 'The user denied your request',
      state: STATE,
    })
    assert.ok(
      denied.location!.startsWith(
        `${REDIRECT}?error=access_denied&error_description=The%20user%20denied%20your%20request&state=`,
      ),
      denied.location!,
    )
    assert.equal(fake.isConnected(acct), false)
    // The knobs: a queued denial, then the standing decision.
    fake.appInstall.queue.push('deny')
    assert.equal((await fake.install({ redirectUri: REDIRECT })).params.error, 'access_denied')
    const approved = await fake.install({ redirectUri: REDIRECT })
    assert.equal(approved.params.account_id, acct, 'defaultAccount')
    fake.appInstall.decision = 'deny'
    assert.equal((await fake.install({ redirectUri: REDIRECT })).params.error, 'access_denied')
  })

  test('a wrong app id or an unregistered redirect_uri is a 400 page, not a redirect', async () => {
    const cases: [string, string][] = [
      [
        `/apps/install/link/com.example.other?redirect_uri=${encodeURIComponent(REDIRECT)}`,
        'invalid_app',
      ],
      [
        `/apps/install/link/${APP_ID}?redirect_uri=${encodeURIComponent('https://evil.example.com/callback/stripe')}`,
        'invalid_redirect_uri',
      ],
      [
        `/apps/install/link/${APP_ID}?redirect_uri=${encodeURIComponent(`${REDIRECT}/`)}`,
        'invalid_redirect_uri',
      ],
      [`/apps/install/link/${APP_ID}?state=s`, 'invalid_request'],
    ]
    for (const [path, error] of cases) {
      const result = await fake.install({ url: `${fake.url}${path}`, decision: 'approve' })
      assert.equal(result.status, 400, path)
      assert.equal(result.location, null, path)
      assert.equal((result.body as { error: string }).error, error, path)
      // A browser gets an HTML page.
      const page = await fetch(`${fake.url}${path}`, {
        redirect: 'manual',
        headers: { accept: 'text/html' },
      })
      assert.equal(page.status, 400)
      assert.match(page.headers.get('content-type')!, /^text\/html/)
      assert.match(await page.text(), new RegExp(`<code>${error}</code>`))
    }
    assert.deepEqual(
      fake.accounts.filter((a) => a.connected),
      [],
      'nothing installed',
    )
  })

  test('live mode: no livemode parameter, and redirect_uri must be https', async () => {
    const live = await startFakeStripe({ stripeApp: { livemode: true } })
    try {
      const ok = await live.install({ redirectUri: REDIRECT, state: 's' })
      assert.equal(ok.status, 302)
      assert.equal(ok.params.livemode, undefined)
      assert.equal(await verify(ok.params, 'absec_testkit'), true)
      const plain = await live.install({
        redirectUri: 'http://localhost:3000/callback',
        state: 's',
      })
      assert.equal(plain.status, 400)
      assert.match((plain.body as { error_description: string }).error_description, /HTTPS/)
    } finally {
      await live.close()
    }
  })

  test('the page: the accounts as radio buttons, Install / Cancel posting back', async () => {
    const paged = await startFakeStripe({
      consent: 'page',
      stripeApp: { appId: APP_ID, signingSecret: SECRET },
    })
    try {
      const first = paged.createAccount({ connected: false, email: 'owner@helpdesk.example' })
      const second = paged.createAccount({ connected: false, email: 'finance@billing.example' })
      paged.appInstall.defaultAccount = first
      const link = `${paged.url}/apps/install/link/${APP_ID}?${new URLSearchParams({ redirect_uri: REDIRECT, state: STATE })}`
      const page = await fetch(link, { redirect: 'manual' })
      assert.equal(page.status, 200)
      assert.match(page.headers.get('content-type')!, /^text\/html/)
      const html = await page.text()
      assert.match(html, new RegExp(`<input type="radio" name="account" value="${first}" checked>`))
      assert.match(html, new RegExp(`<input type="radio" name="account" value="${second}">`))
      assert.match(html, /finance@billing\.example/)
      assert.match(html, /<button type="submit" name="decision" value="approve">Install<\/button>/)
      assert.match(html, /<button type="submit" name="decision" value="deny">Cancel<\/button>/)
      assert.match(html, new RegExp(`<form method="post" action="/apps/install/link/${APP_ID}">`))
      assert.equal(paged.isConnected(first), false, 'showing the page installs nothing')

      const form = pageForm(html)
      assert.equal(form.get('state'), STATE)
      assert.equal(form.get('account'), first)
      const post = (fields: URLSearchParams) =>
        fetch(`${paged.url}/apps/install/link/${APP_ID}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: fields,
        })
      form.set('account', second)
      form.set('decision', 'approve')
      const installed = await post(form)
      assert.equal(installed.status, 302)
      const params = Object.fromEntries(new URL(installed.headers.get('location')!).searchParams)
      assert.equal(params.account_id, second)
      assert.equal(params.state, STATE)
      assert.equal(await verify(params, SECRET), true)
      assert.equal(paged.isConnected(second), true)
      assert.equal(paged.isConnected(first), false)

      form.set('decision', 'deny')
      const cancelled = await post(form)
      const back = Object.fromEntries(new URL(cancelled.headers.get('location')!).searchParams)
      assert.deepEqual(back, {
        error: 'access_denied',
        error_description: 'The user denied your request',
        state: STATE,
      })
      // The post is checked as the link is: a changed redirect_uri still fails.
      form.set('decision', 'approve')
      const evil = new URLSearchParams(form)
      evil.set('redirect_uri', 'ftp://evil.example.com/')
      assert.equal((await post(evil)).status, 400)
      // "A new account": an empty value installs on a new one, not the default.
      form.set('account', '')
      const fresh = await post(form)
      const freshAccount = new URL(fresh.headers.get('location')!).searchParams.get('account_id')!
      assert.ok(![first, second].includes(freshAccount), freshAccount)
      // fake.install() still decides with the knobs in page mode.
      assert.equal((await paged.install({ url: link })).params.account_id, first)
    } finally {
      await paged.close()
    }
  })

  test('uninstall: the account is disconnected, then a signed account.application.deauthorized is sent', async () => {
    const sink = await webhookSink()
    try {
      const { params } = await fake.install({ redirectUri: REDIRECT, state: 's' })
      const acct = params.account_id!
      assert.equal(await readCustomers(fake, acct), 200)
      const { event, delivery } = await fake.uninstall(acct, { to: sink.url })
      assert.equal(delivery.status, 200)
      assert.equal(event.type, 'account.application.deauthorized')
      assert.equal(event.account, acct)
      assert.equal(fake.isConnected(acct), false)
      assert.equal(await readCustomers(fake, acct), 403)
      const [got] = sink.received
      const verified = await stripe.webhooks.constructEventAsync(got!.body, got!.signature, WHSEC)
      assert.equal(verified.type, 'account.application.deauthorized')
      assert.equal((verified as { account?: string }).account, acct)
      assert.equal((verified.data.object as { id: string }).id, CLIENT_ID)
      await assert.rejects(
        stripe.webhooks.constructEventAsync(got!.body, got!.signature, 'whsec_x'),
        /No signatures found matching/,
      )
      // Not installed (any more): Stripe sends nothing.
      await assert.rejects(fake.uninstall(acct, { to: sink.url }), /is not connected/)
      assert.equal(sink.received.length, 1)

      // The trigger's path (what `stripe-connect-testkit trigger` runs) works for an install too.
      const again = (await fake.install({ redirectUri: REDIRECT })).params.account_id!
      const sent = await trigger({
        event: 'account.application.deauthorized',
        to: sink.url,
        kit: fake.url,
        secretKey: KEY,
        clientId: CLIENT_ID,
        webhookSecret: WHSEC,
        account: again,
      })
      assert.equal(sent.delivery.status, 200)
      assert.equal(fake.isConnected(again), false)
      assert.equal(sink.received.length, 2)
    } finally {
      sink.server.close()
    }
  })

  test('bad stripeApp options are refused at start', async () => {
    await assert.rejects(startFakeStripe({ stripeApp: { appId: 'a/b' } }), /stripeApp\.appId/)
    await assert.rejects(
      startFakeStripe({ stripeApp: { signingSecret: '' } }),
      /stripeApp\.signingSecret/,
    )
  })
})

const BIN_TS = join(__dirname, '..', 'bindings', 'src', 'testing', 'bin.ts')
/** The bin from source: Bun runs TypeScript itself, Node through tsx. */
const RUN_BIN = process.versions.bun ? [BIN_TS] : ['--import', 'tsx', BIN_TS]

/** Runs `stripe-connect-testkit` (from source) until it printed its variables, or until it exits. */
async function startBin(
  args: string[],
): Promise<{ child: ChildProcess; vars: Record<string, string>; out: string }> {
  const child = spawn(process.execPath, [...RUN_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => (out += String(d)))
  child.stderr!.on('data', (d) => (out += String(d)))
  const deadline = Date.now() + 30_000
  while (!/^# Send a signed event/m.test(out)) {
    if (child.exitCode !== null) break
    if (Date.now() > deadline) throw new Error(`stripe-connect-testkit said nothing: ${out}`)
    await new Promise((r) => setTimeout(r, 25))
  }
  const vars: Record<string, string> = {}
  for (const m of out.matchAll(/^([A-Z_]+)=(.*)$/gm)) vars[m[1]!] = m[2]!
  return { child, vars, out }
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((r) => child.once('exit', (code) => r(code)))
}

describe('stripe-connect-testkit --connect stripe-app', () => {
  const children: ChildProcess[] = []
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  })

  test('prints STRIPE_APP_ID, STRIPE_APP_SECRET, STRIPE_INSTALL_BASE; the printed link installs the seeded account', async () => {
    const { child, vars, out } = await startBin([
      '--port',
      '0',
      '--connect',
      'stripe-app',
      '--auto-approve',
      '--app-id',
      'com.acme.helpdesk',
      '--app-secret',
      'absec_acme',
    ])
    children.push(child)
    assert.deepEqual(Object.keys(vars).sort(), [
      'APP_URL',
      'STRIPE_API_BASE',
      'STRIPE_APP_ID',
      'STRIPE_APP_SECRET',
      'STRIPE_CONNECT_BASE',
      'STRIPE_CONNECT_CLIENT_ID',
      'STRIPE_CONNECT_REDIRECT_URI',
      'STRIPE_INSTALL_BASE',
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
    ])
    assert.equal(vars.STRIPE_APP_ID, 'com.acme.helpdesk')
    assert.equal(vars.STRIPE_APP_SECRET, 'absec_acme')
    assert.equal(vars.STRIPE_INSTALL_BASE, vars.STRIPE_API_BASE)
    assert.match(out, /^# .*\/apps\/install\/link\/com\.acme\.helpdesk/m)

    const link = `${vars.STRIPE_INSTALL_BASE}/apps/install/link/${vars.STRIPE_APP_ID}?${new URLSearchParams({ redirect_uri: vars.STRIPE_CONNECT_REDIRECT_URI!, state: 's1' })}`
    const res = await fetch(link, { redirect: 'manual' })
    assert.equal(res.status, 302)
    const params = Object.fromEntries(new URL(res.headers.get('location')!).searchParams)
    assert.equal(params.account_id, 'acct_1TestkitHelpdesk')
    assert.equal(await verify(params, vars.STRIPE_APP_SECRET!), true)
    const customers = await fetch(`${vars.STRIPE_API_BASE}/v1/customers?email=jane@example.com`, {
      headers: {
        authorization: `Bearer ${vars.STRIPE_SECRET_KEY}`,
        'stripe-account': 'acct_1TestkitHelpdesk',
      },
    })
    assert.equal(customers.status, 200)

    // `trigger account.application.deauthorized` uninstalls it, signed with the webhook secret.
    const sink = await webhookSink()
    try {
      const t = spawn(
        process.execPath,
        [
          ...RUN_BIN,
          'trigger',
          'account.application.deauthorized',
          '--to',
          sink.url,
          '--kit',
          vars.STRIPE_API_BASE!,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let said = ''
      t.stdout!.on('data', (d) => (said += String(d)))
      t.stderr!.on('data', (d) => (said += String(d)))
      assert.equal(await exitOf(t), 0, said)
      assert.equal(sink.received.length, 1)
      const event = await stripe.webhooks.constructEventAsync(
        sink.received[0]!.body,
        sink.received[0]!.signature,
        vars.STRIPE_WEBHOOK_SECRET!,
      )
      assert.equal((event as { account?: string }).account, 'acct_1TestkitHelpdesk')
    } finally {
      sink.server.close()
    }
    const after = await fetch(`${vars.STRIPE_API_BASE}/testkit/accounts`, {
      headers: { authorization: `Bearer ${vars.STRIPE_SECRET_KEY}` },
    })
    const accounts = ((await after.json()) as { data: { id: string; connected: boolean }[] }).data
    assert.equal(accounts.find((a) => a.id === 'acct_1TestkitHelpdesk')?.connected, false)
    child.kill('SIGTERM')
    assert.equal(await exitOf(child), 0)
  })

  test('by default (oauth) it prints no app variables; a bad --connect exits 2 with the usage', async () => {
    const { child, vars } = await startBin(['--port', '0'])
    children.push(child)
    assert.equal(vars.STRIPE_APP_ID, undefined)
    assert.equal(vars.STRIPE_INSTALL_BASE, undefined)
    child.kill('SIGTERM')
    await exitOf(child)

    const bad = await startBin(['--port', '0', '--connect', 'magic'])
    assert.equal(await exitOf(bad.child), 2)
    assert.match(bad.out, /--connect must be oauth or stripe-app/)
    assert.match(bad.out, /--app-secret/)
  })
})
