/**
 * JS stores' own errors, kept for `cause`. The core sees only their words (and quotes them: a
 * store's message may hold a database URL with its password, a query's parameters, control
 * characters, megabytes); the error itself stays here, numbered, until the `StripeConnectError`
 * it caused takes it back as `cause` for the app's own logs.
 * @internal
 */
import type { Stores } from './types.js'

/** Errors kept at most (a failure whose error never reaches the app is forgotten after these). */
const MAX_KEPT = 256
const kept = new Map<number, unknown>()
let last = 0

/** The words of `error` and of its `cause` chain, innermost (the driver's reason) first. */
function words(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const message =
      typeof current === 'object' && typeof (current as { message?: unknown }).message === 'string'
        ? (current as { message: string }).message
        : String(current)
    if (message !== '') parts.unshift(message)
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined
  }
  return parts.length > 0 ? parts.join(' ← ') : 'the JS method failed without a message'
}

/** `error` kept under a new number; the error the core sees instead. */
function marked(error: unknown): Error {
  last = (last % 0xffff_fff0) + 1
  kept.set(last, error)
  if (kept.size > MAX_KEPT) kept.delete(kept.keys().next().value as number)
  return new Error(`[js-error ${last}] ${words(error)}`)
}

/** The kept error numbered `id` (once: it is forgotten here). */
export function takeCause(id: unknown): unknown {
  if (typeof id !== 'number' || !kept.has(id)) return undefined
  const error = kept.get(id)
  kept.delete(id)
  return error
}

function wrapMethod(method: (...args: unknown[]) => unknown, target: object) {
  return (...args: unknown[]): unknown => {
    let result: unknown
    try {
      result = method.apply(target, args)
    } catch (error) {
      throw marked(error)
    }
    // A promise stays a promise and a value a value: the core takes either.
    if (result !== null && typeof (result as { then?: unknown })?.then === 'function') {
      return (result as Promise<unknown>).then(undefined, (error: unknown) => {
        throw marked(error)
      })
    }
    return result
  }
}

/** `store` with every method's failure kept; anything else (a missing method) as it is. */
function keepingCauses<T>(store: T): T {
  if (store === null || typeof store !== 'object') return store
  return new Proxy(store as object, {
    get(target, property) {
      const value = Reflect.get(target, property, target)
      return typeof value === 'function'
        ? wrapMethod(value as (...args: unknown[]) => unknown, target)
        : value
    },
  }) as T
}

/** The app's stores, each method's failure kept for `cause` (see the module). */
export function withCauses(stores: Stores | undefined): Stores | undefined {
  if (stores === null || typeof stores !== 'object') return stores
  return {
    ...stores,
    connections: keepingCauses(stores.connections),
    claims: keepingCauses(stores.claims),
    disputes: keepingCauses(stores.disputes),
  }
}
