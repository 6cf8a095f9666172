// The support agent's side of the demo: what a tool call costs in bytes, next to the raw Stripe
// objects the same question reads. Shared with benchmark/tools.mts.
import type { StripeConnect } from '@support/stripe-connect'
import type { ToolName, ToolResult, ToolResultOf } from '@support/stripe-connect/tools'
import type { FakeStripe, RecordedRequest } from '@support/stripe-connect/testing'
import { DEMO_EMAIL, type seedDemoCustomer } from './customer.js'

/**
 * The bytes of Stripe's answers to `requests`, asked again of `fake` with the same headers: the
 * raw objects a caller without the tools would have put in the model's context.
 */
export async function rawBytes(fake: FakeStripe, requests: RecordedRequest[]): Promise<number> {
  let total = 0
  for (const r of requests) {
    const url = new URL(r.path, fake.url)
    for (const [k, v] of Object.entries(r.query)) {
      for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, one)
    }
    const headers: Record<string, string> = {}
    for (const name of ['authorization', 'stripe-account', 'stripe-version']) {
      if (r.headers[name]) headers[name] = r.headers[name]!
    }
    const res = await fetch(url, { headers })
    total += (await res.arrayBuffer()).byteLength
  }
  return total
}

export interface Measured {
  name: string
  args: Record<string, unknown>
  result: ToolResult
  /** The tool result as JSON, in bytes (what the model reads). */
  bytes: number
  /** Stripe's answers to the same requests, in bytes. */
  rawBytes: number
  /** API requests the call made. */
  requests: number
}

/** Call one tool and measure it against the raw objects it read. */
export async function measureTool(
  fake: FakeStripe,
  client: StripeConnect,
  name: string,
  args: Record<string, unknown>,
  appSlugs: string[],
): Promise<Measured> {
  const before = fake.apiRequests().length
  const result = await client.callTool(name, args, { appSlugs })
  const made = fake.apiRequests().slice(before)
  return {
    name,
    args,
    result,
    bytes: Buffer.byteLength(JSON.stringify(result)),
    rawBytes: await rawBytes(fake, made),
    requests: made.length,
  }
}

/** One call of each tool for the demo customer (helpdesk and billing-bot both in scope). */
export function demoToolCalls(
  seeded: ReturnType<typeof seedDemoCustomer>,
): [string, Record<string, unknown>][] {
  return [
    ['get_customer_context', { email: DEMO_EMAIL }],
    ['get_payment_history', { appSlug: 'helpdesk', email: DEMO_EMAIL }],
    ['get_subscription_status', { appSlug: 'billing-bot', email: DEMO_EMAIL }],
    ['lookup_charge', { appSlug: 'helpdesk', chargeId: seeded.chargeA2.id }],
    [
      'verify_refund',
      {
        appSlug: 'helpdesk',
        refundId: seeded.refund.id,
        expectedAmount: 1500,
        chargeId: seeded.extraSeats.id,
      },
    ],
    ['get_disputes', { appSlug: 'billing-bot', email: DEMO_EMAIL }],
    ['list_connected_apps', {}],
    // Billing: helpdesk has a paid invoice and an early fraud warning; billing-bot a declined
    // payment intent and an open invoice.
    ['get_invoices', { appSlug: 'billing-bot', email: DEMO_EMAIL }],
    ['get_failed_payments', { appSlug: 'billing-bot', email: DEMO_EMAIL }],
    ['get_billing_timeline', { appSlug: 'helpdesk', email: DEMO_EMAIL }],
  ]
}

/**
 * The JSON value of the first result of tool `name` in a model prompt (what the next step sees),
 * typed as that tool's result.
 */
export function toolResultIn<N extends ToolName>(
  prompt: unknown,
  name: N,
): ToolResultOf<N> | undefined {
  for (const message of prompt as { role: string; content: unknown }[]) {
    if (message.role !== 'tool' || !Array.isArray(message.content)) continue
    type Part = { type: string; toolName?: string; output?: { value?: unknown } }
    for (const part of message.content as Part[]) {
      // The prompt is JSON the AI SDK carried back from our tool's execute: its result for `name`.
      if (part.type === 'tool-result' && part.toolName === name) {
        return part.output?.value as ToolResultOf<N>
      }
    }
  }
  return undefined
}
