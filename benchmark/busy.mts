// `npm run bench:busy`: a busy support desk against Stripe's per-account rate limits (issue 22).
//
// The test kit's fake Stripe in its own process stands in for Stripe: 40 ms per request, and
// Stripe's test-mode limits enforced per connected account (25 requests a second, the Search API
// 20; beyond them Stripe's 429, docs.stripe.com/rate-limits). Five connected apps. 150
// conversations arrive over 30 s (a Poisson process with a fixed seed: 150 arrival times drawn
// uniformly over the 30 s), each about a different customer: `customerContext({ email })`, then on
// the conversation's app `paymentHistory`, `subscriptionStatus` and `disputes`, one after another.
// Every answer is checked against the data set. Then the same load split over 3 client processes
// (conversation i in process i % 3), each with `apiRateShare: 1/3`, against the same stand-in,
// which enforces the limits across all of them. Phase 1 runs its client in a child process too,
// so the two phases differ only in the split.
//
//   node --import tsx benchmark/busy.mts [--seconds 30] [--conversations 150] [--json out.json]

import { fork, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { CLIENT_ID, connectionsStore, KEY, REDIRECT } from './clients.mts'
import {
  APP_SLUGS,
  busyDisputed,
  busyEmail,
  FakeProcess,
  type BenchData,
  type FakeStats,
} from './fake-server.mts'
import { fmt, loadOurs, machine, percentile, sleep, table } from './lib.mts'

export const BUSY_LATENCY_MS = 40
/** Stripe's test-mode limits (the benchmark's key is a test key): docs.stripe.com/rate-limits. */
export const TEST_MODE_LIMITS = { requestsPerSecond: 25, searchesPerSecond: 20 }
const SEED = 22

/** One conversation: when it arrives (ms after the start), about whom, on which app. */
export interface Arrival {
  k: number
  at: number
  email: string
  app: number
}

/** What one client process reports for one conversation. */
interface Outcome {
  k: number
  /** From its arrival to the last answer, ms. */
  ms: number
  /** One entry per failed result: `<call>: <error code or what was wrong>`. */
  failures: string[]
}

export interface BusyPhase {
  processes: number
  apiRateShare: number
  conversations: number
  /** Calls made (4 per conversation). */
  results: number
  apiRequests: number
  rateLimited: number
  failedResults: number
  /** Failed results by `<call>: <code>`. */
  failureCodes: Record<string, number>
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** The most requests that reached one account in one second (all, and the ones answered 2xx). */
  peakPerAccountSecond: { received: number; admitted: number }
  /** When the last conversation ended, ms after the first could arrive. */
  lastDoneMs: number
}

export interface BusyResult {
  seconds: number
  conversations: number
  latencyMs: number
  limits: typeof TEST_MODE_LIMITS
  phases: BusyPhase[]
  load: string
}

/** mulberry32: a small seeded generator, so both phases (and every run) see the same arrivals. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * `n` arrivals over `seconds`: a Poisson process conditioned on `n` arrivals is `n` uniform times,
 * sorted. Conversation k is about customer k on app k % 5.
 */
export function arrivals(n: number, seconds: number): Arrival[] {
  const rand = random(SEED)
  const times = Array.from({ length: n }, () => rand() * seconds * 1000).sort((a, b) => a - b)
  return times.map((at, k) => ({ k, at, email: busyEmail(k), app: k % APP_SLUGS.length }))
}

// ---- the client side (one child process per client) ----

interface WorkerTask {
  data: BenchData
  share: number
  /** Epoch ms of time 0. */
  start: number
  arrivals: Arrival[]
}

function check(ok: boolean, what: string, failures: string[], name: string): void {
  if (!ok) failures.push(`${name}: ${what}`)
}

/** The four calls of one conversation, each answer checked against the data set. */
async function converse(client: any, data: BenchData, a: Arrival): Promise<string[]> {
  const failures: string[] = []
  const { accountId, appSlug } = data.apps[a.app]!
  const disputed = (app: number) => (busyDisputed(a.k, app) ? 1 : 0)
  const plan = (slug: string) => `${slug} Pro`
  const call = async (name: string, f: () => Promise<any>, verify: (r: any) => void) => {
    try {
      verify(await f())
    } catch (err: any) {
      failures.push(`${name}: ${err?.code ?? String(err)}`)
    }
  }
  await call(
    'customerContext',
    () => client.customerContext({ email: a.email }),
    (ctx) => {
      // One result: it fails if any app's part failed or came back incomplete.
      const wrong = new Set<string>()
      for (const [i, app] of ctx.apps.entries()) {
        if (app.error) wrong.add(app.error.code)
        else if (app.payments.length !== 2) wrong.add('payments')
        else if (app.subscriptions[0]?.planName !== plan(app.appSlug)) wrong.add('plan name')
        else if (!app.latestInvoice) wrong.add('no invoice')
        else if (app.openDisputes.length !== disputed(i)) wrong.add('disputes')
      }
      check(wrong.size === 0, [...wrong].sort().join(', '), failures, 'customerContext')
    },
  )
  const byAccount = { accountId, email: a.email }
  await call(
    'paymentHistory',
    () => client.paymentHistory(byAccount),
    (h) => check(h.payments.length === 2, 'payments', failures, 'paymentHistory'),
  )
  await call(
    'subscriptionStatus',
    () => client.subscriptionStatus(byAccount),
    (s) =>
      check(
        s.subscriptions.length === 1 && s.subscriptions[0].planName === plan(appSlug),
        'subscriptions',
        failures,
        'subscriptionStatus',
      ),
  )
  await call(
    'disputes',
    () => client.disputes(byAccount),
    (d) => check(d.disputes.length === disputed(a.app), 'disputes', failures, 'disputes'),
  )
  return failures
}

async function worker(task: WorkerTask): Promise<Outcome[]> {
  const { StripeConnect } = loadOurs()
  // The defaults a user gets (30 s per call, 2 retries, the customer cache), and the share.
  const client = new StripeConnect({
    secretKey: KEY,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT,
    apiBase: task.data.url,
    connectBase: task.data.url,
    apiRateShare: task.share,
    stores: { connections: connectionsStore(task.data) },
  })
  return Promise.all(
    task.arrivals.map(async (a) => {
      const arrives = task.start + a.at
      await sleep(Math.max(0, arrives - Date.now()))
      const failures = await converse(client, task.data, a)
      return { k: a.k, ms: Date.now() - arrives, failures }
    }),
  )
}

if (process.argv[2] === '--busy-worker') {
  process.once('message', (task: WorkerTask) => {
    void worker(task).then((outcomes) => {
      process.send!(outcomes, () => process.exit(0))
    })
  })
}

// ---- the runner ----

function startWorker(task: WorkerTask): Promise<Outcome[]> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--busy-worker'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    child.once('message', (m: Outcome[]) => resolve(m))
    child.once('exit', (code) => reject(new Error(`busy worker exited (${code}) without results`)))
    child.send(task)
  })
}

