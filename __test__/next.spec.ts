// Route handlers (`@support/stripe-connect/next`) against a hand-written fake client: every branch,
// with exact statuses, headers (cookie attributes) and bodies.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import {
  DEFAULT_MAX_BODY_BYTES,
  STATE_COOKIE_MAX_AGE,
  callbackErrorCode,
  createRouteHandlers,
  type ConnectClient,
  type RouteHandlerOptions,
} from '../bindings/src/next.js'
import { StripeConnect } from '../bindings/src/client.js'
import type { Connected } from '../bindings/src/types.js'
import { ERROR_CODES, httpStatusOf } from '../bindings/src/errors.js'

const CALLBACK_PATH = '/api/stripe/connect/callback'
const SETTINGS_PATH = '/settings/integrations'
const ORIGIN = 'https://support.example.com'
const STRIPE_URL =
  'https://connect.stripe.com/oauth/authorize?response_type=code&client_id=ca_test&state=st_1'

class CodedError extends Error {
  constructor(
    public code: string,
    message = `failed: ${code}`,
  ) {
    super(message)
  }
}

/** A stand-in for `StripeConnect`: records calls, answers what the test sets. */
class FakeClient implements ConnectClient {
  authorizeCalls: Array<{ appSlug: string }> = []
  callbackCalls: Array<{ query: URLSearchParams; state: string | null | undefined }> = []
  webhookCalls: Array<{ payload: Buffer; header: string | null | undefined }> = []
  state = 'st_1.abc-DEF_ghi'
  expiresAt: number | undefined = undefined
  authorizeError: unknown = null
  callbackError: unknown = null
  webhookError: unknown = null
  webhookOutcome: unknown = { outcome: 'dispute_recorded', eventId: 'evt_1' }
  connected: Connected = {
    appSlug: 'helper',
    accountId: 'acct_1',
    livemode: false,
    scope: 'read_write',
    replacedAccountId: null,
  }

  authorizeUrl(options: { appSlug: string }): {
    url: string
    state: string
    expiresAt?: number
  } {
    this.authorizeCalls.push(options)
    if (this.authorizeError !== null) throw this.authorizeError
    const { expiresAt } = this
    return expiresAt === undefined
      ? { url: STRIPE_URL, state: this.state }
      : { url: STRIPE_URL, state: this.state, expiresAt }
  }

  async handleCallback(options: {
    query: URLSearchParams
    state: string | null | undefined
  }): Promise<Connected> {
    this.callbackCalls.push(options)
    if (this.callbackError !== null) throw this.callbackError
    return this.connected
  }

  async handleWebhook(payload: Buffer, header: string | null | undefined): Promise<unknown> {
    this.webhookCalls.push({ payload, header })
    if (this.webhookError !== null) throw this.webhookError
    return this.webhookOutcome
  }
}

function setup(options: Partial<RouteHandlerOptions> = {}) {
  const client = new FakeClient()
  const errors: Array<{ error: unknown; route: string }> = []
  const routes = createRouteHandlers(client, {
    settingsPath: SETTINGS_PATH,
    callbackPath: CALLBACK_PATH,
    canConnect: () => true, // a test: no users to check
    onError: (error, route) => errors.push({ error, route }),
    ...options,
  })
  return { client, routes, errors }
}

async function body(res: Response): Promise<unknown> {
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
  return JSON.parse(await res.text())
}

const COOKIE_SECURE = `stripe_connect_state=st_1.abc-DEF_ghi; Path=${CALLBACK_PATH}; Max-Age=600; HttpOnly; SameSite=Lax; Secure`
const CLEAR_SECURE = `stripe_connect_state=; Path=${CALLBACK_PATH}; Max-Age=0; HttpOnly; SameSite=Lax; Secure`

