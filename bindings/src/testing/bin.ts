#!/usr/bin/env node
// `stripe-connect-testkit`: the test kit as a process, so a running app (`next dev`, `next start`, a
// staging box) can be pointed at a local Stripe Connect through its environment alone. Starts the
// fake on 127.0.0.1, seeds two accounts with a customer's history, and prints the variables to set.
//
//   npx stripe-connect-testkit [--port 12111] [--auto-approve] [--secret-key sk_test_…]
//                              [--client-id ca_…] [--webhook-secret whsec_…] [--redirect-uri URL]…
//
// The variables go to stdout as KEY=value lines (dotenv / `export $(…)` friendly), the rest as `#`
// comments. Ctrl-C (SIGINT) or SIGTERM closes it.
import { parseArgs } from 'node:util'

import { startFakeStripe, type FakeStripe } from './server/index.js'

const HELP = `stripe-connect-testkit: a local Stripe Connect (OAuth + the read-only API) on 127.0.0.1

Options:
  --port N             port to listen on (default 12111; 0 picks a free one)
  --auto-approve       approve every authorization at once (default: a consent page with Connect / Deny)
  --secret-key KEY     the only platform key accepted (default sk_test_testkit_platform)
  --client-id ID       the platform's Connect client id (default ca_testkitplatform)
  --webhook-secret S   printed as STRIPE_WEBHOOK_SECRET, to sign events with signWebhook() (default whsec_testkit)
  --redirect-uri URL   a registered redirect URI (repeatable; default: any http(s) URL)
  --help               this text
`

interface Settings {
  port: number
  consent: 'auto' | 'page'
  secretKey: string
  clientId: string
  webhookSecret: string
  redirectUris: string[] | undefined
}

function settings(argv: string[]): Settings | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '12111' },
      'auto-approve': { type: 'boolean', default: false },
      'secret-key': { type: 'string', default: 'sk_test_testkit_platform' },
      'client-id': { type: 'string', default: 'ca_testkitplatform' },
      'webhook-secret': { type: 'string', default: 'whsec_testkit' },
      'redirect-uri': { type: 'string', multiple: true },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) return null
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number (0–65535), got ${values.port}`)
  return {
    port,
    consent: values['auto-approve'] ? 'auto' : 'page',
    secretKey: values['secret-key'],
    clientId: values['client-id'],
    webhookSecret: values['webhook-secret'],
    redirectUris: values['redirect-uri'],
  }
}

/**
 * Two apps' accounts, not yet connected, with one customer's payments, refund, dispute, plan, the
 * plan's paid invoice (paid by the last charge's payment intent) and an early fraud warning.
 */
function seed(fake: FakeStripe): string[] {
  const lines: string[] = []
  const apps = [
    { email: 'owner@helpdesk.example', plan: 'Helpdesk Pro', amounts: [4900, 4900] },
    { email: 'finance@billing.example', plan: 'Billing Bot Team', amounts: [12900] },
  ]
  for (const app of apps) {
    const acct = fake.createAccount({ connected: false, email: app.email })
    const jane = fake.addCustomer(acct, { email: 'jane@example.com', name: 'Jane Doe' })
    const charges = app.amounts.map((amount) =>
      fake.addCharge(acct, { customer: jane, amount, description: app.plan }),
    )
    const last = charges[charges.length - 1]!
    fake.addRefund(acct, { charge: charges[0]!.id, amount: charges[0]!.amount })
    fake.addEarlyFraudWarning(acct, { charge: last.id, fraud_type: 'made_with_stolen_card' })
    fake.addDispute(acct, { charge: last.id, reason: 'fraudulent' })
    const subscription = fake.addSubscription(acct, {
      customer: jane,
      status: 'active',
      product_name: app.plan,
    })
    const intent = fake.addPaymentIntent(acct, {
      customer: jane,
      amount: last.amount,
      latest_charge: last.id,
    })
    fake.addInvoice(acct, {
      customer: jane,
      subscription,
      status: 'paid',
      amount_due: last.amount,
      payments: [{ payment_intent: intent }],
    })
    lines.push(
      `#   ${acct} (${app.email}): customer jane@example.com, ${charges.length} charge(s) (the first refunded, the last flagged by an early fraud warning, then disputed), an active "${app.plan}" subscription whose invoice the last charge paid`,
    )
  }
  return lines
}

async function main(): Promise<void> {
  let s: Settings | null
  try {
    s = settings(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  if (s === null) {
    process.stdout.write(HELP)
    return
  }
  const fake = await startFakeStripe({
    port: s.port,
    secretKey: s.secretKey,
    clientId: s.clientId,
    ...(s.redirectUris ? { redirectUris: s.redirectUris } : {}),
    consent: s.consent,
  })
  const seeded = seed(fake)
  const out = [
    `# Stripe Connect test kit on ${fake.url} (${s.consent === 'page' ? 'consent page: Connect / Deny' : 'every authorization approved at once'}); Ctrl-C stops it.`,
    '# Point the app at it with these variables (e.g. in .env.local):',
    `STRIPE_API_BASE=${fake.url}`,
    `STRIPE_CONNECT_BASE=${fake.url}`,
    `STRIPE_SECRET_KEY=${s.secretKey}`,
    `STRIPE_CONNECT_CLIENT_ID=${s.clientId}`,
    `STRIPE_WEBHOOK_SECRET=${s.webhookSecret}`,
    '# Seeded accounts (connect one from the app; the consent page lets you pick it):',
    ...seeded,
    '',
  ]
  process.stdout.write(out.join('\n'))
  const stop = () => {
    void fake.close().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((err: unknown) => {
  process.stderr.write(`stripe-connect-testkit: ${(err as Error).message ?? String(err)}\n`)
  process.exitCode = 1
})
