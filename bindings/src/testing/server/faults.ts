// Fault injection: latency, 429s, 5xx and dropped connections on requests whose path matches.

import type { IncomingMessage, ServerResponse } from 'node:http'

import { stripeId } from '../objects.js'
import { sendRateLimited } from './limits.js'
import { pathMatches, type RecordedRequest } from './log.js'
import { sendApiError, StripeError } from './responses.js'
import type { Timers } from './timers.js'

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

interface FaultRule {
  match: string | RegExp
  fault: Fault
  method: string | undefined
  remaining: number
  hits: number
}

/** What the faults do to one request: wait `delay` ms, then answer with `answer` if there is one. */
export interface FaultPlan {
  delay: number
  answer: Fault | undefined
}

export class Faults {
  private rules: FaultRule[] = []

  add(match: string | RegExp, fault: Fault, options: FaultOptions = {}): FaultHandle {
    const rule: FaultRule = {
      match,
      fault,
      method: options.method?.toUpperCase(),
      remaining: options.times ?? Number.POSITIVE_INFINITY,
      hits: 0,
    }
    this.rules.push(rule)
    const faults = this
    return {
      match,
      fault,
      get hits() {
        return rule.hits
      },
      remove() {
        faults.rules = faults.rules.filter((r) => r !== rule)
      },
    }
  }

  clear(): void {
    this.rules = []
  }

  /**
   * Latency rules that match add up and the request then goes on; the first other matching rule
   * answers. Counts the hits and marks the record with the fault.
   */
  plan(record: RecordedRequest): FaultPlan {
    let delay = 0
    let answering: FaultRule | undefined
    for (const rule of this.rules) {
      if (rule.remaining <= 0) continue
      if (rule.method && rule.method !== record.method) continue
      if (!pathMatches(rule.match, record.path)) continue
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
    return { delay, answer: answering?.fault }
  }
}

/** Answers a request with an answering fault (not latency, which only delays). */
export function answerWithFault(
  fault: Fault,
  req: IncomingMessage,
  res: ServerResponse,
  timers: Timers,
): void {
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
      return sendRateLimited(res, headers)
    }
    case 'server_error': {
      const headers: Record<string, string> = {}
      if (fault.shouldRetry !== undefined)
        headers['Stripe-Should-Retry'] = String(fault.shouldRetry)
      return sendApiError(
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
      timers.after(10, () => socket.destroy())
      return
    }
  }
}
