// The MCP server over Streamable HTTP (`createMcpRouteHandler`), served on 127.0.0.1 by a
// node:http adapter and driven by the official SDK's Streamable HTTP client: the scope comes from
// the app's `authorize` per request, the Origin check and the 401 challenge come first, and any
// instance answers any request (two servers, the client's requests alternating between them).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js'
import { StripeConnect, type Connection } from '@support/stripe-connect'
import {
  bearerToken,
  createMcpRouteHandler,
  createProtectedResourceMetadataHandler,
  type McpAccess,
} from '@support/stripe-connect/mcp'
import { TOOL_NAMES } from '@support/stripe-connect/tools'
import { startFakeStripe, type FakeStripe } from '@support/stripe-connect/testing'
import { DEMO_EMAIL, seedDemoCustomer } from '../examples/demo/customer.js'
import { serve, type Served } from '../examples/demo/http.js'
import { fixedConnections } from './helpers.js'

const KEY = 'sk_test_mcp_http_spec'
const NOW = Math.floor(Date.now() / 1000)
const PATH = '/api/mcp'
const METADATA_PATH = `/.well-known/oauth-protected-resource${PATH}`
const APP_ORIGIN = 'https://support.example.com'

// The app's tokens: who holds each, and what the app lets them reach.
const TOKENS: Record<string, McpAccess | 'no-apps'> = {
  'token-helpdesk': { appSlugs: ['helpdesk'] },
  'token-all': { appSlugs: ['helpdesk', 'billing-bot'] },
  'token-nobody': 'no-apps',
}

interface World {
  fake: FakeStripe
  servers: Served[]
  seeded: ReturnType<typeof seedDemoCustomer>
  authorizeCalls: number
  /** Requests each instance answered. */
  served: number[]
  errors: unknown[]
  close(): Promise<void>
}

async function world(): Promise<World> {
  const fake = await startFakeStripe({ secretKey: KEY })
  const helpdesk = fake.createAccount({ email: 'owner@helpdesk.example' })
  const billing = fake.createAccount({ email: 'finance@billing-bot.example' })
  const seeded = seedDemoCustomer(fake, helpdesk, billing, NOW)
  const rows: Connection[] = [
    { appSlug: 'helpdesk', accountId: helpdesk, livemode: false, scope: 'read_write' },
    { appSlug: 'billing-bot', accountId: billing, livemode: false, scope: 'read_write' },
  ]
  const w = { fake, seeded, authorizeCalls: 0, served: [0, 0], errors: [] as unknown[] } as World
  // Two instances of the app: own client, own handlers, the same stores (as behind a load balancer).
  const instance = () => {
    let built = 0
    const mcp = createMcpRouteHandler({
      client: () => {
        built += 1
        assert.equal(built, 1, 'the client function is called once, on the first request')
        return new StripeConnect({
          secretKey: KEY,
          apiBase: fake.url,
          maxRetries: 0,
          stores: { connections: fixedConnections(rows) },
        })
      },
      authorize: (request) => {
        w.authorizeCalls += 1
        const token = bearerToken(request)
        const access = token === null ? undefined : TOKENS[token]
        if (access === undefined) return null
        if (access === 'no-apps') return new Response('no apps for you', { status: 403 })
        return access
      },
      allowedOrigins: [APP_ORIGIN],
      onError: (e) => w.errors.push(e),
    })
    const metadata = createProtectedResourceMetadataHandler({
      authorizationServers: ['/api/auth'],
      scopesSupported: ['support:read'],
    })
    return () => ({ [PATH]: { ...mcp }, [METADATA_PATH]: { GET: metadata.GET } })
  }
  const counted = (i: number) => ({ onResponse: () => void (w.served[i]! += 1) })
  w.servers = [await serve(instance(), counted(0)), await serve(instance(), counted(1))]
  w.close = async () => {
    await Promise.all(w.servers.map((s) => s.close()))
    await fake.close()
  }
  return w
}

