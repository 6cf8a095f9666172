// 1. Webhook verification: this package's `constructEvent` against `stripe.webhooks.constructEvent`
// on the same signed `charge.dispute.created` payloads, and verify-only against
// `stripe.webhooks.signature.verifyHeader`. Results are checked equal before anything is timed;
// rounds interleave the two sides (alternating which goes first); the median round is reported.
//
// Run alone: node --expose-gc --import tsx benchmark/webhooks.ts [--json out.json] [--quick]

import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { writeFileSync } from 'node:fs'

import { BENCH_NOW, BENCH_SECRET, disputeEvent } from './payload.mts'
import { loadOurs, loadStripe, median } from './lib.mts'

const quick = process.argv.includes('--quick')
const ROUND_MS = quick ? 20 : 50
const WARMUP_ROUNDS = quick ? 3 : 6
const ROUNDS = quick ? 7 : 25
const SIZES = [2 * 1024, 20 * 1024]

type Op = () => number

export interface WebhookCase {
  size: number
  payloadType: 'string' | 'Buffer'
  /** `floor`: ours' verify-only entry followed by `JSON.parse` — what `constructEvent` would cost
   * without checking that the body is a Stripe event (diagnostic). */
  op: 'constructEvent' | 'constructEventNoOptions' | 'verify' | 'floor'
  /** What "ours" ran for this case (the verify-only entry may be missing from the binding). */
  oursEntry: string
  theirsEntry: string
  /** Median wall-clock ns per operation. */
  oursNsPerOp: number
  theirsNsPerOp: number
  /** Median CPU ns (user + system, whole process) per operation: less sensitive to a busy machine. */
  oursCpuNsPerOp: number
  theirsCpuNsPerOp: number
  rounds: number
  opsPerRound: [number, number]
}

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc

/** One timed batch: [wall ns/op, CPU ns/op]. */
function batch(fn: Op, n: number): [number, number] {
  gc?.()
  let sink = 0
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) sink += fn()
  const ns = Number(process.hrtime.bigint() - t0)
  const c = process.cpuUsage(c0)
  if (sink === -1) console.log('unreachable')
  return [ns / n, ((c.user + c.system) * 1000) / n]
}

/** Operations per ROUND_MS, measured after a short warm-up. */
function calibrate(fn: Op): number {
  for (let i = 0; i < 200; i++) fn()
  let n = 0
  const t0 = process.hrtime.bigint()
  const limit = BigInt(ROUND_MS * 1e6) / 2n
  while (process.hrtime.bigint() - t0 < limit) {
    fn()
    n++
  }
  return Math.max(10, n * 2)
}

/** Interleaved rounds of `a` and `b`; the median ns/op of each. */
function compare(
  a: Op,
  b: Op,
): { a: number; b: number; cpuA: number; cpuB: number; rounds: number; n: [number, number] } {
  const na = calibrate(a)
  const nb = calibrate(b)
  const ra: [number, number][] = []
  const rb: [number, number][] = []
  for (let r = 0; r < WARMUP_ROUNDS + ROUNDS; r++) {
    let ta: [number, number], tb: [number, number]
    if (r % 2 === 0) {
      ta = batch(a, na)
      tb = batch(b, nb)
    } else {
      tb = batch(b, nb)
      ta = batch(a, na)
    }
    if (r >= WARMUP_ROUNDS) {
      ra.push(ta)
      rb.push(tb)
    }
  }
  return {
    a: median(ra.map((x) => x[0])),
    b: median(rb.map((x) => x[0])),
    cpuA: median(ra.map((x) => x[1])),
    cpuB: median(rb.map((x) => x[1])),
    rounds: ROUNDS,
    n: [na, nb],
  }
}