describe('authorize', () => {
  test('307 to Stripe with the state in an httpOnly, Lax, Secure cookie limited to the callback path', async () => {
    const { client, routes } = setup()
    const res = await routes.authorize(
      new Request(`${ORIGIN}/api/stripe/connect/authorize?appSlug=helper`),
    )
    assert.equal(res.status, 307)
    assert.equal(res.headers.get('location'), STRIPE_URL)
    assert.equal(res.headers.get('set-cookie'), COOKIE_SECURE)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.equal(await res.text(), '')
    assert.deepEqual(client.authorizeCalls, [{ appSlug: 'helper' }])
  })

  // The core's one loopback rule (the same that allows a plain http:// API base): issue 20 item 6
  // found the cookie rule taking *.localhost and only 127.0.0.1, the core all of 127.0.0.0/8.
  test('no Secure on http://localhost, 127.0.0.0/8 and [::1]; Secure on any other http host', async () => {
    const { routes } = setup()
    const insecure = `stripe_connect_state=st_1.abc-DEF_ghi; Path=${CALLBACK_PATH}; Max-Age=600; HttpOnly; SameSite=Lax`
    for (const origin of [
      'http://localhost:3000',
      'http://127.0.0.1:3000',
      'http://127.0.0.2',
      'http://[::1]:3000',
    ]) {
      const res = await routes.authorize(
        new Request(`${origin}/api/stripe/connect/authorize?appSlug=helper`),
      )
      assert.equal(res.status, 307, origin)
      assert.equal(res.headers.get('set-cookie'), insecure, origin)
    }
    for (const origin of [
      'http://support.internal:3000',
      'https://localhost:3000',
      'http://app.localhost:3000',
      'http://128.0.0.1',
    ]) {
      const res = await routes.authorize(
        new Request(`${origin}/api/stripe/connect/authorize?appSlug=helper`),
      )
      assert.equal(res.headers.get('set-cookie'), COOKIE_SECURE, origin)
    }
  })

  test('a custom cookie name; a state with cookie-unsafe characters is percent-encoded', async () => {
    const { client, routes } = setup({ cookieName: '__sc_state' })
    client.state = 'a b;c=d,e"f'
    const res = await routes.authorize(new Request(`${ORIGIN}/x?appSlug=helper`))
    assert.equal(
      res.headers.get('set-cookie'),
      `__sc_state=a%20b%3Bc%3Dd%2Ce%22f; Path=${CALLBACK_PATH}; Max-Age=600; HttpOnly; SameSite=Lax; Secure`,
    )
  })

  test('missing or empty appSlug: 400 missing_app, Stripe not involved', async () => {
    const { client, routes } = setup()
    for (const q of ['', '?appSlug=', '?app=helper']) {
      const res = await routes.authorize(new Request(`${ORIGIN}/api/stripe/connect/authorize${q}`))
      assert.equal(res.status, 400, q)
      assert.equal(res.headers.get('set-cookie'), null)
      assert.deepEqual(await body(res), { error: 'Missing appSlug', code: 'missing_app' })
    }
    assert.equal(client.authorizeCalls.length, 0)
  })

  test('an appSlug that is not letters, digits, _ - . (max 100): 400 invalid_input', async () => {
    const { client, routes } = setup()
    for (const slug of ['a/b', '../etc', 'a b', 'ä', 'x'.repeat(101), 'a\nb']) {
      const res = await routes.authorize(
        new Request(`${ORIGIN}/a?appSlug=${encodeURIComponent(slug)}`),
      )
      assert.equal(res.status, 400, slug)
      assert.deepEqual(await body(res), { error: 'Invalid appSlug', code: 'invalid_input' })
    }
    assert.equal(client.authorizeCalls.length, 0)
    const ok = await routes.authorize(new Request(`${ORIGIN}/a?appSlug=${'x'.repeat(100)}`))
    assert.equal(ok.status, 307)
  })

  test("the cookie lives as long as the state: Max-Age from the client's expiresAt, else the core's 600 s", async () => {
    assert.equal(STATE_COOKIE_MAX_AGE, 600)
    const { client, routes } = setup()
    client.expiresAt = Math.floor(Date.now() / 1000) + 120
    const res = await routes.authorize(new Request(`${ORIGIN}/a?appSlug=helper`))
    const maxAge = Number(/Max-Age=(\d+)/.exec(res.headers.get('set-cookie') ?? '')?.[1])
    assert.ok(maxAge === 120 || maxAge === 119, `Max-Age=${maxAge}`)
    client.expiresAt = Math.floor(Date.now() / 1000) - 5
    const late = await routes.authorize(new Request(`${ORIGIN}/a?appSlug=helper`))
    assert.match(late.headers.get('set-cookie') ?? '', /; Max-Age=1;/)
  })

  test('the client refusing the slug (invalid_input) is a 400; any other client error a 500, reported', async () => {
    const { client, routes, errors } = setup()
    client.authorizeError = new CodedError('invalid_input')
    let res = await routes.authorize(new Request(`${ORIGIN}/a?appSlug=helper`))
    assert.equal(res.status, 400)
    assert.deepEqual(await body(res), { error: 'Invalid appSlug', code: 'invalid_input' })
    assert.equal(errors.length, 0)

    client.authorizeError = new CodedError('config_invalid')
    res = await routes.authorize(new Request(`${ORIGIN}/a?appSlug=helper`))
    assert.equal(res.status, 500)
    assert.equal(res.headers.get('set-cookie'), null)
    assert.deepEqual(await body(res), { error: 'Internal error', code: 'config_invalid' })
    assert.deepEqual(
      errors.map((e) => [e.route, (e.error as CodedError).code]),
      [['authorize', 'config_invalid']],
    )

    client.authorizeError = new Error('boom')
    res = await routes.authorize(new Request(`${ORIGIN}/a?appSlug=helper`))
    assert.equal(res.status, 500)
    assert.deepEqual(await body(res), { error: 'Internal error', code: 'internal_error' })
  })

  test('canConnect: true proceeds, false is 403, a Response is answered as is, a throw is 500', async () => {
    const seen: string[] = []
    let verdict: boolean | Response | Error = true
    const { client, routes, errors } = setup({
      canConnect: async (request, appSlug) => {
        seen.push(`${new URL(request.url).pathname} ${appSlug}`)
        if (verdict instanceof Error) throw verdict
        return verdict
      },
    })
    const req = () => new Request(`${ORIGIN}/api/stripe/connect/authorize?appSlug=helper`)
    assert.equal((await routes.authorize(req())).status, 307)

    verdict = false
    let res = await routes.authorize(req())
    assert.equal(res.status, 403)
    assert.equal(res.headers.get('set-cookie'), null)
    assert.deepEqual(await body(res), { error: 'Forbidden', code: 'forbidden' })

    const login = new Response(null, { status: 302, headers: { location: '/login' } })
    verdict = login
    res = await routes.authorize(req())
    assert.equal(res, login, 'the very Response canConnect returned')
    assert.equal(res.status, 302)
    assert.equal(res.headers.get('location'), '/login')

    verdict = new Error('session store down')
    res = await routes.authorize(req())
    assert.equal(res.status, 500)
    assert.deepEqual(await body(res), { error: 'Internal error', code: 'internal_error' })
    assert.equal(errors.length, 1)

    assert.deepEqual(seen, Array(4).fill('/api/stripe/connect/authorize helper'))
    assert.equal(client.authorizeCalls.length, 1, 'Stripe is only asked when allowed')
  })

  test('canConnect false: 403, and nothing goes to Stripe (no authorize URL, no redirect, no cookie)', async () => {
    const { client, routes, errors } = setup({ canConnect: () => false })
    const res = await routes.authorize(
      new Request(`${ORIGIN}/api/stripe/connect/authorize?appSlug=helper`),
    )
    assert.equal(res.status, 403)
    assert.deepEqual(await body(res), { error: 'Forbidden', code: 'forbidden' })
    assert.equal(res.headers.get('location'), null)
    assert.equal(res.headers.get('set-cookie'), null)
    assert.equal(client.authorizeCalls.length, 0)
    assert.equal(errors.length, 0, 'a refusal is not an error to log')
  })

  test('only a literal true lets the visitor through: truthy slips are 403', async () => {
    for (const slip of ['yes', 1, {}, [], 'true', null, undefined]) {
      const { client, routes } = setup({
        canConnect: () => slip as unknown as boolean,
      })
      const res = await routes.authorize(new Request(`${ORIGIN}/a?appSlug=helper`))
      assert.equal(res.status, 403, JSON.stringify(slip))
      assert.equal(client.authorizeCalls.length, 0, JSON.stringify(slip))
    }
  })

  test('an app the store does not know: 404 unknown_app after canConnect, nothing sent to Stripe', async () => {
    const asked: string[] = []
    const known = new Set(['helper'])
    const { client, routes, errors } = setup()
    let failWith: unknown = null
    Object.assign(client, {
      async hasApp({ appSlug }: { appSlug: string }) {
        asked.push(appSlug)
        if (failWith !== null) throw failWith
        return appSlug === 'maybe' ? null : known.has(appSlug)
      },
    })
    const go = (slug: string) =>
      routes.authorize(new Request(`${ORIGIN}/api/stripe/connect/authorize?appSlug=${slug}`))
    const unknown = await go('nope')
    assert.equal(unknown.status, 404)
    assert.deepEqual(await body(unknown), { error: 'Unknown app', code: 'unknown_app' })
    assert.equal(unknown.headers.get('location'), null)
    assert.equal(unknown.headers.get('set-cookie'), null)
    assert.equal(client.authorizeCalls.length, 0)
    assert.equal(errors.length, 0, 'a refusal is not an error to log')
    assert.equal((await go('helper')).status, 307)
    assert.equal((await go('maybe')).status, 307, 'null: the store cannot tell, nothing refused')
    assert.deepEqual(asked, ['nope', 'helper', 'maybe'])
    failWith = new CodedError('store_failed', 'connections.has_app: timed out')
    const failed = await go('helper')
    assert.equal(failed.status, 500)
    assert.deepEqual(await body(failed), { error: 'Internal error', code: 'store_failed' })
    assert.equal(errors.length, 1)

    // canConnect first: a visitor who may not connect learns nothing about which slugs exist.
    const guarded = setup({ canConnect: () => false })
    let probed = 0
    Object.assign(guarded.client, { hasApp: async () => (probed++, false) })
    const res = await guarded.routes.authorize(new Request(`${ORIGIN}/a?appSlug=nope`))
    assert.equal(res.status, 403)
    assert.equal(probed, 0)
  })

  test("unknown_app through the real client: a JS store's hasApp, or none (nothing refused)", async () => {
    const connections = {
      save() {},
      clearByAccount: () => null,
      getBySlug: () => null,
      list: () => [],
      hasApp: (slug: string): unknown => slug === 'helper',
    }
    const stripe = new StripeConnect({
      secretKey: 'sk_test_routes',
      clientId: 'ca_routes',
      redirectUri: `${ORIGIN}${CALLBACK_PATH}`,
      stores: { connections: connections as never },
    })
    const routes = createRouteHandlers(stripe, {
      settingsPath: SETTINGS_PATH,
      callbackPath: CALLBACK_PATH,
      canConnect: () => true,
      onError: () => {},
    })
    const go = (slug: string) => routes.authorize(new Request(`${ORIGIN}/a?appSlug=${slug}`))
    assert.equal((await go('nope')).status, 404)
    assert.equal((await go('helper')).status, 307)
    assert.equal(await stripe.hasApp({ appSlug: 'nope' }), false)
    // A store answering something else than a boolean is the store's failure, not a "yes".
    const sloppy = new StripeConnect({
      secretKey: 'sk_test_routes',
      clientId: 'ca_routes',
      redirectUri: `${ORIGIN}${CALLBACK_PATH}`,
      stores: { connections: { ...connections, hasApp: () => 'yes' } as never },
    })
    const bad = await createRouteHandlers(sloppy, {
      settingsPath: SETTINGS_PATH,
      callbackPath: CALLBACK_PATH,
      canConnect: () => true,
      onError: () => {},
    }).authorize(new Request(`${ORIGIN}/a?appSlug=helper`))
    assert.equal(bad.status, 500)
    assert.equal(((await bad.json()) as { code: string }).code, 'store_failed')
    // Without hasApp (or with the in-memory default) the core cannot tell: null, nothing refused.
    const plain = new StripeConnect({ secretKey: 'sk_test_routes', clientId: 'ca_routes' })
    assert.equal(await plain.hasApp({ appSlug: 'nope' }), null)
  })

  test('canConnect is not asked for a missing or invalid slug', async () => {
    let asked = 0
    const { routes } = setup({ canConnect: () => (asked++, true) })
    await routes.authorize(new Request(`${ORIGIN}/a`))
    await routes.authorize(new Request(`${ORIGIN}/a?appSlug=a/b`))
    assert.equal(asked, 0)
  })
})