/** An SDK client whose requests alternate between the two instances. */
async function connect(w: World, token: string | null, protocolVersion?: string): Promise<Client> {
  let n = 0
  const alternate = (url: string | URL, init?: RequestInit) => {
    const target = new URL(url)
    const s = w.servers[n++ % w.servers.length]!
    return fetch(`${s.origin}${target.pathname}${target.search}`, init)
  }
  const transport = new StreamableHTTPClientTransport(new URL(`${w.servers[0]!.origin}${PATH}`), {
    fetch: alternate,
    requestInit: token === null ? {} : { headers: { authorization: `Bearer ${token}` } },
  })
  const client = new Client({ name: 'mcp-http-spec', version: '1.0.0' })
  if (protocolVersion !== undefined) {
    // The SDK client offers its latest version; a pinned client offers an older one.
    const original = transport.send.bind(transport)
    transport.send = (message, options) => {
      const m = message as { method?: string; params?: { protocolVersion?: string } }
      if (m.method === 'initialize' && m.params) m.params.protocolVersion = protocolVersion
      return original(message, options)
    }
  }
  await client.connect(transport)
  return client
}

function validCalls(w: World): [string, Record<string, unknown>][] {
  return [
    ['get_customer_context', { email: DEMO_EMAIL }],
    ['get_payment_history', { appSlug: 'helpdesk', email: DEMO_EMAIL }],
    ['get_subscription_status', { appSlug: 'helpdesk', email: DEMO_EMAIL }],
    ['lookup_charge', { appSlug: 'helpdesk', chargeId: w.seeded.chargeA2.id }],
    [
      'verify_refund',
      {
        appSlug: 'helpdesk',
        refundId: w.seeded.refund.id,
        expectedAmount: 1500,
        chargeId: w.seeded.extraSeats.id,
      },
    ],
    ['get_disputes', { appSlug: 'helpdesk', email: DEMO_EMAIL }],
    ['list_connected_apps', {}],
    ['get_invoices', { appSlug: 'helpdesk', email: DEMO_EMAIL }],
    ['get_failed_payments', { appSlug: 'helpdesk', email: DEMO_EMAIL }],
    ['get_billing_timeline', { appSlug: 'helpdesk', email: DEMO_EMAIL }],
  ]
}

/** A response's JSON body, for the assertions to read. */
const jsonOf = (r: Response): Promise<any> => r.json()

/** A raw JSON-RPC POST, as a client would send it. */
function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
}

test('MCP over HTTP: the SDK client lists and calls every tool, its requests spread over two instances', {
  timeout: 60_000,
}, async () => {
  const w = await world()
  try {
    const client = await connect(w, 'token-helpdesk')
    assert.equal(client.getServerVersion()?.name, 'stripe-connect')
    const { tools } = await client.listTools()
    assert.deepEqual(
      tools.map((t) => t.name),
      [...TOOL_NAMES],
    )
    assert.ok(tools.every((t) => t.annotations?.readOnlyHint === true && t.outputSchema))
    for (const [name, args] of validCalls(w)) {
      const r = await client.callTool({ name, arguments: args })
      assert.equal(r.isError, false, `${name}: ${JSON.stringify(r.content)}`)
      const sc = r.structuredContent as { success: boolean; data: Record<string, any> }
      assert.equal(sc.success, true, name)
      if (name === 'list_connected_apps')
        assert.deepEqual(
          sc.data.apps.map((a: { appSlug: string }) => a.appSlug),
          ['helpdesk'],
          'only the apps authorize allowed',
        )
      if (name === 'get_customer_context')
        assert.deepEqual(
          sc.data.apps.map((a: { appSlug: string }) => a.appSlug),
          ['helpdesk'],
        )
    }
    // The same token, another app: refused by the scope, nothing sent to Stripe for it.
    const before = w.fake.apiRequests().length
    const refused = await client.callTool({
      name: 'get_payment_history',
      arguments: { appSlug: 'billing-bot', email: DEMO_EMAIL },
    })
    assert.equal(refused.isError, true)
    assert.equal((refused.structuredContent as any).error.code, 'app_out_of_scope')
    assert.equal(w.fake.apiRequests().length, before)
    await client.close()

    // Both instances served the conversation; every request was authorized on its own.
    assert.ok(
      w.served.every((n) => n >= 4),
      JSON.stringify(w.served),
    )
    assert.ok(w.authorizeCalls >= 2 + validCalls(w).length, String(w.authorizeCalls))
    assert.deepEqual(
      w.fake.apiRequests().filter((r) => r.method !== 'GET'),
      [],
    )
    w.fake.assertNoViolations()
    assert.deepEqual(w.errors, [])
  } finally {
    await w.close()
  }
})

