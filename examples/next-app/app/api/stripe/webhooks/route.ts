// POST /api/stripe/webhooks (the Connect endpoint in the Stripe Dashboard: "Events on connected accounts")
// 200 {received:true} | 400 {error:'Missing signature'} | 400 {error:'Invalid signature', code}
// | 413 (body over 1 MiB) | 500 (database or dispute sink failed: Stripe redelivers).
// The handler reads the raw body itself: do not call request.json() or request.text() before it.
import { stripeRoutes } from '@/lib/stripe-connect'

export function POST(request: Request): Promise<Response> {
  return stripeRoutes().webhook(request)
}
