// `npm run bench:tools`: the agent tools' result size for the demo customer against the raw Stripe
// objects the same question reads (Stripe's answers to the very requests the tool made, asked
// again of the test kit). Bytes are deterministic: one run is the number. Prints a markdown table.
//
//   node --import tsx benchmark/tools.mts [--json]

import { StripeConnect, type Connection } from '@support/stripe-connect'
import { startFakeStripe } from '@support/stripe-connect/testing'

import { demoToolCalls, measureTool, type Measured } from '../examples/demo/agent.ts'
import { seedDemoCustomer } from '../examples/demo/customer.ts'
import { fmt, table } from './lib.mts'

const KEY = 'sk_test_tools_benchmark'

export async function runToolSizes(): Promise<Measured[]> {
  const fake = await startFakeStripe({ secretKey: KEY })
  try {
    const helpdesk = fake.createAccount({ email: 'owner@helpdesk.example' })
    const billing = fake.createAccount({ email: 'finance@billing-bot.example' })
    const seeded = seedDemoCustomer(fake, helpdesk, billing, Math.floor(Date.now() / 1000))
    const rows: Connection[] = [
      { appSlug: 'helpdesk', accountId: helpdesk, livemode: false, scope: 'read_write' },
      { appSlug: 'billing-bot', accountId: billing, livemode: false, scope: 'read_write' },
    ]
    const out: Measured[] = []
    for (const [name, args] of demoToolCalls(seeded)) {
      // A client per tool: each question is measured cold, its customer lookup not cached by
      // an earlier one.
      const client = new StripeConnect({
        secretKey: KEY,
        apiBase: fake.url,
        stores: {
          connections: {
            save() {},
            clearByAccount: () => null,
            getBySlug: (slug: string) => rows.find((r) => r.appSlug === slug) ?? null,
            list: () => rows,
          },
        },
      })
      const m = await measureTool(fake, client, name, args, ['helpdesk', 'billing-bot'])
      if (!m.result.success) throw new Error(`${name} failed: ${JSON.stringify(m.result)}`)
      out.push(m)
    }
    return out
  } finally {
    await fake.close()
  }
}

const rows = await runToolSizes()
if (process.argv.includes('--json')) {
  console.log(
    JSON.stringify(
      rows.map(({ result: _r, ...m }) => m),
      null,
      2,
    ),
  )
} else {
  console.log(
    table(
      ['tool', 'requests', 'raw Stripe objects (bytes)', 'tool result (bytes)', 'smaller by'],
      rows.map((m) => [
        m.name,
        String(m.requests),
        fmt(m.rawBytes),
        fmt(m.bytes),
        m.rawBytes > 0 ? `${(m.rawBytes / m.bytes).toFixed(1)}×` : '—',
      ]),
    ),
  )
}
