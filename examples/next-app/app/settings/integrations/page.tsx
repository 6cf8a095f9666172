// /settings/integrations: where the callback route sends the user back, with ?success=connected&app=…
// or ?error=denied|invalid_state|expired|oauth_failed. A stand-in for the support app's own page.
import { Suspense } from 'react'

const ERRORS: Record<string, string> = {
  denied: 'You declined the connection on Stripe.',
  invalid_state:
    'The connection link was not valid (opened twice, or in another browser). Try again.',
  expired: 'The connection took too long. Try again.',
  oauth_failed: 'Stripe could not complete the connection. Try again later.',
}

type Search = Promise<Record<string, string | string[] | undefined>>

export default function IntegrationsPage({ searchParams }: { searchParams: Search }) {
  return (
    <main>
      <h1>Integrations</h1>
      {/* The query is request data: with cacheComponents it is read inside a Suspense boundary. */}
      <Suspense fallback={<p>Loading…</p>}>
        <ConnectResult searchParams={searchParams} />
      </Suspense>
    </main>
  )
}

async function ConnectResult({ searchParams }: { searchParams: Search }) {
  const query = await searchParams
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)
  const success = one(query.success)
  const error = one(query.error)
  if (success === 'connected')
    return <p id="stripe-connect-result">Stripe connected for {one(query.app) ?? 'the app'}.</p>
  if (error)
    return (
      <p id="stripe-connect-result" role="alert">
        {ERRORS[error] ?? 'Stripe could not be connected.'}
      </p>
    )
  return <p id="stripe-connect-result">Connect an app's Stripe account from its settings.</p>
}
