// Query parameters as Stripe checks them: unknown ones are refused, `limit` is 1–100, `expand[]`
// names dotted paths.

import { invalidRequest } from './responses.js'

/** `created[gte]` → `created`, `expand[]` → `expand`. */
export function baseParam(key: string): string {
  const i = key.indexOf('[')
  return i === -1 ? key : key.slice(0, i)
}

export function checkParams(q: URLSearchParams, allowed: readonly string[]): void {
  for (const key of q.keys()) {
    if (!allowed.includes(baseParam(key))) {
      throw invalidRequest(400, `Received unknown parameter: ${key}`, 'parameter_unknown', key)
    }
  }
}

export function parseLimit(raw: string | null): number {
  if (raw === null) return 10
  if (!/^\d+$/.test(raw))
    throw invalidRequest(400, `Invalid integer: ${raw}`, 'parameter_invalid_integer', 'limit')
  const n = Number(raw)
  if (n < 1 || n > 100) {
    throw invalidRequest(
      400,
      `Invalid limit: must be between 1 and 100, got ${n}`,
      'parameter_invalid_integer',
      'limit',
    )
  }
  return n
}

export function expandList(q: URLSearchParams): string[] {
  const out: string[] = []
  for (const [k, v] of q) if (k === 'expand' || /^expand\[\d*\]$/.test(k)) out.push(v)
  return out
}

/** Refuses a value of the enum parameter `name` that is not one of `values` (400, as Stripe answers). */
export function checkEnum(q: URLSearchParams, name: string, values: readonly string[]): void {
  const value = q.get(name)
  if (value !== null && !values.includes(value)) {
    throw invalidRequest(
      400,
      `Invalid ${name}: must be one of ${values.join(', ')}`,
      'parameter_invalid_string',
      name,
    )
  }
}