async function phase(fake: FakeProcess, plan: Arrival[], processes: number): Promise<BusyPhase> {
  await fake.clear()
  const share = 1 / processes
  // Time 0 leaves the workers time to load the package.
  const start = Date.now() + 3000
  const parts = Array.from({ length: processes }, (_, p) =>
    startWorker({
      data: fake.data,
      share,
      start,
      arrivals: plan.filter((a) => a.k % processes === p),
    }),
  )
  const outcomes = (await Promise.all(parts)).flat()
  const lastDoneMs = Date.now() - start
  const stats: FakeStats = await fake.stats()
  const failureCodes: Record<string, number> = {}
  for (const f of outcomes.flatMap((o) => o.failures)) failureCodes[f] = (failureCodes[f] ?? 0) + 1
  const times = outcomes.map((o) => o.ms)
  return {
    processes,
    apiRateShare: share,
    conversations: outcomes.length,
    results: outcomes.length * 4,
    apiRequests: stats.apiRequests,
    rateLimited: stats.rateLimited,
    failedResults: outcomes.reduce((n, o) => n + o.failures.length, 0),
    failureCodes,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    maxMs: Math.max(...times),
    peakPerAccountSecond: stats.peakPerAccountSecond,
    lastDoneMs,
  }
}

export async function runBusy(seconds = 30, conversations = 150): Promise<BusyResult> {
  const load = machine().load
  const fake = await FakeProcess.start(BUSY_LATENCY_MS, {
    rateLimits: TEST_MODE_LIMITS,
    busyCustomers: conversations,
  })
  try {
    const plan = arrivals(conversations, seconds)
    const phases: BusyPhase[] = []
    for (const processes of [1, 3]) {
      phases.push(await phase(fake, plan, processes))
      // Let the stand-in's windows empty before the next phase.
      await sleep(1500)
    }
    const violations = await fake.violations()
    if (violations.length > 0)
      throw new Error(`read-only violations: ${JSON.stringify(violations)}`)
    return {
      seconds,
      conversations,
      latencyMs: BUSY_LATENCY_MS,
      limits: TEST_MODE_LIMITS,
      phases,
      load,
    }
  } finally {
    await fake.close()
  }
}

