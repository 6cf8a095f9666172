// Stripe's `expand[]`: ids at dotted paths replaced by the account's objects.

import type { StripeObject } from '../objects.js'
import { findObject, type AccountState } from './accounts.js'
import { invalidRequest } from './responses.js'

/** Replaces ids at the dotted `paths` of `obj` (in place) with copies of the account's objects. */
export function expand<T extends object>(account: AccountState, obj: T, paths: string[]): T {
  const resolve = (id: string): StripeObject | string => {
    const found = findObject(account, id)
    return found ? structuredClone(found) : id
  }
  for (const path of paths) {
    if (!expandAt(obj, path.split('.'), resolve))
      throw invalidRequest(400, `This property cannot be expanded (${path}).`, undefined, 'expand')
  }
  return obj
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
