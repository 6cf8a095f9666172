// The agent tools from JavaScript, with the real clients: the schemas in a real JSON Schema
// validator (ajv, draft 2020-12), `client.callTool` against the test kit, a real `generateText`
// loop (the AI SDK's mock language model calls the tools; the next step sees their results), and
// a real MCP client that spawns the `stripe-connect-mcp` bin over stdio.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Ajv2020 from 'ajv/dist/2020.js'
import { generateText, stepCountIs } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StripeConnect, ERROR_CODES, type Connection } from '@support/stripe-connect'
import {
  TOOL_NAMES,
  toolDefinitions,
  type ToolName,
  type ToolResult,
} from '@support/stripe-connect/tools'
import { createSupportTools } from '@support/stripe-connect/ai'
import { createMcpServer, mcpTools, parseAccounts } from '@support/stripe-connect/mcp'
import { startFakeStripe, type FakeStripe } from '@support/stripe-connect/testing'
import { DEMO_EMAIL, seedDemoCustomer } from '../examples/demo/customer.js'
import { fixedConnections, rejectsCode, throwsCode } from './helpers.js'

const KEY = 'sk_test_tools_spec'
const NOW = Math.floor(Date.now() / 1000)
const root = join(__dirname, '..')

interface World {
  fake: FakeStripe
  client: StripeConnect
  helpdesk: string
  billing: string
  seeded: ReturnType<typeof seedDemoCustomer>
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
  const client = new StripeConnect({
    secretKey: KEY,
    apiBase: fake.url,
    maxRetries: 0,
    stores: { connections: fixedConnections(rows) },
  })
  return { fake, client, helpdesk, billing, seeded }
}

function ok(r: ToolResult): Record<string, unknown> & Record<string, any> {
  assert.equal(r.success, true, JSON.stringify(r))
  if (!r.success) throw new Error('unreachable')
  assert.equal(typeof r.fetchedAt, 'number')
  return r.data as Record<string, any>
}

function failed(r: ToolResult): string {
  assert.equal(r.success, false, JSON.stringify(r))
  if (r.success) throw new Error('unreachable')
  assert.ok(ERROR_CODES.includes(r.error.code), r.error.code)
  return r.error.code
}

/** Valid arguments for every tool, for the demo customer. */
function validCalls(w: World): [string, Record<string, unknown>][] {
  return [
    ['get_customer_context', { email: DEMO_EMAIL }],
    ['get_payment_history', { appSlug: 'helpdesk', email: DEMO_EMAIL }],
    ['get_subscription_status', { appSlug: 'billing-bot', email: DEMO_EMAIL }],
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
    ['get_disputes', { appSlug: 'billing-bot', email: DEMO_EMAIL }],
    ['list_connected_apps', {}],
    ['get_invoices', { appSlug: 'billing-bot', email: DEMO_EMAIL }],
    ['get_failed_payments', { appSlug: 'billing-bot', email: DEMO_EMAIL }],
    ['get_billing_timeline', { appSlug: 'helpdesk', email: DEMO_EMAIL }],
  ]
}

test('every schema compiles in ajv (draft 2020-12, strict) and the documented examples validate', () => {
  const ajv = new Ajv2020({ strict: true, allErrors: true })
  const defs = toolDefinitions()
  assert.deepEqual(
    defs.map((d) => d.name),
    [...TOOL_NAMES],
  )
  for (const d of defs) {
    assert.equal(d.inputSchema.additionalProperties, false, d.name)
    assert.equal(d.inputSchema.$schema, 'https://json-schema.org/draft/2020-12/schema')
    const validate = ajv.compile(d.inputSchema)
    assert.ok(d.examples.length > 0, d.name)
    for (const example of d.examples) {
      assert.ok(
        validate(example),
        `${d.name} ${JSON.stringify(example)}: ${ajv.errorsText(validate.errors)}`,
      )
    }
    assert.equal(
      validate({ ...d.examples[0], notAnArgument: 1 }),
      false,
      `${d.name}: extra property`,
    )
    if ('appSlug' in d.inputSchema.properties) {
      assert.equal(
        validate({ ...d.examples[0], appSlug: 'acct_1Helpdesk' }),
        false,
        `${d.name}: acct_ id`,
      )
    }
  }
  // The schema and the core agree on what is wrong.
  const history = ajv.compile(defs.find((d) => d.name === 'get_payment_history')!.inputSchema)
  for (const bad of [{ email: DEMO_EMAIL, limit: 26 }, { email: DEMO_EMAIL, limit: '5' }, {}]) {
    assert.equal(history(bad), false, JSON.stringify(bad))
  }
})

