// JS stores: async, sync, class instances, and ones that throw, reject or return the wrong type;
// claims as fenced leases (`acquire`/`complete`/`release` with the lease token; the single-use
// shape from before leases is refused); 100 concurrent deliveries of one event give one dispute
// callback; the process exits by itself, also after a delivery timed out on a hung sink.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { join } from 'node:path'
import {
  StripeConnect,
  StripeConnectError,
  type ClaimState,
  type ClaimStore,
  type Connection,
  type ConnectionStore,
  type DisputeAlert,
  type DisputeSink,
  type Stores,
  type StripeConnectErrorCode,
} from '@support/stripe-connect'
import {
  SECRET,
  deauthorizedEvent,
  disputeEvent,
  objects,
  sign,
  rejectsCode,
  throwsCode,
} from './helpers'

const ACME: Connection = {
  appSlug: 'acme',
  accountId: 'acct_1disputed',
  livemode: false,
  scope: 'read_write',
}
const EVENT_CLAIM_TTL = 4 * 24 * 3600
/** The lease on an event with the default webhookTimeoutMs (20 s): 20 + 2 to finish + 1. */
const LEASE = 23

// A dispute alert reads the disputed charge. These tests serve no Stripe: the API is a closed
// loopback port (nothing leaves the machine; the read fails at once and the alert says why).
const NO_STRIPE = { apiBase: 'http://127.0.0.1:9', maxRetries: 0 }
const client = (stores: Stores) =>
  new StripeConnect({ secretKey: 'sk_test_stores', webhookSecrets: SECRET, ...NO_STRIPE, stores })

const UNREACHED = '(reading the charge failed: checked by `settled`)'
const REASON =
  /"customerUnknownReason":"reading charge ch_\w+ failed \(stripe_unavailable\): [^"]*"/

/** `alert` with its reason (which quotes the OS's connection error) checked, then made constant. */
function settled(alert: DisputeAlert): DisputeAlert {
  assert.match(
    alert.customerUnknownReason ?? '',
    /^reading charge ch_\w+ failed \(stripe_unavailable\): /,
  )
  return { ...alert, customerUnknownReason: UNREACHED }
}

const expectedAlert = (eventId: string, appSlug: string | null): DisputeAlert => ({
  eventId,
  appSlug,
  accountId: 'acct_1disputed',
  livemode: false,
  dispute: {
    id: objects.dispute.id,
    amount: objects.dispute.amount,
    currency: objects.dispute.currency,
    chargeId: objects.dispute.charge,
    paymentIntentId: null,
    reason: 'general',
    status: 'warning_needs_response',
    evidenceDueBy: 1723679999,
    isChargeRefundable: true,
    created: 1234567890,
  },
  customerId: null,
  customerEmail: null,
  chargeDescription: null,
  customerUnknownReason: UNREACHED,
})

/**
 * Stores whose methods are async (`async`) or plain (`sync`), recording every call (a lease token
 * is recorded as T1, T2, … in the order tokens first appear, after checking its shape); the claims
 * are fenced leases.
 */
