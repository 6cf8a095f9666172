// GET /api/stripe/connect/callback (the redirect URI configured in the Stripe Dashboard)
// Verifies the state, exchanges the code, saves the connection on the apps row, clears the cookie and
// 303s to /settings/integrations?success=connected&app=<slug> or ?error=denied|invalid_state|expired|oauth_failed.
import { connection } from 'next/server'

import { stripeRoutes } from '@/lib/stripe-connect'

export async function GET(request: Request): Promise<Response> {
  await connection()
  return stripeRoutes().callback(request)
}
