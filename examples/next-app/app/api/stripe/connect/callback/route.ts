// GET /api/stripe/connect/callback (the redirect URI configured in the Stripe Dashboard)
// Verifies the state, exchanges the code, saves the connection on the apps row, clears the cookie and
// redirects to /settings/integrations?success=connected&app=<slug> or ?error=denied|invalid_state|expired|oauth_failed.
import { stripeRoutes } from '@/lib/stripe-connect'

export const runtime = 'nodejs'

export function GET(request: Request): Promise<Response> {
  return stripeRoutes().callback(request)
}