describe('callback', () => {
  const cbUrl = (q: string, origin = ORIGIN) => `${origin}${CALLBACK_PATH}${q}`
  const withCookie = (url: string, cookie: string | null) =>
    new Request(url, cookie === null ? {} : { headers: { cookie } })

  test('success: 303 to the settings path with success=connected&app=<slug>, cookie cleared', async () => {
    const { client, routes } = setup()
    const res = await routes.callback(
      withCookie(
        cbUrl('?code=ac_123&scope=read_write&state=st_1.abc-DEF_ghi'),
        'other=1; stripe_connect_state=st_1.abc-DEF_ghi; x=y',
      ),
    )
    assert.equal(res.status, 303)
    assert.equal(
      res.headers.get('location'),
      `${ORIGIN}${SETTINGS_PATH}?success=connected&app=helper`,
    )
    assert.equal(res.headers.get('set-cookie'), CLEAR_SECURE)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.equal(client.callbackCalls.length, 1)
    const call = client.callbackCalls[0]!
    assert.ok(call.query instanceof URLSearchParams)
    assert.deepEqual(
      [...call.query],
      [
        ['code', 'ac_123'],
        ['scope', 'read_write'],
        ['state', 'st_1.abc-DEF_ghi'],
      ],
    )
    assert.equal(call.state, 'st_1.abc-DEF_ghi')
  })

  test('the cookie value is percent-decoded (and unquoted) before it reaches the client', async () => {
    const { client, routes } = setup()
    await routes.callback(withCookie(cbUrl('?code=ac_1&state=s'), 'stripe_connect_state=a%20b%3Bc'))
    await routes.callback(withCookie(cbUrl('?code=ac_1&state=s'), 'stripe_connect_state="quoted"'))
    assert.deepEqual(
      client.callbackCalls.map((c) => c.state),
      ['a b;c', 'quoted'],
    )
  })

  test('no state cookie: the client gets null (and decides), the cookie is still cleared', async () => {
    const { client, routes } = setup()
    client.callbackError = new CodedError('oauth_invalid_state')
    for (const cookie of [null, 'unrelated=1', 'stripe_connect_state=']) {
      const res = await routes.callback(withCookie(cbUrl('?code=ac_1&state=s'), cookie))
      assert.equal(res.status, 303)
      assert.equal(res.headers.get('location'), `${ORIGIN}${SETTINGS_PATH}?error=invalid_state`)
      assert.equal(res.headers.get('set-cookie'), CLEAR_SECURE)
    }
    assert.deepEqual(
      client.callbackCalls.map((c) => c.state),
      [null, null, null],
    )
  })

  const mapping: Array<[string | undefined, string]> = [
    ['oauth_access_denied', 'denied'],
    ['oauth_invalid_state', 'invalid_state'],
    ['oauth_state_used', 'invalid_state'],
    ['oauth_state_expired', 'expired'],
    ['oauth_invalid_grant', 'oauth_failed'],
    ['oauth_invalid_request', 'oauth_failed'],
    ['oauth_invalid_scope', 'oauth_failed'],
    ['oauth_invalid_client', 'oauth_failed'],
    ['oauth_error', 'oauth_failed'],
    ['store_failed', 'oauth_failed'],
    ['stripe_unavailable', 'oauth_failed'],
    ['stripe_timeout', 'oauth_failed'],
    ['invalid_input', 'oauth_failed'],
    ['config_invalid', 'oauth_failed'],
    [undefined, 'oauth_failed'],
  ]

  test('error codes map to the settings page codes; the cookie is cleared on every outcome', async () => {
    for (const [code, expected] of mapping) {
      const { client, routes, errors } = setup()
      client.callbackError =
        code === undefined ? new TypeError('not a StripeConnectError') : new CodedError(code)
      const res = await routes.callback(
        withCookie(cbUrl('?error=access_denied&state=s'), 'stripe_connect_state=s'),
      )
      assert.equal(res.status, 303, String(code))
      assert.equal(
        res.headers.get('location'),
        `${ORIGIN}${SETTINGS_PATH}?error=${expected}`,
        String(code),
      )
      assert.equal(res.headers.get('set-cookie'), CLEAR_SECURE, String(code))
      // Only unexpected failures are reported to onError (a user declining is not an incident).
      assert.equal(errors.length, expected === 'oauth_failed' ? 1 : 0, String(code))
      assert.equal(callbackErrorCode(code), expected)
    }
  })

  test('no open redirect: redirect/next/returnTo parameters and a forged Host-like path are ignored', async () => {
    const { routes } = setup()
    const q =
      '?code=ac_1&state=s&redirect=https://evil.example/x&next=//evil.example&returnTo=https%3A%2F%2Fevil.example&redirect_uri=https://evil.example&settingsPath=//evil.example'
    const res = await routes.callback(withCookie(cbUrl(q), 'stripe_connect_state=s'))
    const location = new URL(res.headers.get('location')!)
    assert.equal(location.origin, ORIGIN)
    assert.equal(location.pathname, SETTINGS_PATH)
    assert.deepEqual(
      [...location.searchParams],
      [
        ['success', 'connected'],
        ['app', 'helper'],
      ],
    )
  })

  test('on http://localhost the cleared cookie has no Secure; the redirect stays on the request origin', async () => {
    const { routes } = setup()
    const res = await routes.callback(
      withCookie(cbUrl('?code=ac_1&state=s', 'http://localhost:3000'), 'stripe_connect_state=s'),
    )
    assert.equal(
      res.headers.get('location'),
      `http://localhost:3000${SETTINGS_PATH}?success=connected&app=helper`,
    )
    assert.equal(
      res.headers.get('set-cookie'),
      `stripe_connect_state=; Path=${CALLBACK_PATH}; Max-Age=0; HttpOnly; SameSite=Lax`,
    )
  })

  test('a settings path with its own query keeps it; a configured origin wins over the request origin', async () => {
    const { routes } = setup({
      settingsPath: '/settings?tab=stripe#top',
      origin: 'https://app.example.com/ignored/path',
    })
    const res = await routes.callback(
      withCookie(cbUrl('?code=ac_1&state=s', 'http://10.0.0.7:3000'), 'stripe_connect_state=s'),
    )
    assert.equal(
      res.headers.get('location'),
      'https://app.example.com/settings?tab=stripe&success=connected&app=helper#top',
    )
  })

  test('a custom cookie name is read and cleared', async () => {
    const { client, routes } = setup({ cookieName: 'sc' })
    const res = await routes.callback(
      withCookie(cbUrl('?code=ac_1&state=s'), 'stripe_connect_state=wrong; sc=right'),
    )
    assert.equal(client.callbackCalls[0]!.state, 'right')
    assert.equal(
      res.headers.get('set-cookie'),
      `sc=; Path=${CALLBACK_PATH}; Max-Age=0; HttpOnly; SameSite=Lax; Secure`,
    )
  })
})

