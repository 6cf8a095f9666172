// The scripted demo: the package's test kit plays Stripe on 127.0.0.1, PGlite plays the database,
// and the real route handlers are served over HTTP. Every step prints what was sent and received
// and checks what should have happened.

import { StripeConnect, type CustomerContext, type DisputeAlert } from '@support/stripe-connect'
import { createRouteHandlers } from '@support/stripe-connect/next'
import {
  applicationDeauthorizedEvent,
  deliverWebhook,
  disputeCreatedEvent,
  startFakeStripe,
  type DeliveryResult,
  type FakeStripe,
  type StripeEvent,
} from '@support/stripe-connect/testing'

import { agentStep } from './agent-step.js'
import { DEMO_EMAIL, seedDemoCustomer } from './customer.js'
import { openDatabase, showRow, type DemoDatabase } from './db.js'
import { serve, type Served } from './http.js'
import { day, describe, money, short, showUrl, table, Transcript } from './transcript.js'

// Test-mode stand-ins: the fake accepts exactly these. Not real secrets, and never printed anyway.
const SECRET_KEY = 'sk_test_demo_platform_key'
const CLIENT_ID = 'ca_demoplatform0001'
const WEBHOOK_SECRET = 'whsec_demo_endpoint_secret'
const STATE_SECRET = 'demo-state-signing-secret-0123456789abcdef'

const CALLBACK_PATH = '/api/stripe/connect/callback'
const AUTHORIZE_PATH = '/api/stripe/connect/authorize'
const WEBHOOK_PATH = '/api/stripe/webhooks'
const SETTINGS_PATH = '/settings/integrations'
const COOKIE = 'stripe_connect_state'

const DAY = 86_400
const NOW = Math.floor(Date.now() / 1000)
const EMAIL = DEMO_EMAIL

interface Hop {
  status: number
  location: string | null
  cookies: string[]
  body: string
}

