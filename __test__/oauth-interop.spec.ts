// The authorize URL against the official `stripe` package's `oauth.authorizeUrl` for the same
// inputs: same endpoint, same parameters decoded to the same values (the state aside, which is ours).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import Stripe from 'stripe'
import { StripeConnect } from '@support/stripe-connect'

const CLIENT_ID = 'ca_FkyHCg7X8mlvCUdMDao4mMxagUfhIwXb'
// Stripe matches redirect_uri byte for byte: a host in capitals and a query must survive as written.
const REDIRECT = 'https://Support.Example.com/api/stripe/connect/callback?x=1&y=a%20b'

/** Every parameter, decoded, with repeated keys kept, in a stable order. */
function params(url: URL): [string, string][] {
  return [...url.searchParams.entries()].sort(([a], [b]) => a.localeCompare(b))
}

const cases: {
  name: string
  scope: 'read_write' | 'read_only'
  prefill?: Record<string, string>
}[] = [
  { name: 'no prefill, read_write', scope: 'read_write' },
  { name: 'read_only (Extension apps)', scope: 'read_only' },
  {
    name: 'prefill with characters that need encoding',
    scope: 'read_write',
    prefill: {
      email: 'jane+test@example.com',
      url: 'https://shop.example.com/a?b=c&d=e',
      businessName: 'Jane & Sons, "Ltd"',
      country: 'DE',
    },
  },
]

for (const c of cases) {
  test(`authorizeUrl matches stripe.oauth.authorizeUrl: ${c.name}`, () => {
    const ours = new StripeConnect({
      secretKey: 'sk_test_interop',
      clientId: CLIENT_ID,
      redirectUri: REDIRECT,
      scope: c.scope,
    })
    const { url, state } = ours.authorizeUrl({ appSlug: 'helpdesk', prefill: c.prefill })

    const official = new Stripe('sk_test_interop')
    const stripeUser: Record<string, string> = {}
    if (c.prefill?.email) stripeUser.email = c.prefill.email
    if (c.prefill?.url) stripeUser.url = c.prefill.url
    if (c.prefill?.businessName) stripeUser.business_name = c.prefill.businessName
    if (c.prefill?.country) stripeUser.country = c.prefill.country
    const theirs = new URL(
      official.oauth.authorizeUrl({
        response_type: 'code',
        client_id: CLIENT_ID,
        scope: c.scope,
        redirect_uri: REDIRECT,
        state,
        ...(c.prefill ? { stripe_user: stripeUser } : {}),
      } as Parameters<typeof official.oauth.authorizeUrl>[0]),
    )
    const mine = new URL(url)

    assert.equal(`${mine.origin}${mine.pathname}`, `${theirs.origin}${theirs.pathname}`)
    assert.equal(mine.origin, 'https://connect.stripe.com')
    assert.equal(mine.pathname, '/oauth/authorize')
    assert.deepEqual(params(mine), params(theirs))
    assert.equal(mine.searchParams.get('redirect_uri'), REDIRECT)
    assert.equal(mine.searchParams.get('scope'), c.scope)
  })
}
