// A local Stripe Connect stand-in on 127.0.0.1: the OAuth endpoints of connect.stripe.com and the
// read-only slice of api.stripe.com this package uses, with per-account data, fault knobs, a
// request log and a tripwire for any API call that is not a GET.

import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { Socket } from 'node:net'

import {
  buildCharge,
  buildCustomer,
  buildDispute,
  buildPrice,
  buildProduct,
  buildRefund,
  buildSubscription,
  checkId,
  stripeId,
  type Charge,
  type ChargeInput,
  type Customer,
  type CustomerInput,
  type Dispute,
  type DisputeInput,
  type Price,
  type PriceInput,
  type Product,
  type ProductInput,
  type Refund,
  type RefundInput,
  type StripeObject,
  type Subscription,
  type SubscriptionInput,
} from './objects.js'
import { DEFAULT_API_VERSION } from './webhooks.js'

// ---- public types ------------------------------------------------------------------------------

export interface FakeStripeOptions {
  /** Default 0 (a free port). The host is always 127.0.0.1. */
  port?: number
  /** The platform secret key every API and OAuth token call must carry as `Bearer`. Default: any `sk_test_…`/`sk_live_…`/`rk_…` key. */
  secretKey?: string
  /** The platform's Connect client id (`ca_…`). Default: any `ca_…`. */
  clientId?: string
  /** Redirect URIs registered for the platform; `redirect_uri` must match one exactly. Default: any http(s) URL. */
  redirectUris?: readonly string[]
  /** Scopes the platform may request. Default `['read_write', 'read_only']`. */
  scopes?: readonly string[]
  /** `livemode` of token responses. Default false. */
  livemode?: boolean
  /** Added to every request, in ms (the benchmark uses 50). Can be changed later through `fake.latencyMs`. */
  latencyMs?: number
  /** How long an authorization code stays valid. Default 5 minutes, as on Stripe. */
  codeTtlMs?: number
  /** The clock for code expiry, in ms. Default `Date.now`. */
  now?: () => number
  /** Echoed as `Stripe-Version` when the request sends none. */
  apiVersion?: string
}

export type OAuthDecision = 'approve' | 'deny'

export interface RecordedRequest {
  /** 1, 2, 3, … in arrival order. */
  seq: number
  method: string
  /** The path without the query string. */
  path: string
  /** Query parameters; a repeated key (e.g. `expand[]`) gives an array. */
  query: Record<string, string | string[]>
  /** Header names lowercased. */
  headers: Record<string, string>
  /** The raw body. */
  body: string
  /** The body parsed as a form, when it is one. */
  form: Record<string, string> | null
  /** The `Stripe-Account` header, or null. */
  account: string | null
  /** The status sent, or null for a dropped connection (set when the response ends). */
  status: number | null
  /** The fault that hit this request, if any. */
  fault: FaultKind | null
  /** Arrival time, ms since epoch. */
  at: number
}

export interface Violation {
  /** `non_get`: a mutation attempt on `/v1`; `missing_stripe_account`: an API call for the platform itself. */
  kind: 'non_get' | 'missing_stripe_account'
  method: string
  path: string
  seq: number
  message: string
}

export type FaultKind = 'latency' | 'rate_limit' | 'server_error' | 'drop'

export type Fault =
  /** Wait `ms` before answering normally. */
  | { kind: 'latency'; ms: number }
  /** 429 `rate_limit` with `Retry-After` (seconds, default 1) and `Stripe-Rate-Limited-Reason`. */
  | { kind: 'rate_limit'; retryAfter?: number; reason?: string; shouldRetry?: boolean }
  /** 500 (or `status`) `api_error`, with `Stripe-Should-Retry` when given. */
  | { kind: 'server_error'; status?: number; shouldRetry?: boolean }
  /** Destroy the socket: mid-response (status line and part of the body sent, default) or before any byte. */
  | { kind: 'drop'; when?: 'mid_response' | 'before_response' }

export interface FaultOptions {
  /** Apply to the first N matching requests only (default: always). */
  times?: number
  /** Only this method (default any). */
  method?: string
}

export interface FaultHandle {
  readonly match: string | RegExp
  readonly fault: Fault
  /** Requests this fault hit so far. */
  readonly hits: number
  remove(): void
}

export interface AccountInfo {
  id: string
  email: string | null
  connected: boolean
  /** The scope granted by the last OAuth approval, or null if seeded directly. */
  scope: string | null
}

export interface SeedData {
  customers?: CustomerInput[]
  charges?: ChargeInput[]
  subscriptions?: SubscriptionInput[]
  refunds?: RefundInput[]
  disputes?: DisputeInput[]
  products?: ProductInput[]
  prices?: PriceInput[]
}

export interface Seeded {
  customers: Customer[]
  charges: Charge[]
  subscriptions: Subscription[]
  refunds: Refund[]
  disputes: Dispute[]
  products: Product[]
  prices: Price[]
}

export interface RequestFilter {
  method?: string
  /** A path prefix or a RegExp tested against the path. */
  path?: string | RegExp
  account?: string | null
}

export interface AuthorizeResult {
  /** The status of the authorize answer (302 when it redirected). */
  status: number
  /** The redirect target (the app's callback URL with `code`/`error` and `state`), or null. */
  location: string | null
  /** Parsed `location` query: `code`, `scope`, `state` or `error`, `error_description`, `state`. */
  params: Record<string, string>
  /** The error body when Stripe would show an error page instead of redirecting. */
  body: unknown
}

// ---- internals ---------------------------------------------------------------------------------

interface AccountState extends AccountInfo {
  customers: Map<string, Customer>
  charges: Map<string, Charge>
  subscriptions: Map<string, Subscription>
  refunds: Map<string, Refund>
  disputes: Map<string, Dispute>
  products: Map<string, Product>
  prices: Map<string, Price>
  unsearchable: Set<string>
}

interface CodeRecord {
  code: string
  account: string
  scope: string
  clientId: string
  issuedAt: number
  used: boolean
}

interface FaultRule {
  match: string | RegExp
  fault: Fault
  method: string | undefined
  remaining: number
  hits: number
}

// (Plain fields rather than parameter properties, so type-stripping runtimes can load this file.)
class StripeError {
  readonly status: number
  readonly type: string
  readonly message: string
  readonly code: string | undefined
  readonly param: string | undefined
  readonly headers: Record<string, string>
  constructor(
    status: number,
    type: string,
    message: string,
    code?: string,
    param?: string,
    headers: Record<string, string> = {},
  ) {
    this.status = status
    this.type = type
    this.message = message
    this.code = code
    this.param = param
    this.headers = headers
  }
}