export function runWebhooks(): { cases: WebhookCase[]; payloadBytes: Record<number, number> } {
  const ours = loadOurs()
  const Stripe = loadStripe()
  const stripe = new Stripe('sk_test_benchmark')
  const secret = BENCH_SECRET
  const now = BENCH_NOW
  const receivedAtMs = now * 1000 // the official package takes milliseconds
  const opts = { now }

  assert.equal(typeof ours.constructEvent, 'function', 'this package exports constructEvent')
  const oursVerify: ((...a: unknown[]) => unknown) | undefined =
    ours.verifySignature ?? ours.verifyHeader

  const cases: WebhookCase[] = []
  const payloadBytes: Record<number, number> = {}
  for (const size of SIZES) {
    const text = disputeEvent(size)
    const bytes = Buffer.from(text)
    payloadBytes[size] = bytes.length
    const header = `t=${now},v1=${createHmac('sha256', secret).update(`${now}.${text}`).digest('hex')}`

    // Checked before timing: the three signers agree, both sides accept, both sides return the
    // same event, both sides reject a tampered body.
    assert.equal(ours.generateTestHeader({ payload: text, secret, timestamp: now }), header)
    assert.equal(
      stripe.webhooks.generateTestHeaderString({ payload: text, secret, timestamp: now }),
      header,
    )
    const expected = JSON.parse(text)
    for (const payload of [text, bytes]) {
      const mine = ours.constructEvent(payload, header, secret, opts)
      const theirs = stripe.webhooks.constructEvent(
        payload,
        header,
        secret,
        300,
        undefined,
        receivedAtMs,
      )
      assert.deepEqual(mine, expected)
      assert.deepEqual(theirs, expected)
      assert.equal(mine.data.object.id, 'dp_1Pgc71B7WZ01zgkWMevJiAUx')
      assert.equal(
        stripe.webhooks.signature.verifyHeader(
          payload,
          header,
          secret,
          300,
          undefined,
          receivedAtMs,
        ),
        true,
      )
      if (oursVerify) oursVerify(payload, header, secret, opts)
      const tampered =
        typeof payload === 'string'
          ? payload.replace('"amount": 1000', '"amount": 9000')
          : Buffer.from(text.replace('"amount": 1000', '"amount": 9000'))
      assert.throws(() => ours.constructEvent(tampered, header, secret, opts))
      assert.throws(() =>
        stripe.webhooks.constructEvent(tampered, header, secret, 300, undefined, receivedAtMs),
      )
      if (oursVerify) assert.throws(() => oursVerify(tampered, header, secret, opts))
    }

    // Without an options argument both sides read the system clock: a header signed now.
    const live = Math.floor(Date.now() / 1000)
    const liveHeader = `t=${live},v1=${createHmac('sha256', secret).update(`${live}.${text}`).digest('hex')}`
    for (const payload of [text, bytes]) {
      assert.deepEqual(ours.constructEvent(payload, liveHeader, secret), expected)
      assert.deepEqual(stripe.webhooks.constructEvent(payload, liveHeader, secret), expected)
    }

    for (const [payloadType, payload] of [
      ['string', text],
      ['Buffer', bytes],
    ] as const) {
      const bare = compare(
        () => ours.constructEvent(payload, liveHeader, secret).data.object.id.length,
        () => stripe.webhooks.constructEvent(payload, liveHeader, secret).data.object.id.length,
      )
      cases.push({
        size: bytes.length,
        payloadType,
        op: 'constructEventNoOptions',
        oursEntry: 'constructEvent(payload, header, secret)',
        theirsEntry: 'stripe.webhooks.constructEvent(payload, header, secret)',
        oursNsPerOp: bare.a,
        theirsNsPerOp: bare.b,
        oursCpuNsPerOp: bare.cpuA,
        theirsCpuNsPerOp: bare.cpuB,
        rounds: bare.rounds,
        opsPerRound: bare.n,
      })
      // With the whole event materialised and `data.object` read.
      const construct = compare(
        () => ours.constructEvent(payload, header, secret, opts).data.object.id.length,
        () =>
          stripe.webhooks.constructEvent(payload, header, secret, 300, undefined, receivedAtMs).data
            .object.id.length,
      )
      cases.push({
        size: bytes.length,
        payloadType,
        op: 'constructEvent',
        oursEntry: 'constructEvent',
        theirsEntry: 'stripe.webhooks.constructEvent',
        oursNsPerOp: construct.a,
        theirsNsPerOp: construct.b,
        oursCpuNsPerOp: construct.cpuA,
        theirsCpuNsPerOp: construct.cpuB,
        rounds: construct.rounds,
        opsPerRound: construct.n,
      })
      // The official verify-only entry point, the same in both cases.
      const theirsVerify = () =>
        stripe.webhooks.signature.verifyHeader(
          payload,
          header,
          secret,
          300,
          undefined,
          receivedAtMs,
        )
          ? 1
          : 0
      const verify = compare(
        oursVerify
          ? () => (oursVerify(payload, header, secret, opts) ? 1 : 0)
          : () => ours.constructEvent(payload, header, secret, opts).id.length,
        theirsVerify,
      )
      if (oursVerify) {
        const floor = compare(
          () =>
            (oursVerify(payload, header, secret, opts),
            JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'))).data
              .object.id.length,
          () =>
            stripe.webhooks.constructEvent(payload, header, secret, 300, undefined, receivedAtMs)
              .data.object.id.length,
        )
        cases.push({
          size: bytes.length,
          payloadType,
          op: 'floor',
          oursEntry: 'verifySignature + JSON.parse',
          theirsEntry: 'stripe.webhooks.constructEvent',
          oursNsPerOp: floor.a,
          theirsNsPerOp: floor.b,
          oursCpuNsPerOp: floor.cpuA,
          theirsCpuNsPerOp: floor.cpuB,
          rounds: floor.rounds,
          opsPerRound: floor.n,
        })
      }
      cases.push({
        size: bytes.length,
        payloadType,
        op: 'verify',
        oursEntry: oursVerify
          ? ours.verifySignature
            ? 'verifySignature'
            : 'verifyHeader'
          : 'constructEvent (no verify-only entry exported)',
        theirsEntry: 'stripe.webhooks.signature.verifyHeader',
        oursNsPerOp: verify.a,
        theirsNsPerOp: verify.b,
        oursCpuNsPerOp: verify.cpuA,
        theirsCpuNsPerOp: verify.cpuB,
        rounds: verify.rounds,
        opsPerRound: verify.n,
      })
    }
  }
  return { cases, payloadBytes }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!gc) console.error('(run with --expose-gc for a collection before each batch)')
  const result = runWebhooks()
  for (const c of result.cases) {
    console.log(
      `${c.op.padEnd(14)} ${String(c.size).padStart(6)} B ${c.payloadType.padEnd(6)}  ours ${c.oursNsPerOp.toFixed(0).padStart(7)} ns/op  stripe ${c.theirsNsPerOp.toFixed(0).padStart(7)} ns/op  ${(c.theirsNsPerOp / c.oursNsPerOp).toFixed(2)}×  (CPU: ${c.oursCpuNsPerOp.toFixed(0)} vs ${c.theirsCpuNsPerOp.toFixed(0)}, ${(c.theirsCpuNsPerOp / c.oursCpuNsPerOp).toFixed(2)}×)`,
    )
  }
  const out = process.argv.indexOf('--json')
  if (out > 0) writeFileSync(process.argv[out + 1], JSON.stringify(result, null, 2))
}
