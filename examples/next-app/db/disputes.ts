// The dispute sink's write (lib/stripe-connect.ts): one row per dispute, however often Stripe
// delivers the event, as an upsert on the dispute id. MySQL / MariaDB: onDuplicateKeyUpdate
// (Postgres and SQLite: onConflictDoUpdate, in docs/nextjs.md).
import { db } from '@/db'
import { stripeDisputes } from '@/db/schema'

export type DisputeRow = typeof stripeDisputes.$inferInsert

export async function recordDispute(row: DisputeRow): Promise<void> {
  await db
    .insert(stripeDisputes)
    .values(row)
    .onDuplicateKeyUpdate({ set: { reason: row.reason } })
}
