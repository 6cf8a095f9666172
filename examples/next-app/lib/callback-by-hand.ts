// The callback written by hand, for an app that wants its own (the ready-made route is
// createRouteHandlers().callback): branch on err.code, never on the message.
import { StripeConnectError } from '@support/stripe-connect'
import { cookies } from 'next/headers'

import { stripeConnect } from '@/lib/stripe-connect'

const COOKIE = 'stripe_connect_state' // the name createRouteHandlers uses (cookieName)
const REASONS: Partial<Record<string, string>> = {
  oauth_access_denied: 'denied',
  oauth_invalid_state: 'invalid_state',
  oauth_state_used: 'invalid_state',
  oauth_state_expired: 'expired',
}

export async function callbackByHand(request: Request): Promise<Response> {
  const url = new URL(request.url)
  const jar = await cookies() // async since Next.js 15
  const state = jar.get(COOKIE)?.value
  jar.delete({ name: COOKIE, path: '/api/stripe/connect/callback' }) // single use, whatever happens
  let query: string
  try {
    const connection = await stripeConnect().handleCallback({ query: url.searchParams, state })
    query = `success=connected&app=${encodeURIComponent(connection.appSlug)}`
  } catch (err) {
    if (!(err instanceof StripeConnectError)) throw err
    // Connected at Stripe but not saved: save err.accountId by hand, never run the exchange again.
    if (err.code === 'store_failed')
      console.error('connected but not saved', err.accountId, err.requestId)
    query = `error=${REASONS[err.code] ?? 'oauth_failed'}`
  }
  // 303, as the ready-made callback answers: the browser follows it with a GET.
  const location = new URL(`/settings/integrations?${query}`, url)
  return new Response(null, { status: 303, headers: { location: location.href } })
}