class OAuthError {
  readonly status: number
  readonly error: string
  readonly description: string
  constructor(status: number, error: string, description: string) {
    this.status = status
    this.error = error
    this.description = description
  }
}

/** Headers `fake.authorize()` uses to pass a per-visit decision / account to the authorize page. */
const DECISION_HEADER = 'x-fake-stripe-decision'
const ACCOUNT_HEADER = 'x-fake-stripe-account'

const SUB_STATUSES = [
  'active',
  'all',
  'canceled',
  'ended',
  'incomplete',
  'incomplete_expired',
  'past_due',
  'paused',
  'trialing',
  'unpaid',
]
const LIST_PARAMS = ['limit', 'starting_after', 'ending_before', 'created', 'expand']

interface ListRoute {
  collection: 'customers' | 'charges' | 'subscriptions' | 'refunds' | 'disputes' | 'products'
  params: string[]
  filter: (obj: StripeObject, q: URLSearchParams) => boolean
  defaultFilter?: (obj: StripeObject) => boolean
}

function eq(field: string, param: string = field) {
  return (obj: StripeObject, q: URLSearchParams) => {
    const want = q.get(param)
    return want === null || obj[field] === want
  }
}

const LIST_ROUTES: Record<string, ListRoute> = {
  '/v1/customers': {
    collection: 'customers',
    params: [...LIST_PARAMS, 'email', 'test_clock'],
    filter: eq('email'),
  },
  '/v1/charges': {
    collection: 'charges',
    params: [...LIST_PARAMS, 'customer', 'payment_intent', 'transfer_group'],
    filter: (o, q) =>
      eq('customer')(o, q) && eq('payment_intent')(o, q) && eq('transfer_group')(o, q),
  },
  '/v1/subscriptions': {
    collection: 'subscriptions',
    params: [
      ...LIST_PARAMS,
      'customer',
      'status',
      'price',
      'collection_method',
      'current_period_end',
      'current_period_start',
      'test_clock',
      'automatic_tax',
    ],
    filter: (o, q) => {
      if (!eq('customer')(o, q)) return false
      const price = q.get('price')
      if (price !== null && !(o as Subscription).items.data.some((i) => i.price.id === price))
        return false
      const status = q.get('status')
      if (status === null || status === 'all') return true
      if (status === 'ended') return o.status === 'canceled' || o.status === 'incomplete_expired'
      return o.status === status
    },
    // Without `status`, Stripe lists every subscription that is not canceled.
    defaultFilter: (o) => o.status !== 'canceled',
  },
  '/v1/refunds': {
    collection: 'refunds',
    params: [...LIST_PARAMS, 'charge', 'payment_intent'],
    filter: (o, q) => eq('charge')(o, q) && eq('payment_intent')(o, q),
  },
  '/v1/disputes': {
    collection: 'disputes',
    params: [...LIST_PARAMS, 'charge', 'payment_intent'],
    filter: (o, q) => eq('charge')(o, q) && eq('payment_intent')(o, q),
  },
  // `ids[]` is how the core names subscription plans whose price has no nickname (one call per 100 products).
  '/v1/products': {
    collection: 'products',
    params: [...LIST_PARAMS, 'active', 'ids', 'shippable', 'url'],
    filter: (o, q) => {
      const ids = [...q].filter(([k]) => baseParam(k) === 'ids').map(([, v]) => v)
      if (ids.length > 0 && !ids.includes(o.id)) return false
      const active = q.get('active')
      return active === null || String(o['active']) === active
    },
  },
}

const RETRIEVE_ROUTES: Record<string, { collection: keyof Seeded; noun: string }> = {
  customers: { collection: 'customers', noun: 'customer' },
  charges: { collection: 'charges', noun: 'charge' },
  subscriptions: { collection: 'subscriptions', noun: 'subscription' },
  refunds: { collection: 'refunds', noun: 'refund' },
  disputes: { collection: 'disputes', noun: 'dispute' },
  products: { collection: 'products', noun: 'product' },
  prices: { collection: 'prices', noun: 'price' },
}

const ID_PREFIX_COLLECTION: [string, keyof Seeded][] = [
  ['cus_', 'customers'],
  ['ch_', 'charges'],
  ['py_', 'charges'],
  ['sub_', 'subscriptions'],
  ['re_', 'refunds'],
  ['pyr_', 'refunds'],
  ['dp_', 'disputes'],
  ['du_', 'disputes'],
  ['prod_', 'products'],
  ['price_', 'prices'],
]

function baseParam(key: string): string {
  const i = key.indexOf('[')
  return i === -1 ? key : key.slice(0, i)
}

function redactKey(key: string): string {
  if (key.length <= 12) return '***'
  return `${key.slice(0, 8)}${'*'.repeat(Math.min(20, key.length - 12))}${key.slice(-4)}`
}

function parseQuery(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of params) {
    const prev = out[k]
    if (prev === undefined) out[k] = v
    else if (Array.isArray(prev)) prev.push(v)
    else out[k] = [prev, v]
  }
  return out
}

function sleep(ms: number, timers: Set<NodeJS.Timeout>): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      timers.delete(t)
      resolve()
    }, ms)
    timers.add(t)
  })
}

// ---- the fake ----------------------------------------------------------------------------------

/** The running fake. Create it with `startFakeStripe()`. */
export class FakeStripe {
  /** `http://127.0.0.1:<port>`: use it as both `apiBase` and `connectBase`. */
  readonly url: string
  readonly port: number
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = []
  /** Every broken read-only rule (non-GET `/v1` call, `/v1` call without `Stripe-Account`). */
  readonly violations: Violation[] = []
  /** Added to every request, in ms. */
  latencyMs: number

  /** OAuth behaviour knobs. */
  readonly oauth: {
    /** What the user does on the authorize page when nothing is queued. Default `'approve'`. */
    decision: OAuthDecision
    /** One-shot decisions, used before `decision` (e.g. `fake.oauth.queue.push('deny')`). */
    queue: OAuthDecision[]
    /** The account the next approval connects (one-shot). Otherwise: the account of `stripe_user[email]`, else a new one. */
    nextAccount: string | null
    /** Omit the deprecated `access_token`, `refresh_token` and `stripe_publishable_key` from token responses. */
    omitDeprecatedTokenFields: boolean
  } = { decision: 'approve', queue: [], nextAccount: null, omitDeprecatedTokenFields: false }