test('callTool: every tool against the test kit, compact and under 4 KB; the scope holds', async () => {
  const w = await world()
  try {
    const scope = { appSlugs: ['helpdesk', 'billing-bot'] }
    for (const [name, args] of validCalls(w)) {
      const r = await w.client.callTool(name, args, scope)
      const data = ok(r)
      const bytes = Buffer.byteLength(JSON.stringify(r))
      assert.ok(bytes < 4096, `${name}: ${bytes} bytes`)
      // Stripe's invoice links name the account (they are what a reply sends); nothing else does.
      const withoutLinks = JSON.stringify(r, (k, v) =>
        k === 'hostedInvoiceUrl' || k === 'invoicePdf' ? undefined : v,
      )
      assert.doesNotMatch(withoutLinks, /acct_|fingerprint|metadata|address/, name)
      if (name === 'get_customer_context') {
        const [h, b] = data.apps
        assert.deepEqual(
          h.payments.items.map((p: any) => p.amountFormatted),
          ['$15.00', '$49.00', '$49.00'],
        )
        assert.equal(b.openDisputes.items[0].amountFormatted, '€120.00')
      }
      if (name === 'verify_refund') {
        assert.equal(data.verified, true, JSON.stringify(data))
        assert.deepEqual(data.discrepancies, [])
      }
      if (name === 'get_invoices') {
        const open = data.invoices.items.find((i: any) => i.status === 'open')
        assert.ok(open, JSON.stringify(data))
        assert.equal(open.amountRemainingFormatted, '€120.00')
        assert.match(open.hostedInvoiceUrl ?? '', /^https:\/\//)
      }
      if (name === 'get_failed_payments') {
        const [failure] = data.failedPayments.items
        assert.equal(failure.declineCode, 'insufficient_funds', JSON.stringify(data))
        assert.equal(failure.retry, 'after_customer_action')
        assert.match(failure.explanation, /enough funds/)
      }
      if (name === 'get_billing_timeline') {
        const kinds = new Set(data.entries.items.map((e: any) => e.kind))
        for (const k of ['charge', 'refund', 'invoice', 'fraud_warning'])
          assert.ok(kinds.has(k), `${k} in ${JSON.stringify(data)}`)
        const times = data.entries.items.map((e: any) => e.at)
        assert.deepEqual(
          times,
          [...times].sort((a: number, b: number) => b - a),
          'newest first',
        )
      }
    }
    const off = await w.client.callTool(
      'verify_refund',
      { appSlug: 'helpdesk', refundId: w.seeded.refund.id, expectedAmount: 2000 },
      scope,
    )
    assert.deepEqual(
      ok(off).discrepancies.map((d: any) => d.code),
      ['amount_mismatch'],
    )

    const before = w.fake.apiRequests().length
    const narrow = { appSlugs: ['helpdesk'] }
    assert.equal(
      failed(
        await w.client.callTool(
          'get_payment_history',
          { appSlug: 'billing-bot', email: DEMO_EMAIL },
          narrow,
        ),
      ),
      'app_out_of_scope',
    )
    for (const [name, args] of [
      ['lookup_charge', { chargeId: '../charges' }],
      ['get_payment_history', { email: DEMO_EMAIL, accountId: w.helpdesk }],
      ['get_payment_history', { email: DEMO_EMAIL, appSlug: w.helpdesk }],
      ['refund_charge', { chargeId: w.seeded.chargeA2.id }],
    ] as const) {
      assert.equal(failed(await w.client.callTool(name, args, narrow)), 'invalid_input', name)
    }
    // A refusal names the argument as the model sent it (camelCase), as in tests/it/tools.rs.
    const named = await w.client.callTool('lookup_charge', { chargeId: 're_1' }, narrow)
    assert.equal(failed(named), 'invalid_input')
    assert.match(named.success ? '' : named.error.message, /^invalid input `chargeId`: /)
    assert.equal(
      failed(await w.client.callTool('get_payment_history', { email: 10n }, narrow)),
      'invalid_input',
      'arguments that are not JSON',
    )
    assert.equal(w.fake.apiRequests().length, before, 'nothing was sent for any refusal')
    await rejectsCode(
      w.client.callTool('list_connected_apps', {}, { appSlugs: [] }),
      'invalid_input',
    )
    w.fake.assertNoViolations()
  } finally {
    await w.fake.close()
  }
})

// Issue 23 item 1: an outputSchema for every tool, generated from its result type, that every
// success and every error result validates against (ajv, draft 2020-12, strict), and that a
// result of another shape fails.
test('outputSchema: every tool, generated from its result type; success and error results validate', async () => {
  const ajv = new Ajv2020({ strict: true, allErrors: true })
  const validators = new Map(toolDefinitions().map((d) => [d.name, ajv.compile(d.outputSchema)]))
  const check = (name: string, r: unknown) => {
    const validate = validators.get(name as ToolName)!
    assert.ok(validate(r), `${name} ${JSON.stringify(r)}: ${ajv.errorsText(validate.errors)}`)
  }
  const w = await world()
  try {
    const scope = { appSlugs: ['helpdesk', 'billing-bot'] }
    for (const [name, args] of validCalls(w)) {
      const r = await w.client.callTool(name, args, scope)
      assert.equal(r.success, true, name)
      check(name, r)
    }
    // Every kind of failure a model can cause, for every tool.
    for (const name of TOOL_NAMES) {
      for (const [args, code] of [
        [{ appSlug: 'nope', email: DEMO_EMAIL, chargeId: 'ch_1', refundId: 're_1' }, null],
        [{ notAnArgument: 1 }, 'invalid_input'],
      ] as const) {
        const r = await w.client.callTool(name, args, { appSlugs: ['helpdesk'] })
        assert.equal(r.success, false, `${name} ${JSON.stringify(args)}`)
        if (code !== null && !r.success) assert.equal(r.error.code, code, name)
        check(name, r)
      }
    }
    // A tool whose app is not connected, and one whose data is another tool's, fail the schema.
    const lonely = await w.client.callTool(
      'lookup_charge',
      { chargeId: 'ch_1' },
      { appSlugs: ['gone'] },
    )
    check('lookup_charge', lonely)
    const history = await w.client.callTool('get_payment_history', validCalls(w)[1]![1], scope)
    assert.equal(validators.get('lookup_charge')!(history), false, 'payment data is not a charge')
    assert.equal(
      validators.get('get_payment_history')!({ ...history, extra: true }),
      false,
      'no property outside the schema',
    )
    assert.equal(
      validators.get('get_payment_history')!({
        success: false,
        error: { code: 'no_such_code', message: 'x', retryable: false },
      }),
      false,
      'an error code outside the core table',
    )
  } finally {
    await w.fake.close()
  }
})

// Issue 23 item 6: the type of each tool's `data` is generated from its outputSchema into
// bindings/src/tool-data.ts (bindings/scripts/tool-types.mjs; __test__/tool-data.types.ts checks
// the types). Types vanish at run time, so this reads the generated file: its `ToolData` names
// exactly the core's tools, in the registry's order, each with a type generated for it.
test('tool-data.ts: ToolData is keyed by exactly the tools of the core, each to its own type', () => {
  const text = readFileSync(join(root, 'bindings', 'src', 'tool-data.ts'), 'utf8')
  assert.match(text, /^\/\/ Generated by bindings\/scripts\/tool-types\.mjs /)
  const body = /^export interface ToolData \{\n([^}]*)\n\}$/m.exec(text)?.[1]
  assert.ok(body !== undefined, 'tool-data.ts declares ToolData')
  const entries = body.split('\n').map((line) => {
    const m = /^ {2}(\w+): (\w+)$/.exec(line)
    assert.ok(m, `an entry of ToolData: ${JSON.stringify(line)}`)
    return [m[1]!, m[2]!] as const
  })
  assert.deepEqual(
    entries.map(([name]) => name),
    [...TOOL_NAMES],
  )
  for (const [name, type] of entries) {
    const pascal = name.replace(/(?:^|_)([a-z0-9])/g, (_, c: string) => c.toUpperCase())
    assert.equal(type, `${pascal}Data`, name)
    assert.match(text, new RegExp(`^export type ${type} = \\{$`, 'm'), `${type} is declared`)
  }
})

