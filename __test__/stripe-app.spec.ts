// Stripe App installs through the Node package and its routes (`connect: 'stripe-app'`), against
// the test kit's install link: authorize → the kit's install link → the callback verifies the
// install_signature → connected; forged, altered and replayed redirects store nothing; queries
// read the installed account; uninstall (account.application.deauthorized) clears it; a key of
// the other mode is refused before any request.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, afterEach, before, beforeEach, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { StripeConnect, type Connection, type ConnectionStore } from '@support/stripe-connect'
import { createRouteHandlers, type RouteHandlers } from '@support/stripe-connect/next'
import { startFakeStripe, type FakeStripe } from '@support/stripe-connect/testing'
import { mapConnectionStore, rejectsCode, throwsCode } from './helpers'

const KEY = 'sk_test_platform_SECRETVALUE'
const APP_ID = 'com.example.support'
const APP_SECRET = 'absec_support_SECRETVALUE'
const WEBHOOK_SECRET = 'whsec_install_SECRETVALUE'
const CALLBACK_PATH = '/api/stripe/connect/callback'
const ACCOUNT = 'acct_1InstallHelpdesk'

/** The routes on 127.0.0.1, as an app serves them (the kit's uninstall posts to the webhook). */
async function serve(routes: RouteHandlers): Promise<{ origin: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const url = `http://${req.headers.host}${req.url}`
    const headers = new Headers(req.headers as Record<string, string>)
    const request = new Request(url, {
      method: req.method,
      headers,
      body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
    })
    const path = new URL(url).pathname
    const handler = path.endsWith('/authorize')
      ? routes.authorize
      : path.endsWith('/callback')
        ? routes.callback
        : routes.webhook
    const answer = await handler(request)
    res.writeHead(answer.status, Object.fromEntries(answer.headers))
    res.end(Buffer.from(await answer.arrayBuffer()))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return { origin: `http://127.0.0.1:${port}`, server }
}

let fake: FakeStripe
let app: { origin: string; server: Server }
let connections: ReturnType<typeof mapConnectionStore>
let stripe: StripeConnect
let routes: RouteHandlers
const errors: unknown[] = []

/** The client as the app builds it, pointed at the kit; `key` picks the mode. */
function client(key = KEY): StripeConnect {
  return new StripeConnect({
    secretKey: key,
    stripeAppId: APP_ID,
    stripeAppSecret: APP_SECRET,
    // A live key needs an https redirect (Stripe allows http in test mode only).
    redirectUri: key.startsWith('sk_live_')
      ? 'https://support.example.com/api/stripe/connect/callback'
      : `${app.origin}${CALLBACK_PATH}`,
    webhookSecrets: WEBHOOK_SECRET,
    apiBase: fake.url,
    installBase: fake.url,
    connectBase: fake.url,
    maxRetries: 0,
    stores: { connections },
  })
}

before(async () => {
  fake = await startFakeStripe({
    secretKey: KEY,
    stripeApp: { appId: APP_ID, signingSecret: APP_SECRET },
    webhookSecret: WEBHOOK_SECRET,
  })
  // Routes are rebuilt per test; the server reads them through this indirection.
  app = await serve({
    authorize: (r) => routes.authorize(r),
    callback: (r) => routes.callback(r),
    webhook: (r) => routes.webhook(r),
  })
})
after(async () => {
  await new Promise((r) => app.server.close(r))
  await fake.close()
})
beforeEach(() => {
  fake.reset()
  errors.length = 0
  connections = mapConnectionStore()
  stripe = client()
  routes = createRouteHandlers(stripe, {
    connect: 'stripe-app',
    settingsPath: '/settings/integrations',
    callbackPath: CALLBACK_PATH,
    canConnect: async () => true,
    onError: (e) => errors.push(e),
  })
})
afterEach(() => fake.assertNoViolations())

