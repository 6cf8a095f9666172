// The support app's Drizzle schema (MySQL / PlanetScale): the parts Stripe Connect touches.
import { claimsTableMysql } from '@support/stripe-connect/drizzle'
import {
  bigint,
  boolean,
  int,
  mysqlTable,
  primaryKey,
  timestamp,
  varchar,
} from 'drizzle-orm/mysql-core'

/** The apps table the app already has; the connections store uses `slug` and the two stripe_* columns. */
export const apps = mysqlTable('SUPPORT_apps', {
  id: int('id').autoincrement().primaryKey(),
  slug: varchar('slug', { length: 100 }).notNull().unique(),
  name: varchar('name', { length: 255 }).notNull(),
  stripeAccountId: varchar('stripe_account_id', { length: 255 }),
  stripeConnected: boolean('stripe_connected').notNull().default(false),
})

/**
 * Claims (webhook event leases, OAuth state nonces) shared by every instance of the app. Exported
 * from the schema so drizzle-kit creates it: `stripe_connect_claims (key varchar(255) utf8mb4_bin
 * PRIMARY KEY, expires_at bigint, done boolean, token varchar(64))`. A table made by 0.1 needs the
 * `token` column (and one made before leases `done` too): see claimsTableUpgradeDdl in
 * docs/nextjs.md.
 */
export const stripeConnectClaims = claimsTableMysql

/** Where the dispute sink records disputes for the support team (one row per dispute). */
export const stripeDisputes = mysqlTable('SUPPORT_stripe_disputes', {
  disputeId: varchar('dispute_id', { length: 255 }).primaryKey(),
  appSlug: varchar('app_slug', { length: 100 }),
  accountId: varchar('account_id', { length: 255 }),
  chargeId: varchar('charge_id', { length: 255 }),
  amount: bigint('amount', { mode: 'number' }).notNull(),
  currency: varchar('currency', { length: 3 }).notNull(),
  reason: varchar('reason', { length: 64 }).notNull(),
  evidenceDueBy: bigint('evidence_due_by', { mode: 'number' }),
  livemode: boolean('livemode').notNull(),
  createdAt: timestamp('created_at').notNull().defaultNow(),
})

/**
 * Which support staff work on which app: what an agent acting for them over MCP may reach
 * (lib/mcp.ts, `authorize`). One row per user and app.
 */
export const appAgents = mysqlTable(
  'SUPPORT_app_agents',
  {
    userId: varchar('user_id', { length: 255 }).notNull(),
    appSlug: varchar('app_slug', { length: 100 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.appSlug] })],
)