export function busyTable(r: BusyResult): string {
  const s = (ms: number) => `${fmt(ms / 1000, 2)} s`
  const col = (p: BusyPhase) => ({
    requests: fmt(p.apiRequests),
    rateLimited: fmt(p.rateLimited),
    failed: `${p.failedResults} of ${fmt(p.results)}${
      p.failedResults
        ? ` (${Object.entries(p.failureCodes)
            .map(([c, n]) => `${c} ×${n}`)
            .join('; ')})`
        : ''
    }`,
    times: `${s(p.p50Ms)} / ${s(p.p99Ms)} (max ${s(p.maxMs)})`,
    peak: `${p.peakPerAccountSecond.received} (${p.peakPerAccountSecond.admitted} answered)`,
    last: s(p.lastDoneMs),
  })
  const cols = r.phases.map(col)
  const head = [
    '',
    ...r.phases.map((p) =>
      p.processes === 1
        ? '1 process (apiRateShare 1)'
        : `${p.processes} processes (apiRateShare 1/${p.processes} each)`,
    ),
  ]
  const row = (label: string, key: keyof ReturnType<typeof col>) => [
    label,
    ...cols.map((c) => c[key]),
  ]
  return table(head, [
    row('API requests', 'requests'),
    row('429s', 'rateLimited'),
    row('failed results (goal 0)', 'failed'),
    row('conversation time p50 / p99', 'times'),
    row(`peak requests in 1 s on one account (limit ${r.limits.requestsPerSecond})`, 'peak'),
    row(`last conversation done (arrivals end at ${r.seconds} s)`, 'last'),
  ])
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] !== '--busy-worker') {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name)
    return i > 0 ? process.argv[i + 1] : undefined
  }
  const seconds = Number(arg('--seconds') ?? 30)
  const conversations = Number(arg('--conversations') ?? 150)
  const m = machine()
  console.log(
    `Run ${new Date().toISOString()} on ${m.cpu}, ${m.nproc} cores, ${m.ramGiB} GiB RAM; Node ${m.node}; load average at start ${m.load}.`,
  )
  console.log(
    `${conversations} conversations over ${seconds} s on ${APP_SLUGS.length} apps, ${BUSY_LATENCY_MS} ms per request, ` +
      `Stripe's test-mode limits enforced per account (${TEST_MODE_LIMITS.requestsPerSecond}/s, Search ${TEST_MODE_LIMITS.searchesPerSecond}/s).\n`,
  )
  const result = await runBusy(seconds, conversations)
  console.log(busyTable(result))
  const out = arg('--json')
  if (out) writeFileSync(out, JSON.stringify(result, null, 2))
}