  private readonly server: Server
  private readonly options: FakeStripeOptions
  private readonly now: () => number
  private readonly sockets = new Set<Socket>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private accountsById = new Map<string, AccountState>()
  private codes = new Map<string, CodeRecord>()
  private faults: FaultRule[] = []
  private connectionCount = 0
  private seq = 0
  private closed = false

  /** @internal use `startFakeStripe()` */
  constructor(server: Server, options: FakeStripeOptions) {
    this.server = server
    this.options = options
    this.now = options.now ?? Date.now
    this.latencyMs = options.latencyMs ?? 0
    const address = server.address()
    if (address === null || typeof address === 'string')
      throw new Error('fake Stripe: server is not listening on TCP')
    this.port = address.port
    this.url = `http://127.0.0.1:${address.port}`
    server.on('connection', (socket: Socket) => {
      this.connectionCount += 1
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          this.sendApiError(
            res,
            new StripeError(500, 'api_error', `fake Stripe crashed: ${String(err)}`),
          )
        }
      })
    })
  }

  /** TCP connections accepted since start (or the last `reset()`): shows keep-alive reuse. */
  get connections(): number {
    return this.connectionCount
  }

  /** Sockets open right now. */
  get openConnections(): number {
    return this.sockets.size
  }

  // ---- accounts and seeding ----

  /** Creates a connected account (`acct_…`) and returns its id. */
  createAccount(options: { id?: string; email?: string | null; connected?: boolean } = {}): string {
    const id = options.id ?? stripeId('acct_', 16)
    checkId(id, ['acct_'], 'account id')
    if (this.accountsById.has(id)) throw new Error(`fake Stripe: account ${id} already exists`)
    this.accountsById.set(id, {
      id,
      email: options.email ?? null,
      connected: options.connected ?? true,
      scope: null,
      customers: new Map(),
      charges: new Map(),
      subscriptions: new Map(),
      refunds: new Map(),
      disputes: new Map(),
      products: new Map(),
      prices: new Map(),
      unsearchable: new Set(),
    })
    return id
  }

  /** A snapshot of the accounts the fake knows. */
  get accounts(): AccountInfo[] {
    return [...this.accountsById.values()].map(({ id, email, connected, scope }) => ({
      id,
      email,
      connected,
      scope,
    }))
  }

  account(id: string): AccountInfo | undefined {
    return this.accounts.find((a) => a.id === id)
  }

  isConnected(id: string): boolean {
    return this.accountsById.get(id)?.connected ?? false
  }

  /** Connects (or re-connects) an account without the OAuth dance; creates it if needed. */
  connect(id: string): void {
    this.ensureAccount(id).connected = true
  }

  /** Disconnects an account as a revoked connection would: its API calls then fail 403 `account_invalid`. */
  disconnect(id: string): void {
    const acct = this.accountsById.get(id)
    if (acct) acct.connected = false
  }

  private ensureAccount(id: string): AccountState {
    const existing = this.accountsById.get(id)
    if (existing) return existing
    this.createAccount({ id })
    return this.accountsById.get(id)!
  }

  /** Adds a customer to `account` (created and connected if new). Returns the Stripe object served. */
  addCustomer(account: string, input: CustomerInput = {}): Customer {
    const acct = this.ensureAccount(account)
    const customer = buildCustomer(input)
    acct.customers.set(customer.id, customer)
    if (input.searchable === false) acct.unsearchable.add(customer.id)
    return customer
  }

  /** Adds a charge; `customer` may be an id or a customer object. */
  addCharge(account: string, input: ChargeInput = {}): Charge {
    const acct = this.ensureAccount(account)
    const charge = buildCharge(input)
    acct.charges.set(charge.id, charge)
    return charge
  }

  /** Adds a refund of `input.charge` (which must exist) and updates the charge's `amount_refunded`, `refunded` and `refunds`. */
  addRefund(account: string, input: RefundInput): Refund {
    const acct = this.ensureAccount(account)
    const charge = acct.charges.get(input.charge)
    if (!charge)
      throw new Error(
        `fake Stripe: addRefund: no charge ${input.charge} on ${account}; add it first`,
      )
    const refund = buildRefund(input, charge)
    acct.refunds.set(refund.id, refund)
    if (refund.status === 'succeeded' || refund.status === 'pending') {
      charge.amount_refunded += refund.amount
      charge.refunded = charge.amount_refunded >= charge.amount
    }
    charge.refunds.data.unshift(refund)
    return refund
  }

  /** Adds a dispute on `input.charge` (which must exist) and marks the charge `disputed`. */
  addDispute(account: string, input: DisputeInput): Dispute {
    const acct = this.ensureAccount(account)
    const charge = acct.charges.get(input.charge)
    if (!charge)
      throw new Error(
        `fake Stripe: addDispute: no charge ${input.charge} on ${account}; add it first`,
      )
    const dispute = buildDispute(input, charge)
    acct.disputes.set(dispute.id, dispute)
    charge.disputed = true
    return dispute
  }

  /** Adds a subscription (one item; its price and product are created unless given). */
  addSubscription(account: string, input: SubscriptionInput): Subscription {
    const acct = this.ensureAccount(account)
    const { subscription, price, product } = buildSubscription(input)
    acct.subscriptions.set(subscription.id, subscription)
    acct.prices.set(price.id, price)
    if (product) acct.products.set(product.id, product)
    return subscription
  }

  addProduct(account: string, input: ProductInput = {}): Product {
    const product = buildProduct(input)
    this.ensureAccount(account).products.set(product.id, product)
    return product
  }

  addPrice(account: string, input: PriceInput = {}): Price {
    const price = buildPrice(input)
    this.ensureAccount(account).prices.set(price.id, price)
    return price
  }

  /**
   * Seeds an account in one call, in dependency order (products, prices, customers, charges,
   * subscriptions, refunds, disputes), so later entries can name ids given to earlier ones.
   */
  seed(account: string, data: SeedData): Seeded {
    this.ensureAccount(account)
    return {
      products: (data.products ?? []).map((p) => this.addProduct(account, p)),
      prices: (data.prices ?? []).map((p) => this.addPrice(account, p)),
      customers: (data.customers ?? []).map((c) => this.addCustomer(account, c)),
      charges: (data.charges ?? []).map((c) => this.addCharge(account, c)),
      subscriptions: (data.subscriptions ?? []).map((s) => this.addSubscription(account, s)),
      refunds: (data.refunds ?? []).map((r) => this.addRefund(account, r)),
      disputes: (data.disputes ?? []).map((d) => this.addDispute(account, d)),
    }
  }

  /** The stored object (live: changes show in later responses), or undefined. */
  get<T extends StripeObject = StripeObject>(account: string, id: string): T | undefined {
    const acct = this.accountsById.get(account)
    if (!acct) return undefined
    for (const [prefix, collection] of ID_PREFIX_COLLECTION) {
      if (id.startsWith(prefix)) return acct[collection].get(id) as unknown as T | undefined
    }
    return undefined
  }

  // ---- faults ----

  /**
   * Injects `fault` on requests whose path starts with `match` (or matches the RegExp).
   * Latency faults add up and the request then goes on; the first other matching fault answers.
   */
  fault(match: string | RegExp, fault: Fault, options: FaultOptions = {}): FaultHandle {
    const rule: FaultRule = {
      match,
      fault,
      method: options.method?.toUpperCase(),
      remaining: options.times ?? Number.POSITIVE_INFINITY,
      hits: 0,
    }
    this.faults.push(rule)
    const faults = () => this.faults
    const remove = (r: FaultRule) => {
      this.faults = this.faults.filter((x) => x !== r)
    }
    return {
      match,
      fault,
      get hits() {
        return rule.hits
      },
      remove() {
        if (faults().includes(rule)) remove(rule)
      },
    }
  }

  clearFaults(): void {
    this.faults = []
  }

  // ---- request log ----

  /** Requests matching the filter (method, path prefix or RegExp, Stripe-Account). */
  findRequests(filter: RequestFilter = {}): RecordedRequest[] {
    return this.requests.filter((r) => {
      if (filter.method && r.method !== filter.method.toUpperCase()) return false
      if (filter.path !== undefined && !pathMatches(filter.path, r.path)) return false
      if (filter.account !== undefined && r.account !== filter.account) return false
      return true
    })
  }

  /** API requests (`/v1/...`) only. */
  apiRequests(filter: Omit<RequestFilter, 'path'> = {}): RecordedRequest[] {
    return this.findRequests({ ...filter, path: '/v1/' })
  }

  clearRequests(): void {
    this.requests.length = 0
    this.violations.length = 0
  }

  /** Throws an Error listing the violations, if there are any. Handy in `afterEach`. */
  assertNoViolations(): void {
    if (this.violations.length > 0) {
      throw new Error(
        `fake Stripe saw ${this.violations.length} read-only violation(s):\n${this.violations.map((v) => `  #${v.seq} ${v.method} ${v.path}: ${v.message}`).join('\n')}`,
      )
    }
  }

  /** Forgets accounts, data, codes, faults, the log and OAuth knobs (keeps the port): for `beforeEach`. */
  reset(): void {
    this.accountsById = new Map()
    this.codes = new Map()
    this.faults = []
    this.requests.length = 0
    this.violations.length = 0
    this.connectionCount = 0
    this.latencyMs = this.options.latencyMs ?? 0
    Object.assign(this.oauth, {
      decision: 'approve',
      queue: [],
      nextAccount: null,
      omitDeprecatedTokenFields: false,
    })
  }

  // ---- OAuth helpers ----

  /**
   * Visits an authorize URL (as the user's browser would) and returns where Stripe sends the user:
   * the app's callback with `code`/`state` or `error=access_denied`. `decision` and `account`
   * override the knobs for this visit.
   */
  async authorize(
    authorizeUrl: string | URL,
    options: { decision?: OAuthDecision; account?: string } = {},
  ): Promise<AuthorizeResult> {
    const target = new URL(authorizeUrl)
    const headers: Record<string, string> = {}
    if (options.decision) headers[DECISION_HEADER] = options.decision
    if (options.account) headers[ACCOUNT_HEADER] = checkId(options.account, ['acct_'], 'account id')
    const res = await rawGet(new URL(`${target.pathname}${target.search}`, this.url), headers)
    const location = res.headers.location ?? null
    const params: Record<string, string> = {}
    if (location) for (const [k, v] of new URL(location).searchParams) params[k] = v
    let body: unknown = undefined
    try {
      body = JSON.parse(res.body)
    } catch {
      body = res.body || undefined
    }
    return { status: res.status, location, params, body }
  }

  /** The codes issued so far (for assertions: used, account, scope). */
  get issuedCodes(): ReadonlyArray<Readonly<CodeRecord>> {
    return [...this.codes.values()]
  }

  /** Closes the server and every socket; pending latency timers are cancelled. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
    await done
  }

  // ---- request handling ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const method = (req.method ?? 'GET').toUpperCase()
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v
    }
    const isForm =
      (headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ||
      (body !== '' && !body.trimStart().startsWith('{'))
    const record: RecordedRequest = {
      seq: ++this.seq,
      method,
      path: url.pathname,
      query: parseQuery(url.searchParams),
      headers,
      body,
      form: isForm && body !== '' ? Object.fromEntries(new URLSearchParams(body)) : null,
      account: headers['stripe-account'] ?? null,
      status: null,
      fault: null,
      at: Date.now(),
    }
    this.requests.push(record)
    res.on('finish', () => {
      record.status = res.statusCode
    })

    // The read-only tripwire counts every attempt, whatever a fault then answers.
    const isApi = url.pathname === '/v1' || url.pathname.startsWith('/v1/')
    if (isApi && method !== 'GET') {
      const message = `The fake Stripe is read-only: ${method} ${url.pathname} was refused. @support/stripe-connect must only send GET to the Stripe API (query, don't execute).`
      this.violations.push({
        kind: 'non_get',
        method,
        path: url.pathname,
        seq: record.seq,
        message,
      })
    } else if (isApi && record.account === null) {
      const message =
        'The fake Stripe serves connected accounts only: send Stripe-Account: acct_…. (Real Stripe would have answered for the platform account itself, which this package must never query.)'
      this.violations.push({
        kind: 'missing_stripe_account',
        method,
        path: url.pathname,
        seq: record.seq,
        message,
      })
    }

    // Faults: latency first (global + matching rules), then at most one answering fault.
    let delay = this.latencyMs
    let answering: FaultRule | undefined
    for (const rule of this.faults) {
      if (rule.remaining <= 0) continue
      if (rule.method && rule.method !== method) continue
      if (!pathMatches(rule.match, url.pathname)) continue
      if (rule.fault.kind === 'latency') {
        delay += rule.fault.ms
        rule.remaining -= 1
        rule.hits += 1
        record.fault = 'latency'
      } else if (!answering) {
        answering = rule
      }
    }
    if (answering) {
      answering.remaining -= 1
      answering.hits += 1
      record.fault = answering.fault.kind
    }
    if (delay > 0) await sleep(delay, this.timers)
    if (this.closed || res.destroyed) return
    if (answering) return this.applyFault(answering.fault, req, res)

    if (url.pathname.startsWith('/oauth/')) return this.handleOAuth(method, url, record, res)
    if (isApi) return this.handleApi(method, url, record, res)
    this.sendJson(res, 404, {
      error: {
        type: 'invalid_request_error',
        message: `fake Stripe: nothing at ${method} ${url.pathname} (it serves /oauth/* and /v1/*)`,
      },
    })
  }

  private applyFault(fault: Fault, req: IncomingMessage, res: ServerResponse): void {
    switch (fault.kind) {
      case 'latency':
        return
      case 'rate_limit': {
        const headers: Record<string, string> = {
          'Retry-After': String(fault.retryAfter ?? 1),
          'Stripe-Rate-Limited-Reason': fault.reason ?? 'global-rate',
        }
        if (fault.shouldRetry !== undefined)
          headers['Stripe-Should-Retry'] = String(fault.shouldRetry)
        return this.sendApiError(
          res,
          new StripeError(
            429,
            'invalid_request_error',
            'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
            'rate_limit',
            undefined,
            headers,
          ),
        )
      }
      case 'server_error': {
        const headers: Record<string, string> = {}
        if (fault.shouldRetry !== undefined)
          headers['Stripe-Should-Retry'] = String(fault.shouldRetry)
        return this.sendApiError(
          res,
          new StripeError(
            fault.status ?? 500,
            'api_error',
            'An unknown error occurred (injected by the fake Stripe).',
            undefined,
            undefined,
            headers,
          ),
        )
      }
      case 'drop': {
        const socket = req.socket
        if (fault.when === 'before_response') {
          socket.destroy()
          return
        }
        res.writeHead(200, {
          'Content-Type': 'application/json',
          'Content-Length': '4096',
          'Request-Id': stripeId('req_', 14),
        })
        res.write('{\n  "object": "list",\n  "data": [\n    {\n      "id": "')
        // Let the partial response reach the client, then cut the connection.
        const t = setTimeout(() => {
          this.timers.delete(t)
          socket.destroy()
        }, 10)
        this.timers.add(t)
        return
      }
    }
  }

  // ---- OAuth (connect.stripe.com) ----

  private handleOAuth(
    method: string,
    url: URL,
    record: RecordedRequest,
    res: ServerResponse,
  ): void {
    try {
      if (url.pathname === '/oauth/authorize' && method === 'GET')
        return this.oauthAuthorize(url, record, res)
      if (url.pathname === '/oauth/token' && method === 'POST') return this.oauthToken(record, res)
      if (url.pathname === '/oauth/deauthorize' && method === 'POST')
        return this.oauthDeauthorize(record, res)
      throw new OAuthError(
        404,
        'invalid_request',
        `fake Stripe: no OAuth endpoint ${method} ${url.pathname}`,
      )
    } catch (err) {
      if (err instanceof OAuthError)
        return this.sendJson(res, err.status, {
          error: err.error,
          error_description: err.description,
        })
      throw err
    }
  }

  private checkClientId(clientId: string | null | undefined): string {
    if (!clientId) throw new OAuthError(400, 'invalid_request', 'No client_id provided.')
    const expected = this.options.clientId
    if (expected !== undefined ? clientId !== expected : !/^ca_[A-Za-z0-9_]+$/.test(clientId)) {
      throw new OAuthError(400, 'invalid_client', `No such application: '${clientId}'`)
    }
    return clientId
  }

  private checkSecretKey(headers: Record<string, string>): string {
    const auth = headers['authorization'] ?? ''
    const m = /^Bearer (\S+)$/.exec(auth)
    if (!m) {
      throw new OAuthError(
        401,
        'invalid_client',
        "No API key provided. Send the platform secret key as 'Authorization: Bearer sk_…'.",
      )
    }
    const key = m[1]!
    const expected = this.options.secretKey
    if (
      expected !== undefined ? key !== expected : !/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/.test(key)
    ) {
      throw new OAuthError(401, 'invalid_client', `Invalid API Key provided: ${redactKey(key)}`)
    }
    return key
  }

  private oauthAuthorize(url: URL, record: RecordedRequest, res: ServerResponse): void {
    const q = url.searchParams
    // Errors other than access_denied are shown to the user by Stripe, not redirected.
    if (q.get('response_type') !== 'code') {
      throw new OAuthError(
        400,
        'unsupported_response_type',
        `Unsupported response_type: ${JSON.stringify(q.get('response_type'))}; only 'code' is supported.`,
      )
    }
    const clientId = this.checkClientId(q.get('client_id'))
    const redirectUri = q.get('redirect_uri')
    const allowed = this.options.redirectUris
    if (redirectUri === null) {
      throw new OAuthError(
        400,
        'invalid_request',
        'No redirect_uri provided; the fake Stripe needs it explicit (Stripe would fall back to the first registered one).',
      )
    }
    let redirect: URL
    try {
      redirect = new URL(redirectUri)
    } catch {
      throw new OAuthError(400, 'invalid_redirect_uri', `Invalid redirect URI '${redirectUri}'.`)
    }
    if (
      (allowed !== undefined && !allowed.includes(redirectUri)) ||
      !/^https?:$/.test(redirect.protocol)
    ) {
      throw new OAuthError(
        400,
        'invalid_redirect_uri',
        `Invalid redirect URI '${redirectUri}'. Ensure this uri exactly matches one of the uris specified in your application settings.`,
      )
    }
    const scope = q.get('scope')
    const scopes = this.options.scopes ?? ['read_write', 'read_only']
    if (scope === null || !scopes.includes(scope)) {
      throw new OAuthError(
        400,
        'invalid_scope',
        `Invalid scope: ${JSON.stringify(scope)}; this platform may request ${scopes.join(' or ')} (the fake wants it explicit).`,
      )
    }
    const state = q.get('state')
    if (!state)
      throw new OAuthError(
        400,
        'invalid_request',
        'No state provided: the library must send a signed state (CSRF protection).',
      )

    const forced = record.headers[DECISION_HEADER]
    const decision =
      forced === 'approve' || forced === 'deny'
        ? forced
        : (this.oauth.queue.shift() ?? this.oauth.decision)
    const out = new URL(redirect)
    if (decision === 'deny') {
      out.searchParams.set('error', 'access_denied')
      out.searchParams.set('error_description', 'The user denied your request')
      out.searchParams.set('state', state)
    } else {
      const account = this.pickAccount(
        record.headers[ACCOUNT_HEADER] ?? null,
        q.get('stripe_user[email]'),
      )
      account.scope = scope
      const code = stripeId('ac_')
      this.codes.set(code, {
        code,
        account: account.id,
        scope,
        clientId,
        issuedAt: this.now(),
        used: false,
      })
      out.searchParams.set('code', code)
      out.searchParams.set('scope', scope)
      out.searchParams.set('state', state)
    }
    res.writeHead(302, {
      Location: out.href,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': '0',
    })
    res.end()
  }

  private pickAccount(forced: string | null, email: string | null): AccountState {
    if (forced) return this.ensureAccount(forced)
    const wanted = this.oauth.nextAccount
    this.oauth.nextAccount = null
    if (wanted) return this.ensureAccount(wanted)
    if (email) {
      for (const a of this.accountsById.values()) if (a.email === email) return a
    }
    const id = this.createAccount({ email, connected: false })
    return this.accountsById.get(id)!
  }

  private oauthToken(record: RecordedRequest, res: ServerResponse): void {
    this.checkSecretKey(record.headers)
    const form = record.form ?? {}
    const grant = form['grant_type']
    if (grant !== 'authorization_code') {
      throw new OAuthError(
        400,
        'unsupported_grant_type',
        `Unsupported grant type: ${JSON.stringify(grant ?? null)}; the fake Stripe supports authorization_code.`,
      )
    }
    const code = form['code']
    if (!code) throw new OAuthError(400, 'invalid_request', 'No authorization code provided')
    const rec = this.codes.get(code)
    if (!rec) throw new OAuthError(400, 'invalid_grant', `Invalid authorization code: ${code}`)
    if (rec.used) {
      // As on Stripe: reusing a code revokes the connection it made.
      this.disconnect(rec.account)
      throw new OAuthError(
        400,
        'invalid_grant',
        'This authorization code has already been used. All tokens issued with this code have been revoked.',
      )
    }
    if (this.now() - rec.issuedAt > (this.options.codeTtlMs ?? 5 * 60_000)) {
      throw new OAuthError(400, 'invalid_grant', `Authorization code expired: ${code}`)
    }
    rec.used = true
    const account = this.ensureAccount(rec.account)
    account.connected = true
    account.scope = rec.scope
    const livemode = this.options.livemode ?? false
    const mode = livemode ? 'live' : 'test'
    const body: Record<string, unknown> = {
      access_token: stripeId(`sk_${mode}_`, 32),
      livemode,
      refresh_token: stripeId('rt_', 32),
      scope: rec.scope,
      stripe_publishable_key: stripeId(`pk_${mode}_`, 32),
      stripe_user_id: rec.account,
      token_type: 'bearer',
    }
    if (this.oauth.omitDeprecatedTokenFields) {
      delete body['access_token']
      delete body['refresh_token']
      delete body['stripe_publishable_key']
    }
    this.sendJson(res, 200, body)
  }

  private oauthDeauthorize(record: RecordedRequest, res: ServerResponse): void {
    this.checkSecretKey(record.headers)
    const form = record.form ?? {}
    this.checkClientId(form['client_id'])
    const accountId = form['stripe_user_id']
    if (!accountId) throw new OAuthError(400, 'invalid_request', 'No stripe_user_id provided')
    const account = this.accountsById.get(accountId)
    if (!account || !account.connected) {
      throw new OAuthError(
        400,
        'invalid_client',
        `This application is not connected to stripe account ${accountId}, or that account does not exist.`,
      )
    }
    account.connected = false
    this.sendJson(res, 200, { stripe_user_id: accountId })
  }

  // ---- API (api.stripe.com) ----

  private handleApi(method: string, url: URL, record: RecordedRequest, res: ServerResponse): void {
    try {
      this.routeApi(method, url, record, res)
    } catch (err) {
      if (err instanceof StripeError) return this.sendApiError(res, err, record)
      throw err
    }
  }

  private routeApi(method: string, url: URL, record: RecordedRequest, res: ServerResponse): void {
    if (method !== 'GET') {
      const v = this.violations.find((x) => x.seq === record.seq)
      throw new StripeError(
        405,
        'invalid_request_error',
        v?.message ?? 'read-only',
        'fake_stripe_read_only',
        undefined,
        { Allow: 'GET' },
      )
    }
    const auth = record.headers['authorization']
    if (!auth) {
      throw new StripeError(
        401,
        'invalid_request_error',
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      )
    }
    const m = /^Bearer (\S+)$/.exec(auth)
    const key = m?.[1] ?? ''
    const expected = this.options.secretKey
    if (
      expected !== undefined ? key !== expected : !/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/.test(key)
    ) {
      throw new StripeError(
        401,
        'invalid_request_error',
        `Invalid API Key provided: ${redactKey(key)}`,
        'api_key_invalid',
      )
    }
    const accountId = record.account
    if (accountId === null) {
      const v = this.violations.find((x) => x.seq === record.seq)
      throw new StripeError(
        403,
        'invalid_request_error',
        v?.message ?? 'Stripe-Account missing',
        'account_invalid',
      )
    }
    const account = this.accountsById.get(accountId)
    if (!account || !account.connected) {
      throw new StripeError(
        403,
        'invalid_request_error',
        `The provided key '${redactKey(key)}' does not have access to account '${accountId}' (or that account does not exist). Application access may have been revoked.`,
        'account_invalid',
      )
    }

    const path = url.pathname.replace(/\/+$/, '')
    const q = url.searchParams
    if (path === '/v1/customers/search')
      return this.sendJson(res, 200, this.searchCustomers(account, q), record)
    const listRoute = LIST_ROUTES[path]
    if (listRoute) {
      checkParams(q, listRoute.params)
      return this.sendJson(res, 200, this.list(account, path, listRoute, q), record)
    }
    const m2 = /^\/v1\/([a-z_]+)\/([^/]+)$/.exec(path)
    const retrieve = m2 ? RETRIEVE_ROUTES[m2[1]!] : undefined
    if (m2 && retrieve) {
      checkParams(q, ['expand'])
      const id = decodeURIComponent(m2[2]!)
      const obj = account[retrieve.collection].get(id) as StripeObject | undefined
      if (!obj)
        throw new StripeError(
          404,
          'invalid_request_error',
          `No such ${retrieve.noun}: '${id}'`,
          'resource_missing',
          'id',
        )
      return this.sendJson(
        res,
        200,
        this.expand(account, structuredClone(obj), expandList(q)),
        record,
      )
    }
    throw new StripeError(
      404,
      'invalid_request_error',
      `Unrecognized request URL (GET: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    )
  }

  private sorted(account: AccountState, collection: keyof Seeded): StripeObject[] {
    const items = [...(account[collection] as Map<string, StripeObject>).values()]
    const order = new Map(items.map((o, i) => [o, i]))
    // Newest first, as Stripe lists; ties by insertion, newest first.
    return items.sort(
      (a, b) =>
        (b['created'] as number) - (a['created'] as number) || order.get(b)! - order.get(a)!,
    )
  }

  private list(account: AccountState, path: string, route: ListRoute, q: URLSearchParams): object {
    const limit = parseLimit(q.get('limit'))
    const all = this.sorted(account, route.collection)
    const statusGiven = q.has('status')
    if (path === '/v1/subscriptions' && statusGiven && !SUB_STATUSES.includes(q.get('status')!)) {
      throw new StripeError(
        400,
        'invalid_request_error',
        `Invalid status: must be one of ${SUB_STATUSES.join(', ')}`,
        'parameter_invalid_string',
        'status',
      )
    }
    const created = createdFilter(q)
    const matches = (o: StripeObject) =>
      route.filter(o, q) &&
      (statusGiven || !route.defaultFilter || route.defaultFilter(o)) &&
      created(o['created'] as number)
    const cursorIndex = (param: 'starting_after' | 'ending_before'): number | null => {
      const id = q.get(param)
      if (id === null) return null
      const i = all.findIndex((o) => o.id === id)
      if (i === -1) {
        const noun = RETRIEVE_ROUTES[route.collection]!.noun
        throw new StripeError(
          400,
          'invalid_request_error',
          `No such ${noun}: '${id}'`,
          'resource_missing',
          param,
        )
      }
      return i
    }
    const after = cursorIndex('starting_after')
    const before = cursorIndex('ending_before')
    let page: StripeObject[]
    let hasMore: boolean
    if (before !== null && after === null) {
      const candidates = all.slice(0, before).filter(matches)
      page = candidates.slice(Math.max(0, candidates.length - limit))
      hasMore = candidates.length > limit
    } else {
      const candidates = all.slice(after === null ? 0 : after + 1).filter(matches)
      page = candidates.slice(0, limit)
      hasMore = candidates.length > limit
    }
    const listObj = {
      object: 'list',
      data: page.map((o) => structuredClone(o)),
      has_more: hasMore,
      url: path,
    }
    return this.expand(account, listObj, expandList(q))
  }

  private searchCustomers(account: AccountState, q: URLSearchParams): object {
    checkParams(q, ['query', 'limit', 'page', 'expand'])
    const query = q.get('query')
    if (query === null || query.trim() === '') {
      throw new StripeError(
        400,
        'invalid_request_error',
        'Missing required param: query.',
        'parameter_missing',
        'query',
      )
    }
    const predicate = parseSearchQuery(query)
    const limit = parseLimit(q.get('limit'))
    const hits = this.sorted(account, 'customers').filter(
      (c) => !account.unsearchable.has(c.id) && predicate(c),
    )
    let offset = 0
    const page = q.get('page')
    if (page !== null) {
      const m = /^page_(\d+)$/.exec(page)
      if (!m)
        throw new StripeError(
          400,
          'invalid_request_error',
          `Invalid page: '${page}'`,
          'parameter_invalid_string',
          'page',
        )
      offset = Number(m[1])
    }
    const data = hits.slice(offset, offset + limit).map((o) => structuredClone(o))
    const hasMore = hits.length > offset + limit
    const expand = expandList(q)
    const out: Record<string, unknown> = {
      object: 'search_result',
      data,
      has_more: hasMore,
      next_page: hasMore ? `page_${offset + limit}` : null,
      url: '/v1/customers/search',
    }
    if (expand.includes('total_count')) out['total_count'] = hits.length
    return this.expand(
      account,
      out,
      expand.filter((e) => e !== 'total_count'),
    )
  }

  /** Replaces ids at the dotted `expand` paths with the account's objects, as Stripe's `expand[]` does. */
  private expand<T extends object>(account: AccountState, obj: T, paths: string[]): T {
    for (const path of paths) {
      const parts = path.split('.')
      const ok = expandAt(obj, parts, (id) => {
        for (const [prefix, collection] of ID_PREFIX_COLLECTION) {
          if (id.startsWith(prefix)) {
            const found = (account[collection] as Map<string, StripeObject>).get(id)
            return found ? structuredClone(found) : id
          }
        }
        return id
      })
      if (!ok)
        throw new StripeError(
          400,
          'invalid_request_error',
          `This property cannot be expanded (${path}).`,
          undefined,
          'expand',
        )
    }
    return obj
  }

  // ---- responses ----

  private commonHeaders(record?: RecordedRequest): Record<string, string> {
    const h: Record<string, string> = { 'Request-Id': stripeId('req_', 14) }
    if (record?.path.startsWith('/v1'))
      h['Stripe-Version'] =
        record.headers['stripe-version'] ?? this.options.apiVersion ?? DEFAULT_API_VERSION
    return h
  }

  private sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    record?: RecordedRequest,
    extra: Record<string, string> = {},
  ): void {
    const text = JSON.stringify(body, null, 2)
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(text)),
      ...this.commonHeaders(record),
      ...extra,
    })
    res.end(text)
  }

  private sendApiError(res: ServerResponse, err: StripeError, record?: RecordedRequest): void {
    const error: Record<string, unknown> = { type: err.type, message: err.message }
    if (err.code !== undefined) {
      error['code'] = err.code
      if (!err.code.startsWith('fake_'))
        error['doc_url'] = `https://stripe.com/docs/error-codes/${err.code.replace(/_/g, '-')}`
    }
    if (err.param !== undefined) error['param'] = err.param
    error['request_log_url'] = null
    this.sendJson(res, err.status, { error }, record, err.headers)
  }
}

