// 5. A support conversation about one customer: `customerContext`, then on each of the five apps
// `paymentHistory`, `subscriptionStatus` and `disputes`, on one client, against the fake (own
// process). Counted, not timed: the API requests the fake received, with the email → customers
// cache on (the default, `cacheTtlMs` 60000) and off (`cacheTtlMs: 0`); then 20 identical
// concurrent `paymentHistory` calls on a fresh client (request coalescing) against one call.
// Every answer is checked equal between the two configurations before counting.
//
// Run alone: node --import tsx benchmark/conversation.mts [--json out.json]

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'

import { ourClient } from './clients.mts'
import { EMAIL, FakeProcess, type BenchData } from './fake-server.mts'

/** Per side: requests in all, and the customer list and search requests per account. */
export interface ConversationSide {
  cacheTtlMs: number
  calls: number
  apiRequests: number
  /** `/v1/customers` (list) requests per account, min–max over the five. */
  customerListsPerAccount: [number, number]
  /** `/v1/customers/search` requests per account, min–max over the five. */
  customerSearchesPerAccount: [number, number]
}

export interface ConversationResult {
  apps: number
  cacheOn: ConversationSide
  cacheOff: ConversationSide
  /** 20 identical concurrent calls, and one call alone: API requests each. */
  coalescing: { concurrentCalls: number; requestsForAll: number; requestsForOne: number }
}

/** The sequence, returning every answer without `fetchedAt` (it differs between runs). */
async function conversation(client: any, data: BenchData): Promise<unknown[]> {
  const answers: unknown[] = [await client.customerContext({ email: EMAIL })]
  for (const { accountId } of data.apps) {
    answers.push(await client.paymentHistory({ accountId, email: EMAIL }))
    answers.push(await client.subscriptionStatus({ accountId, email: EMAIL }))
    answers.push(await client.disputes({ accountId, email: EMAIL }))
  }
  return JSON.parse(JSON.stringify(answers, (k, v) => (k === 'fetchedAt' ? undefined : v)))
}

function perAccount(by: Record<string, number>, data: BenchData, path: string): [number, number] {
  const counts = data.apps.map((a) => by[`${a.accountId} ${path}`] ?? 0)
  return [Math.min(...counts), Math.max(...counts)]
}

export async function runConversation(): Promise<ConversationResult> {
  const fake = await FakeProcess.start(0)
  try {
    const data = fake.data
    const sides: ConversationSide[] = []
    let reference: unknown[] | null = null
    for (const cacheTtlMs of [60_000, 0]) {
      const client = ourClient(data, { cacheTtlMs })
      await fake.clear()
      const answers = await conversation(client, data)
      const stats = await fake.stats()
      if (reference) assert.deepEqual(answers, reference, 'the same answers with and without cache')
      reference = answers
      sides.push({
        cacheTtlMs,
        calls: answers.length,
        apiRequests: stats.apiRequests,
        customerListsPerAccount: perAccount(stats.byAccountPath, data, '/v1/customers'),
        customerSearchesPerAccount: perAccount(stats.byAccountPath, data, '/v1/customers/search'),
      })
    }

    // Coalescing: 20 identical calls at once on a client with an empty cache, against one call.
    await fake.latency(50)
    const { accountId } = data.apps[0]!
    const one = async () => {
      await fake.clear()
      await ourClient(data, { cacheTtlMs: 60_000 }).paymentHistory({ accountId, email: EMAIL })
      return (await fake.stats()).apiRequests
    }
    const requestsForOne = await one()
    await fake.clear()
    const client = ourClient(data, { cacheTtlMs: 60_000 })
    const all = await Promise.all(
      Array.from({ length: 20 }, () => client.paymentHistory({ accountId, email: EMAIL })),
    )
    assert.ok(all.every((h: { payments: unknown[] }) => h.payments.length === 3))
    const requestsForAll = (await fake.stats()).apiRequests
    assert.deepEqual(await fake.violations(), [])
    return {
      apps: data.apps.length,
      cacheOn: sides[0]!,
      cacheOff: sides[1]!,
      coalescing: { concurrentCalls: 20, requestsForAll, requestsForOne },
    }
  } finally {
    await fake.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runConversation()
  for (const side of [result.cacheOn, result.cacheOff]) {
    console.log(
      `cacheTtlMs ${String(side.cacheTtlMs).padStart(5)}: ${side.calls} calls, ${side.apiRequests} API requests; ` +
        `customer list ${side.customerListsPerAccount.join('–')} and search ${side.customerSearchesPerAccount.join('–')} per account`,
    )
  }
  const c = result.coalescing
  console.log(
    `${c.concurrentCalls} identical concurrent paymentHistory calls: ${c.requestsForAll} API requests (one call alone: ${c.requestsForOne})`,
  )
  const out = process.argv.indexOf('--json')
  if (out > 0) writeFileSync(process.argv[out + 1], JSON.stringify(result, null, 2))
}
