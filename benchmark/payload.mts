// The webhook payload of the benchmarks: a `charge.dispute.created` event padded with realistic
// metadata to a target size, byte for byte the one `benchmark/webhook_verify.rs` builds (serde_json
// without `preserve_order` writes object keys sorted, 2-space indent, `": "`), so the Rust and the
// Node numbers are about the same bytes.

export const BENCH_SECRET = 'whsec_benchmark_secret_0123456789'
/** The signed timestamp and the verification clock (Unix seconds), as in the Rust bench. */
export const BENCH_NOW = 1_750_000_000

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v !== null && typeof v === 'object') {
    const out: { [k: string]: Json } = {}
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k])
    return out
  }
  return v
}

function eventWith(metadata: { [k: string]: Json }): string {
  const v: Json = {
    id: 'evt_1Pgc76B7WZ01zgkWwyRHS12y',
    object: 'event',
    account: 'acct_1Connected',
    api_version: '2026-10-28.endive',
    created: 1_750_000_000,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'charge.dispute.created',
    data: {
      object: {
        id: 'dp_1Pgc71B7WZ01zgkWMevJiAUx',
        object: 'dispute',
        amount: 1000,
        currency: 'usd',
        charge: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
        payment_intent: null,
        reason: 'general',
        status: 'warning_needs_response',
        is_charge_refundable: true,
        created: 1_750_000_000,
        evidence_details: {
          due_by: 1_751_000_000,
          has_evidence: false,
          past_due: false,
          submission_count: 0,
        },
        balance_transactions: [],
        livemode: false,
        metadata,
      },
    },
  }
  return JSON.stringify(sortKeys(v), null, 2)
}

/** The event as Stripe would send it, at least `size` bytes (the first padding step that reaches it). */
export function disputeEvent(size: number): string {
  const metadata: { [k: string]: Json } = {}
  for (let i = 0; ; i++) {
    const body = eventWith(metadata)
    if (Buffer.byteLength(body) >= size) return body
    const n = String(i)
    metadata[`order_line_${n.padStart(4, '0')}`] =
      `sku_${n.padStart(8, '0')}:qty=1:note=gift wrap requested`
  }
}