/** authorize → the install link (307, state cookie) → the kit's redirect back to the callback. */
async function install(appSlug: string, account = ACCOUNT) {
  if (fake.account(account) === undefined) fake.createAccount({ id: account })
  const start = await routes.authorize(
    new Request(`${app.origin}/api/stripe/connect/authorize?appSlug=${appSlug}`),
  )
  assert.equal(start.status, 307)
  const link = new URL(start.headers.get('location') ?? '')
  assert.equal(`${link.origin}${link.pathname}`, `${fake.url}/apps/install/link/${APP_ID}`)
  assert.equal(link.searchParams.get('redirect_uri'), `${app.origin}${CALLBACK_PATH}`)
  const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  assert.match(cookie, /^stripe_connect_state=./)
  const visit = await fake.install({ url: link, account })
  assert.equal(visit.status, 302)
  return { cookie, redirect: new URL(visit.location ?? '') }
}

async function callback(redirect: URL, cookie: string): Promise<URL> {
  const res = await routes.callback(new Request(redirect, { headers: { cookie } }))
  assert.equal(res.status, 303)
  return new URL(res.headers.get('location') ?? '')
}

describe('connect: stripe-app', () => {
  test('install → callback: connected in test mode, then the account is read with Stripe-Account', async () => {
    const { cookie, redirect } = await install('helpdesk')
    assert.deepEqual([...redirect.searchParams.keys()].sort(), [
      'account_id',
      'install_signature',
      'livemode',
      'state',
      'user_id',
    ])
    const settings = await callback(redirect, cookie)
    assert.equal(settings.search, '?success=connected&app=helpdesk')
    assert.deepEqual(connections.rows.get('helpdesk'), {
      appSlug: 'helpdesk',
      accountId: ACCOUNT,
      livemode: false,
      scope: 'stripe_app',
    })
    fake.addCustomer(ACCOUNT, { email: 'jenny.rosen@example.com' })
    const result = await stripe.callTool(
      'get_payment_history',
      { appSlug: 'helpdesk', email: 'jenny.rosen@example.com' },
      { appSlugs: ['helpdesk'] },
    )
    assert.ok(result.success, JSON.stringify(result))
    const sent = fake.findRequests({ path: '/v1/customers' })
    assert.ok(sent.length > 0)
    assert.ok(sent.every((r) => r.headers['stripe-account'] === ACCOUNT))
    assert.deepEqual(errors, [])
  })

  test('an altered account, user or signature is refused: nothing stored, reported', async () => {
    for (const [name, value] of [
      ['account_id', 'acct_1Attacker'],
      ['user_id', 'usr_1Attacker'],
      ['install_signature', 't=1,v1=00'],
    ] as const) {
      const { cookie, redirect } = await install('helpdesk')
      redirect.searchParams.set(name, value)
      const settings = await callback(redirect, cookie)
      assert.equal(settings.searchParams.get('error'), 'oauth_failed', name)
      assert.equal(connections.rows.size, 0, name)
    }
    const codes = errors.map((e) => (e as { code?: string }).code)
    assert.deepEqual(codes, [
      'install_signature_invalid',
      'install_signature_invalid',
      'install_signature_invalid',
    ])
  })

  test('the client refuses a forged redirect with its code, and a replay after success', async () => {
    const start = stripe.installUrl({ appSlug: 'billing' })
    fake.createAccount({ id: 'acct_1InstallBilling' })
    const visit = await fake.install({ url: start.url, account: 'acct_1InstallBilling' })
    const genuine = new URL(visit.location ?? '').searchParams
    const forged = new URLSearchParams(genuine)
    forged.delete('install_signature')
    await rejectsCode(
      stripe.handleInstallCallback({ query: forged, state: start.state }),
      'install_signature_invalid',
    )
    const other = new URLSearchParams(genuine)
    other.set('state', stripe.installUrl({ appSlug: 'billing' }).state)
    await rejectsCode(
      stripe.handleInstallCallback({ query: other, state: start.state }),
      'oauth_invalid_state',
    )
    assert.equal(connections.rows.size, 0)
    const ok = await stripe.handleInstallCallback({ query: genuine, state: start.state })
    assert.equal(ok.accountId, 'acct_1InstallBilling')
    await rejectsCode(
      stripe.handleInstallCallback({ query: genuine, state: start.state }),
      'oauth_state_used',
    )
  })

  test('a denied install stores nothing and says so', async () => {
    fake.createAccount({ id: ACCOUNT })
    const start = await routes.authorize(
      new Request(`${app.origin}/api/stripe/connect/authorize?appSlug=helpdesk`),
    )
    const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    const visit = await fake.install({
      url: start.headers.get('location') ?? '',
      decision: 'deny',
    })
    const settings = await callback(new URL(visit.location ?? ''), cookie)
    assert.equal(settings.searchParams.get('error'), 'denied')
    assert.equal(connections.rows.size, 0)
  })

  test('uninstall: account.application.deauthorized clears the connection', async () => {
    const { cookie, redirect } = await install('helpdesk')
    await callback(redirect, cookie)
    assert.equal(connections.rows.get('helpdesk')?.accountId, ACCOUNT)
    const { delivery } = await fake.uninstall(ACCOUNT, { to: `${app.origin}/api/stripe/webhooks` })
    assert.equal(delivery.status, 200)
    assert.equal(connections.rows.size, 0)
    const result = await stripe.callTool(
      'get_payment_history',
      { appSlug: 'helpdesk', email: 'jenny.rosen@example.com' },
      { appSlugs: ['helpdesk'] },
    )
    assert.equal(result.success ? 'ok' : result.error.code, 'app_not_connected')
  })

  test('disconnect clears an install and sends nothing', async () => {
    const { cookie, redirect } = await install('helpdesk')
    await callback(redirect, cookie)
    const before = fake.findRequests().length
    const gone = await stripe.disconnect({ appSlug: 'helpdesk' })
    assert.deepEqual(gone, {
      accountId: ACCOUNT,
      appSlug: 'helpdesk',
      alreadyDisconnected: false,
      leftInstalled: true,
    })
    assert.equal(fake.findRequests().length, before)
    assert.equal(connections.rows.size, 0)
  })

  test('a key of the other mode is refused before any request', async () => {
    const { cookie, redirect } = await install('helpdesk')
    await callback(redirect, cookie)
    const live = client('sk_live_platform_SECRETVALUE')
    const before = fake.findRequests().length
    const result = await live.callTool(
      'get_payment_history',
      { appSlug: 'helpdesk', email: 'jenny.rosen@example.com' },
      { appSlugs: ['helpdesk'] },
    )
    assert.ok(!result.success)
    assert.equal(result.error.code, 'livemode_mismatch')
    assert.match(result.error.message, /test mode/)
    const context = await live.customerContext({ email: 'jenny.rosen@example.com' })
    assert.equal(context.apps[0]?.error?.code, 'livemode_mismatch')
    assert.equal(fake.findRequests().length, before)
  })

  test('the install path needs its configuration; the routes need a client that has it', () => {
    const bare = new StripeConnect({ secretKey: KEY, redirectUri: `${app.origin}${CALLBACK_PATH}` })
    const e = throwsCode(() => bare.installUrl({ appSlug: 'helpdesk' }), 'config_invalid')
    assert.match(e.message, /stripe_app_id/)
    throwsCode(
      () => new StripeConnect({ secretKey: KEY, stripeAppSecret: 'sk_test_wrongplace' }),
      'config_invalid',
    )
    assert.throws(
      () =>
        createRouteHandlers(
          {
            authorizeUrl: () => ({ url: '', state: '' }),
            handleCallback: async () => {
              throw new Error('unused')
            },
            handleWebhook: async () => null,
          },
          {
            connect: 'stripe-app',
            settingsPath: '/s',
            callbackPath: '/c',
            canConnect: async () => true,
          },
        ),
      /installUrl\(\) and handleInstallCallback\(\)/,
    )
    assert.throws(
      () =>
        createRouteHandlers(stripe, {
          // @ts-expect-error: not a connect method
          connect: 'install',
          settingsPath: '/s',
          callbackPath: '/c',
          canConnect: async () => true,
        }),
      /connect must be 'oauth' or 'stripe-app'/,
    )
  })
})