// ---- helpers -----------------------------------------------------------------------------------

function pathMatches(match: string | RegExp, path: string): boolean {
  return typeof match === 'string' ? path.startsWith(match) : match.test(path)
}

function checkParams(q: URLSearchParams, allowed: string[]): void {
  for (const key of q.keys()) {
    const base = baseParam(key)
    if (!allowed.includes(base)) {
      throw new StripeError(
        400,
        'invalid_request_error',
        `Received unknown parameter: ${key}`,
        'parameter_unknown',
        key,
      )
    }
  }
}

function parseLimit(raw: string | null): number {
  if (raw === null) return 10
  if (!/^\d+$/.test(raw))
    throw new StripeError(
      400,
      'invalid_request_error',
      `Invalid integer: ${raw}`,
      'parameter_invalid_integer',
      'limit',
    )
  const n = Number(raw)
  if (n < 1 || n > 100) {
    throw new StripeError(
      400,
      'invalid_request_error',
      `Invalid limit: must be between 1 and 100, got ${n}`,
      'parameter_invalid_integer',
      'limit',
    )
  }
  return n
}

function expandList(q: URLSearchParams): string[] {
  const out: string[] = []
  for (const [k, v] of q) if (k === 'expand' || /^expand\[\d*\]$/.test(k)) out.push(v)
  return out
}