describe('callback: onConnected', () => {
  const cookie = 'stripe_connect_state=st_1.abc-DEF_ghi'
  const request = () =>
    new Request(`${ORIGIN}${CALLBACK_PATH}?code=ac_123&scope=read_write&state=st_1.abc-DEF_ghi`, {
      headers: { cookie },
    })

  test('sees what was connected, the account it replaced, and the request', async () => {
    const seen: Array<{ connected: Connected; url: string }> = []
    const { client, routes } = setup({
      onConnected: async (connected, req) => {
        seen.push({ connected, url: req.url })
      },
    })
    client.connected = { ...client.connected, accountId: 'acct_2', replacedAccountId: 'acct_1' }
    const res = await routes.callback(request())
    assert.equal(res.status, 303)
    assert.equal(
      res.headers.get('location'),
      `${ORIGIN}${SETTINGS_PATH}?success=connected&app=helper`,
    )
    assert.deepEqual(seen, [
      {
        connected: {
          appSlug: 'helper',
          accountId: 'acct_2',
          livemode: false,
          scope: 'read_write',
          replacedAccountId: 'acct_1',
        },
        url: request().url,
      },
    ])
  })

  test('is not called when the callback fails', async () => {
    let calls = 0
    const { client, routes } = setup({ onConnected: () => void calls++ })
    client.callbackError = new CodedError('oauth_invalid_state')
    const res = await routes.callback(request())
    assert.match(res.headers.get('location')!, /\?error=invalid_state$/)
    assert.equal(calls, 0)
  })

  test('a throw is reported to onError; the user is still told the app is connected (it is saved)', async () => {
    const boom = new Error('audit log down')
    const { routes, errors } = setup({
      onConnected: () => {
        throw boom
      },
    })
    const res = await routes.callback(request())
    assert.equal(res.status, 303)
    assert.match(res.headers.get('location')!, /\?success=connected&app=helper$/)
    assert.deepEqual(errors, [{ error: boom, route: 'callback' }])
  })
})