test('AI SDK: generateText with the mock model calls the tools; the next step sees their results', async () => {
  const w = await world()
  try {
    const tools = createSupportTools(w.client, { appSlugs: ['helpdesk'] })
    assert.deepEqual(Object.keys(tools), [...TOOL_NAMES])
    throwsCode(() => createSupportTools(w.client, { appSlugs: [] }), 'invalid_input')
    const prompts: unknown[] = []
    let step = 0
    const model = new MockLanguageModelV3({
      doGenerate: async (options) => {
        prompts.push(options.prompt)
        step += 1
        if (step === 1) {
          // The model sees the tools with their JSON Schemas.
          const offered = (options.tools ?? []).map((t) => t.name)
          assert.deepEqual(offered, [...TOOL_NAMES])
          const history = options.tools!.find((t) => t.name === 'get_payment_history')!
          assert.equal(
            history.type === 'function' && history.inputSchema.additionalProperties,
            false,
          )
          return {
            content: [
              {
                type: 'tool-call',
                toolCallId: 'call-1',
                toolName: 'get_payment_history',
                input: JSON.stringify({ email: DEMO_EMAIL }),
              },
              {
                type: 'tool-call',
                toolCallId: 'call-2',
                toolName: 'get_payment_history',
                // Outside the conversation's scope: an error result, not a thrown error.
                input: JSON.stringify({ appSlug: 'billing-bot', email: DEMO_EMAIL }),
              },
            ],
            finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
            usage: usage(),
            warnings: [],
          }
        }
        return {
          content: [{ type: 'text', text: 'Jane was charged $15.00 for extra seats, refunded.' }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: usage(),
          warnings: [],
        }
      },
    })
    const result = await generateText({
      model,
      tools,
      stopWhen: stepCountIs(4),
      prompt: 'Why was I charged $15?',
    })
    assert.equal(step, 2)
    assert.equal(result.steps.length, 2)
    const [own, other] = result.steps[0]!.toolResults
    const history = own!.output as ToolResult
    assert.equal(ok(history).payments.items[0].amountFormatted, '$15.00')
    assert.equal(failed(other!.output as ToolResult), 'app_out_of_scope')
    // The second model call got both results in its prompt.
    const second = JSON.stringify(prompts[1])
    assert.match(second, /"toolCallId":"call-1"/)
    assert.match(second, /\$15\.00/)
    assert.match(second, /app_out_of_scope/)
    assert.equal(result.text, 'Jane was charged $15.00 for extra seats, refunded.')
  } finally {
    await w.fake.close()
  }
})

function usage() {
  return {
    inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: 5, text: 5, reasoning: undefined },
  }
}

