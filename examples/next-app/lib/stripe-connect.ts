// One StripeConnect for the whole app, with its state in the app's database so that every instance
// shares it: connections on the SUPPORT_apps rows, claims (OAuth state, webhook dedupe) in
// stripe_connect_claims, dispute alerts into SUPPORT_stripe_disputes (db/disputes.ts) plus a Slack
// message. The same file for MySQL, Postgres and SQLite: only db/ differs.
//
// Built lazily on first use, not at import: `next build` imports route modules without the runtime
// environment, and a missing STRIPE_SECRET_KEY must not fail the build.
import { StripeConnect, type DisputeAlert } from '@support/stripe-connect'
import { drizzleClaimStore, drizzleConnectionStore } from '@support/stripe-connect/drizzle'
import { createRouteHandlers, type RouteHandlers } from '@support/stripe-connect/next'

import { db } from '@/db'
import { recordDispute } from '@/db/disputes'
import { apps, stripeConnectClaims } from '@/db/schema'
import { auth, hasRole } from '@/lib/auth'

let client: StripeConnect | undefined
let routes: RouteHandlers | undefined

/** The app's StripeConnect (queries: paymentHistory, customerContext, …). */
export function stripeConnect(): StripeConnect {
  client ??= StripeConnect.fromEnv({
    // STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_CONNECT_CLIENT_ID (Connect OAuth) or
    // STRIPE_APP_ID and STRIPE_APP_SECRET (Stripe App installs) come from the environment.
    redirectUri: `${appUrl()}/api/stripe/connect/callback`,
    scope: 'read_write',
    stores: {
      connections: drizzleConnectionStore(db, apps, {
        // SUPPORT_apps has no livemode/scope columns: report the mode of the platform key (a
        // restricted key too) and how this deployment connects apps.
        defaults: {
          livemode: /^[sr]k_live_/.test(process.env.STRIPE_SECRET_KEY ?? ''),
          scope: process.env.STRIPE_APP_ID ? 'stripe_app' : 'read_write',
        },
      }),
      claims: drizzleClaimStore(db, stripeConnectClaims),
      disputes: { disputeCreated },
    },
  })
  return client
}

/** The three route handlers (authorize, callback, webhook). */
export function stripeRoutes(): RouteHandlers {
  routes ??= createRouteHandlers(stripeConnect(), {
    settingsPath: '/settings/integrations',
    callbackPath: '/api/stripe/connect/callback',
    // With STRIPE_APP_ID set the app's account is connected by installing the platform's Stripe App
    // (its install link; what Stripe recommends to new platforms), else by Connect OAuth. Same
    // routes, cookie, canConnect and redirects either way; only where authorize sends the user and
    // how the callback proves the connection differ.
    connect: process.env.STRIPE_APP_ID ? 'stripe-app' : 'oauth',
    // Who may connect an app's Stripe account: a signed-in support admin (BetterAuth session and
    // role). Anyone else gets a 403; no session, the sign-in page.
    canConnect: async (request) => {
      const session = await auth.api.getSession({ headers: request.headers })
      if (session === null) {
        const signIn = new URL('/sign-in', request.url)
        signIn.searchParams.set('callbackURL', '/settings/integrations')
        return Response.redirect(signIn, 303)
      }
      return hasRole(session.user, 'admin')
    },
  })
  return routes
}

/**
 * `charge.dispute.created` on a connected account. Runs at least once per event id: the claims
 * table dedupes across instances, but a delivery abandoned after this ran (past webhookTimeoutMs, or
 * a crash) or that threw is processed again by Stripe's redelivery. So it must be safe to run again:
 * the insert is an upsert on the dispute id (one row however often it runs); the Slack message can
 * repeat in those cases (record what was posted, keyed on `alert.eventId`, if that matters).
 */
async function disputeCreated(alert: DisputeAlert): Promise<void> {
  const d = alert.dispute
  await recordDispute({
    disputeId: d.id,
    appSlug: alert.appSlug,
    accountId: alert.accountId,
    chargeId: d.chargeId,
    amount: d.amount,
    currency: d.currency,
    // Stripe always sends a reason; the one Dispute type keeps it nullable, the column is not.
    reason: d.reason ?? 'unknown',
    evidenceDueBy: d.evidenceDueBy,
    livemode: alert.livemode,
  })

  const slack = process.env.SLACK_DISPUTES_WEBHOOK_URL
  if (slack) {
    const due = d.evidenceDueBy
      ? new Date(d.evidenceDueBy * 1000).toISOString().slice(0, 10)
      : 'n/a'
    const text =
      `:rotating_light: Dispute ${d.id} on ${alert.appSlug ?? alert.accountId ?? 'an unknown account'}: ` +
      `${(d.amount / 100).toFixed(2)} ${d.currency.toUpperCase()}, reason ${d.reason}, evidence due ${due}` +
      (alert.livemode ? '' : ' (test mode)')
    const res = await fetch(slack, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    })
    if (!res.ok) throw new Error(`Slack answered ${res.status}`) // → 500 → Stripe redelivers; the upsert keeps one row
  }
}

function appUrl(): string {
  const url = process.env.APP_URL
  if (!url)
    throw new Error(
      'APP_URL is not set (e.g. https://support.example.com): the OAuth redirect URI is built from it',
    )
  return url.replace(/\/+$/, '')
}
