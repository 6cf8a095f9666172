// GET /api/stripe/connect/authorize?appSlug=<slug>
// 307 to Stripe's consent page; the OAuth state goes in an httpOnly cookie limited to the callback.
import { stripeRoutes } from '@/lib/stripe-connect'

export const runtime = 'nodejs' // a native addon: never the Edge runtime

export function GET(request: Request): Promise<Response> {
  return stripeRoutes().authorize(request)
}
