// The two ways of reading Stripe the benchmarks compare, both pointed at the fake:
// this package's client (with a JS connections store holding the five apps), and the official
// `stripe` package used the way the seed code used it (one app after another, one request after
// another).

import { loadOurs, loadStripe } from './lib.mts'
import type { BenchData } from './fake-server.mts'

export const KEY = 'sk_test_benchmark'
export const CLIENT_ID = 'ca_benchmark'
export const REDIRECT = 'http://localhost:3000/api/stripe/connect/callback'

export interface Row {
  appSlug: string
  accountId: string
  livemode: boolean
  scope: 'read_write' | 'read_only'
}

/** A connections store as a JS object (what the Drizzle adapter is), pre-filled with the apps. */
export function connectionsStore(data: BenchData) {
  const rows: Row[] = data.apps.map((a) => ({ ...a, livemode: false, scope: 'read_write' }))
  return {
    async save(row: Row) {
      const i = rows.findIndex((r) => r.appSlug === row.appSlug)
      if (i >= 0) rows[i] = row
      else rows.push(row)
    },
    async clearByAccount(accountId: string) {
      for (let i = rows.length - 1; i >= 0; i--)
        if (rows[i]!.accountId === accountId) rows.splice(i, 1)
    },
    async getBySlug(appSlug: string) {
      return rows.find((r) => r.appSlug === appSlug) ?? null
    },
    async getByAccount(accountId: string) {
      return rows.find((r) => r.accountId === accountId) ?? null
    },
    async list() {
      return rows.slice()
    },
  }
}

/**
 * This package's client over the bench data. `cacheTtlMs` defaults to 0 here: the fan-out and
 * throughput benchmarks measure the requests themselves (a conversation's reuse of the customer
 * resolution is measured by `conversation.mts`).
 */
export function ourClient(data: BenchData, options: { cacheTtlMs?: number } = {}): any {
  const { StripeConnect } = loadOurs()
  return new StripeConnect({
    cacheTtlMs: options.cacheTtlMs ?? 0,
    secretKey: KEY,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT,
    webhookSecrets: ['whsec_benchmark'],
    apiBase: data.url,
    connectBase: data.url,
    timeoutMs: 30_000,
    maxRetries: 0,
    stores: { connections: connectionsStore(data) },
  })
}

export function officialClient(data: BenchData): any {
  const Stripe = loadStripe()
  const u = new URL(data.url)
  return new Stripe(KEY, {
    host: u.hostname,
    port: Number(u.port),
    protocol: 'http',
    maxNetworkRetries: 0,
    timeout: 30_000,
  })
}

export interface SeedApp {
  appSlug: string
  customerId: string | null
  paymentIds: string[]
  subscriptionIds: string[]
  disputedChargeIds: string[]
}

/**
 * The seed's customer lookup: for each app in turn, find the customer by email, then list their
 * charges, then their subscriptions, each request waiting for the one before.
 */
export async function seedCustomerContext(
  stripe: any,
  data: BenchData,
  email: string,
): Promise<SeedApp[]> {
  const out: SeedApp[] = []
  for (const app of data.apps) {
    const opts = { stripeAccount: app.accountId }
    const customers = await stripe.customers.list({ email }, opts)
    const customer = customers.data[0]
    if (!customer) {
      out.push({
        appSlug: app.appSlug,
        customerId: null,
        paymentIds: [],
        subscriptionIds: [],
        disputedChargeIds: [],
      })
      continue
    }
    const charges = await stripe.charges.list({ customer: customer.id, limit: 25 }, opts)
    const subscriptions = await stripe.subscriptions.list({ customer: customer.id }, opts)
    out.push({
      appSlug: app.appSlug,
      customerId: customer.id,
      paymentIds: charges.data.map((c: { id: string }) => c.id),
      subscriptionIds: subscriptions.data.map((s: { id: string }) => s.id),
      disputedChargeIds: charges.data
        .filter((c: { disputed: boolean }) => c.disputed)
        .map((c: { id: string }) => c.id),
    })
  }
  return out
}

/** The seed's payment history for one app: the customer by email, then their charges. */
export async function seedPaymentHistory(
  stripe: any,
  accountId: string,
  email: string,
): Promise<string[]> {
  const opts = { stripeAccount: accountId }
  const customers = await stripe.customers.list({ email }, opts)
  const customer = customers.data[0]
  if (!customer) return []
  const charges = await stripe.charges.list({ customer: customer.id, limit: 25 }, opts)
  return charges.data.map((c: { id: string }) => c.id)
}
