// The request log and the read-only tripwire: every request as received, and every broken rule
// (a mutation attempt on the API, an API call without `Stripe-Account`).

import type { IncomingMessage, ServerResponse } from 'node:http'

import type { FaultKind } from './faults.js'

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
  /** The `Stripe-Account` header (else `Stripe-Context`), or null. */
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

export interface RequestFilter {
  method?: string
  /** A path prefix or a RegExp tested against the path. */
  path?: string | RegExp
  account?: string | null
}

/** A path prefix or a RegExp, as request filters and faults match paths. */
export function pathMatches(match: string | RegExp, path: string): boolean {
  return typeof match === 'string' ? path.startsWith(match) : match.test(path)
}

/** Whether a path is on the API host (`/v1`), where the read-only rules hold. */
export function isApiPath(path: string): boolean {
  return path === '/v1' || path.startsWith('/v1/')
}

export class RequestLog {
  readonly requests: RecordedRequest[] = []
  readonly violations: Violation[] = []
  private seq = 0

  /** Reads the whole request, logs it (its status is filled in when the response ends) and checks the read-only rules. */
  async record(req: IncomingMessage, res: ServerResponse): Promise<RecordedRequest> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v
    }
    const isForm =
      (headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ||
      (body !== '' && !body.trimStart().startsWith('{'))
    const record: RecordedRequest = {
      seq: ++this.seq,
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: parseQuery(url.searchParams),
      headers,
      body,
      form: isForm && body !== '' ? Object.fromEntries(new URLSearchParams(body)) : null,
      account: headers['stripe-account'] ?? headers['stripe-context'] ?? null,
      status: null,
      fault: null,
      at: Date.now(),
    }
    this.requests.push(record)
    res.on('finish', () => {
      record.status = res.statusCode
    })
    this.checkReadOnly(record)
    return record
  }

  /** The violation a request caused, if any (its message is what the API answers). */
  violationOf(record: RecordedRequest): Violation | undefined {
    return this.violations.find((x) => x.seq === record.seq)
  }

  find(filter: RequestFilter = {}): RecordedRequest[] {
    return this.requests.filter((r) => {
      if (filter.method && r.method !== filter.method.toUpperCase()) return false
      if (filter.path !== undefined && !pathMatches(filter.path, r.path)) return false
      if (filter.account !== undefined && r.account !== filter.account) return false
      return true
    })
  }

  /** Empties the log and the violations (the arrays stay the same objects). */
  clear(): void {
    this.requests.length = 0
    this.violations.length = 0
  }

  assertNoViolations(): void {
    if (this.violations.length > 0) {
      throw new Error(
        `fake Stripe saw ${this.violations.length} read-only violation(s):\n${this.violations.map((v) => `  #${v.seq} ${v.method} ${v.path}: ${v.message}`).join('\n')}`,
      )
    }
  }

  // The tripwire counts every attempt, whatever a fault then answers.
  private checkReadOnly(record: RecordedRequest): void {
    const { method, path, seq } = record
    if (!isApiPath(path)) return
    if (method !== 'GET') {
      const message = `The fake Stripe is read-only: ${method} ${path} was refused. @support/stripe-connect must only send GET to the Stripe API (query, don't execute).`
      this.violations.push({ kind: 'non_get', method, path, seq, message })
    } else if (record.account === null) {
      const message =
        'The fake Stripe serves connected accounts only: send Stripe-Account: acct_…. (Real Stripe would have answered for the platform account itself, which this package must never query.)'
      this.violations.push({ kind: 'missing_stripe_account', method, path, seq, message })
    }
  }
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