test('MCP: a real client spawns stripe-connect-mcp over stdio, lists the tools and calls each', {
  timeout: 60_000,
}, async () => {
  const w = await world()
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    bin: Record<string, string>
  }
  const bin = join(root, pkg.bin['stripe-connect-mcp']!)
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin],
    env: {
      PATH: process.env.PATH ?? '',
      STRIPE_SECRET_KEY: KEY,
      STRIPE_API_BASE: w.fake.url,
      STRIPE_CONNECT_ACCOUNTS: `helpdesk=${w.helpdesk}, billing-bot=${w.billing}`,
    },
    stderr: 'pipe',
  })
  const client = new Client({ name: 'tools-spec', version: '1.0.0' })
  try {
    await client.connect(transport)
    const { tools } = await client.listTools()
    assert.deepEqual(
      tools.map((t) => t.name),
      [...TOOL_NAMES],
    )
    const defs = toolDefinitions()
    for (const t of tools) {
      assert.equal(t.annotations?.readOnlyHint, true, t.name)
      assert.equal(t.annotations?.destructiveHint, false, t.name)
      assert.deepEqual(t.inputSchema, defs.find((d) => d.name === t.name)!.inputSchema)
    }
    for (const [name, args] of validCalls(w)) {
      const r = await client.callTool({ name, arguments: args })
      assert.equal(r.isError, false, `${name}: ${JSON.stringify(r.content)}`)
      const text = (r.content as { type: string; text: string }[])[0]!
      assert.equal(text.type, 'text')
      const parsed = JSON.parse(text.text) as ToolResult
      ok(parsed)
      assert.deepEqual(r.structuredContent, parsed)
    }
    const refused = await client.callTool({
      name: 'get_payment_history',
      arguments: { appSlug: 'status-page', email: DEMO_EMAIL },
    })
    assert.equal(refused.isError, true)
    assert.equal((refused.structuredContent as any).error.code, 'app_out_of_scope')
    w.fake.assertNoViolations()
  } finally {
    await client.close()
    await w.fake.close()
  }
})

