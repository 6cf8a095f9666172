// constructEvent vs the official stripe package's webhooks.constructEvent on the same payload.
// Results are checked equal before timing; rounds interleaved; medians reported.
// Run: npm run build && node benchmark/construct-event.mjs
import { readFileSync } from 'node:fs'
import os from 'node:os'
import Stripe from 'stripe'
import { constructEvent, generateTestHeader } from '@support/stripe-connect'
import assert from 'node:assert/strict'

const stripe = new Stripe('sk_test_bench')
const fixtures = JSON.parse(readFileSync(new URL('../__test__/fixtures/webhook-vectors.json', import.meta.url)))
const secret = 'whsec_bench'
const dispute = {
  id: 'evt_bench', object: 'event', type: 'charge.dispute.created', account: 'acct_1', livemode: false, created: 1,
  api_version: '2026-10-28.endive',
  data: { object: { id: 'dp_1', object: 'dispute', amount: 1000, currency: 'usd', charge: 'ch_1', reason: 'fraudulent', status: 'needs_response', evidence_details: { due_by: 2 }, is_charge_refundable: false, metadata: {} } },
}
const cases = {
  'dispute event (~0.5 KB)': JSON.stringify(dispute, null, 2),
  'legacy charge event (~2 KB)': fixtures.find((v) => v.name === 'dotnet_legacy_connect_event_valid_no_tolerance').payload,
}
const N = 20000
const ROUNDS = 7
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]

console.log(`node ${process.version}, ${os.cpus()[0].model} x${os.cpus().length}, ${N} calls x ${ROUNDS} rounds, median µs/call`)
for (const [name, text] of Object.entries(cases)) {
  const header = generateTestHeader({ payload: text, secret })
  for (const [kind, payload] of [['Buffer', Buffer.from(text)], ['string', text]]) {
    const ours = () => constructEvent(payload, header, secret)
    const theirs = () => stripe.webhooks.constructEvent(payload, header, secret)
    assert.deepEqual(ours(), theirs())
    const times = { ours: [], stripe: [] }
    for (let r = 0; r < ROUNDS; r++) {
      for (const [who, f] of [['ours', ours], ['stripe', theirs]]) {
        const t0 = process.hrtime.bigint()
        for (let i = 0; i < N; i++) f()
        times[who].push(Number(process.hrtime.bigint() - t0) / 1000 / N)
      }
    }
    console.log(`${name}, ${kind}: ours ${median(times.ours).toFixed(2)}  stripe ${median(times.stripe).toFixed(2)}`)
  }
}
