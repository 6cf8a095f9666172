// `stripe-connect-testkit trigger <event> --to <url>`: what Stripe's CLI `stripe trigger` does for
// a real account, for a running test kit. The event's data is the kit's own (the connected account,
// its newest dispute or early fraud warning, read over the kit's Stripe API); the delivery is
// signed with the webhook secret the kit printed and POSTed to the app as Stripe sends it.

import type { EarlyFraudWarning } from './billing.js'
import type { Dispute } from './objects.js'
import type { AccountInfo } from './server/accounts.js'
import { ACCOUNTS_PATH } from './server/fake.js'
import {
  applicationDeauthorizedEvent,
  deliverWebhook,
  disputeCreatedEvent,
  earlyFraudWarningCreatedEvent,
  type DeliveryResult,
  type StripeEvent,
} from './webhooks.js'

/** The events `trigger` sends: the ones `@support/stripe-connect` acts on. */
export const TRIGGER_EVENTS = [
  'charge.dispute.created',
  'account.application.deauthorized',
  'radar.early_fraud_warning.created',
] as const

export type TriggerEventType = (typeof TRIGGER_EVENTS)[number]

export interface TriggerOptions {
  /** One of `TRIGGER_EVENTS`. */
  event: string
  /** The app's webhook endpoint (`http://localhost:3000/api/stripe/webhooks`). */
  to: string
  /** The running kit (`http://127.0.0.1:12111`, what it printed as `STRIPE_API_BASE`). */
  kit: string
  /** The kit's platform key (to read its accounts and objects). */
  secretKey: string
  /** The kit's Connect client id (`data.object.id` of a deauthorization). */
  clientId: string
  /** The endpoint secret to sign with (what the kit printed as `STRIPE_WEBHOOK_SECRET`). */
  webhookSecret: string
  /** The connected account the event is about; default the only connected one. */
  account?: string
}

export interface TriggerResult {
  event: StripeEvent
  /** The connected account the event is on. */
  account: string
  /** What the event is about, in words (`dispute du_… of charge ch_…`). */
  about: string
  /** The app's answer. */
  delivery: DeliveryResult
}

/** A `trigger` that could not send its event (no kit, no connected account, nothing to report). */
export class TriggerError extends Error {
  override name = 'TriggerError'
}

/** Reads the kit's event data, signs the event and POSTs it to `options.to`. */
export async function trigger(options: TriggerOptions): Promise<TriggerResult> {
  const type = options.event as TriggerEventType
  if (!TRIGGER_EVENTS.includes(type)) {
    throw new TriggerError(
      `unknown event ${JSON.stringify(options.event)}: trigger sends ${TRIGGER_EVENTS.join(', ')}`,
    )
  }
  const to = new URL(options.to)
  const kit = new Kit(options.kit, options.secretKey)
  const account = pickAccount(await kit.accounts(), options.account, kit.base)
  let event: StripeEvent
  let about: string
  switch (type) {
    case 'charge.dispute.created': {
      const dispute = await kit.newest<Dispute>(account, '/v1/disputes', 'dispute')
      event = disputeCreatedEvent(account, dispute)
      about = `dispute ${dispute.id} of charge ${String(dispute.charge)}`
      break
    }
    case 'radar.early_fraud_warning.created': {
      const warning = await kit.newest<EarlyFraudWarning>(
        account,
        '/v1/radar/early_fraud_warnings',
        'early fraud warning',
      )
      event = earlyFraudWarningCreatedEvent(account, warning)
      about = `early fraud warning ${warning.id} on charge ${String(warning.charge)}`
      break
    }
    case 'account.application.deauthorized':
      // As on Stripe, the account has disconnected the platform before the event is sent.
      await kit.deauthorize(account, options.clientId)
      event = applicationDeauthorizedEvent(account, options.clientId)
      about = `${account} disconnected ${options.clientId} (now disconnected on the kit too)`
      break
  }
  const delivery = await deliverWebhook(to, event, { secret: options.webhookSecret })
  return { event, account, about, delivery }
}

function pickAccount(accounts: AccountInfo[], wanted: string | undefined, base: string): string {
  const connected = accounts.filter((a) => a.connected)
  if (wanted !== undefined) {
    const found = accounts.find((a) => a.id === wanted)
    if (!found)
      throw new TriggerError(
        `no account ${wanted} on the kit at ${base} (it has ${accounts.map((a) => a.id).join(', ') || 'none'})`,
      )
    if (!found.connected)
      throw new TriggerError(
        `${wanted} is not connected to the platform on the kit: Stripe sends Connect events only for connected accounts. Connect it from the app first.`,
      )
    return found.id
  }
  if (connected.length === 1) return connected[0]!.id
  if (connected.length === 0)
    throw new TriggerError(
      `no account is connected on the kit at ${base}: connect one from the app first (its authorize route, then Connect on the kit's page), or pass --account acct_…`,
    )
  throw new TriggerError(
    `${connected.length} accounts are connected on the kit (${connected.map((a) => a.id).join(', ')}): pass --account with one of them`,
  )
}

/** The running kit, read with its platform key. */
class Kit {
  readonly base: string
  private readonly secretKey: string

  constructor(base: string, secretKey: string) {
    this.base = new URL(base).origin
    this.secretKey = secretKey
  }

  private async call(path: string, init: RequestInit = {}, account?: string): Promise<unknown> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.secretKey}` }
    if (account) headers['stripe-account'] = account
    let res: Response
    try {
      res = await fetch(`${this.base}${path}`, {
        ...init,
        headers: { ...headers, ...(init.headers as Record<string, string> | undefined) },
        signal: AbortSignal.timeout(10_000),
      })
    } catch (err) {
      throw new TriggerError(
        `no test kit answers at ${this.base} (${(err as Error).cause ?? (err as Error).message}): start it with \`npx stripe-connect-testkit\`, or pass --kit with the STRIPE_API_BASE it printed`,
      )
    }
    const body = (await res.json().catch(() => null)) as {
      error?: { message?: string; error_description?: string } | string
      error_description?: string
    } | null
    if (!res.ok) {
      const detail =
        typeof body?.error === 'object'
          ? body.error.message
          : (body?.error_description ?? JSON.stringify(body))
      throw new TriggerError(
        `the kit at ${this.base} answered ${res.status} to ${init.method ?? 'GET'} ${path}: ${detail}`,
      )
    }
    return body
  }

  async accounts(): Promise<AccountInfo[]> {
    return ((await this.call(ACCOUNTS_PATH)) as { data: AccountInfo[] }).data
  }

  /** The account's newest object of a list (`/v1/disputes`). */
  async newest<T>(account: string, path: string, noun: string): Promise<T> {
    const page = (await this.call(`${path}?limit=1`, {}, account)) as { data: T[] }
    const first = page.data[0]
    if (first === undefined)
      throw new TriggerError(
        `${account} has no ${noun} on the kit: the kit's seeded accounts each have one; seed one on this account first`,
      )
    return first
  }

  async deauthorize(account: string, clientId: string): Promise<void> {
    await this.call('/oauth/deauthorize', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: clientId, stripe_user_id: account }).toString(),
    })
  }
}
