// @support/stripe-connect/drizzle: the connections and claims stores over Drizzle ORM, for MySQL,
// Postgres and SQLite. Pass them as `stores` to `new StripeConnect(...)`:
//
//   const stripeConnect = new StripeConnect({
//     ...,
//     stores: {
//       connections: drizzleConnectionStore(db, apps),        // your apps table
//       claims: drizzleClaimStore(db, claimsTableMysql),       // the documented claims table
//       disputes: { disputeCreated: async (alert) => { … } },
//     },
//   });
//
// Needs `drizzle-orm` (≥ 0.44) in the app; nothing else.

export {
  drizzleConnectionStore,
  type ConnectionColumns,
  type DrizzleConnectionStore,
  type DrizzleConnectionStoreOptions,
} from './drizzle/connections.js'
export {
  drizzleClaimStore,
  type DrizzleClaimStore,
  type DrizzleClaimStoreOptions,
} from './drizzle/claims.js'
export {
  CLAIMS_TABLE_NAME,
  claimsTableDdl,
  claimsTableUpgradeDdl,
  claimsTableMysql,
  claimsTablePg,
  claimsTableSqlite,
  exampleAppsTableDdl,
  exampleAppsTableMysql,
  exampleAppsTablePg,
  exampleAppsTableSqlite,
  mysqlClaimsTable,
  mysqlExampleAppsTable,
  pgClaimsTable,
  sqliteClaimsTable,
  type ClaimsTableUpgradeOptions,
  type ClaimsTableVersion,
  type Dialect,
} from './drizzle/tables.js'
export { affectedRows, DEFAULT_BUSY_TIMEOUT_MS, isUniqueViolation } from './drizzle/driver.js'
export type {
  ClaimState,
  ClaimStore,
  Connection,
  ConnectionStore,
  DrizzleDatabase,
  Scope,
} from './drizzle/types.js'