function createdFilter(q: URLSearchParams): (created: number) => boolean {
  const checks: ((c: number) => boolean)[] = []
  for (const [k, v] of q) {
    if (baseParam(k) !== 'created') continue
    const n = Number(v)
    if (!/^\d+$/.test(v))
      throw new StripeError(
        400,
        'invalid_request_error',
        `Invalid integer: ${v}`,
        'parameter_invalid_integer',
        k,
      )
    if (k === 'created') checks.push((c) => c === n)
    else if (k === 'created[gt]') checks.push((c) => c > n)
    else if (k === 'created[gte]') checks.push((c) => c >= n)
    else if (k === 'created[lt]') checks.push((c) => c < n)
    else if (k === 'created[lte]') checks.push((c) => c <= n)
    else
      throw new StripeError(
        400,
        'invalid_request_error',
        `Received unknown parameter: ${k}`,
        'parameter_unknown',
        k,
      )
  }
  return (c) => checks.every((f) => f(c))
}

/** Walks `parts` (arrays are mapped over) and replaces the string id at the end; false if the path does not exist. */
function expandAt(node: unknown, parts: string[], resolve: (id: string) => unknown): boolean {
  if (Array.isArray(node)) return node.every((item) => expandAt(item, parts, resolve))
  if (node === null || typeof node !== 'object') return false
  const obj = node as Record<string, unknown>
  const [head, ...rest] = parts
  if (head === undefined || !(head in obj)) return false
  if (rest.length === 0) {
    const value = obj[head]
    if (typeof value === 'string') obj[head] = resolve(value)
    else if (value !== null && typeof value !== 'object') return false
    return true
  }
  if (obj[head] === null) return true
  return expandAt(obj[head], rest, resolve)
}

