// JS stores: async, sync, class instances, and ones that throw, reject or return the wrong type;
// 100 concurrent deliveries of one event give one dispute callback; the process exits by itself.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import {
  StripeConnect,
  StripeConnectError,
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

const client = (stores: Stores) =>
  new StripeConnect({ secretKey: 'sk_test_stores', webhookSecrets: SECRET, stores })

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
})

/** Stores whose methods are async (`async`) or plain (`sync`), recording every call. */
function recordingStores(mode: 'async' | 'sync') {
  const calls: string[] = []
  const rows = new Map<string, Connection>([[ACME.appSlug, ACME]])
  const claims = new Map<string, number>()
  const alerts: DisputeAlert[] = []
  const wrap = <A extends unknown[], R>(name: string, f: (...a: A) => R) =>
    mode === 'async'
      ? async (...a: A) => {
          calls.push(`${name}(${a.map((x) => JSON.stringify(x)).join(', ')})`)
          await new Promise((r) => setImmediate(r))
          return f(...a)
        }
      : (...a: A) => {
          calls.push(`${name}(${a.map((x) => JSON.stringify(x)).join(', ')})`)
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
  const claimStore: ClaimStore = {
    // Check-and-set in one synchronous step: atomic on the JS thread.
    claim: wrap('claim', (key: string, ttl: number) => !claims.has(key) && !!claims.set(key, ttl)),
    release: wrap('release', (key: string) => void claims.delete(key)),
  }
  const disputes: DisputeSink = {
    disputeCreated: wrap('disputeCreated', (a: DisputeAlert) => void alerts.push(a)),
  }
  return { stores: { connections, claims: claimStore, disputes }, calls, rows, alerts }
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
      assert.deepEqual(r.alerts, [expectedAlert(`evt_${mode}_dispute`, 'acme')])
      assert.equal((await c.handleWebhook(body, sign(body))).outcome, 'duplicate')
      assert.deepEqual(r.calls, [
        `claim("webhook:evt_${mode}_dispute", ${EVENT_CLAIM_TTL})`,
        'list()', // no getByAccount: the list is scanned
        `disputeCreated(${JSON.stringify(expectedAlert(`evt_${mode}_dispute`, 'acme'))})`,
        `claim("webhook:evt_${mode}_dispute", ${EVENT_CLAIM_TTL})`,
      ])
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
    #taken = new Set<string>()
    readonly seen: string[] = []
    async claim(key: string): Promise<boolean> {
      this.seen.push(key)
      if (this.#taken.has(key)) return false
      this.#taken.add(key)
      return true
    }
    release(key: string): void {
      this.#taken.delete(key)
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
    assert.deepEqual(claims.seen, ['webhook:evt_class', 'webhook:evt_class'])
    assert.equal(connections.lookups, 1)
    assert.deepEqual(disputes.alerts, [expectedAlert('evt_class', 'acme')])
  })
})

describe('stores that fail', () => {
  test('a method that throws → store_failed with the JS message', async () => {
    const r = recordingStores('sync')
    const c = client({
      ...r.stores,
      claims: {
        claim: () => {
          throw new Error('claims table is down')
        },
        release: () => {},
      },
    })
    const body = disputeEvent('evt_throws')
    const e = await rejectsCode(c.handleWebhook(body, sign(body)), 'store_failed')
    assert.match(e.message, /claims\.claim/)
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
    assert.ok(r.calls.includes('release("webhook:evt_rejects")'))
    down = false
    assert.equal((await c.handleWebhook(body, sign(body))).outcome, 'dispute_recorded')
    assert.equal(r.alerts.length, 1)
  })

  test('a method that resolves or returns the wrong type → store_failed', async () => {
    const r = recordingStores('sync')
    const cases: Array<[string, Stores]> = [
      [
        'claim resolves a string',
        { ...r.stores, claims: { claim: async () => 'yes' as never, release() {} } },
      ],
      [
        'claim returns a number',
        { ...r.stores, claims: { claim: () => 1 as never, release() {} } },
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
    throwsCode(() => client({ ...r.stores, disputes: {} as never }), 'invalid_input')
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
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        c.handleWebhook(i % 2 ? body : Buffer.from(body), header),
      ),
    )
    assert.equal(r.alerts.length, 1)
    assert.equal(outcomes.filter((o) => o.outcome === 'dispute_recorded').length, 1)
    assert.equal(outcomes.filter((o) => o.outcome === 'duplicate').length, 99)
  })

  test('the same with the in-memory claim store and a JS dispute sink', async () => {
    const alerts: DisputeAlert[] = []
    const c = client({ disputes: { disputeCreated: async (a) => void alerts.push(a) } })
    const body = disputeEvent('evt_concurrent_mem')
    const header = sign(body)
    await Promise.all(Array.from({ length: 100 }, () => c.handleWebhook(body, header)))
    assert.equal(alerts.length, 1)
  })

  test('a process holding JS stores exits by itself once the work is done', () => {
    const child = spawnSync(
      process.execPath,
      [join(__dirname, 'fixtures', 'exit-after-webhook.mjs')],
      {
        cwd: join(__dirname, '..'),
        encoding: 'utf8',
        timeout: 30_000,
      },
    )
    assert.equal(child.error, undefined, 'the child did not exit within 30 s')
    assert.equal(child.status, 0, child.stderr)
    assert.equal(child.stdout.trim(), 'dispute_recorded')
  })
})
