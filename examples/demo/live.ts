// `npm run demo` with STRIPE_SECRET_KEY, STRIPE_CONNECT_CLIENT_ID and STRIPE_WEBHOOK_SECRET set:
// the same three routes and stores against real Stripe, on http://localhost:3000 (PORT overrides),
// until Ctrl-C. Prints each connection and webhook as it happens. Secrets are never printed.

import {
  StripeConnect,
  type Connection,
  type ConnectionStore,
  type WebhookOutcome,
} from '@support/stripe-connect'
import { createRouteHandlers } from '@support/stripe-connect/next'

import { DEMO_APPS, openDatabase, showRow, type AppRow } from './db.js'
import { serve, type Routes, type Served } from './http.js'
import { bold, cyan, day, describe, dim, green, money, red, yellow } from './transcript.js'

const CALLBACK_PATH = '/api/stripe/connect/callback'
const AUTHORIZE_PATH = '/api/stripe/connect/authorize'
const WEBHOOK_PATH = '/api/stripe/webhooks'
const SETTINGS_PATH = '/settings/integrations'

const time = () => new Date().toISOString().slice(11, 19)
const log = (text: string) => console.log(`${dim(time())} ${text}`)

export async function runLive(): Promise<number> {
  const port = Number(process.env.PORT ?? 3000)
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    console.log(red(`✗ PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`))
    return 1
  }
  const origin = `http://localhost:${port}`
  const livemode =
    (process.env.STRIPE_SECRET_KEY ?? '').startsWith('sk_live_') ||
    (process.env.STRIPE_SECRET_KEY ?? '').startsWith('rk_live_')
  const db = await openDatabase()

  // The connections store, with a line printed for each change.
  const inner = db.connections
  const connections: ConnectionStore = {
    async save(connection: Connection) {
      await inner.save(connection)
      log(
        `${green('✓ connected')} ${bold(connection.appSlug)} → ${connection.accountId} (${connection.livemode ? 'live' : 'test'} mode, scope ${connection.scope})`,
      )
      log(`  ${showRow(await db.row(connection.appSlug))}`)
    },
    async clearByAccount(accountId: string) {
      const slug = await inner.clearByAccount(accountId)
      log(
        `${yellow('✓ disconnected')} ${accountId}${slug ? ` (was ${bold(slug)})` : ' (no app had it)'}`,
      )
      if (slug) log(`  ${showRow(await db.row(slug))}`)
      return slug
    },
    getBySlug: (slug: string) => inner.getBySlug(slug),
    getByAccount: (accountId: string) => inner.getByAccount!(accountId),
    list: () => inner.list(),
  }

  let stripe: StripeConnect
  try {
    stripe = StripeConnect.fromEnv({
      redirectUri: `${origin}${CALLBACK_PATH}`,
      stores: {
        connections,
        claims: db.claims,
        disputes: {
          disputeCreated(alert) {
            const d = alert.dispute
            log(
              `${red('🔔 dispute')} ${alert.appSlug ?? alert.accountId ?? '?'}: ${d.id} for ${money(d.amount, d.currency)} (${d.reason}) on ${d.chargeId ?? '?'}, ` +
                `status ${d.status}, evidence due ${day(d.evidenceDueBy)}`,
            )
          },
        },
      },
    })
  } catch (error) {
    console.log(red(`✗ the Stripe configuration was refused: ${describe(error)}`))
    await db.close()
    return 1
  }

  // The real client, with each webhook's outcome printed (the route answers as always).
  const client = {
    authorizeUrl: (options: { appSlug: string }) => stripe.authorizeUrl(options),
    handleCallback: (options: { query: URLSearchParams; state: string | null | undefined }) =>
      stripe.handleCallback(options),
    async handleWebhook(
      payload: Buffer,
      header: string | null | undefined,
    ): Promise<WebhookOutcome> {
      const outcome = await stripe.handleWebhook(payload, header)
      const what =
        outcome.outcome === 'duplicate' || outcome.outcome === 'ignored'
          ? `${outcome.eventType}: ${outcome.outcome}${outcome.outcome === 'ignored' ? ` (${outcome.reason})` : ''}`
          : outcome.outcome
      log(`  webhook ${outcome.eventId} → ${what}`)
      return outcome
    },
  }
  const routes = createRouteHandlers(client, {
    settingsPath: SETTINGS_PATH,
    callbackPath: CALLBACK_PATH,
    // Local demo only: it has no users, so everyone on this machine may connect. A real app checks
    // its session here (examples/next-app/lib/stripe-connect.ts).
    canConnect: () => true,
    onConnected: (c) => {
      if (c.replacedAccountId !== null)
        log(`  ${c.appSlug}: ${c.replacedAccountId} replaced by ${c.accountId}`)
    },
    onError: (error, route) => log(red(`✗ ${route}: ${describe(error)}`)),
  })

  const page = async (request: Request) => htmlPage(new URL(request.url), await db.rows(), origin)
  const lookup = async (request: Request) => {
    const email = new URL(request.url).searchParams.get('email') ?? ''
    try {
      const context = await stripe.customerContext({ email })
      log(
        `customer lookup ${email}: ${context.apps.map((a) => `${a.appSlug} ${a.error ? `error ${a.error.code}` : `${a.payments.length} payments`}`).join(', ') || 'no connected app'}`,
      )
      return Response.json(context)
    } catch (error) {
      return Response.json({ error: describe(error) }, { status: 400 })
    }
  }

  let servers: Served[]
  try {
    servers = await listenLoopback(port, origin, {
      '/': { GET: page },
      [SETTINGS_PATH]: { GET: page },
      '/api/customer': { GET: lookup },
      [AUTHORIZE_PATH]: { GET: routes.authorize },
      [CALLBACK_PATH]: { GET: routes.callback },
      [WEBHOOK_PATH]: { POST: routes.webhook },
    })
  } catch (error) {
    console.log(
      red(`✗ could not listen on port ${port}: ${describe(error)} (set PORT to another port)`),
    )
    await db.close()
    return 1
  }

  const first = DEMO_APPS[0]!.slug
  console.log(
    bold(
      `Stripe Connect demo against real Stripe (${livemode ? red('LIVE mode') : 'test mode'}), apps in PGlite, routes on ${origin}`,
    ),
  )
  console.log(`
  ${bold('1.')} In the Stripe Dashboard (Settings → Connect → Onboarding options → OAuth) add the redirect URI
       ${cyan(`${origin}${CALLBACK_PATH}`)}
  ${bold('2.')} Open in your browser, to connect the demo app "${first}":
       ${cyan(`${origin}${AUTHORIZE_PATH}?appSlug=${first}`)}
     (or ${cyan(`${origin}/`)} for every demo app and a customer lookup)
  ${bold('3.')} Forward webhooks (Connect events included) with the Stripe CLI, whose whsec_… must be STRIPE_WEBHOOK_SECRET:
       ${cyan(`stripe listen --forward-to localhost:${port}${WEBHOOK_PATH}`)}
     then e.g. ${cyan('stripe trigger charge.dispute.created --stripe-account acct_…')}, or disconnect the app in its Stripe Dashboard.
  Nothing is written outside this process; the apps table is in memory. Ctrl-C to stop.
`)

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
  console.log('\nStopping.')
  for (const s of servers) await s.close()
  await db.close()
  return 0
}

