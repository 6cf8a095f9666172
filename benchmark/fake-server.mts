// The test kit's fake Stripe in its own process, driven over IPC, so that the client being measured
// (its CPU, event loop and RSS) does not share a process with the server answering it.
// Started by `startFakeProcess()`; not meant to be run by hand.

import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const EMAIL = 'jenny.rosen@example.com'
export const APP_SLUGS = ['helpdesk', 'billing', 'store', 'academy', 'mobile'] as const
/** Customers per app in the throughput data set (emails `customer<k>@example.com`). */
export const THROUGHPUT_CUSTOMERS = 20

/** The busy desk's customer `k` (`bench:busy`): one email per conversation. */
export const busyEmail = (k: number) => `busy${k}@example.com`
/**
 * Whether busy customer `k` has a dispute in app `app` (0–4): every third customer, in the app
 * their conversation is about (`k % 5`), on the first of their two charges.
 */
export const busyDisputed = (k: number, app: number) => k % 3 === 0 && app === k % 5

export interface FakeOptions {
  /** Stripe's per-account limits, enforced by the fake (the kit's `rateLimits`). */
  rateLimits?: { requestsPerSecond: number; searchesPerSecond: number }
  /**
   * Adds busy customers `0…n-1` to every app: each with two charges, an active subscription to
   * the app's one plan (named by its product, `<slug> Pro`) and a paid invoice for it, and a
   * dispute where `busyDisputed` says.
   */
  busyCustomers?: number
}

export interface BenchData {
  url: string
  /** One connected account per app slug. */
  apps: { appSlug: string; accountId: string }[]
}

export interface FakeStats {
  connections: number
  openConnections: number
  apiRequests: number
  /** CPU time (user + system) the fake's process has used, µs: shows when the server is the bottleneck. */
  cpuUs: number
  /** API requests per `<Stripe-Account> <path>`. */
  byAccountPath: Record<string, number>
  /** API requests answered 429. */
  rateLimited: number
  /** The most API requests that arrived on one account within one second (a sliding window), and of them answered 2xx. */
  peakPerAccountSecond: { received: number; admitted: number }
}

type Command =
  | { cmd: 'latency'; ms: number }
  | { cmd: 'stats' }
  | { cmd: 'clear' }
  | { cmd: 'violations' }

/** A fake Stripe in a child process, seeded with the benchmark data set. */
export class FakeProcess {
  private seq = 0
  private readonly pending = new Map<number, (v: unknown) => void>()
  private constructor(
    private readonly child: ChildProcess,
    readonly data: BenchData,
  ) {
    child.on('message', (m: { id: number; result: unknown }) => {
      this.pending.get(m.id)?.(m.result)
      this.pending.delete(m.id)
    })
  }

  static async start(latencyMs: number, options: FakeOptions = {}): Promise<FakeProcess> {
    const args = ['--fake-stripe-child', String(latencyMs), JSON.stringify(options)]
    const child = fork(fileURLToPath(import.meta.url), args, {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const data = await new Promise<BenchData>((resolve, reject) => {
      child.once('message', (m: { ready: BenchData }) => resolve(m.ready))
      child.once('exit', (code) =>
        reject(new Error(`fake Stripe process exited (${code}) before it was ready`)),
      )
    })
    return new FakeProcess(child, data)
  }

  private send<T>(c: Command): Promise<T> {
    const id = ++this.seq
    return new Promise((resolve) => {
      this.pending.set(id, resolve as (v: unknown) => void)
      this.child.send({ id, ...c })
    })
  }

  latency(ms: number): Promise<void> {
    return this.send({ cmd: 'latency', ms })
  }
  stats(): Promise<FakeStats> {
    return this.send({ cmd: 'stats' })
  }
  /** Empties the request log (the connection counter keeps counting). */
  clear(): Promise<void> {
    return this.send({ cmd: 'clear' })
  }
  violations(): Promise<unknown[]> {
    return this.send({ cmd: 'violations' })
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve())
      this.child.kill('SIGTERM')
    })
  }
}

/** The most of `times` (ms, sorted) within any one second. */
function peakPerSecond(times: number[]): number {
  let peak = 0
  for (let i = 0, j = 0; j < times.length; j++) {
    while (times[j]! - times[i]! >= 1000) i++
    peak = Math.max(peak, j - i + 1)
  }
  return peak
}