function recordingStores(mode: 'async' | 'sync') {
  const calls: string[] = []
  const rows = new Map<string, Connection>([[ACME.appSlug, ACME]])
  const leases = new Map<string, { state: 'in_progress' | 'done'; token: string }>()
  const alerts: DisputeAlert[] = []
  const tokens: string[] = []
  const shown = (name: string, a: unknown[]) =>
    a
      .map((x, i) => {
        if (i !== 1 || !['acquire', 'complete', 'release'].includes(name)) return JSON.stringify(x)
        assert.match(String(x), /^[0-9a-f]{32}$/, `${name}'s token`)
        if (!tokens.includes(String(x))) tokens.push(String(x))
        return `T${tokens.indexOf(String(x)) + 1}`
      })
      .join(', ')
  const wrap = <A extends unknown[], R>(name: string, f: (...a: A) => R) =>
    mode === 'async'
      ? async (...a: A) => {
          calls.push(`${name}(${shown(name, a)})`)
          await new Promise((r) => setImmediate(r))
          return f(...a)
        }
      : (...a: A) => {
          calls.push(`${name}(${shown(name, a)})`)
          return f(...a)
        }
  const connections: ConnectionStore = {
    save: wrap('save', (c: Connection) => void rows.set(c.appSlug, c)),
    clearByAccount: wrap('clearByAccount', (account: string) => {
      const row = [...rows.values()].find((c) => c.accountId === account)
      if (row) rows.delete(row.appSlug)
      return row?.appSlug ?? null
    }),
    getBySlug: wrap('getBySlug', (slug: string) => rows.get(slug) ?? null),
    list: wrap('list', () => [...rows.values()]),
  }
  // Check-and-set in one synchronous step: atomic on the JS thread. (No expiry: not needed here.)
  const claims: ClaimStore = {
    acquire: wrap('acquire', (key: string, token: string, _lease: number): ClaimState => {
      const held = leases.get(key)
      if (held !== undefined) return held.state
      leases.set(key, { state: 'in_progress', token })
      return 'acquired'
    }),
    complete: wrap('complete', (key: string, token: string, _ttl: number) => {
      const held = leases.get(key)
      if (held !== undefined && held.token !== token) return false
      leases.set(key, { state: 'done', token })
    }),
    release: wrap('release', (key: string, token: string) => {
      const held = leases.get(key)
      if (held?.state !== 'in_progress' || held.token !== token) return false
      leases.delete(key)
    }),
  }
  const disputes: DisputeSink = {
    disputeCreated: wrap('disputeCreated', (a: DisputeAlert) => void alerts.push(a)),
  }
  return { stores: { connections, claims, disputes }, calls, rows, alerts, leases }
}

for (const mode of ['async', 'sync'] as const) {
  describe(`${mode} adapter`, () => {
    test('a dispute goes to the sink with the app resolved; a redelivery is a duplicate', async () => {
      const r = recordingStores(mode)
      const c = client(r.stores)
      const body = disputeEvent(`evt_${mode}_dispute`)
      assert.deepEqual(await c.handleWebhook(body, sign(body)), {
        outcome: 'dispute_recorded',
        eventId: `evt_${mode}_dispute`,
        disputeId: objects.dispute.id,
        accountId: 'acct_1disputed',
        appSlug: 'acme',
      })
      assert.deepEqual(r.alerts.map(settled), [expectedAlert(`evt_${mode}_dispute`, 'acme')])
      assert.equal((await c.handleWebhook(body, sign(body))).outcome, 'duplicate')
      const calls = r.calls.map((c) =>
        c.replace(REASON, `"customerUnknownReason":${JSON.stringify(UNREACHED)}`),
      )
      // Each acquisition has its own token; the lease is completed with its holder's.
      assert.deepEqual(calls, [
        `acquire("webhook:evt_${mode}_dispute", T1, ${LEASE})`,
        'list()', // no getByAccount: the list is scanned
        `disputeCreated(${JSON.stringify(expectedAlert(`evt_${mode}_dispute`, 'acme'))})`,
        `complete("webhook:evt_${mode}_dispute", T1, ${EVENT_CLAIM_TTL})`,
        `acquire("webhook:evt_${mode}_dispute", T2, ${LEASE})`,
      ])
    })

    test('a lease whose token no longer holds it: release → false is reported, complete → false stands', async () => {
      const r = recordingStores(mode)
      // Another delivery took the lease over while this one worked (its token is in the row now).
      let sinkCalls = 0
      const c = client({
        ...r.stores,
        disputes: {
          disputeCreated: () => {
            sinkCalls++
            r.leases.set(`webhook:evt_${mode}_taken`, { state: 'in_progress', token: 'theirs' })
            if (sinkCalls === 1) throw new Error('pager service unavailable')
          },
        },
      })
      const body = disputeEvent(`evt_${mode}_taken`)
      const e = await rejectsCode(c.handleWebhook(body, sign(body)), 'store_failed')
      assert.match(
        e.message,
        new RegExp(
          `pager service unavailable; the lease on evt_${mode}_taken had run out \\(after ${LEASE} s\\) and is no longer this delivery's \\(another delivery may hold it now\\): left in place`,
        ),
      )
      assert.deepEqual(r.leases.get(`webhook:evt_${mode}_taken`), {
        state: 'in_progress',
        token: 'theirs',
      })
      // The same with a success: the outcome stands, the other holder's lease is left as it is.
      r.leases.delete(`webhook:evt_${mode}_taken`)
      assert.equal((await c.handleWebhook(body, sign(body))).outcome, 'dispute_recorded')
      assert.deepEqual(r.leases.get(`webhook:evt_${mode}_taken`), {
        state: 'in_progress',
        token: 'theirs',
      })
      assert.deepEqual(
        r.calls.filter((call) => !call.startsWith('list')),
        [
          `acquire("webhook:evt_${mode}_taken", T1, ${LEASE})`,
          `release("webhook:evt_${mode}_taken", T1)`,
          `acquire("webhook:evt_${mode}_taken", T2, ${LEASE})`,
          `complete("webhook:evt_${mode}_taken", T2, ${EVENT_CLAIM_TTL})`,
        ],
      )
    })

    test('a live lease in the store → webhook_in_progress with retryAfter, nothing done', async () => {
      const r = recordingStores(mode)
      r.leases.set(`webhook:evt_${mode}_busy`, { state: 'in_progress', token: 'another' })
      const c = client(r.stores)
      const body = disputeEvent(`evt_${mode}_busy`)
      const e = await rejectsCode(c.handleWebhook(body, sign(body)), 'webhook_in_progress')
      assert.equal(e.retryAfter, LEASE)
      assert.match(e.message, new RegExp(`evt_${mode}_busy is being processed by another delivery`))
      assert.deepEqual(r.alerts, [])
      assert.deepEqual(r.calls, [`acquire("webhook:evt_${mode}_busy", T1, ${LEASE})`])
    })

    test('a deauthorization clears the connection of that account', async () => {
      const r = recordingStores(mode)
      const c = client(r.stores)
      const body = deauthorizedEvent(`evt_${mode}_deauth`, ACME.accountId)
      assert.deepEqual(await c.handleWebhook(body, sign(body)), {
        outcome: 'disconnected',
        eventId: `evt_${mode}_deauth`,
        accountId: ACME.accountId,
        appSlug: 'acme',
      })
      assert.equal(r.rows.size, 0)
      assert.ok(r.calls.includes(`clearByAccount("${ACME.accountId}")`))
    })
  })
}

