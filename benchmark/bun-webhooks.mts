// 1b. Webhook `constructEvent` under Bun (the support app runs on Bun on Vercel): this package's
// `constructEvent` against the official package on the same signed payloads, in one Bun process,
// rounds interleaved, medians reported. Under Bun the official package's sync `constructEvent`
// cannot verify (its crypto provider is async-only there), so its `constructEventAsync` is what a
// Bun user runs by default; the sync one is used if it works. Also measured: the official sync
// `constructEvent` given a node:crypto `CryptoProvider` (what a Bun user can set up by hand, and
// the stricter comparison).
//
// Run: node_modules/.bin/bun benchmark/bun-webhooks.mts [--json out.json] [--quick]
// (`npm run bench` runs it in a Bun child process when Bun is installed.)

import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { writeFileSync } from 'node:fs'

import { BENCH_NOW, BENCH_SECRET, disputeEvent } from './payload.mts'
import { loadOurs, loadStripe, median } from './lib.mts'

const quick = process.argv.includes('--quick')
const ROUND_MS = quick ? 20 : 50
const WARMUP_ROUNDS = quick ? 3 : 6
const ROUNDS = quick ? 7 : 25

export interface BunCase {
  size: number
  payloadType: 'string' | 'Buffer'
  theirsEntry: string
  oursNsPerOp: number
  theirsNsPerOp: number
  rounds: number
}

type Op = () => unknown

/** Both sides are awaited (ours returns a plain value, so it pays an extra microtask). */
async function batch(fn: Op, n: number): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) await fn()
  return ((performance.now() - t0) * 1e6) / n
}

async function calibrate(fn: Op): Promise<number> {
  for (let i = 0; i < 200; i++) await fn()
  let n = 0
  const t0 = performance.now()
  while (performance.now() - t0 < ROUND_MS / 2) {
    await fn()
    n++
  }
  return Math.max(10, n * 2)
}

async function compare(a: Op, b: Op): Promise<{ a: number; b: number }> {
  const [na, nb] = [await calibrate(a), await calibrate(b)]
  const ra: number[] = []
  const rb: number[] = []
  for (let r = 0; r < WARMUP_ROUNDS + ROUNDS; r++) {
    let ta: number, tb: number
    if (r % 2 === 0) {
      ta = await batch(a, na)
      tb = await batch(b, nb)
    } else {
      tb = await batch(b, nb)
      ta = await batch(a, na)
    }
    if (r >= WARMUP_ROUNDS) {
      ra.push(ta)
      rb.push(tb)
    }
  }
  return { a: median(ra), b: median(rb) }
}

export async function runBunWebhooks(): Promise<{ bun: string; cases: BunCase[] }> {
  const ours = loadOurs()
  const Stripe = loadStripe()
  const stripe = new Stripe('sk_test_benchmark')
  const secret = BENCH_SECRET
  const now = BENCH_NOW
  const receivedAtMs = now * 1000
  const cases: BunCase[] = []
  for (const size of [2 * 1024, 20 * 1024]) {
    const text = disputeEvent(size)
    const bytes = Buffer.from(text)
    const header = `t=${now},v1=${createHmac('sha256', secret).update(`${now}.${text}`).digest('hex')}`
    const expected = JSON.parse(text)
    let sync = true
    try {
      stripe.webhooks.constructEvent(text, header, secret, 300, undefined, receivedAtMs)
    } catch {
      sync = false
    }
    const byDefault = sync
      ? (p: string | Buffer) =>
          stripe.webhooks.constructEvent(p, header, secret, 300, undefined, receivedAtMs)
      : (p: string | Buffer) =>
          stripe.webhooks.constructEventAsync(p, header, secret, 300, undefined, receivedAtMs)
    const nodeCrypto = {
      computeHMACSignature: (payload: string, key: string) =>
        createHmac('sha256', key).update(payload, 'utf8').digest('hex'),
      computeHMACSignatureAsync: async (payload: string, key: string) =>
        createHmac('sha256', key).update(payload, 'utf8').digest('hex'),
      computeSHA256Async: async (data: Uint8Array) =>
        new Uint8Array(createHash('sha256').update(data).digest()),
    }
    const withNodeCrypto = (p: string | Buffer) =>
      stripe.webhooks.constructEvent(p, header, secret, 300, nodeCrypto, receivedAtMs)
    const sides = [
      [sync ? 'constructEvent' : 'constructEventAsync', byDefault],
      ['constructEvent + node:crypto CryptoProvider', withNodeCrypto],
    ] as const
    for (const [payloadType, payload] of [
      ['string', text],
      ['Buffer', bytes],
    ] as const) {
      for (const [theirsEntry, theirs] of sides) {
        // Checked before timing: both return the event.
        assert.deepEqual(ours.constructEvent(payload, header, secret, { now }), expected)
        assert.deepEqual(await theirs(payload), expected)
        const r = await compare(
          () => ours.constructEvent(payload, header, secret, { now }).data.object.id.length,
          async () => (await theirs(payload)).data.object.id.length,
        )
        cases.push({
          size: bytes.length,
          payloadType,
          theirsEntry,
          oursNsPerOp: r.a,
          theirsNsPerOp: r.b,
          rounds: ROUNDS,
        })
      }
    }
  }
  return { bun: (globalThis as { Bun?: { version: string } }).Bun?.version ?? 'not Bun', cases }
}

if (
  (import.meta as ImportMeta & { main?: boolean }).main ||
  import.meta.url === `file://${process.argv[1]}`
) {
  const result = await runBunWebhooks()
  for (const c of result.cases) {
    console.log(
      `Bun ${result.bun} constructEvent ${String(c.size).padStart(6)} B ${c.payloadType.padEnd(6)} ours ${c.oursNsPerOp.toFixed(0)} ns/op, stripe ${c.theirsEntry} ${c.theirsNsPerOp.toFixed(0)} ns/op: ${(c.theirsNsPerOp / c.oursNsPerOp).toFixed(2)}×`,
    )
  }
  const out = process.argv.indexOf('--json')
  if (out > 0) writeFileSync(process.argv[out + 1], JSON.stringify(result, null, 2))
}
