// Issue 20, "one rule in one place", through the JS faces where each was found: the MCP bin's
// environment is parsed by the core (a bad entry exits 1 with `[config_invalid]` and never quotes
// the value), JS numbers JSON cannot carry are refused in tool arguments, a scope must be an array,
// and an options object's unknown keys are config_invalid with the option meant.
import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { StripeConnect, type Connection } from '@support/stripe-connect'
import { createSupportTools } from '@support/stripe-connect/ai'
import { createMcpServer, mcpOptionsFromEnv, parseAccounts } from '@support/stripe-connect/mcp'
import type { ToolResult } from '@support/stripe-connect/tools'
import { fixedConnections, rejectsCode, throwsCode } from './helpers.js'

const KEY = 'sk_test_51EnvAndOptionsSpecKey0123'
const BIN = join(__dirname, '..', 'bindings', 'dist', 'mcp-bin.js')
// 110 characters, as in the report: 64 of them used to reach stderr.
const LIVE = `sk_live_${'Zq7'.repeat(34)}`

/** The bin run with exactly `vars` (and PATH), no stdin. */
function runBin(vars: Record<string, string>) {
  const run = spawnSync(process.execPath, [BIN], {
    env: { PATH: process.env.PATH ?? '', ...vars },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 20_000,
  })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}