describe('construction', () => {
  const client = new FakeClient()
  const make = (o: Partial<RouteHandlerOptions>) => () =>
    createRouteHandlers(client, {
      settingsPath: SETTINGS_PATH,
      callbackPath: CALLBACK_PATH,
      canConnect: () => true,
      ...o,
    })

  test('without canConnect: a TypeError that names the option and shows the fix', () => {
    const expected =
      "createRouteHandlers: options.canConnect is required. It decides who may connect an app's Stripe account; without it anyone who reaches the authorize route could connect any app to a Stripe account of their choosing. Add it, e.g. canConnect: async (request, appSlug) => (await getSession(request))?.isAdminOf(appSlug) === true"
    for (const missing of [undefined, null]) {
      assert.throws(
        () =>
          createRouteHandlers(client, {
            settingsPath: SETTINGS_PATH,
            callbackPath: CALLBACK_PATH,
            canConnect: missing as unknown as RouteHandlerOptions['canConnect'],
          }),
        { name: 'TypeError', message: expected },
        String(missing),
      )
    }
    // Left out entirely (a JavaScript caller, or a cast): the same error.
    const withoutCanConnect = { settingsPath: SETTINGS_PATH, callbackPath: CALLBACK_PATH }
    assert.throws(() => createRouteHandlers(client, withoutCanConnect as RouteHandlerOptions), {
      name: 'TypeError',
      message: expected,
    })
  })

  test('canConnect and onConnected must be functions', () => {
    for (const bad of [true, 'admin', {}]) {
      assert.throws(make({ canConnect: bad as unknown as RouteHandlerOptions['canConnect'] }), {
        name: 'TypeError',
        message: `createRouteHandlers: options.canConnect must be a function (request, appSlug) => boolean | Response, got ${typeof bad}`,
      })
    }
    assert.throws(make({ onConnected: 'log' as unknown as RouteHandlerOptions['onConnected'] }), {
      name: 'TypeError',
      message:
        'createRouteHandlers: options.onConnected must be a function (connected, request) => void, got string',
    })
  })

  test('settingsPath must be a same-origin absolute path', () => {
    for (const bad of [
      'https://evil.example/settings',
      '//evil.example/settings',
      '/\\evil.example',
      'settings',
      '',
      'javascript:alert(1)',
      '/ok\r\nx',
      ' /settings',
    ]) {
      assert.throws(
        make({ settingsPath: bad }),
        (e: unknown) => e instanceof TypeError && /settingsPath/.test(e.message),
        JSON.stringify(bad),
      )
    }
    assert.throws(
      make({ settingsPath: undefined as unknown as string }),
      /settingsPath is required/,
    )
    for (const ok of ['/', '/settings', '/settings/apps?tab=stripe', '/a/../b'])
      make({ settingsPath: ok })()
  })

  test('callbackPath must be a plain same-origin path (it is the cookie Path)', () => {
    for (const bad of [
      'https://x.example/cb',
      '//cb',
      'cb',
      '/cb?x=1',
      '/cb#x',
      '/cb;Domain=evil',
      '/c b',
      '/cb,x',
    ]) {
      assert.throws(
        make({ callbackPath: bad }),
        (e: unknown) => e instanceof TypeError && /callbackPath/.test(e.message),
        bad,
      )
    }
  })

  test('cookieName, maxBodyBytes, origin and the client are checked', () => {
    for (const bad of ['', 'a b', 'a;b', 'a=b', 'ä'])
      assert.throws(make({ cookieName: bad }), /cookieName/, bad)
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity])
      assert.throws(make({ maxBodyBytes: bad }), /maxBodyBytes/, String(bad))
    for (const bad of ['evil', 'javascript:alert(1)', 'file:///etc'])
      assert.throws(make({ origin: bad }), /origin/, bad)
    assert.throws(
      () =>
        createRouteHandlers({} as ConnectClient, {
          settingsPath: '/s',
          callbackPath: '/c',
          canConnect: () => true,
        }),
      /no authorizeUrl\(\) method/,
    )
    assert.throws(
      () =>
        createRouteHandlers(null as unknown as ConnectClient, {
          settingsPath: '/s',
          callbackPath: '/c',
          canConnect: () => true,
        }),
      /StripeConnect instance/,
    )
  })
})

