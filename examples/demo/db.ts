// The database: PGlite (Postgres compiled to WebAssembly, in this process, in memory) through
// Drizzle, with the support app's apps table and the package's claims table. In the app this is
// its MySQL database (PlanetScale) and `drizzle-orm/mysql2`; the stores are the same.

import { PGlite } from '@electric-sql/pglite'
import { asc, eq } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/pglite'
import {
  claimsTableDdl,
  claimsTablePg,
  drizzleClaimStore,
  drizzleConnectionStore,
  exampleAppsTableDdl,
  exampleAppsTablePg,
} from '@support/stripe-connect/drizzle'

export const apps = exampleAppsTablePg

/** The support app's apps (rows it owns; connecting only updates the two Stripe columns). */
export const DEMO_APPS = [
  { slug: 'helpdesk', name: 'Helpdesk' },
  { slug: 'billing-bot', name: 'Billing bot' },
  { slug: 'status-page', name: 'Status page' },
]

export interface AppRow {
  slug: string
  name: string
  stripe_account_id: string | null
  stripe_connected: boolean
}

export async function openDatabase() {
  const pg = new PGlite()
  for (const statement of [...exampleAppsTableDdl('postgres'), ...claimsTableDdl('postgres')])
    await pg.exec(statement)
  const db = drizzle({ client: pg })
  await db.insert(apps).values(DEMO_APPS)

  return {
    db,
    connections: drizzleConnectionStore(db, apps),
    claims: drizzleClaimStore(db, claimsTablePg),
    /** One row of the apps table, as the database has it. */
    async row(slug: string): Promise<AppRow | undefined> {
      const [r] = await db.select().from(apps).where(eq(apps.slug, slug))
      return (
        r && {
          slug: r.slug,
          name: r.name,
          stripe_account_id: r.stripeAccountId,
          stripe_connected: r.stripeConnected,
        }
      )
    },
    async rows(): Promise<AppRow[]> {
      const rs = await db.select().from(apps).orderBy(asc(apps.id))
      return rs.map((r) => ({
        slug: r.slug,
        name: r.name,
        stripe_account_id: r.stripeAccountId,
        stripe_connected: r.stripeConnected,
      }))
    },
    /** Rows in the claims table (OAuth states and webhook event ids). */
    async claimCount(): Promise<number> {
      return (await db.select().from(claimsTablePg)).length
    },
    close: () => pg.close(),
  }
}

export type DemoDatabase = Awaited<ReturnType<typeof openDatabase>>

export function showRow(r: AppRow | undefined): string {
  if (!r) return '(no row)'
  return `SUPPORT_apps { slug: '${r.slug}', stripe_account_id: ${r.stripe_account_id === null ? 'NULL' : `'${r.stripe_account_id}'`}, stripe_connected: ${r.stripe_connected} }`
}
