/**
 * `StripeConnect`: the configured client. A thin wrapper: the native client does the work, this
 * class turns every failure into a `StripeConnectError` and keeps secrets out of `util.inspect`.
 */
import native = require('../native/index.js')
import { guard, guardAsync } from './errors.js'
import type { Payload, Stores, StripeConnectOptions, WebhookOutcome } from './types.js'

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')

function split(options: Partial<StripeConnectOptions> | undefined): [native.NativeOptions, Stores | undefined] {
  const { stores, ...rest } = options ?? {}
  return [rest, stores]
}

/** The `STRIPE_*` variables of `process.env` (the only ones read). */
function stripeVariables(): Record<string, string> {
  const vars: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('STRIPE_') && value !== undefined) vars[name] = value
  }
  return vars
}

export class StripeConnect {
  // A private field: invisible to util.inspect, JSON.stringify and Object.keys.
  readonly #native: native.NativeClient

  /** Throws `StripeConnectError` (`config_invalid`, `invalid_input`) for unusable options. */
  constructor(options: StripeConnectOptions)
  /** @internal */
  constructor(options: StripeConnectOptions, handle: native.NativeClient)
  constructor(options: StripeConnectOptions, handle?: native.NativeClient) {
    this.#native =
      handle ??
      guard(() => {
        const [rest, stores] = split(options)
        return new native.NativeClient(rest, stores)
      })
  }

  /**
   * Configuration from the environment (`STRIPE_SECRET_KEY`, `STRIPE_CONNECT_CLIENT_ID`,
   * `STRIPE_WEBHOOK_SECRET` (comma-separated), `STRIPE_CONNECT_REDIRECT_URI`,
   * `STRIPE_STATE_SECRET`, `STRIPE_CONNECT_SCOPE`), with `overrides` on top. Reads `process.env`
   * (so dotenv and Bun's env loading are seen).
   */
  static fromEnv(overrides?: Partial<StripeConnectOptions>): StripeConnect {
    const handle = guard(() => {
      const [rest, stores] = split(overrides)
      return native.NativeClient.fromEnv(stripeVariables(), rest, stores)
    })
    return new StripeConnect({ secretKey: '' }, handle)
  }

  /**
   * Verify and act on one webhook delivery: dedupe on `event.id`, clear the connection on
   * `account.application.deauthorized`, send `charge.dispute.created` to the dispute sink.
   * `payload` is the raw request body. Rejects with `StripeConnectError`: `webhook_*` → answer
   * 400; `store_failed` → answer 5xx so that Stripe redelivers.
   */
  handleWebhook(payload: Payload, header: string | null | undefined): Promise<WebhookOutcome> {
    return guardAsync(() => this.#native.handleWebhook(payload, header))
  }

  [inspectSymbol](): string {
    return `StripeConnect ${this.#native.describe()}`
  }
}
