// The store interfaces the binding accepts (they mirror the Rust traits in src/store.rs). Declared
// here too so that this subpath stands on its own; the shapes are the same as the main entry's.

export type Scope = 'read_write' | 'read_only'

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
}

export interface ClaimStore {
  /** Atomically claim `key` for `ttlSeconds`: of concurrent callers exactly one gets `true`. */
  claim(key: string, ttlSeconds: number): Promise<boolean>
  /** Give a claim back (the work it guarded failed and will be retried). */
  release(key: string): Promise<void>
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
