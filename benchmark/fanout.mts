// 3. Customer context fan-out: one email across the five connected apps, against the fake with
// 50 ms added to every request. This package's `customerContext` against the seed's code path (the
// official package, one app and one request after another). Both answers are checked to hold the
// same payments and subscriptions before timing; runs interleave; medians reported.
//
// Run alone: node --import tsx benchmark/fanout.ts [--runs 9] [--json out.json]

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'

import { EMAIL, FakeProcess } from './fake-server.mts'
import { officialClient, ourClient, seedCustomerContext } from './clients.mts'
import { median } from './lib.mts'

export const FANOUT_LATENCY_MS = 50

export interface FanoutSide {
  runs: number
  medianMs: number
  minMs: number
  maxMs: number
  /** API requests one call sends. */
  requests: number
  /** The median time in units of the injected latency: how many requests it waited for in a row. */
  roundTrips: number
}

export interface FanoutResult {
  latencyMs: number
  apps: number
  ours: FanoutSide | null
  seed: FanoutSide
  oursError?: string
}

async function timed(
  fake: FakeProcess,
  fn: () => Promise<unknown>,
): Promise<{ ms: number; requests: number }> {
  await fake.clear()
  const t0 = performance.now()
  await fn()
  const ms = performance.now() - t0
  return { ms, requests: (await fake.stats()).apiRequests }
}

function side(samples: { ms: number; requests: number }[]): FanoutSide {
  const ms = samples.map((s) => s.ms)
  const med = median(ms)
  return {
    runs: samples.length,
    medianMs: med,
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    requests: median(samples.map((s) => s.requests)),
    roundTrips: med / FANOUT_LATENCY_MS,
  }
}

export async function runFanout(runs = 9): Promise<FanoutResult> {
  const fake = await FakeProcess.start(FANOUT_LATENCY_MS)
  try {
    const data = fake.data
    const stripe = officialClient(data)
    const seed = () => seedCustomerContext(stripe, data, EMAIL)

    let ours: (() => Promise<any>) | null = null
    let oursError: string | undefined
    try {
      const client = ourClient(data)
      if (typeof client.customerContext !== 'function')
        throw new Error('StripeConnect has no customerContext yet')
      ours = () => client.customerContext({ email: EMAIL })
    } catch (e) {
      oursError = (e as Error).message
    }

    // Checked before timing: the same payments and subscriptions in every app.
    const seedResult = await seed()
    if (ours) {
      const mine = await ours()
      assert.equal(mine.apps.length, data.apps.length)
      for (const s of seedResult) {
        const app = mine.apps.find((a: { appSlug: string }) => a.appSlug === s.appSlug)
        assert.ok(app, `customerContext has app ${s.appSlug}`)
        assert.equal(app.error ?? null, null, `${s.appSlug}: ${JSON.stringify(app.error)}`)
        assert.deepEqual(
          app.payments.map((p: { id: string }) => p.id).sort(),
          [...s.paymentIds].sort(),
          `${s.appSlug} payments`,
        )
        assert.deepEqual(
          app.subscriptions.map((x: { id: string }) => x.id).sort(),
          [...s.subscriptionIds].sort(),
          `${s.appSlug} subscriptions`,
        )
        assert.equal(app.openDisputes.length, s.disputedChargeIds.length, `${s.appSlug} disputes`)
      }
    }
    assert.deepEqual(await fake.violations(), [])

    const oursSamples: { ms: number; requests: number }[] = []
    const seedSamples: { ms: number; requests: number }[] = []
    for (let i = 0; i < runs + 1; i++) {
      const order = i % 2 === 0 ? ['ours', 'seed'] : ['seed', 'ours']
      for (const who of order) {
        if (who === 'ours' && ours) {
          const s = await timed(fake, ours)
          if (i > 0) oursSamples.push(s) // the first round warms up
        } else if (who === 'seed') {
          const s = await timed(fake, seed)
          if (i > 0) seedSamples.push(s)
        }
      }
    }
    return {
      latencyMs: FANOUT_LATENCY_MS,
      apps: data.apps.length,
      ours: ours ? side(oursSamples) : null,
      seed: side(seedSamples),
      ...(oursError ? { oursError } : {}),
    }
  } finally {
    await fake.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--runs')
  const result = await runFanout(i > 0 ? Number(process.argv[i + 1]) : 9)
  console.log(JSON.stringify(result, null, 2))
  const out = process.argv.indexOf('--json')
  if (out > 0) writeFileSync(process.argv[out + 1], JSON.stringify(result, null, 2))
}