describe('webhook', () => {
  const HEADER = 't=1700000000,v1=' + 'a'.repeat(64)
  const post = (
    payload: string | Uint8Array | null,
    headers: Record<string, string> = { 'stripe-signature': HEADER },
  ) => new Request(`${ORIGIN}/api/stripe/webhooks`, { method: 'POST', headers, body: payload })

  /** A body sent in chunks without Content-Length (chunked transfer). */
  function streamed(
    chunks: Uint8Array[],
    headers: Record<string, string> = { 'stripe-signature': HEADER },
  ): Request {
    let i = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i < chunks.length) controller.enqueue(chunks[i++]!)
        else controller.close()
      },
    })
    return new Request(`${ORIGIN}/api/stripe/webhooks`, {
      method: 'POST',
      headers,
      body: stream,
      duplex: 'half',
    } as RequestInit)
  }

  test('200 {received:true}; the client gets the raw bytes, byte for byte, and the header', async () => {
    const { client, routes } = setup()
    const raw = Buffer.concat([
      Buffer.from('{\r\n  "id": "evt_1",\n  "name": "Zoë ✓"  }\n'),
      Buffer.from([0xff, 0xfe]),
    ])
    const res = await routes.webhook(post(raw))
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.deepEqual(await body(res), { received: true })
    assert.equal(client.webhookCalls.length, 1)
    assert.ok(Buffer.isBuffer(client.webhookCalls[0]!.payload))
    assert.ok(client.webhookCalls[0]!.payload.equals(raw))
    assert.equal(client.webhookCalls[0]!.header, HEADER)
  })

  test('duplicates, ignored events and disconnects are all 200 {received:true}', async () => {
    const { client, routes } = setup()
    for (const outcome of [
      { outcome: 'duplicate', eventId: 'evt_1', eventType: 'charge.dispute.created' },
      {
        outcome: 'ignored',
        eventId: 'evt_2',
        eventType: 'customer.created',
        reason: 'unhandled_type',
      },
      {
        outcome: 'ignored',
        eventId: 'evt_3',
        eventType: 'charge.dispute.created',
        reason: 'livemode_mismatch',
      },
      { outcome: 'disconnected', eventId: 'evt_4', accountId: 'acct_1', appSlug: null },
    ]) {
      client.webhookOutcome = outcome
      const res = await routes.webhook(post('{}'))
      assert.equal(res.status, 200, outcome.outcome)
      assert.deepEqual(await body(res), { received: true })
    }
  })

  test('missing or empty Stripe-Signature: 400 Missing signature, nothing verified', async () => {
    const { client, routes } = setup()
    for (const headers of [{}, { 'stripe-signature': '' }, { 'stripe-signature': '   ' }] as Array<
      Record<string, string>
    >) {
      const res = await routes.webhook(post('{}', headers))
      assert.equal(res.status, 400)
      assert.deepEqual(await body(res), {
        error: 'Missing signature',
        code: 'webhook_missing_header',
      })
    }
    assert.equal(client.webhookCalls.length, 0)
  })

  test('every webhook_* verification code is 400 Invalid signature with the code', async () => {
    const { client, routes, errors } = setup()
    for (const code of [
      'webhook_malformed_header',
      'webhook_no_v1_signature',
      'webhook_signature_mismatch',
      'webhook_timestamp_out_of_range',
      'webhook_invalid_payload',
      'webhook_thin_event',
    ]) {
      client.webhookError = new CodedError(code)
      const res = await routes.webhook(post('{}'))
      assert.equal(res.status, 400, code)
      assert.deepEqual(await body(res), { error: 'Invalid signature', code })
    }
    client.webhookError = new CodedError('webhook_missing_header')
    const res = await routes.webhook(post('{}'))
    assert.equal(res.status, 400)
    assert.deepEqual(await body(res), {
      error: 'Missing signature',
      code: 'webhook_missing_header',
    })
    assert.equal(errors.length, 0, 'bad deliveries are not incidents')
  })

  test('webhook_in_progress (another delivery holds the lease) is 409 with Retry-After, not an incident', async () => {
    const { client, routes, errors } = setup()
    client.webhookError = Object.assign(new CodedError('webhook_in_progress'), { retryAfter: 23 })
    const res = await routes.webhook(post('{}'))
    assert.equal(res.status, 409)
    assert.equal(res.headers.get('retry-after'), '23')
    assert.deepEqual(await body(res), {
      error: 'Event is being processed',
      code: 'webhook_in_progress',
    })
    client.webhookError = new CodedError('webhook_in_progress')
    const noHint = await routes.webhook(post('{}'))
    assert.equal(noHint.status, 409)
    assert.equal(noHint.headers.get('retry-after'), null)
    assert.equal(errors.length, 0)
  })

  test('store_failed and anything unexpected are 500 (Stripe redelivers), reported to onError', async () => {
    const { client, routes, errors } = setup()
    const cases: Array<[unknown, string]> = [
      [
        new CodedError('store_failed', 'connections.clear_by_account failed: ECONNREFUSED'),
        'store_failed',
      ],
      [new CodedError('config_invalid'), 'config_invalid'],
      [new Error('no code'), 'internal_error'],
      ['a string', 'internal_error'],
    ]
    for (const [error, code] of cases) {
      client.webhookError = error
      const res = await routes.webhook(post('{}'))
      assert.equal(res.status, 500, code)
      assert.deepEqual(await body(res), { error: 'Webhook handler failed', code })
    }
    assert.deepEqual(
      errors.map((e) => e.route),
      ['webhook', 'webhook', 'webhook', 'webhook'],
    )
  })

  test('Content-Length over the limit: 413 before reading or verifying', async () => {
    const { client, routes } = setup({ maxBodyBytes: 10 })
    const res = await routes.webhook(
      post('x'.repeat(11), { 'stripe-signature': HEADER, 'content-length': '11' }),
    )
    assert.equal(res.status, 413)
    assert.deepEqual(await body(res), {
      error: 'Payload too large',
      code: 'payload_too_large',
      maxBytes: 10,
    })
    // Over the limit wins over a missing signature: it is never looked at.
    const noSig = await routes.webhook(post('x'.repeat(11), { 'content-length': '11' }))
    assert.equal(noSig.status, 413)
    assert.equal(client.webhookCalls.length, 0)
  })

  test('a streamed body without Content-Length is counted while read: 413 once past the limit', async () => {
    const { client, routes } = setup({ maxBodyBytes: 10 })
    const res = await routes.webhook(
      streamed([Buffer.from('12345'), Buffer.from('67890'), Buffer.from('X')]),
    )
    assert.equal(res.status, 413)
    assert.deepEqual(await body(res), {
      error: 'Payload too large',
      code: 'payload_too_large',
      maxBytes: 10,
    })
    assert.equal(client.webhookCalls.length, 0)

    const exact = await routes.webhook(streamed([Buffer.from('12345'), Buffer.from('67890')]))
    assert.equal(exact.status, 200)
    assert.equal(client.webhookCalls[0]!.payload.toString(), '1234567890')
  })

  test('a Content-Length that lies (smaller than the body) does not get past the count', async () => {
    const { client, routes } = setup({ maxBodyBytes: 10 })
    const res = await routes.webhook(
      streamed([Buffer.alloc(8), Buffer.alloc(8)], {
        'stripe-signature': HEADER,
        'content-length': '5',
      }),
    )
    assert.equal(res.status, 413)
    assert.equal(client.webhookCalls.length, 0)
  })

  test('the default limit is 1 MiB: exactly 1 MiB passes, one byte more is 413', async () => {
    const { client, routes } = setup()
    assert.equal(DEFAULT_MAX_BODY_BYTES, 1024 * 1024)
    const ok = await routes.webhook(post(Buffer.alloc(DEFAULT_MAX_BODY_BYTES, 0x20)))
    assert.equal(ok.status, 200)
    const big = await routes.webhook(post(Buffer.alloc(DEFAULT_MAX_BODY_BYTES + 1, 0x20)))
    assert.equal(big.status, 413)
    const bigStream = await routes.webhook(
      streamed([Buffer.alloc(DEFAULT_MAX_BODY_BYTES), Buffer.alloc(1)]),
    )
    assert.equal(bigStream.status, 413)
    assert.equal(client.webhookCalls.length, 1)
  })

  test('an empty body is passed through (the client reports it as invalid)', async () => {
    const { client, routes } = setup()
    client.webhookError = new CodedError('webhook_signature_mismatch')
    const res = await routes.webhook(post(null))
    assert.equal(res.status, 400)
    assert.equal(client.webhookCalls[0]!.payload.length, 0)
  })

  test('a body stream that fails mid-read is a 400, reported, and nothing is verified', async () => {
    const { client, routes, errors } = setup()
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(Buffer.from('{"id":'))
        controller.error(new Error('socket hang up'))
      },
    })
    const req = new Request(`${ORIGIN}/api/stripe/webhooks`, {
      method: 'POST',
      headers: { 'stripe-signature': HEADER },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    const res = await routes.webhook(req)
    assert.equal(res.status, 400)
    assert.deepEqual(await body(res), {
      error: 'Could not read the request body',
      code: 'body_unreadable',
    })
    assert.equal(client.webhookCalls.length, 0)
    assert.equal(errors.length, 1)
  })
})

