// 4. Throughput under load: 2,000 `paymentHistory` calls, 64 in flight, against the fake with 5 ms
// added to every request; the calls go round the five connected apps and 20 customers per app.
// Each side runs in a fresh process (so its peak RSS is its own) against a fake in another process;
// the fake counts the TCP connections each side opened. The reference side is the seed's payment
// history with the official package (customer by email, then their charges).
//
// Run alone: node --import tsx benchmark/throughput.mts [--calls 2000] [--concurrency 64] [--json out.json]

import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { FakeProcess, THROUGHPUT_CUSTOMERS, type BenchData } from './fake-server.mts'
import { officialClient, ourClient, seedPaymentHistory } from './clients.mts'
import { median, percentile } from './lib.mts'

export const THROUGHPUT_LATENCY_MS = 5
type Side = 'ours' | 'seed'

export interface ThroughputSide {
  calls: number
  concurrency: number
  errors: number
  wallMs: number
  callsPerSec: number
  /** API requests per second the side sent (ours sends list + search, then charges). */
  requestsPerSec: number
  requestsPerCall: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Peak RSS of the whole client process (`resourceUsage().maxRSS`). */
  peakRssMiB: number
  /** RSS after loading and one warm-up call, before the run. */
  baseRssMiB: number
  /** CPU time (user + system) the client process spent per call. */
  cpuUsPerCall: number
  tcpConnections: number
  /** CPU the fake Stripe process used during the run, as a share of one core (1.0 = saturated). */
  fakeCpuShare: number
}

export interface ThroughputResult {
  latencyMs: number
  ours: ThroughputSide | null
  seed: ThroughputSide
  oursError?: string
}

interface ChildReport {
  calls: number
  concurrency: number
  errors: number
  firstError: string | null
  wallMs: number
  latencies: number[]
  peakRssKiB: number
  baseRss: number
  cpuUs: number
}

/** In the child: one side's run. */
async function childRun(
  side: Side,
  data: BenchData,
  calls: number,
  concurrency: number,
): Promise<ChildReport> {
  const email = (i: number) =>
    `customer${Math.floor(i / data.apps.length) % THROUGHPUT_CUSTOMERS}@example.com`
  const account = (i: number) => data.apps[i % data.apps.length]!.accountId
  let call: (i: number) => Promise<number>
  if (side === 'ours') {
    const client = ourClient(data)
    if (typeof client.paymentHistory !== 'function')
      throw new Error('StripeConnect has no paymentHistory yet')
    call = async (i) =>
      (await client.paymentHistory({ accountId: account(i), email: email(i) })).payments.length
  } else {
    const stripe = officialClient(data)
    call = async (i) => (await seedPaymentHistory(stripe, account(i), email(i))).length
  }
  // One call to load everything; its connection is reused by the run.
  if ((await call(0)) !== 2) throw new Error(`${side}: expected 2 payments for customer0`)
  const baseRss = process.memoryUsage.rss()
  const latencies = new Array<number>(calls)
  let next = 0
  let errors = 0
  let firstError: string | null = null
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  async function worker() {
    for (;;) {
      const i = next++
      if (i >= calls) return
      const s = performance.now()
      try {
        if ((await call(i)) !== 2) throw new Error(`call ${i}: wrong number of payments`)
      } catch (e) {
        errors++
        firstError ??= `${(e as { code?: string }).code ?? ''} ${(e as Error).message}`
      }
      latencies[i] = performance.now() - s
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  return {
    calls,
    concurrency,
    errors,
    firstError,
    wallMs,
    latencies,
    peakRssKiB: process.resourceUsage().maxRSS,
    baseRss,
    cpuUs: cpu.user + cpu.system,
  }
}

function runSide(
  side: Side,
  data: BenchData,
  calls: number,
  concurrency: number,
): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--throughput-child',
        side,
        JSON.stringify(data),
        String(calls),
        String(concurrency),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let out = ''
    let err = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (err += c))
    child.on('exit', (code) => {
      if (code !== 0)
        return reject(
          new Error(
            `throughput child (${side}) exited ${code}: ${err.split('\n').find((l) => /Error/.test(l)) ?? err.slice(-300)}`,
          ),
        )
      resolve(JSON.parse(out.trim().split('\n').pop()!))
    })
  })
}

function summarise(
  r: ChildReport,
  requests: number,
  connections: number,
  fakeCpuUs: number,
): ThroughputSide {
  return {
    calls: r.calls,
    concurrency: r.concurrency,
    errors: r.errors,
    wallMs: r.wallMs,
    callsPerSec: (r.calls / r.wallMs) * 1000,
    requestsPerSec: (requests / r.wallMs) * 1000,
    requestsPerCall: requests / r.calls,
    p50Ms: median(r.latencies),
    p99Ms: percentile(r.latencies, 99),
    maxMs: Math.max(...r.latencies),
    peakRssMiB: r.peakRssKiB / 1024,
    baseRssMiB: r.baseRss / 2 ** 20,
    cpuUsPerCall: r.cpuUs / r.calls,
    tcpConnections: connections,
    fakeCpuShare: fakeCpuUs / 1000 / r.wallMs,
  }
}

export async function runThroughput(calls = 2000, concurrency = 64): Promise<ThroughputResult> {
  const result: Partial<ThroughputResult> = { latencyMs: THROUGHPUT_LATENCY_MS }
  for (const side of ['seed', 'ours'] as const) {
    // A fresh fake per side: its connection counter and request log start at zero.
    const fake = await FakeProcess.start(THROUGHPUT_LATENCY_MS)
    try {
      const before = await fake.stats()
      const r = await runSide(side, fake.data, calls, concurrency)
      const stats = await fake.stats()
      if (r.errors > 0)
        throw new Error(`${side}: ${r.errors} of ${calls} calls failed, first: ${r.firstError}`)
      // The warm-up call's requests are in the log too: take them out of the per-call count.
      const perCall = stats.apiRequests / (calls + 1)
      // The fake's CPU while the child ran (its one warm-up call included), over the run's wall time.
      result[side] = summarise(r, perCall * calls, stats.connections, stats.cpuUs - before.cpuUs)
    } catch (e) {
      if (side === 'seed') throw e
      result.ours = null
      result.oursError = (e as Error).message
    } finally {
      await fake.close()
    }
  }
  return result as ThroughputResult
}

if (process.argv[2] === '--throughput-child') {
  const [, , , side, data, calls, concurrency] = process.argv
  const r = await childRun(side as Side, JSON.parse(data!), Number(calls), Number(concurrency))
  process.stdout.write(`${JSON.stringify(r)}\n`)
  process.exit(0)
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, d: number) => {
    const i = process.argv.indexOf(name)
    return i > 0 ? Number(process.argv[i + 1]) : d
  }
  const result = await runThroughput(arg('--calls', 2000), arg('--concurrency', 64))
  console.log(JSON.stringify(result, null, 2))
  const out = process.argv.indexOf('--json')
  if (out > 0) writeFileSync(process.argv[out + 1], JSON.stringify(result, null, 2))
}