describe('stripe-connect-mcp: the environment is parsed by the core', () => {
  const base = { STRIPE_SECRET_KEY: KEY }
  const entry = (n: number, why: string) =>
    `stripe-connect-mcp: [config_invalid] invalid configuration \`STRIPE_CONNECT_ACCOUNTS\`: entry ${n} ${why}\n`
  const cases: [string, Record<string, string>, string, string][] = [
    [
      'a live key pasted as the value',
      { STRIPE_CONNECT_ACCOUNTS: LIVE },
      entry(1, 'looks like a Stripe secret key, not slug=acct_…; keys belong in STRIPE_SECRET_KEY'),
      LIVE.slice(8, 20),
    ],
    [
      'a key where the account belongs',
      { STRIPE_CONNECT_ACCOUNTS: `helpdesk=${KEY}` },
      entry(
        1,
        `has a Stripe secret key [sk_test_… redacted, ${KEY.length} chars] where the account id acct_… belongs`,
      ),
      'EnvAndOptions',
    ],
    [
      'an account id with a space',
      { STRIPE_CONNECT_ACCOUNTS: 'billing=acct_1,helpdesk=acct_x y' },
      entry(2, "has an account id that contains ' '; ids are letters, digits and `_` only"),
      'acct_x',
    ],
    [
      'a path as the slug',
      { STRIPE_CONNECT_ACCOUNTS: 'acct_../../x=acct_1' },
      `stripe-connect-mcp: [config_invalid] invalid configuration \`STRIPE_CONNECT_ACCOUNTS\`: entry 1's app slug contains '/'; use letters, digits, \`_\`, \`-\` and \`.\`\n`,
      '../',
    ],
    [
      'a slug with a space',
      { STRIPE_CONNECT_ACCOUNTS: 'Help Desk=acct_1' },
      `stripe-connect-mcp: [config_invalid] invalid configuration \`STRIPE_CONNECT_ACCOUNTS\`: entry 1's app slug contains ' '; use letters, digits, \`_\`, \`-\` and \`.\`\n`,
      'Help',
    ],
    [
      'one slug given twice (it used to take the last account)',
      { STRIPE_CONNECT_ACCOUNTS: 'helpdesk=acct_1, helpdesk=acct_2' },
      entry(2, 'repeats the app slug of entry 1: give each app one account'),
      'acct_2',
    ],
    [
      'one account under two slugs',
      { STRIPE_CONNECT_ACCOUNTS: 'helpdesk=acct_1,billing=acct_1' },
      entry(2, 'repeats the account of entry 1: an account is connected to one app'),
      'acct_1',
    ],
    [
      'no accounts',
      { STRIPE_CONNECT_ACCOUNTS: ' , ' },
      'stripe-connect-mcp: [config_invalid] invalid configuration `STRIPE_CONNECT_ACCOUNTS`: is not set: name the connected apps as "slug=acct_…,slug2=acct_…"\n',
      'never-there',
    ],
    [
      'a scope naming an app the accounts do not list',
      {
        STRIPE_CONNECT_ACCOUNTS: 'helpdesk=acct_1',
        STRIPE_CONNECT_APP_SLUGS: 'helpdesk,status-page',
      },
      'stripe-connect-mcp: [config_invalid] invalid configuration `STRIPE_CONNECT_APP_SLUGS`: entry 2 names an app that STRIPE_CONNECT_ACCOUNTS does not list\n',
      'status-page',
    ],
    [
      'a key pasted as the scope (it used to be printed whole)',
      { STRIPE_CONNECT_ACCOUNTS: 'helpdesk=acct_1', STRIPE_CONNECT_APP_SLUGS: LIVE },
      "stripe-connect-mcp: [config_invalid] invalid configuration `STRIPE_CONNECT_APP_SLUGS`: entry 1's app slug looks like a Stripe secret key\n",
      LIVE.slice(8, 20),
    ],
  ]
  for (const [name, vars, stderr, hidden] of cases) {
    test(`${name}: exit 1, [config_invalid], the value not quoted`, () => {
      const run = runBin({ ...base, ...vars })
      assert.equal(run.status, 1, run.stderr)
      assert.equal(run.stderr, stderr)
      assert.ok(!run.stderr.includes(hidden), run.stderr)
      assert.equal(run.stdout, '')
    })
  }

  test('a good environment serves the validated scope (safe to print) on stdio', async () => {
    const child = spawn(process.execPath, [BIN], {
      env: {
        PATH: process.env.PATH ?? '',
        ...base,
        STRIPE_CONNECT_ACCOUNTS: 'helpdesk=acct_1, billing-bot=acct_2,',
        STRIPE_CONNECT_APP_SLUGS: ' billing-bot ',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let err = ''
    child.stderr.on('data', (d) => (err += String(d)))
    try {
      const deadline = Date.now() + 15_000
      while (!err.includes('\n') && child.exitCode === null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 25))
      assert.equal(err, 'stripe-connect-mcp: serving billing-bot on stdio\n')
    } finally {
      child.kill('SIGKILL')
    }
  })

  test('mcpOptionsFromEnv and parseAccounts forward to the same parser', () => {
    const { appSlugs } = mcpOptionsFromEnv({
      STRIPE_SECRET_KEY: KEY,
      STRIPE_CONNECT_ACCOUNTS: 'helpdesk=acct_1,billing-bot=acct_2',
    })
    assert.deepEqual(appSlugs, ['helpdesk', 'billing-bot'])
    assert.deepEqual(parseAccounts('helpdesk=acct_1'), [
      { appSlug: 'helpdesk', accountId: 'acct_1', livemode: false, scope: 'read_write' },
    ])
    const e = throwsCode(() => parseAccounts(`helpdesk=acct_1,${LIVE}`), 'config_invalid')
    assert.ok(!e.message.includes(LIVE.slice(8, 20)), e.message)
    throwsCode(() => parseAccounts('helpdesk=acct_1,helpdesk=acct_2'), 'config_invalid')
    // The environment given, not process.env: no key in it is config_invalid.
    throwsCode(
      () => mcpOptionsFromEnv({ STRIPE_CONNECT_ACCOUNTS: 'helpdesk=acct_1' }),
      'config_invalid',
    )
  })
})

describe('tool arguments: a number JSON cannot carry is invalid_input, nothing sent', async () => {
  const requests: IncomingMessage[] = []
  const server = createServer((req, res) => {
    requests.push(req)
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end('{"object":"search_result","data":[],"has_more":false,"url":"/v1/customers/search"}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  after(() => server.close())
  const rows: Connection[] = [
    { appSlug: 'helpdesk', accountId: 'acct_1', livemode: false, scope: 'read_write' },
  ]
  const client = new StripeConnect({
    secretKey: KEY,
    apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    maxRetries: 0,
    stores: { connections: fixedConnections(rows) },
  })
  const scope = { appSlugs: ['helpdesk'] }
  const email = 'jane@example.com'

  function refusal(r: ToolResult): string {
    assert.equal(r.success, false, JSON.stringify(r))
    if (r.success) throw new Error('unreachable')
    assert.equal(r.error.code, 'invalid_input')
    assert.equal(r.error.retryable, false)
    return r.error.message
  }

  test('NaN and ±Infinity, at the top or at any depth, are named by where they are', async () => {
    for (const [args, where, got] of [
      [{ appSlug: 'helpdesk', email, limit: Number.NaN }, 'limit', 'NaN'],
      [{ appSlug: 'helpdesk', email, limit: Number.POSITIVE_INFINITY }, 'limit', 'Infinity'],
      [{ appSlug: 'helpdesk', email, limit: Number.NEGATIVE_INFINITY }, 'limit', '-Infinity'],
      [{ appSlug: 'helpdesk', email, extra: { list: [1, Number.NaN] } }, 'extra.list[1]', 'NaN'],
    ] as const) {
      const r = await client.callTool('get_payment_history', args, scope)
      assert.equal(
        refusal(r),
        `invalid input \`${where}\`: must be a finite number, got ${got}; nothing was sent`,
      )
    }
    assert.equal(requests.length, 0)
    // The same call with a finite limit does reach the API: the refusal above was the numbers'.
    await client.callTool('get_payment_history', { appSlug: 'helpdesk', email, limit: 5 }, scope)
    assert.ok(requests.length > 0)
  })
})

describe('a scope must be an array of app slugs (a string was spread into letters)', () => {
  const client = new StripeConnect({ secretKey: KEY, apiBase: 'http://127.0.0.1:9', maxRetries: 0 })
  const asString = { appSlugs: 'helpdesk' } as unknown as { appSlugs: string[] }
  const stringMessage =
    "invalid input `app_slugs`: must be an array of app slugs, got a string (write ['helpdesk'], not 'helpdesk')"

  test('callTool rejects invalid_input', async () => {
    const e = await rejectsCode(
      client.callTool('list_connected_apps', {}, asString),
      'invalid_input',
    )
    assert.equal(e.message, stringMessage)
    const mixed = { appSlugs: ['helpdesk', 7] } as unknown as { appSlugs: string[] }
    const e2 = await rejectsCode(client.callTool('list_connected_apps', {}, mixed), 'invalid_input')
    assert.equal(
      e2.message,
      'invalid input `app_slugs`: must be an array of app slugs, got a number at index 1',
    )
    await rejectsCode(
      client.callTool('list_connected_apps', {}, undefined as unknown as { appSlugs: string[] }),
      'invalid_input',
    )
  })

  test('createSupportTools and createMcpServer throw invalid_input before any model runs', () => {
    assert.equal(
      throwsCode(() => createSupportTools(client, asString), 'invalid_input').message,
      stringMessage,
    )
    assert.equal(
      throwsCode(() => createMcpServer(client, asString), 'invalid_input').message,
      stringMessage,
    )
    throwsCode(() => createSupportTools(client, {} as { appSlugs: string[] }), 'invalid_input')
    assert.deepEqual(
      Object.keys(createSupportTools(client, { appSlugs: ['helpdesk'], only: ['lookup_charge'] })),
      ['lookup_charge'],
    )
  })
})

describe('options: an unknown key is config_invalid with the option meant', () => {
  const unknown = (o: Record<string, unknown>) => o as { secretKey: string }

  test('typos of cacheTtlMs and timeoutMs (accepted silently before)', () => {
    for (const [key, meant] of [
      ['cacheTtl', 'cacheTtlMs'],
      ['timeoutMS', 'timeoutMs'],
      ['store', 'stores'],
      ['webhookSecret', 'webhookSecrets'],
    ]) {
      const e = throwsCode(
        () => new StripeConnect(unknown({ secretKey: KEY, [key]: 0 })),
        'config_invalid',
      )
      assert.equal(
        e.message,
        `invalid configuration \`${key}\`: is not an option; did you mean \`${meant}\`?`,
      )
    }
    const e = throwsCode(
      () => new StripeConnect(unknown({ secretKey: KEY, region: 'eu' })),
      'config_invalid',
    )
    assert.match(
      e.message,
      /^invalid configuration `region`: is not an option \(the options: accountHeader, apiBase, /,
    )
    assert.match(e.message, /, stores\)$/)
  })

  test('StripeConnect.fromEnv(overrides) checks the same names', () => {
    const e = throwsCode(
      () => StripeConnect.fromEnv(unknown({ secretKey: KEY, cacheTtl: 0 })),
      'config_invalid',
    )
    assert.equal(
      e.message,
      'invalid configuration `cacheTtl`: is not an option; did you mean `cacheTtlMs`?',
    )
  })

  test('every documented option and stores are known', () => {
    assert.ok(
      new StripeConnect({
        secretKey: KEY,
        cacheTtlMs: 0,
        timeoutMs: 5,
        webhookTimeoutMs: 1000,
        storeTimeoutMs: 1000,
        maxRetries: 0,
        stores: {},
      }),
    )
  })
})