// Issue 20 item 6: the routes answered codes that were not in ERROR_CODES (missing_app, forbidden,
// internal_error, body_unreadable, payload_too_large, redirect_refused), each with a status written
// by hand. Every failure any route answers is now a listed code at the core's status.
describe('one status table', () => {
  test('every code a route answers is in ERROR_CODES, at the status the core gives it', async () => {
    const seen = new Map<string, number>()
    const record = async (res: Response) => {
      const b = (await body(res)) as { code?: string }
      if (b.code === undefined) return
      assert.ok(
        (ERROR_CODES as readonly string[]).includes(b.code),
        `${b.code} is not in ERROR_CODES`,
      )
      assert.equal(res.status, httpStatusOf(b.code as (typeof ERROR_CODES)[number]), b.code)
      seen.set(b.code, res.status)
    }
    const at = (path: string) => new Request(`${ORIGIN}${path}`)
    await record(await setup().routes.authorize(at('/a')))
    await record(await setup().routes.authorize(at('/a?appSlug=a%20b')))
    await record(await setup({ canConnect: () => false }).routes.authorize(at('/a?appSlug=x')))
    await record(
      await setup({
        canConnect: () => {
          throw new Error('session store down')
        },
      }).routes.authorize(at('/a?appSlug=x')),
    )
    const refusing = setup()
    refusing.client.authorizeError = new CodedError('config_invalid')
    await record(await refusing.routes.authorize(at('/a?appSlug=x')))
    const post = (headers: Record<string, string>, payload: string | null = '{}') =>
      new Request(`${ORIGIN}/w`, { method: 'POST', headers, body: payload })
    const sig = { 'stripe-signature': 't=1,v1=00' }
    await record(await setup().routes.webhook(post({})))
    await record(await setup({ maxBodyBytes: 1 }).routes.webhook(post(sig, 'xx')))
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('connection reset'))
      },
    })
    await record(
      await setup().routes.webhook(
        new Request(`${ORIGIN}/w`, {
          method: 'POST',
          headers: sig,
          body: broken,
          duplex: 'half',
        } as RequestInit),
      ),
    )
    for (const code of [
      'webhook_signature_mismatch',
      'webhook_in_progress',
      'store_failed',
      'invalid_input',
      'stripe_unavailable',
    ]) {
      const one = setup()
      one.client.webhookError = new CodedError(code)
      await record(await one.routes.webhook(post(sig)))
    }
    const unknown = setup()
    unknown.client.webhookError = new CodedError('not_a_code_of_ours')
    await record(await unknown.routes.webhook(post(sig)))
    assert.deepEqual(Object.fromEntries(seen), {
      missing_app: 400,
      invalid_input: 400,
      forbidden: 403,
      internal_error: 500,
      config_invalid: 500,
      webhook_missing_header: 400,
      payload_too_large: 413,
      body_unreadable: 400,
      webhook_signature_mismatch: 400,
      webhook_in_progress: 409,
      store_failed: 500,
      stripe_unavailable: 503,
    })
  })
})

