// GET /api/stripe/connect/authorize?appSlug=<slug>
// 307 to Stripe's consent page; the OAuth state goes in an httpOnly cookie limited to the callback.
// Node.js is the default runtime of route handlers (the native addon cannot run on the Edge runtime).
import { connection } from 'next/server'

import { stripeRoutes } from '@/lib/stripe-connect'

export async function GET(request: Request): Promise<Response> {
  // Render at request time, never at build time: the configuration comes from the environment.
  await connection()
  return stripeRoutes().authorize(request)
}