test('MCP over HTTP: a wider token reaches both apps; a client pinned to 2025-06-18 still works', async () => {
  const w = await world()
  try {
    const pinned = await post(
      `${w.servers[1]!.origin}${PATH}`,
      {
        ...initialize,
        params: { ...initialize.params, protocolVersion: '2025-06-18' },
      },
      { authorization: 'Bearer token-all' },
    )
    assert.equal((await jsonOf(pinned)).result.protocolVersion, '2025-06-18')
    const client = await connect(w, 'token-all', '2025-06-18')
    const r = await client.callTool({ name: 'list_connected_apps', arguments: {} })
    assert.deepEqual(
      (r.structuredContent as any).data.apps.map((a: { appSlug: string }) => a.appSlug).sort(),
      ['billing-bot', 'helpdesk'],
    )
    await client.close()
  } finally {
    await w.close()
  }
})

test('MCP over HTTP: no token and a wrong token get 401 with the RFC 9728 challenge; the metadata is served', async () => {
  const w = await world()
  try {
    const url = `${w.servers[0]!.origin}${PATH}`
    const metadataUrl = `${w.servers[0]!.origin}${METADATA_PATH}`
    const missing = await post(url, initialize)
    assert.equal(missing.status, 401)
    assert.equal(
      missing.headers.get('www-authenticate'),
      `Bearer resource_metadata="${metadataUrl}"`,
    )
    assert.deepEqual(await jsonOf(missing), {
      jsonrpc: '2.0',
      error: { code: -32001, message: 'Unauthorized: a valid bearer token is required' },
      id: null,
    })
    const wrong = await post(url, initialize, { authorization: 'Bearer not-a-token' })
    assert.equal(wrong.status, 401)
    assert.match(
      wrong.headers.get('www-authenticate') ?? '',
      new RegExp(
        `^Bearer error="invalid_token", error_description="[^"]+", resource_metadata="${metadataUrl}"$`,
      ),
    )
    // The SDK client sees the 401 too (and would start OAuth with an authProvider).
    await assert.rejects(connect(w, 'not-a-token'), /401|Unauthorized/)

    // The app's own Response passes through as it is.
    const nobody = await post(url, initialize, { authorization: 'Bearer token-nobody' })
    assert.equal(nobody.status, 403)
    assert.equal(await nobody.text(), 'no apps for you')

    const metadata = await fetch(metadataUrl)
    assert.equal(metadata.status, 200)
    assert.equal(metadata.headers.get('access-control-allow-origin'), '*')
    assert.deepEqual(await jsonOf(metadata), {
      resource: url,
      authorization_servers: [`${w.servers[0]!.origin}/api/auth`],
      bearer_methods_supported: ['header'],
      scopes_supported: ['support:read'],
    })
    assert.equal(w.fake.apiRequests().length, 0, 'nothing reached Stripe')
  } finally {
    await w.close()
  }
})

test('MCP over HTTP: a foreign Origin is 403 before authorize runs; an allowed one gets CORS', async () => {
  const w = await world()
  try {
    const url = `${w.servers[0]!.origin}${PATH}`
    const evil = await post(url, initialize, {
      origin: 'https://evil.example',
      authorization: 'Bearer token-all',
    })
    assert.equal(evil.status, 403)
    assert.equal((await jsonOf(evil)).error.message, 'Forbidden: Origin not allowed')
    assert.equal(evil.headers.get('access-control-allow-origin'), null)
    // `null` (a sandboxed page, a file) is an Origin too, and not allowed.
    const opaque = await post(url, initialize, { origin: 'null' })
    assert.equal(opaque.status, 403)
    assert.equal(w.authorizeCalls, 0, 'authorize never ran for a foreign origin')

    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST' },
    })
    assert.equal(preflight.status, 204)
    assert.equal(preflight.headers.get('access-control-allow-origin'), APP_ORIGIN)
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/)
    const fromApp = await post(url, initialize, {
      origin: APP_ORIGIN,
      authorization: 'Bearer token-all',
    })
    assert.equal(fromApp.status, 200)
    assert.equal(fromApp.headers.get('access-control-allow-origin'), APP_ORIGIN)
    assert.equal((await jsonOf(fromApp)).result.serverInfo.name, 'stripe-connect')
    // A 401 to an allowed origin exposes the challenge to the page.
    const challenged = await post(url, initialize, { origin: APP_ORIGIN })
    assert.equal(challenged.status, 401)
    assert.match(challenged.headers.get('access-control-expose-headers') ?? '', /www-authenticate/)
  } finally {
    await w.close()
  }
})