/** 127.0.0.1, and ::1 when the machine has it (browsers and the Stripe CLI may resolve localhost to either). */
async function listenLoopback(port: number, origin: string, routes: Routes): Promise<Served[]> {
  const onResponse = (request: Request, response: Response, body: Buffer) => {
    const url = new URL(request.url)
    if (url.pathname === '/' || url.pathname === SETTINGS_PATH || url.pathname === '/api/customer')
      return
    const location = response.headers.get('location')
    const detail = location
      ? `Location: ${location.startsWith(origin) ? location.slice(origin.length) : new URL(location).origin + new URL(location).pathname + '?…'}`
      : body.toString('utf8').slice(0, 200)
    const status =
      response.status < 400 ? green(String(response.status)) : red(String(response.status))
    log(
      `${request.method} ${url.pathname}${url.pathname === AUTHORIZE_PATH ? url.search : ''} → ${status} ${detail}`,
    )
  }
  const options = { port, origin: () => origin, onResponse }
  const servers = [await serve(() => routes, { ...options, host: '127.0.0.1' })]
  try {
    servers.push(await serve(() => routes, { ...options, host: '::1' }))
  } catch {
    // No IPv6 loopback here: 127.0.0.1 alone.
  }
  return servers
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function htmlPage(url: URL, rows: AppRow[], origin: string): Response {
  const success = url.searchParams.get('success')
  const error = url.searchParams.get('error')
  const app = url.searchParams.get('app')
  const banner = success
    ? `<p style="color:green">Connected${app ? ` <b>${escapeHtml(app)}</b>` : ''} (?success=${escapeHtml(success)})</p>`
    : error
      ? `<p style="color:#b00">Not connected: ?error=${escapeHtml(error)}</p>`
      : ''
  const list = rows
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.slug)}</td><td>${escapeHtml(r.name)}</td><td>${r.stripe_account_id ? escapeHtml(r.stripe_account_id) : '—'}</td>` +
        `<td>${r.stripe_connected ? 'yes' : 'no'}</td><td><a href="${AUTHORIZE_PATH}?appSlug=${encodeURIComponent(r.slug)}">${r.stripe_connected ? 'Reconnect' : 'Connect'} Stripe</a></td></tr>`,
    )
    .join('')
  const html = `<!doctype html><meta charset="utf-8"><title>Stripe Connect demo</title>
<body style="font-family:system-ui;max-width:48rem;margin:2rem auto">
<h1>Integrations</h1>${banner}
<table border="1" cellpadding="6" style="border-collapse:collapse"><tr><th>slug</th><th>name</th><th>stripe_account_id</th><th>stripe_connected</th><th></th></tr>${list}</table>
<h2>Look up a customer across connected apps</h2>
<form action="/api/customer"><input name="email" type="email" placeholder="customer@example.com" required> <button>Look up</button></form>
<p style="color:#666">Webhooks: <code>stripe listen --forward-to ${escapeHtml(new URL(origin).host)}${WEBHOOK_PATH}</code></p>
</body>`
  return new Response(html, {
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  })
}