test('MCP: createMcpServer needs a scope; STRIPE_CONNECT_ACCOUNTS is parsed strictly; tools are read-only', async () => {
  const w = await world()
  try {
    throwsCode(() => createMcpServer(w.client, { appSlugs: [] }), 'invalid_input')
    assert.deepEqual(parseAccounts(' a=acct_1, b=acct_2 ,'), [
      { appSlug: 'a', accountId: 'acct_1', livemode: false, scope: 'read_write' },
      { appSlug: 'b', accountId: 'acct_2', livemode: false, scope: 'read_write' },
    ])
    throwsCode(() => parseAccounts('acct_1'), 'config_invalid')
    throwsCode(() => parseAccounts('a='), 'config_invalid')
    assert.ok(mcpTools().every((t) => t.annotations?.readOnlyHint === true))
  } finally {
    await w.fake.close()
  }
})

test('docs/agent-tools.md shows the agent test as it runs (examples/agent/answer.test.ts)', () => {
  const doc = readFileSync(join(root, 'docs', 'agent-tools.md'), 'utf8')
  const source = readFileSync(join(root, 'examples', 'agent', 'answer.test.ts'), 'utf8')
  assert.ok(
    doc.includes(`\`\`\`ts\n${source}\`\`\``),
    'docs/agent-tools.md shows answer.test.ts verbatim',
  )
  assert.match(source, /import \{ MockLanguageModelV3 \} from 'ai\/test'/)
  assert.match(doc, /`ai` 7 declares Node ≥ 22/)
})

test("the README's agent snippets are the files CI type-checks (examples/agent)", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  for (const file of ['ai-sdk.ts', 'mcp.ts']) {
    const source = readFileSync(join(root, 'examples', 'agent', file), 'utf8')
    assert.ok(
      readme.includes(`\`\`\`ts\n${source}\`\`\``),
      `README.md shows examples/agent/${file} verbatim`,
    )
  }
})