/**
 * The slice of Stripe's search query language the fake understands, for customers:
 * `field:"value"` (exact, case-insensitive), `field~"value"` (substring, case-insensitive, 3+ chars),
 * `-` to negate, clauses joined by all-`AND` or all-`OR`. Fields: email, name, phone, metadata["key"].
 */
function parseSearchQuery(query: string): (obj: StripeObject) => boolean {
  const clauseRe =
    /^\s*(-?)(email|name|phone|metadata\["([^"]+)"\])\s*(:|~)\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*/
  const clauses: ((o: StripeObject) => boolean)[] = []
  const joins = new Set<string>()
  let rest = query
  for (;;) {
    const m = clauseRe.exec(rest)
    if (!m) {
      throw new StripeError(
        400,
        'invalid_request_error',
        `The fake Stripe could not parse the search query ${JSON.stringify(query)}: it supports email, name, phone and metadata["key"] with : or ~ and quoted values, joined by AND or OR.`,
        'parameter_invalid_string',
        'query',
      )
    }
    const [, neg, field, metaKey, op, dq, sq] = m
    const value = (dq ?? sq ?? '').replace(/\\(.)/g, '$1').toLowerCase()
    if (op === '~' && value.length < 3) {
      throw new StripeError(
        400,
        'invalid_request_error',
        'Substring (~) search needs at least 3 characters.',
        'parameter_invalid_string',
        'query',
      )
    }
    clauses.push((o) => {
      const raw =
        metaKey !== undefined
          ? (o['metadata'] as Record<string, string> | undefined)?.[metaKey]
          : o[field!]
      const actual = typeof raw === 'string' ? raw.toLowerCase() : null
      const hit = actual !== null && (op === ':' ? actual === value : actual.includes(value))
      return neg ? !hit : hit
    })
    rest = rest.slice(m[0].length)
    if (rest.trim() === '') break
    const j = /^(AND|OR)\s+/.exec(rest)
    if (!j) {
      throw new StripeError(
        400,
        'invalid_request_error',
        `The fake Stripe could not parse the search query ${JSON.stringify(query)} near ${JSON.stringify(rest)}.`,
        'parameter_invalid_string',
        'query',
      )
    }
    joins.add(j[1]!)
    rest = rest.slice(j[0].length)
  }
  if (joins.size > 1)
    throw new StripeError(
      400,
      'invalid_request_error',
      'Search queries cannot mix AND and OR.',
      'parameter_invalid_string',
      'query',
    )
  return joins.has('OR') ? (o) => clauses.some((c) => c(o)) : (o) => clauses.every((c) => c(o))
}

function rawGet(
  url: URL,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'GET', agent: false, headers: { connection: 'close', ...headers } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const headers: Record<string, string | undefined> = {}
          for (const [k, v] of Object.entries(res.headers))
            headers[k] = Array.isArray(v) ? v.join(', ') : v
          resolve({
            status: res.statusCode ?? 0,
            headers,
            body: Buffer.concat(chunks).toString('utf8'),
          })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** Starts the fake on 127.0.0.1 (a free port unless `options.port`). Close it with `fake.close()`. */
export async function startFakeStripe(options: FakeStripeOptions = {}): Promise<FakeStripe> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return new FakeStripe(server, options)
}
