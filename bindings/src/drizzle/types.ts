// The store interfaces the binding accepts (they mirror the Rust traits in src/store.rs). Declared
// here too so that this subpath stands on its own; the shapes are the same as the main entry's.

/** An OAuth grant's scope, or `stripe_app` for a connection made by a Stripe App install. */
export type Scope = 'read_write' | 'read_only' | 'stripe_app'

/** One app's link to its Stripe account (a row of the apps table). */
export interface Connection {
  appSlug: string
  /** `acct_…` */
  accountId: string
  livemode: boolean
  /** The scope Stripe granted. */
  scope: Scope
}

export interface ConnectionStore {
  save(connection: Connection): Promise<void>
  /** Clears the connection to `accountId`; the app slug it belonged to, or `null`. */
  clearByAccount(accountId: string): Promise<string | null>
  getBySlug(appSlug: string): Promise<Connection | null>
  /** Every connected app. */
  list(): Promise<Connection[]>
  getByAccount(accountId: string): Promise<Connection | null>
  /** Whether a row has the slug, connected or not. */
  hasApp(appSlug: string): Promise<boolean>
}

/** What `acquire` found: the caller holds the key now, another one does, or the work is done. */
export type ClaimState = 'acquired' | 'in_progress' | 'done'

/**
 * Keys taken as leases that become done once the work succeeded (webhook events, OAuth states).
 * Fenced: `acquire` records the caller's `token`, and `complete` / `release` change the key only
 * while it holds that token.
 */
export interface ClaimStore {
  /**
   * Atomically take `key` for `leaseSeconds` if it is free (absent or expired), recording `token`
   * → `'acquired'`; otherwise `'in_progress'` (a live lease) or `'done'`. Of concurrent callers
   * exactly one gets `'acquired'`.
   */
  acquire(key: string, token: string, leaseSeconds: number): Promise<ClaimState>
  /**
   * Mark `key` done for `ttlSeconds` from now if `token` holds it (or the key is gone) → `true`;
   * `false` (nothing changed) if another token holds it.
   */
  complete(key: string, token: string, ttlSeconds: number): Promise<boolean>
  /** Give back the lease `token` holds → `true`; `false` (nothing changed) if it holds none. */
  release(key: string, token: string): Promise<boolean>
  /** A single-use claim for `ttlSeconds`: `true` if this call took the key (`acquire` → `'acquired'`). */
  claim(key: string, ttlSeconds: number): Promise<boolean>
}

/**
 * Any Drizzle database (`drizzle(...)` from `drizzle-orm/mysql2`, `/pglite`, `/node-postgres`,
 * `/libsql`, `/better-sqlite3`, …). Only the dialect-neutral query builders are used.
 */
export interface DrizzleDatabase {
  select: (...args: any[]) => any
  insert: (table: any) => any
  update: (table: any) => any
  delete: (table: any) => any
}
