// Shared by the specs: Stripe-shaped events (from Stripe's own fixtures) and their signatures.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import assert from 'node:assert/strict'
import {
  generateTestHeader,
  StripeConnectError,
  type Connection,
  type ConnectionStore,
  type StripeConnectErrorCode,
} from '@support/stripe-connect'

/** A JSON file of the repository, by its path from the root. */
export const repoJson = <T>(...path: string[]): T =>
  JSON.parse(readFileSync(join(__dirname, '..', ...path), 'utf8')) as T

export const SECRET = 'whsec_test_SECRETVALUE'

interface StripeObjects {
  dispute: Record<string, unknown> & {
    id: string
    charge: string
    amount: number
    currency: string
  }
  application: Record<string, unknown>
  event: Record<string, unknown>
}
/** Stripe's fixture objects: the one copy the test kit serves and the Rust tests read. */
export const objects = repoJson<{ resources: StripeObjects }>(
  'bindings',
  'src',
  'testing',
  'stripe-objects.json',
).resources

/** A pretty-printed event body, as Stripe sends it. */
export function eventBody(
  type: string,
  object: unknown,
  fields: Record<string, unknown> = {},
): string {
  return JSON.stringify(
    { ...objects.event, type, livemode: false, data: { object }, ...fields },
    null,
    2,
  )
}

export const disputeEvent = (
  id: string,
  account: string | null = 'acct_1disputed',
  fields: Record<string, unknown> = {},
) => eventBody('charge.dispute.created', objects.dispute, { id, account, ...fields })

export const deauthorizedEvent = (id: string, account: string) =>
  eventBody(
    'account.application.deauthorized',
    { ...objects.application, id: 'ca_platform', name: 'Support' },
    { id, account },
  )

export const sign = (payload: string | Buffer, secret = SECRET) =>
  generateTestHeader({ payload, secret })

export const nowSeconds = () => Math.floor(Date.now() / 1000)

/** Assert that `f` throws a StripeConnectError with exactly `code`; returns it. */
export function throwsCode(f: () => unknown, code: StripeConnectErrorCode): StripeConnectError {
  try {
    f()
  } catch (err) {
    assert.ok(err instanceof StripeConnectError, `not a StripeConnectError: ${String(err)}`)
    assert.ok(err instanceof Error)
    assert.equal(err.code, code, err.message)
    assert.equal(err.name, 'StripeConnectError')
    return err
  }
  assert.fail(`expected ${code}, nothing was thrown`)
}

/** Assert that `p` rejects with a StripeConnectError with exactly `code`; returns it. */
export async function rejectsCode(
  p: Promise<unknown>,
  code: StripeConnectErrorCode,
): Promise<StripeConnectError> {
  try {
    await p
  } catch (err) {
    assert.ok(err instanceof StripeConnectError, `not a StripeConnectError: ${String(err)}`)
    assert.equal(err.code, code, err.message)
    return err
  }
  assert.fail(`expected ${code}, it resolved`)
}

/** A connections store over fixed rows (read-only: saving and clearing change nothing). */
export function fixedConnections(rows: readonly Connection[]): ConnectionStore {
  return {
    save() {},
    clearByAccount: () => null,
    getBySlug: (slug) => rows.find((r) => r.appSlug === slug) ?? null,
    list: () => [...rows],
  }
}

/** An apps table in a Map (async, like a database); `rows` is what it holds. */
export function mapConnectionStore(): ConnectionStore & { rows: Map<string, Connection> } {
  const rows = new Map<string, Connection>()
  return {
    rows,
    async save(c) {
      rows.set(c.appSlug, c)
    },
    async clearByAccount(a) {
      const row = [...rows.values()].find((c) => c.accountId === a)
      if (row) rows.delete(row.appSlug)
      return row?.appSlug ?? null
    },
    async getBySlug(s) {
      return rows.get(s) ?? null
    },
    async list() {
      return [...rows.values()]
    },
  }
}

/**
 * A test kit page's form as a browser would post it: the hidden fields and the checked account
 * radio (the install page's; the consent page's picker is a select, left to the test), decoded.
 */
export function pageForm(html: string): URLSearchParams {
  const decode = (s: string) =>
    s
      .replaceAll('&quot;', '"')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&#39;', "'")
      .replaceAll('&amp;', '&')
  const fields = new URLSearchParams()
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
    fields.append(decode(m[1]!), decode(m[2]!))
  const checked = /<input type="radio" name="account" value="([^"]*)" checked>/.exec(html)
  if (checked) fields.set('account', decode(checked[1]!))
  return fields
}
