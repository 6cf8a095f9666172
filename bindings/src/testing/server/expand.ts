// Stripe's `expand[]` (https://docs.stripe.com/api/expanding_objects): ids at dotted paths replaced
// by the account's objects, and includable properties (an invoice's `payments`) added.

import { invoicePaymentsList, type Invoice, type InvoicePayment } from '../billing.js'
import type { StripeObject } from '../objects.js'
import { findObject, type AccountState } from './accounts.js'
import { invalidRequest } from './responses.js'

/**
 * Properties Stripe returns only when expanded, by object type. An invoice's `payments` is one
 * since 2025-03-31.basil ("an includable payments property containing the first handful of those
 * items", https://docs.stripe.com/api/invoice-payment/list).
 */
const INCLUDABLE: Record<
  string,
  Record<string, (account: AccountState, obj: StripeObject) => unknown>
> = {
  invoice: {
    payments: (account, invoice) =>
      invoicePaymentsList(
        invoice as Invoice,
        [...account.invoice_payments.values()].filter(
          (p: InvoicePayment) => p.invoice === invoice.id,
        ),
      ),
  },
}

/** Replaces ids at the dotted `paths` of `obj` (in place) with copies of the account's objects. */
export function expand<T extends object>(account: AccountState, obj: T, paths: string[]): T {
  const resolve = (id: string): StripeObject | string => {
    const found = findObject(account, id)
    return found ? structuredClone(found) : id
  }
  const include = (node: Record<string, unknown>, field: string): unknown => {
    const type = node['object']
    return typeof type === 'string'
      ? INCLUDABLE[type]?.[field]?.(account, node as StripeObject)
      : undefined
  }
  for (const path of paths) {
    if (!expandAt(obj, path.split('.'), resolve, include))
      throw invalidRequest(400, `This property cannot be expanded (${path}).`, undefined, 'expand')
  }
  return obj
}

/**
 * Walks `parts` (arrays are mapped over), adding an includable property where it is missing, and
 * replaces the string id at the end; false if the path does not exist.
 */
function expandAt(
  node: unknown,
  parts: string[],
  resolve: (id: string) => unknown,
  include: (node: Record<string, unknown>, field: string) => unknown,
): boolean {
  if (Array.isArray(node)) return node.every((item) => expandAt(item, parts, resolve, include))
  if (node === null || typeof node !== 'object') return false
  const obj = node as Record<string, unknown>
  const [head, ...rest] = parts
  if (head === undefined) return false
  if (!(head in obj)) {
    const included = include(obj, head)
    if (included === undefined) return false
    obj[head] = included
  }
  if (rest.length === 0) {
    const value = obj[head]
    if (typeof value === 'string') obj[head] = resolve(value)
    else if (value !== null && typeof value !== 'object') return false
    return true
  }
  if (obj[head] === null) return true
  return expandAt(obj[head], rest, resolve, include)
}