describe('class instances', () => {
  class PrivateClaims implements ClaimStore {
    #held = new Map<string, { state: 'in_progress' | 'done'; token: string }>()
    readonly seen: string[] = []
    async acquire(key: string, token: string): Promise<ClaimState> {
      this.seen.push(`acquire ${key}`)
      const held = this.#held.get(key)
      if (held !== undefined) return held.state
      this.#held.set(key, { state: 'in_progress', token })
      return 'acquired'
    }
    complete(key: string, token: string): boolean {
      this.seen.push(`complete ${key}`)
      if (this.#held.get(key)?.token !== token) return false
      this.#held.set(key, { state: 'done', token })
      return true
    }
    release(key: string, token: string): boolean {
      if (this.#held.get(key)?.token !== token) return false
      return this.#held.delete(key)
    }
  }
  class IndexedConnections implements ConnectionStore {
    #rows = new Map<string, Connection>([[ACME.accountId, ACME]])
    lookups = 0
    save(c: Connection) {
      this.#rows.set(c.accountId, c)
    }
    clearByAccount(a: string) {
      const row = this.#rows.get(a)
      this.#rows.delete(a)
      return row?.appSlug ?? null
    }
    getBySlug(s: string) {
      return [...this.#rows.values()].find((c) => c.appSlug === s) ?? null
    }
    list(): Connection[] {
      throw new Error('getByAccount should be used, not list')
    }
    async getByAccount(a: string) {
      this.lookups++
      return this.#rows.get(a) ?? null
    }
  }
  class Sink implements DisputeSink {
    alerts: DisputeAlert[] = []
    disputeCreated(a: DisputeAlert) {
      this.alerts.push(a)
    }
  }

  test('methods run with `this` bound to the instance (private fields work), getByAccount is used', async () => {
    const claims = new PrivateClaims()
    const connections = new IndexedConnections()
    const disputes = new Sink()
    const c = client({ claims, connections, disputes })
    const body = disputeEvent('evt_class')
    assert.equal((await c.handleWebhook(body, sign(body))).outcome, 'dispute_recorded')
    assert.equal((await c.handleWebhook(body, sign(body))).outcome, 'duplicate')
    assert.deepEqual(claims.seen, [
      'acquire webhook:evt_class',
      'complete webhook:evt_class',
      'acquire webhook:evt_class',
    ])
    assert.equal(connections.lookups, 1)
    assert.deepEqual(disputes.alerts.map(settled), [expectedAlert('evt_class', 'acme')])
  })
})

describe('stores that fail', () => {
  test('a method that throws → store_failed with the JS message', async () => {
    const r = recordingStores('sync')
    const c = client({
      ...r.stores,
      claims: {
        acquire: () => {
          throw new Error('claims table is down')
        },
        complete: () => {},
        release: () => {},
      },
    })
    const body = disputeEvent('evt_throws')
    const e = await rejectsCode(c.handleWebhook(body, sign(body)), 'store_failed')
    assert.match(e.message, /claims\.acquire/)
    assert.match(e.message, /claims table is down/)
    assert.deepEqual(r.alerts, [])
  })

  test('a method that throws a non-Error → store_failed', async () => {
    const r = recordingStores('sync')
    const c = client({
      ...r.stores,
      disputes: {
        disputeCreated: () => {
          throw 'just a string'
        },
      },
    })
    const body = disputeEvent('evt_throws_string')
    const e = await rejectsCode(c.handleWebhook(body, sign(body)), 'store_failed')
    assert.match(e.message, /just a string/)
  })

  test('a method that rejects → store_failed; the claim is released so a redelivery is processed', async () => {
    const r = recordingStores('async')
    let down = true
    const disputes: DisputeSink = {
      async disputeCreated(a) {
        if (down) throw new Error('pager service unavailable')
        r.alerts.push(a)
      },
    }
    const c = client({ ...r.stores, disputes })
    const body = disputeEvent('evt_rejects')
    const e = await rejectsCode(c.handleWebhook(body, sign(body)), 'store_failed')
    assert.match(e.message, /disputes\.disputeCreated/)
    assert.match(e.message, /pager service unavailable/)
    assert.ok(r.calls.includes('release("webhook:evt_rejects", T1)'))
    assert.equal(r.leases.has('webhook:evt_rejects'), false, 'the lease was given back')
    down = false
    assert.equal((await c.handleWebhook(body, sign(body))).outcome, 'dispute_recorded')
    assert.equal(r.alerts.length, 1)
  })

  test('a method that resolves or returns the wrong type → store_failed', async () => {
    const r = recordingStores('sync')
    const cases: Array<[string, Stores]> = [
      [
        'acquire returns a boolean',
        { ...r.stores, claims: { acquire: () => true as never, complete() {}, release() {} } },
      ],
      [
        'acquire resolves an unknown state',
        {
          ...r.stores,
          claims: { acquire: async () => 'taken' as never, complete() {}, release() {} },
        },
      ],
      [
        'list returns objects that are not connections',
        {
          ...r.stores,
          connections: { ...r.stores.connections, list: () => [{ appSlug: 5 }] as never },
        },
      ],
      [
        'list resolves an invalid account id',
        {
          ...r.stores,
          connections: {
            ...r.stores.connections,
            list: async () => [{ ...ACME, accountId: '../x' }],
          },
        },
      ],
    ]
    for (const [i, [name, stores]] of cases.entries()) {
      const body = disputeEvent(`evt_wrong_${i}`)
      const e = await rejectsCode(client(stores).handleWebhook(body, sign(body)), 'store_failed')
      assert.ok(e.message.length > 0, name)
    }
  })

  test('a sink (or a void store method) returning a value that is not nothing → store_failed, released', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['5', 5, /returned the number 5 where nothing was expected/],
      ['false', false, /returned the boolean false where nothing was expected/],
      ['a string', 'sk_live_notquoted', /returned a string where nothing was expected/],
      ['a promise of false', Promise.resolve(false), /returned the boolean false where nothing/],
    ]
    for (const [i, [name, value, message]] of cases.entries()) {
      const r = recordingStores('sync')
      const c = client({ ...r.stores, disputes: { disputeCreated: () => value as never } })
      const body = disputeEvent(`evt_sink_value_${i}`)
      const e = await rejectsCode(c.handleWebhook(body, sign(body)), 'store_failed')
      assert.match(e.message, /disputes\.disputeCreated/, name)
      assert.match(e.message, message, name)
      assert.ok(!e.message.includes('sk_live_notquoted'), 'a returned string is never quoted')
      assert.ok(r.calls.includes(`release("webhook:evt_sink_value_${i}", T1)`), name)
    }
    const r = recordingStores('sync')
    const c = client({ ...r.stores, claims: { ...r.stores.claims, complete: () => 1 } as never })
    const body = disputeEvent('evt_complete_value')
    // The alert went out; marking it done failed, so the lease runs out and a later
    // redelivery would act again (at least once), but this delivery succeeded.
    assert.equal((await c.handleWebhook(body, sign(body))).outcome, 'dispute_recorded')
    // complete and release may also say whether the token held the key, but nothing else.
    const release = recordingStores('sync')
    const sink = {
      disputeCreated() {
        throw new Error('pager down')
      },
    }
    for (const [i, value] of ['held', 5, Promise.resolve('no')].entries()) {
      const stores = {
        ...release.stores,
        claims: { ...release.stores.claims, release: () => value as never },
        disputes: sink,
      }
      const body = disputeEvent(`evt_release_value_${i}`)
      const e = await rejectsCode(client(stores).handleWebhook(body, sign(body)), 'store_failed')
      assert.match(
        e.message,
        /releasing the lease on evt_release_value_\d also failed \(returned (a string|the number 5) where nothing, true or false was expected/,
      )
    }
  })

  test('a sink returning nothing, null or a database result object is fine', async () => {
    const results: unknown[] = [
      undefined,
      null,
      { affectedRows: 1 },
      [{ affectedRows: 1 }, []],
      Promise.resolve({ rowCount: 1 }),
    ]
    for (const [i, value] of results.entries()) {
      const r = recordingStores('async')
      const c = client({ ...r.stores, disputes: { disputeCreated: () => value as never } })
      const body = disputeEvent(`evt_sink_ok_${i}`)
      assert.equal((await c.handleWebhook(body, sign(body))).outcome, 'dispute_recorded', String(i))
    }
  })

  test('a deauthorization the store fails to clear names the account on the error', async () => {
    const r = recordingStores('async')
    const c = client({
      ...r.stores,
      connections: {
        ...r.stores.connections,
        clearByAccount: async () => {
          throw new Error('db locked')
        },
      },
    })
    const body = deauthorizedEvent('evt_clear_fails', 'acct_1stuck')
    const e = await rejectsCode(c.handleWebhook(body, sign(body)), 'store_failed')
    assert.equal(e.accountId, 'acct_1stuck')
    assert.match(e.message, /db locked/)
  })

  test('a store without a required method, or with a non-function, is invalid_input at construction', () => {
    const r = recordingStores('sync')
    throwsCode(
      () => client({ ...r.stores, claims: { claim: () => true } as never }),
      'invalid_input',
    )
    throwsCode(
      () => client({ ...r.stores, claims: { claim: true, release() {} } as never }),
      'invalid_input',
    )
    // The single-use shape from before leases (claim/release) cannot tell whose lease it frees.
    const singleUse = throwsCode(
      () => client({ ...r.stores, claims: { claim: () => true, release() {} } as never }),
      'invalid_input',
    )
    assert.match(
      singleUse.message,
      /stores\.claims\.acquire.*is missing: the claims store shape with only `claim` and `release` is no longer accepted .*Implement acquire\(key, token, leaseSeconds\), complete\(key, token, ttlSeconds\) and release\(key, token\)/,
    )
    throwsCode(() => client({ ...r.stores, disputes: {} as never }), 'invalid_input')
    const noComplete = throwsCode(
      () => client({ ...r.stores, claims: { acquire: () => 'acquired', release() {} } as never }),
      'invalid_input',
    )
    assert.match(noComplete.message, /stores\.claims\.complete/)
    const noAcquire = throwsCode(
      () => client({ ...r.stores, claims: { complete() {}, release() {} } as never }),
      'invalid_input',
    )
    assert.match(noAcquire.message, /stores\.claims\.acquire/)
    throwsCode(() => client({ ...r.stores, claims: 5 as never }), 'invalid_input')
    const e = throwsCode(
      () =>
        client({ ...r.stores, connections: { ...r.stores.connections, list: undefined } as never }),
      'invalid_input',
    )
    assert.match(e.message, /connections\.list/)
  })
})

describe('concurrency and process lifetime', () => {
  test('100 concurrent deliveries of one event → exactly one dispute callback', async () => {
    const r = recordingStores('async')
    const c = client(r.stores)
    const body = disputeEvent('evt_concurrent')
    const header = sign(body)
    const settled = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        c.handleWebhook(i % 2 ? body : Buffer.from(body), header),
      ),
    )
    assert.equal(r.alerts.length, 1)
    const counts = tally(settled)
    assert.equal(counts.dispute_recorded, 1)
    // Those that came while the first held the lease are told to retry; later ones are duplicates.
    assert.equal((counts.webhook_in_progress ?? 0) + (counts.duplicate ?? 0), 99)
    assert.equal((await c.handleWebhook(body, header)).outcome, 'duplicate')
  })

  test('the same with the in-memory claim store and a JS dispute sink', async () => {
    const alerts: DisputeAlert[] = []
    const c = client({ disputes: { disputeCreated: async (a) => void alerts.push(a) } })
    const body = disputeEvent('evt_concurrent_mem')
    const header = sign(body)
    const settled = await Promise.allSettled(
      Array.from({ length: 100 }, () => c.handleWebhook(body, header)),
    )
    assert.equal(alerts.length, 1)
    const counts = tally(settled)
    assert.equal(counts.dispute_recorded, 1)
    assert.equal((counts.webhook_in_progress ?? 0) + (counts.duplicate ?? 0), 99)
  })

  test('a hung sink (a promise that never settles) → store_failed after webhookTimeoutMs; the redelivery runs the sink again', async () => {
    const alerts: DisputeAlert[] = []
    let calls = 0
    const c = new StripeConnect({
      secretKey: 'sk_test_stores',
      webhookSecrets: SECRET,
      webhookTimeoutMs: 200,
      stores: {
        disputes: {
          disputeCreated: (a) => {
            calls++
            if (calls === 1) return new Promise<void>(() => {})
            alerts.push(a)
          },
        },
      },
    })
    const body = disputeEvent('evt_hung_sink')
    const started = performance.now()
    const e = await rejectsCode(c.handleWebhook(body, sign(body)), 'store_failed')
    const took = performance.now() - started
    assert.ok(took >= 199 && took < 10_000, `rejected after ${took} ms`) // 1 ms for the clocks' rounding
    assert.match(e.message, /disputes\.dispute_created: timed out/)
    assert.match(e.message, /within the webhook timeout of 200 ms$/) // the core names no option
    assert.equal((await c.handleWebhook(body, sign(body))).outcome, 'dispute_recorded')
    assert.equal(calls, 2)
    assert.equal(alerts.length, 1)
  })

  test('webhookTimeoutMs must be a whole number of ms from 1 to an hour (never wrapped or truncated)', () => {
    for (const webhookTimeoutMs of [0, -1, 1.5, Number.NaN, 3_600_001, 2 ** 32]) {
      const e = throwsCode(
        () => new StripeConnect({ secretKey: 'sk_test_stores', webhookTimeoutMs }),
        'config_invalid',
      )
      assert.match(
        e.message,
        /`webhookTimeoutMs`: must be a whole number of milliseconds from 1 to 3600000, got /,
      )
    }
    assert.ok(new StripeConnect({ secretKey: 'sk_test_stores', webhookTimeoutMs: 3_600_000 }))
  })

  test('a connections store that never answers → store_failed after storeTimeoutMs (a query, a disconnect)', async () => {
    const never = () => new Promise<never>(() => {})
    const c = new StripeConnect({
      secretKey: 'sk_test_stores',
      clientId: 'ca_stores',
      ...NO_STRIPE,
      storeTimeoutMs: 100,
      stores: {
        connections: { save: never, clearByAccount: never, getBySlug: never, list: never },
      },
    })
    const started = performance.now()
    const e = await rejectsCode(c.customerContext({ email: 'jenny@example.com' }), 'store_failed')
    const took = performance.now() - started
    assert.ok(took >= 99 && took < 10_000, `rejected after ${took} ms`)
    assert.match(e.message, /connections\.list: timed out after 100 ms \(the store timeout\)/)
    const d = await rejectsCode(c.disconnect({ appSlug: 'acme' }), 'store_failed')
    assert.match(d.message, /connections\.get_by_slug: timed out after 100 ms/)
  })

  // Bun collects a pending promise that nothing references, and napi's channel reports
  // "oneshot canceled" (seen in CI: the hung-sink test failed early with store_failed). Node does
  // the same under a forced full GC, which makes it reproducible here: the call must still wait
  // out the store timeout as for any hung store. (Bun.gc(true) does not collect it on demand.)
  const forcedGc = (): (() => void) | null => {
    if (typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined') return null
    setFlagsFromString('--expose-gc')
    return runInNewContext('gc') as () => void
  }
  ;(forcedGc() ? test : test.skip)(
    'a store promise collected without settling is a hung call: store_failed "timed out", not an early failure',
    async () => {
      const gc = forcedGc() as () => void
      const collected: string[] = []
      const registry = new FinalizationRegistry((tag: string) => collected.push(tag))
      const never = () => {
        const pending = new Promise<never>(() => {})
        registry.register(pending, 'getBySlug')
        return pending
      }
      const c = new StripeConnect({
        secretKey: 'sk_test_stores',
        clientId: 'ca_stores',
        ...NO_STRIPE,
        storeTimeoutMs: 1000,
        stores: {
          connections: { save: never, clearByAccount: never, getBySlug: never, list: never },
        },
      })
      const call = rejectsCode(c.disconnect({ appSlug: 'acme' }), 'store_failed')
      for (let i = 0; i < 40 && collected.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 10))
        gc()
      }
      assert.deepEqual(collected, ['getBySlug'], 'the pending promise was collected mid-call')
      const e = await call
      assert.match(e.message, /connections\.get_by_slug: timed out after 1000 ms/)
      assert.doesNotMatch(e.message, /oneshot/)
    },
  )

  test('storeTimeoutMs must be a whole number of ms from 1 to an hour', () => {
    for (const storeTimeoutMs of [0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 3_600_001]) {
      const e = throwsCode(
        () => new StripeConnect({ secretKey: 'sk_test_stores', storeTimeoutMs }),
        'config_invalid',
      )
      assert.match(
        e.message,
        /`storeTimeoutMs`: must be a whole number of milliseconds from 1 to 3600000, got /,
      )
    }
    assert.ok(new StripeConnect({ secretKey: 'sk_test_stores', storeTimeoutMs: 1 }))
  })

  for (const [variant, expected] of [
    ['', 'dispute_recorded'],
    ['hung', 'store_failed'],
  ] as const) {
    test(`a process holding JS stores exits by itself once the work is done${variant ? ' (after a hung sink timed out)' : ''}`, () => {
      const child = spawnSync(
        process.execPath,
        [join(__dirname, 'fixtures', 'exit-after-webhook.mjs'), ...(variant ? [variant] : [])],
        {
          cwd: join(__dirname, '..'),
          encoding: 'utf8',
          timeout: 30_000,
        },
      )
      assert.equal(child.error, undefined, 'the child did not exit within 30 s')
      assert.equal(child.status, 0, child.stderr)
      assert.equal(child.stdout.trim(), expected)
    })
  }
})

/** How many settled deliveries ended in each outcome or error code. */
function tally(settled: PromiseSettledResult<{ outcome: string }>[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const s of settled) {
    const key = s.status === 'fulfilled' ? s.value.outcome : (s.reason as StripeConnectError).code
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}
