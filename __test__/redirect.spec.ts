// No redirect off the origin (issue 10 item 4): the callback route's `Location` is built once from
// the parsed settings path and checked after building. The reproductions, then a seeded property
// test over settings paths made of the pieces that confuse URL normalisers.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { type ConnectClient, createRouteHandlers } from '../bindings/src/next.js'

const ORIGIN = 'https://support.example.com'
const CALLBACK_PATH = '/api/stripe/connect/callback'

/** A client whose callback succeeds or fails as told; the route's redirect is what is tested. */
function client(fail: boolean): ConnectClient {
  return {
    authorizeUrl: () => ({ url: 'https://connect.stripe.com/oauth/authorize', state: 's' }),
    handleCallback: async () => {
      if (fail) throw Object.assign(new Error('denied'), { code: 'oauth_access_denied' })
      return {
        appSlug: 'helper',
        accountId: 'acct_1',
        livemode: false,
        scope: 'read_write',
        replacedAccountId: null,
      }
    },
    handleWebhook: async () => ({}),
  }
}

function routes(settingsPath: string, options: { origin?: string; fail?: boolean } = {}) {
  return createRouteHandlers(client(options.fail ?? false), {
    settingsPath,
    callbackPath: CALLBACK_PATH,
    canConnect: () => true,
    onError: () => {},
    ...(options.origin === undefined ? {} : { origin: options.origin }),
  })
}

async function location(
  handlers: ReturnType<typeof routes>,
  requestOrigin: string,
): Promise<string> {
  const res = await handlers.callback(
    new Request(`${requestOrigin}${CALLBACK_PATH}?code=ac_1&state=s`, {
      headers: { cookie: 'stripe_connect_state=s' },
    }),
  )
  assert.equal(res.status, 303)
  return res.headers.get('location') ?? ''
}

/** Mulberry32: a small seeded generator, so a failure names a case that can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const PIECES = [
  '.',
  '..',
  '%2e',
  '%2E',
  '%2e%2e',
  '%2f',
  '%2F',
  '%5c',
  '/',
  '//',
  '\\',
  '\t',
  'evil.com',
  'evil.com:443',
  '@evil.com',
  'settings',
  '?x=1',
  '#top',
  ':',
  ';',
  ' ',
]

describe('settings redirect', () => {
  test('the reproductions are refused at construction', () => {
    for (const path of [
      '/.//evil.com',
      '/x/..//evil.com/path',
      '/%2e//evil.com',
      '/%2E%2E//evil.com',
    ]) {
      assert.throws(
        () => routes(path, { origin: ORIGIN }),
        (e: unknown) => e instanceof TypeError && /settingsPath .* same origin/.test(e.message),
        path,
      )
    }
  })

  test('an accepted path that normalises oddly still redirects on the origin', async () => {
    const handlers = routes('/a/./b/../settings?tab=1#top')
    assert.equal(
      await location(handlers, ORIGIN),
      `${ORIGIN}/a/settings?tab=1&success=connected&app=helper#top`,
    )
  })

  test('property: every settings path is refused at construction or every Location stays on the origin', async () => {
    const random = seeded(0x5eed10)
    let accepted = 0
    let refused = 0
    for (let i = 0; i < 1500; i++) {
      const n = 1 + Math.floor(random() * 7)
      let path = '/'
      for (let k = 0; k < n; k++) path += PIECES[Math.floor(random() * PIECES.length)]
      const fixed = random() < 0.5
      let handlers: ReturnType<typeof routes>
      try {
        handlers = routes(path, { fail: random() < 0.5, ...(fixed ? { origin: ORIGIN } : {}) })
      } catch (e) {
        assert.ok(e instanceof TypeError, `case ${i} ${JSON.stringify(path)}: ${String(e)}`)
        refused++
        continue
      }
      accepted++
      const requestOrigin = fixed ? 'http://10.0.0.7:3000' : ORIGIN
      const loc = await location(handlers, requestOrigin)
      // What a browser does with it: resolve against the page it came from.
      const resolved = new URL(loc, `${requestOrigin}${CALLBACK_PATH}`)
      assert.equal(resolved.origin, ORIGIN, `case ${i} ${JSON.stringify(path)} -> ${loc}`)
      assert.ok(loc.startsWith(`${ORIGIN}/`), `case ${i} ${JSON.stringify(path)} -> ${loc}`)
    }
    // Both branches are exercised, so the property is not vacuous.
    assert.ok(accepted > 200 && refused > 200, `accepted ${accepted}, refused ${refused}`)
  })
})
