#!/usr/bin/env node
// `stripe-connect-testkit`: the test kit as a process, so a running app (`next dev`, `next start`, a
// staging box) can be pointed at a local Stripe Connect through its environment alone. Starts the
// fake on 127.0.0.1, seeds two accounts with a customer's history, and prints the variables to set.
//
//   npx stripe-connect-testkit [--port 12111] [--auto-approve] [--account acct_…] [--app-url URL]
//                              [--secret-key sk_test_…] [--client-id ca_…] [--webhook-secret whsec_…]
//                              [--redirect-uri URL]… [--connect oauth|stripe-app] [--app-id ID]
//                              [--app-secret absec_…]
//   npx stripe-connect-testkit trigger <event> --to URL [--kit URL] [--account acct_…] […]
//
// The variables go to stdout as KEY=value lines (dotenv / `export $(…)` friendly), the rest as `#`
// comments. Ctrl-C (SIGINT) or SIGTERM closes it. `trigger` sends one signed event to the app.
import { parseArgs } from 'node:util'

import { startFakeStripe, type FakeStripe } from './server/index.js'
import { TRIGGER_EVENTS, trigger, TriggerError } from './trigger.js'

const DEFAULTS = {
  port: '12111',
  secretKey: 'sk_test_testkit_platform',
  clientId: 'ca_testkitplatform',
  webhookSecret: 'whsec_testkit',
  appUrl: 'http://localhost:3000',
  appId: 'com.example.support',
  appSecret: 'absec_testkit',
} as const

/** How the app connects an account: Connect OAuth, or a Stripe App install link (platform key). */
const CONNECT_MODES = ['oauth', 'stripe-app'] as const
type ConnectMode = (typeof CONNECT_MODES)[number]

/** The seeded accounts' ids: fixed, so an app's saved connection survives a restart of the kit. */
const SEEDED_ACCOUNTS = ['acct_1TestkitHelpdesk', 'acct_1TestkitBillingBot'] as const

const HELP = `stripe-connect-testkit: a local Stripe Connect (OAuth, Stripe App install links, the read-only API) on 127.0.0.1

Usage: stripe-connect-testkit [options]                   start the kit and print the variables
       stripe-connect-testkit trigger <event> --to URL    send a signed event to the app

Options:
  --port N             port to listen on (default 12111; 0 picks a free one)
  --auto-approve       approve every authorization or install at once (default: a consent page with
                       Connect / Deny, an install page with Install / Cancel)
  --account ACCT       the seeded account an approval connects when none is picked (default
                       ${SEEDED_ACCOUNTS[0]}; the consent page preselects it)
  --app-url URL        the app's origin, printed as APP_URL with the redirect URI under it
                       (default ${DEFAULTS.appUrl})
  --secret-key KEY     the only platform key accepted (default ${DEFAULTS.secretKey})
  --client-id ID       the platform's Connect client id (default ${DEFAULTS.clientId})
  --webhook-secret S   printed as STRIPE_WEBHOOK_SECRET; trigger signs with it (default ${DEFAULTS.webhookSecret})
  --redirect-uri URL   a registered redirect URI (repeatable; default: any http(s) URL), for OAuth
                       and the app's install links alike
  --connect MODE       oauth (default) or stripe-app: also print STRIPE_APP_ID, STRIPE_APP_SECRET and
                       STRIPE_INSTALL_BASE (the kit), for an app connecting through a Stripe App install
                       link (the kit serves it at /apps/install/link/{appId} in either mode)
  --app-id ID          the Stripe App's id (default ${DEFAULTS.appId})
  --app-secret S       the app's signing secret, which signs install_signature (default ${DEFAULTS.appSecret})
  --help               this text

trigger <event>: ${TRIGGER_EVENTS.join(', ')}
  --to URL             the app's webhook endpoint, e.g. http://localhost:3000/api/stripe/webhooks (required)
  --kit URL            the running kit (default http://127.0.0.1:${DEFAULTS.port}: its STRIPE_API_BASE)
  --account ACCT       the connected account the event is on (default: the only connected one)
  --secret-key, --client-id, --webhook-secret   as given to the kit (same defaults)
  The data is the kit's: the account's newest dispute or early fraud warning; a deauthorization
  also disconnects the account on the kit (an app's uninstall, for an account it was installed on). Prints what was sent and the app's answer; exits 1
  unless the app answered 2xx.
`

interface Settings {
  port: number
  consent: 'auto' | 'page'
  account: string
  appUrl: string
  secretKey: string
  clientId: string
  webhookSecret: string
  redirectUris: string[] | undefined
  connect: ConnectMode
  appId: string
  appSecret: string
}

/** Options both commands take, with the kit's defaults. */
const SHARED_OPTIONS = {
  'secret-key': { type: 'string', default: DEFAULTS.secretKey },
  'client-id': { type: 'string', default: DEFAULTS.clientId },
  'webhook-secret': { type: 'string', default: DEFAULTS.webhookSecret },
  account: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const

/** The app's origin (`http://localhost:3000`), without a trailing slash. */
function origin(value: string, option: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new Error(`${option} must be an http(s) URL, got ${value}`)
  }
  if (!/^https?:$/.test(url.protocol))
    throw new Error(`${option} must be an http(s) URL, got ${value}`)
  return url.origin
}