test('MCP over HTTP: stateless: GET and DELETE are 405, no session id; bad bodies are refused', async () => {
  const w = await world()
  try {
    const url = `${w.servers[0]!.origin}${PATH}`
    const auth = { authorization: 'Bearer token-helpdesk' }
    for (const method of ['GET', 'DELETE']) {
      const r = await fetch(url, { method, headers: { ...auth, accept: 'text/event-stream' } })
      assert.equal(r.status, 405, method)
      assert.match(r.headers.get('allow') ?? '', /POST/)
    }
    const init = await post(url, initialize, auth)
    assert.equal(init.status, 200)
    assert.equal(init.headers.get('mcp-session-id'), null)
    // A tools/call with no initialize before it, on this instance: answered (nothing to resume).
    const call = await post(
      url,
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'list_connected_apps', arguments: {} },
      },
      { ...auth, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION },
    )
    assert.equal(call.status, 200)
    const answer = await jsonOf(call)
    assert.equal(answer.id, 2)
    assert.equal(answer.result.structuredContent.success, true)

    const notJson = await post(url, '{"jsonrpc":', auth)
    assert.equal(notJson.status, 400)
    assert.equal((await jsonOf(notJson)).error.code, -32700)
    const huge = await post(url, `"${'x'.repeat(1024 * 1024 + 1)}"`, auth)
    assert.equal(huge.status, 413)
    assert.deepEqual(w.errors, [])
  } finally {
    await w.close()
  }
})

test('MCP over HTTP: an authorize that throws or returns a bad scope is a 500, reported, never a wider answer', async () => {
  const fake = await startFakeStripe({ secretKey: KEY })
  const errors: unknown[] = []
  const client = new StripeConnect({ secretKey: KEY, apiBase: fake.url, maxRetries: 0 })
  const mcpFor = (authorize: () => McpAccess | null) =>
    createMcpRouteHandler({ client, authorize, onError: (e) => errors.push(e) })
  const request = () =>
    new Request(`http://127.0.0.1${PATH}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(initialize),
    })
  try {
    const throwing = await mcpFor(() => {
      throw new Error('session store down: sk_test_leakedkey1234567890')
    }).POST(request())
    assert.equal(throwing.status, 500)
    assert.doesNotMatch(await throwing.text(), /session store|sk_test/)
    for (const scope of [
      { appSlugs: [] },
      { appSlugs: 'helpdesk' },
      {},
    ] as unknown as McpAccess[]) {
      const r = await mcpFor(() => scope).POST(request())
      assert.equal(r.status, 500, JSON.stringify(scope))
    }
    assert.equal(errors.length, 4)
    assert.deepEqual(
      errors.slice(1).map((e) => (e as { code?: string }).code),
      ['invalid_input', 'invalid_input', 'invalid_input'],
    )

    assert.throws(
      () => createMcpRouteHandler({ client } as never),
      /options\.authorize is required/,
    )
    assert.throws(
      () => createMcpRouteHandler({ client, authorize: () => null, allowedOrigins: ['evil'] }),
      /allowedOrigins entry "evil" is not a URL/,
    )
    assert.throws(
      () =>
        createMcpRouteHandler({
          client,
          authorize: () => null,
          resourceMetadataUrl: 'http://auth.example/.well-known/x',
        }),
      /must be an https URL/,
    )
    assert.throws(
      () => createProtectedResourceMetadataHandler({ authorizationServers: [] }),
      /at least one authorization server/,
    )
    assert.throws(
      () =>
        createProtectedResourceMetadataHandler({ authorizationServers: ['http://auth.example'] }),
      /must be an https URL/,
    )
    assert.equal(fake.apiRequests().length, 0)
  } finally {
    await fake.close()
  }
})

test('bearerToken reads RFC 6750 Bearer credentials only', () => {
  const req = (authorization?: string) =>
    new Request('http://127.0.0.1/', authorization ? { headers: { authorization } } : {})
  assert.equal(bearerToken(req('Bearer abc.DEF-_~+/=')), 'abc.DEF-_~+/=')
  assert.equal(bearerToken(req('bearer abc')), 'abc')
  assert.equal(bearerToken(req('Basic dXNlcjpwYXNz')), null)
  assert.equal(bearerToken(req('Bearer a b')), null)
  assert.equal(bearerToken(req('Bearer ')), null)
  assert.equal(bearerToken(req()), null)
})