function peakPerAccountSecond(requests: { account: string | null; at: number }[]): number {
  const byAccount = new Map<string, number[]>()
  for (const r of requests) {
    const times = byAccount.get(r.account ?? '') ?? []
    times.push(r.at)
    byAccount.set(r.account ?? '', times)
  }
  return Math.max(0, ...[...byAccount.values()].map((t) => peakPerSecond(t.sort((a, b) => a - b))))
}

async function child(latencyMs: number, options: FakeOptions): Promise<void> {
  const { startFakeStripe } = await import('../bindings/src/testing/index.ts')
  const fake = await startFakeStripe({ latencyMs, rateLimits: options.rateLimits })
  const apps: BenchData['apps'] = []
  for (const [i, appSlug] of APP_SLUGS.entries()) {
    const accountId = fake.createAccount({ id: `acct_bench${i}${appSlug}`.slice(0, 21) })
    apps.push({ appSlug, accountId })
    // The customer of the fan-out: a few payments, an active subscription (its plan named by its
    // product, as on most Stripe prices: no price nickname), and in two apps a dispute on one charge.
    const jenny = fake.addCustomer(accountId, { email: EMAIL, name: 'Jenny Rosen' })
    const charges = [2500, 4900, 1200].map((amount, k) =>
      fake.addCharge(accountId, { customer: jenny, amount, description: `Order ${i}-${k}` }),
    )
    fake.addSubscription(accountId, {
      customer: jenny,
      status: 'active',
      product_name: `${appSlug} Pro`,
    })
    if (i % 2 === 1) fake.addDispute(accountId, { charge: charges[0]!.id, reason: 'fraudulent' })
    // The throughput set: other customers with a couple of payments each.
    for (let k = 0; k < THROUGHPUT_CUSTOMERS; k++) {
      const c = fake.addCustomer(accountId, { email: `customer${k}@example.com` })
      fake.addCharge(accountId, { customer: c, amount: 1000 + k })
      fake.addCharge(accountId, { customer: c, amount: 2000 + k })
    }
    // The busy desk's customers.
    if (options.busyCustomers) {
      const product = fake.addProduct(accountId, { name: `${appSlug} Pro` })
      const price = fake.addPrice(accountId, { product: product.id, unit_amount: 2900 })
      for (let k = 0; k < options.busyCustomers; k++) {
        const customer = fake.addCustomer(accountId, { email: busyEmail(k) })
        const charges = [2900, 4900].map((amount, n) =>
          fake.addCharge(accountId, { customer, amount, description: `Busy ${k}-${n}` }),
        )
        const subscription = fake.addSubscription(accountId, { customer, status: 'active', price })
        fake.addInvoice(accountId, { customer, subscription, status: 'paid', amount_due: 2900 })
        if (busyDisputed(k, i))
          fake.addDispute(accountId, { charge: charges[0]!.id, reason: 'product_not_received' })
      }
    }
  }
  process.on('message', (m: { id: number } & Command) => {
    let result: unknown = null
    switch (m.cmd) {
      case 'latency':
        fake.latencyMs = m.ms
        break
      case 'stats':
        result = {
          connections: fake.connections,
          openConnections: fake.openConnections,
          apiRequests: fake.apiRequests().length,
          cpuUs: process.cpuUsage().user + process.cpuUsage().system,
          byAccountPath: fake.apiRequests().reduce<Record<string, number>>((counts, r) => {
            const key = `${r.account} ${r.path}`
            counts[key] = (counts[key] ?? 0) + 1
            return counts
          }, {}),
          rateLimited: fake.apiRequests().filter((r) => r.status === 429).length,
          peakPerAccountSecond: {
            received: peakPerAccountSecond(fake.apiRequests()),
            admitted: peakPerAccountSecond(
              fake.apiRequests().filter((r) => r.status !== null && r.status < 300),
            ),
          },
        }
        break
      case 'clear':
        fake.clearRequests()
        break
      case 'violations':
        result = fake.violations
        break
    }
    process.send!({ id: m.id, result })
  })
  process.on('SIGTERM', () => {
    void fake.close().then(() => process.exit(0))
  })
  process.send!({ ready: { url: fake.url, apps } })
}

if (process.argv[2] === '--fake-stripe-child')
  void child(Number(process.argv[3]), JSON.parse(process.argv[4] ?? '{}') as FakeOptions)