export async function runStory(t: Transcript): Promise<void> {
  let fake: FakeStripe | undefined
  let db: DemoDatabase | undefined
  let server: Served | undefined
  try {
    fake = await startFakeStripe({ secretKey: SECRET_KEY, clientId: CLIENT_ID })
    db = await openDatabase()
    let routes: ReturnType<typeof createRouteHandlers> | undefined
    server = await serve(() => ({
      [AUTHORIZE_PATH]: { GET: routes!.authorize },
      [CALLBACK_PATH]: { GET: routes!.callback },
      [WEBHOOK_PATH]: { POST: routes!.webhook },
    }))
    const origin = server.origin

    const alerts: DisputeAlert[] = []
    const stripe = new StripeConnect({
      secretKey: SECRET_KEY,
      clientId: CLIENT_ID,
      redirectUri: `${origin}${CALLBACK_PATH}`,
      scope: 'read_write',
      webhookSecrets: [WEBHOOK_SECRET],
      stateSecret: STATE_SECRET,
      apiBase: fake.url,
      connectBase: fake.url,
      maxRetries: 0,
      stores: {
        connections: db.connections,
        claims: db.claims,
        disputes: {
          disputeCreated(alert) {
            alerts.push(alert)
            const d = alert.dispute
            t.info(
              `🔔 dispute sink: ${alert.appSlug ?? alert.accountId}: dispute ${d.id} for ${money(d.amount, d.currency)} (${d.reason}) on ${d.chargeId}, ` +
                `status ${d.status}, evidence due ${day(d.evidenceDueBy)}, customer ${alert.customerEmail ?? `unknown (${alert.customerUnknownReason})`}`,
            )
          },
        },
      },
    })
    routes = createRouteHandlers(stripe, {
      settingsPath: SETTINGS_PATH,
      callbackPath: CALLBACK_PATH,
      // Local demo only: it has no users, so every visitor may connect. A real app checks its
      // session here (examples/next-app/lib/stripe-connect.ts).
      canConnect: () => true,
      onError: (error, route) => t.note(`(the ${route} route reported: ${describe(error)})`),
    })

    t.title(
      "Stripe Connect demo: the support app's three routes, its apps table, and a local Stripe",
    )
    t.note(`Stripe (the package's test kit)   ${fake.url}`)
    t.note(
      `The app's routes (node:http)       ${origin}${AUTHORIZE_PATH}, ${CALLBACK_PATH}, ${WEBHOOK_PATH}`,
    )
    t.note(
      `Database                           PGlite (in-memory Postgres) through Drizzle: SUPPORT_apps + stripe_connect_claims`,
    )
    for (const r of await db.rows()) t.note(`  ${showRow(r)}`)

    const get = async (path: string, cookie?: string): Promise<Hop> => {
      const res = await fetch(new URL(path, origin), {
        redirect: 'manual',
        headers: cookie ? { cookie } : {},
      })
      return {
        status: res.status,
        location: res.headers.get('location'),
        cookies: res.headers.getSetCookie(),
        body: await res.text(),
      }
    }
    const tokenExchanges = () => fake!.findRequests({ method: 'POST', path: '/oauth/token' }).length

    // ---- 1. Connect two apps --------------------------------------------------------------------
    t.header('Connect an app: authorize → Stripe → callback → the apps row')
    const accountA = fake.createAccount({ connected: false, email: 'owner@helpdesk.example' })
    const accountB = fake.createAccount({ connected: false, email: 'finance@billing-bot.example' })

    async function connect(slug: string, account: string, verbose: boolean) {
      fake!.oauth.nextAccount = account
      const before = tokenExchanges()
      const authorizePath = `${AUTHORIZE_PATH}?appSlug=${slug}`
      t.send(`GET ${authorizePath}   (an admin clicks "Connect Stripe" for ${slug})`)
      const start = await get(authorizePath)
      const stripeUrl = start.location ?? ''
      const setCookie = start.cookies[0] ?? ''
      if (verbose) {
        t.recv(`${start.status}  Location: ${showUrl(stripeUrl)}`)
        t.recv(
          `     Set-Cookie: ${setCookie.replace(/^([^=]+=)([^;]+)/, (_m, n: string, v: string) => n + short(v, 10))}`,
        )
      } else {
        t.recv(`${start.status}  → Stripe's authorize page, state cookie set`)
      }
      t.check(start.status === 307, 'authorize answers 307', start.status)
      t.check(
        stripeUrl.startsWith(`${fake!.url}/oauth/authorize?`) &&
          new URL(stripeUrl).searchParams.get('client_id') === CLIENT_ID,
        "it redirects to Stripe's authorize URL with the platform's client id",
        stripeUrl,
      )
      t.check(
        new RegExp(
          `^${COOKIE}=[^;]+; Path=${CALLBACK_PATH}; Max-Age=600; HttpOnly; SameSite=Lax$`,
        ).test(setCookie),
        `the state is in an httpOnly, SameSite=Lax cookie limited to ${CALLBACK_PATH} (10 minutes; no Secure on http://127.0.0.1 only)`,
        setCookie,
      )
      const cookie = setCookie.split(';')[0]!

      t.send(
        `Stripe's authorize page: the Stripe user ${fake!.account(account)?.email} clicks "Connect"`,
      )
      const approved = await fake!.authorize(stripeUrl)
      const callbackUrl = approved.location ?? ''
      if (verbose) t.recv(`${approved.status}  Location: ${showUrl(callbackUrl)}`)
      else t.recv(`${approved.status}  → the app's callback with a code`)
      t.check(
        approved.status === 302 &&
          callbackUrl.startsWith(`${origin}${CALLBACK_PATH}?`) &&
          approved.params.code !== undefined,
        'Stripe sends the browser back to the callback with a code and the state',
        approved.status,
      )

      const callbackPath = callbackUrl.slice(origin.length)
      if (verbose)
        t.send(
          `GET ${showUrl(callbackUrl, origin)}   Cookie: ${COOKIE}=${short(cookie.slice(COOKIE.length + 1), 10)}`,
        )
      else t.send(`GET ${CALLBACK_PATH}?code=…&state=…   with the state cookie`)
      const done = await get(callbackPath, cookie)
      t.recv(`${done.status}  Location: ${showUrl(done.location ?? '', origin)}`)
      if (verbose) t.recv(`     Set-Cookie: ${done.cookies.join(' | ')}`)
      t.equal(done.status, 303, 'the callback answers 303')
      t.equal(
        done.location,
        `${origin}${SETTINGS_PATH}?success=connected&app=${slug}`,
        `it sends the admin to ${SETTINGS_PATH}?success=connected`,
      )
      t.check(
        done.cookies.some((c) => c.startsWith(`${COOKIE}=; `) && c.includes('Max-Age=0')),
        'the state cookie is cleared',
        done.cookies,
      )
      t.equal(
        tokenExchanges() - before,
        1,
        'the code was exchanged at POST /oauth/token exactly once',
      )
      const row = await db!.row(slug)
      t.info(showRow(row))
      t.check(
        row?.stripe_account_id === account && row.stripe_connected === true,
        `the ${slug} row now has ${account} and stripe_connected = true`,
        row,
      )
      return { callbackPath, cookie }
    }

    const firstConnect = await connect('helpdesk', accountA, true)
    t.note('… and a second app, the same way:')
    await t.folded(
      'billing-bot connected the same way: 307 → Stripe → 303 ?success=connected&app=billing-bot, one token exchange, its row updated',
      () => connect('billing-bot', accountB, false),
    )
    t.check(
      (await db.row('status-page'))?.stripe_connected === false,
      'status-page, never connected, is untouched',
    )

    // ---- 2. Look a customer up across apps ------------------------------------------------------
    t.header(`Look up a customer across apps: customerContext({ email: '${EMAIL}' })`)
    const { chargeA2, dispute: seededDispute } = seedDemoCustomer(fake, accountA, accountB, NOW)
    t.note(
      `Seeded at Stripe: ${EMAIL} on helpdesk (3 charges, one refunded, one with an early fraud warning; an active subscription, its invoice paid),`,
    )
    t.note(
      `Jane@Example.COM on billing-bot (a disputed charge, a declined one; a past_due subscription, its invoice open).`,
    )

    const context: CustomerContext = await stripe.customerContext({ email: EMAIL })
    for (const app of context.apps) {
      t.recv(
        `${app.appSlug} (${app.accountId})${app.error ? `: error ${app.error.code}: ${app.error.message}` : ''}`,
      )
      t.info(`customers: ${app.customers.map((c) => `${c.id} <${c.email}>`).join(', ') || 'none'}`)
      t.info('payments:')
      console.log(
        table(
          [
            ['date', 'amount', 'status', 'refunded', 'disputed', 'description'],
            ...app.payments.map((p) => [
              day(p.created),
              money(p.amount, p.currency),
              p.status,
              p.refunded
                ? `yes (${money(p.amountRefunded, p.currency)})`
                : p.amountRefunded > 0
                  ? `partly (${money(p.amountRefunded, p.currency)})`
                  : 'no',
              p.disputed ? 'yes' : 'no',
              p.description ?? '',
            ]),
          ],
          '      ',
        ),
      )
      for (const s of app.subscriptions) {
        t.info(
          `subscription: ${s.planName ?? s.priceId} — ${s.status}, current period ends ${day(s.currentPeriodEnd)}${s.cancelAtPeriodEnd ? ' (cancels then)' : ''}`,
        )
      }
      if (app.subscriptions.length === 0) t.info('subscription: none')
      for (const d of app.openDisputes) {
        t.info(
          `open dispute: ${d.id} ${money(d.amount, d.currency)} on ${d.chargeId}, ${d.reason}, ${d.status}, evidence due ${day(d.evidenceDueBy)}`,
        )
      }
      if (app.openDisputes.length === 0) t.info('open disputes: none')
    }
    const helpdesk = context.apps.find((a) => a.appSlug === 'helpdesk')
    const billing = context.apps.find((a) => a.appSlug === 'billing-bot')
    t.equal(
      context.apps.map((a) => a.appSlug).sort(),
      ['billing-bot', 'helpdesk'],
      'both connected apps answered (status-page is not connected, so not asked)',
    )
    t.check(
      context.apps.every((a) => a.error === null),
      'no app failed',
      context.apps.map((a) => a.error),
    )
    t.equal(
      billing?.customers.map((c) => c.email),
      ['Jane@Example.COM'],
      "billing-bot found Jane@Example.COM: the lookup ignores the email's case",
    )
    t.equal(
      helpdesk?.payments.map((p) => [p.amount, p.refunded]),
      [
        [1500, true],
        [4900, false],
        [4900, false],
      ],
      'helpdesk: 3 payments, newest first, the $15.00 one refunded',
    )
    t.check(
      helpdesk?.subscriptions.length === 1 &&
        helpdesk.subscriptions[0]!.planName === 'Helpdesk Pro' &&
        helpdesk.subscriptions[0]!.status === 'active' &&
        helpdesk.subscriptions[0]!.currentPeriodEnd === NOW + 12 * DAY,
      `helpdesk: Helpdesk Pro, active, renews ${day(NOW + 12 * DAY)} (the period end read from the subscription item)`,
      helpdesk?.subscriptions,
    )
    t.check(
      billing?.subscriptions[0]?.status === 'past_due' &&
        billing.subscriptions[0].planName === 'Billing bot Team',
      'billing-bot: Billing bot Team, past_due',
      billing?.subscriptions,
    )
    t.equal(
      billing?.openDisputes.map((d) => [d.id, d.amount, d.currency, d.reason]),
      [[seededDispute.id, 12000, 'eur', 'product_not_received']],
      'billing-bot: one open dispute, €120.00, product_not_received',
    )
    t.equal(helpdesk?.openDisputes.length, 0, 'helpdesk: no open dispute (yet)')

    // One time-ordered list of everything billing did for the customer on one app: what an agent
    // reads when a customer writes "I was charged twice" or "why was my card declined".
    t.header(
      `Everything billing did, newest first: billingTimeline({ accountId, email }) on billing-bot`,
    )
    const timeline = await stripe.billingTimeline({ accountId: accountB, email: EMAIL })
    console.log(
      table(
        [
          ['date', 'what', 'amount', 'status', 'id'],
          ...timeline.entries.map((e) => [
            day(e.at),
            e.kind.replace('_', ' '),
            e.amount === null ? '' : money(e.amount, e.currency ?? ''),
            e.status ?? '',
            e.id,
          ]),
        ],
        '      ',
      ),
    )
    const kinds = timeline.entries.map((e) => e.kind)
    t.check(
      ['charge', 'dispute', 'invoice', 'failed_payment'].every((k) => kinds.includes(k as never)),
      'the timeline has the charges, the dispute, the open invoice and the declined attempt',
      kinds,
    )
    t.check(
      timeline.entries.every((e, i, all) => i === 0 || all[i - 1]!.at >= e.at),
      'newest first',
      timeline.entries.map((e) => e.at),
    )

    // ---- 3. A dispute arrives -------------------------------------------------------------------
    t.header('Stripe sends a signed charge.dispute.created to the webhook route')
    const newDispute = fake.addDispute(accountA, {
      charge: chargeA2.id,
      reason: 'fraudulent',
      amount: 4900,
      created: NOW,
    })
    const disputeEvent = disputeCreatedEvent(accountA, newDispute)
    const webhookUrl = `${origin}${WEBHOOK_PATH}`
    const deliver = async (
      event: StripeEvent,
      secret = WEBHOOK_SECRET,
      label = '',
    ): Promise<DeliveryResult> => {
      t.send(`POST ${WEBHOOK_PATH}   ${event.type} ${event.id} (account ${event.account})${label}`)
      const res = await deliverWebhook(webhookUrl, event, { secret })
      t.recv(`${res.status}  ${res.body}`)
      return res
    }
    const first = await deliver(disputeEvent)
    t.check(
      first.status === 200 && JSON.stringify(first.json) === '{"received":true}',
      '200 {"received":true}',
      first.status,
    )
    t.check(
      alerts.length === 1 &&
        alerts[0]!.appSlug === 'helpdesk' &&
        alerts[0]!.dispute.id === newDispute.id &&
        alerts[0]!.eventId === disputeEvent.id,
      'the dispute sink got one alert, for helpdesk, with the dispute',
      alerts.length,
    )
    t.check(
      alerts[0]?.customerEmail === EMAIL &&
        alerts[0].chargeDescription === 'Helpdesk Pro (monthly)',
      `the alert names the customer, ${EMAIL}, and the charge (read with the customer expanded)`,
      alerts[0],
    )
    const again = await deliver(disputeEvent, WEBHOOK_SECRET, '   (Stripe delivers it again)')
    t.check(
      again.status === 200,
      'the duplicate answers 200, so Stripe stops retrying',
      again.status,
    )
    t.equal(alerts.length, 1, 'no second alert: the event id was already claimed')
    const forged = await deliver(
      disputeCreatedEvent(accountA, newDispute),
      'whsec_not_the_endpoint_secret',
      '   (signed with the wrong secret)',
    )
    t.check(
      forged.status === 400 && (forged.json as { error?: string }).error === 'Invalid signature',
      '400 Invalid signature, and nothing done',
      forged.body,
    )
    t.equal(alerts.length, 1, 'still one alert')

    // ---- 4. The app is disconnected at Stripe ---------------------------------------------------
    t.header(
      'Stripe sends account.application.deauthorized (the user disconnected helpdesk in Stripe)',
    )
    fake.disconnect(accountA)
    const deauth = await deliver(
      applicationDeauthorizedEvent(accountA, CLIENT_ID, { name: 'Support platform (demo)' }),
    )
    t.check(
      deauth.status === 200 && JSON.stringify(deauth.json) === '{"received":true}',
      '200 {"received":true}',
      deauth.status,
    )
    const cleared = await db.row('helpdesk')
    t.info(showRow(cleared))
    t.check(
      cleared?.stripe_account_id === null && cleared.stripe_connected === false,
      'the helpdesk row is cleared: stripe_account_id NULL, stripe_connected false',
      cleared,
    )
    t.check((await db.row('billing-bot'))?.stripe_connected === true, 'billing-bot stays connected')
    const after = await stripe.customerContext({ email: EMAIL })
    t.equal(
      after.apps.map((a) => a.appSlug),
      ['billing-bot'],
      'a customer lookup now asks billing-bot only',
    )

    // ---- 5. A replayed callback -----------------------------------------------------------------
    t.header('The first callback again, with its cookie (a back button, a copied URL)')
    const exchangesBefore = tokenExchanges()
    t.send(
      `GET ${showUrl(origin + firstConnect.callbackPath, origin)}   Cookie: ${COOKIE}=${short(firstConnect.cookie.slice(COOKIE.length + 1), 10)}`,
    )
    const replay = await get(firstConnect.callbackPath, firstConnect.cookie)
    t.recv(`${replay.status}  Location: ${showUrl(replay.location ?? '', origin)}`)
    t.check(
      replay.status === 303 && replay.location === `${origin}${SETTINGS_PATH}?error=invalid_state`,
      `redirected to ${SETTINGS_PATH}?error=invalid_state`,
      replay.location,
    )
    t.equal(
      tokenExchanges(),
      exchangesBefore,
      `no second token exchange at Stripe (POST /oauth/token seen ${exchangesBefore} times in all: once per connect)`,
    )
    const stillCleared = await db.row('helpdesk')
    t.check(
      stillCleared?.stripe_connected === false && stillCleared.stripe_account_id === null,
      'the helpdesk row stays disconnected',
      stillCleared,
    )

    // ---- 6. The read-only rule ------------------------------------------------------------------
    t.header("Query, don't execute: what the library sent to Stripe")
    const api = fake.apiRequests()
    const counts = new Map<string, number>()
    const oauth = fake
      .findRequests({ path: '/oauth/' })
      .filter((r) => r.path !== '/oauth/authorize') // authorize: the browser
    for (const r of [...api, ...oauth]) {
      const key = `${r.method} ${r.path.replace(/\/(cus|ch|sub|dp|re|prod|price)_[A-Za-z0-9]+/, '/$1_…')}`
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    for (const [key, n] of counts) t.info(`${String(n).padStart(3)} × ${key}`)
    t.check(
      api.length > 0 && api.every((r) => r.method === 'GET'),
      `all ${api.length} API requests were GETs`,
      [...new Set(api.map((r) => r.method))],
    )
    t.check(
      api.every((r) => r.account === accountA || r.account === accountB),
      'each carried the Stripe-Account of the app it was for',
      api.map((r) => r.account),
    )
    try {
      fake.assertNoViolations()
      t.check(
        true,
        'fake.assertNoViolations(): no mutation attempted, no request without Stripe-Account',
      )
    } catch (error) {
      t.fail('fake.assertNoViolations()', error)
    }

    // ---- 7. The support agent asks --------------------------------------------------------------
    await agentStep(t, fake, stripe)
  } finally {
    await server?.close()
    await fake?.close()
    await db?.close()
  }
}