function settings(argv: string[]): Settings | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...SHARED_OPTIONS,
      port: { type: 'string', default: DEFAULTS.port },
      'auto-approve': { type: 'boolean', default: false },
      'app-url': { type: 'string', default: DEFAULTS.appUrl },
      'redirect-uri': { type: 'string', multiple: true },
      connect: { type: 'string', default: 'oauth' },
      'app-id': { type: 'string', default: DEFAULTS.appId },
      'app-secret': { type: 'string', default: DEFAULTS.appSecret },
    },
    strict: true,
  })
  if (values.help) return null
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number (0–65535), got ${values.port}`)
  const account = values.account ?? SEEDED_ACCOUNTS[0]
  if (!(SEEDED_ACCOUNTS as readonly string[]).includes(account))
    throw new Error(
      `--account must be a seeded account (${SEEDED_ACCOUNTS.join(', ')}), got ${account}`,
    )
  const connect = values.connect as ConnectMode
  if (!CONNECT_MODES.includes(connect))
    throw new Error(`--connect must be ${CONNECT_MODES.join(' or ')}, got ${values.connect}`)
  return {
    port,
    consent: values['auto-approve'] ? 'auto' : 'page',
    account,
    appUrl: origin(values['app-url'], '--app-url'),
    secretKey: values['secret-key'],
    clientId: values['client-id'],
    webhookSecret: values['webhook-secret'],
    redirectUris: values['redirect-uri'],
    connect,
    appId: values['app-id'],
    appSecret: values['app-secret'],
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
  for (const [i, app] of apps.entries()) {
    const acct = fake.createAccount({ id: SEEDED_ACCOUNTS[i], connected: false, email: app.email })
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

/** `trigger <event> --to URL …`: one signed event to the app; the exit code says how it answered. */
async function runTrigger(argv: string[]): Promise<void> {
  let values
  let positionals
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      options: {
        ...SHARED_OPTIONS,
        to: { type: 'string' },
        kit: { type: 'string', default: `http://127.0.0.1:${DEFAULTS.port}` },
      },
      allowPositionals: true,
      strict: true,
    }))
    if (values.help) {
      process.stdout.write(HELP)
      return
    }
    if (positionals.length !== 1) throw new Error('trigger takes one event type')
    if (!(TRIGGER_EVENTS as readonly string[]).includes(positionals[0]!))
      throw new Error(
        `unknown event ${JSON.stringify(positionals[0])}: trigger sends ${TRIGGER_EVENTS.join(', ')}`,
      )
    if (!values.to) throw new Error("trigger needs --to, the app's webhook URL")
    origin(values.to, '--to')
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  try {
    const { event, account, about, delivery } = await trigger({
      event: positionals[0]!,
      to: values.to,
      kit: values.kit,
      secretKey: values['secret-key'],
      clientId: values['client-id'],
      webhookSecret: values['webhook-secret'],
      ...(values.account !== undefined ? { account: values.account } : {}),
    })
    const ok = delivery.status >= 200 && delivery.status < 300
    process.stdout.write(
      [
        `# ${event.type} ${event.id} on ${account}: ${about}`,
        `-> POST ${values.to} (Stripe-Signature with the webhook secret, ${delivery.sent.payload.length} bytes)`,
        `<- ${delivery.status} ${delivery.body.trim()}`,
        ...(ok ? [] : [`# the app did not answer 2xx: Stripe would redeliver this event`]),
        '',
      ].join('\n'),
    )
    if (!ok) process.exitCode = 1
  } catch (err) {
    if (!(err instanceof TriggerError)) throw err
    process.stderr.write(`stripe-connect-testkit trigger: ${err.message}\n`)
    process.exitCode = 1
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  if (argv[0] === 'trigger') return runTrigger(argv.slice(1))
  let s: Settings | null
  try {
    s = settings(argv)
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
    stripeApp: {
      appId: s.appId,
      signingSecret: s.appSecret,
      ...(s.redirectUris ? { redirectUris: s.redirectUris } : {}),
    },
  })
  const seeded = seed(fake)
  fake.oauth.defaultAccount = s.account
  fake.appInstall.defaultAccount = s.account
  const app = s.connect === 'stripe-app'
  const out = [
    `# Stripe Connect test kit on ${fake.url} (${s.consent === 'page' ? (app ? 'install page: Install / Cancel' : 'consent page: Connect / Deny') : `every ${app ? 'install' : 'authorization'} approved at once`}); Ctrl-C stops it.`,
    '# Point the app at it with these variables (e.g. in .env.local):',
    `STRIPE_API_BASE=${fake.url}`,
    `STRIPE_CONNECT_BASE=${fake.url}`,
    `STRIPE_SECRET_KEY=${s.secretKey}`,
    `STRIPE_CONNECT_CLIENT_ID=${s.clientId}`,
    `STRIPE_WEBHOOK_SECRET=${s.webhookSecret}`,
    '# The app: its origin (the guide builds the redirect URI from APP_URL; fromEnv() alone reads STRIPE_CONNECT_REDIRECT_URI).',
    `APP_URL=${s.appUrl}`,
    `STRIPE_CONNECT_REDIRECT_URI=${s.appUrl}/api/stripe/connect/callback`,
    ...(app
      ? [
          `# The Stripe App (--connect stripe-app): the install link is served at ${fake.url}/apps/install/link/${s.appId}?redirect_uri=…&state=…; install_signature is signed with STRIPE_APP_SECRET.`,
          `STRIPE_APP_ID=${s.appId}`,
          `STRIPE_APP_SECRET=${s.appSecret}`,
          `STRIPE_INSTALL_BASE=${fake.url}`,
        ]
      : []),
    `# Seeded accounts (connect one from the app; ${s.consent === 'page' ? `the ${app ? 'install' : 'consent'} page preselects` : 'an approval connects'} ${s.account}, --account picks the other):`,
    ...seeded,
    `# Send a signed event to the app: npx stripe-connect-testkit trigger charge.dispute.created --to ${s.appUrl}/api/stripe/webhooks${s.port === Number(DEFAULTS.port) ? '' : ` --kit ${fake.url}`}`,
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