describe('default onError', () => {
  test('logs 500s with console.error (route and code), never throws', async () => {
    const client = new FakeClient()
    client.webhookError = new CodedError('store_failed')
    const routes = createRouteHandlers(client, {
      settingsPath: '/s',
      callbackPath: '/c',
      canConnect: () => true,
    })
    const original = console.error
    const lines: unknown[][] = []
    console.error = (...args: unknown[]) => void lines.push(args)
    try {
      const res = await routes.webhook(
        new Request('https://x.example/w', {
          method: 'POST',
          headers: { 'stripe-signature': 't=1,v1=a' },
          body: '{}',
        }),
      )
      assert.equal(res.status, 500)
    } finally {
      console.error = original
    }
    assert.equal(lines.length, 1)
    assert.match(String(lines[0]![0]), /webhook route failed \(store_failed\)/)
  })

  test('a throwing onError does not change the response', async () => {
    const { client, routes } = setup({
      onError: () => {
        throw new Error('logger down')
      },
    })
    client.webhookError = new CodedError('store_failed')
    const res = await routes.webhook(
      new Request('https://x.example/w', {
        method: 'POST',
        headers: { 'stripe-signature': 't=1,v1=a' },
        body: '{}',
      }),
    )
    assert.equal(res.status, 500)
  })
})
