// GET /api/support/customer?email=<email>
// What the support agent sees about a customer: payments, subscriptions and open disputes in every
// connected app (one app failing is reported in its own `error`, the others still answer).
import { StripeConnectError } from '@support/stripe-connect'
import { connection } from 'next/server'

import { stripeConnect } from '@/lib/stripe-connect'

export async function GET(request: Request): Promise<Response> {
  await connection()
  // In the support app this route sits behind the agent's sign-in, like every /api/support route.
  const email = new URL(request.url).searchParams.get('email')
  if (!email) return Response.json({ error: 'Missing email' }, { status: 400 })
  try {
    return Response.json(await stripeConnect().customerContext({ email }))
  } catch (err) {
    if (err instanceof StripeConnectError && err.code === 'invalid_input')
      return Response.json({ error: err.message, code: err.code }, { status: 400 })
    throw err
  }
}
