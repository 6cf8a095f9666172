// drizzle-orm is an optional peer of `@support/stripe-connect/drizzle`: loaded here, once, so that
// a missing one is one `config_invalid` line naming it (see ../peer.ts), not Node's stack.
import type * as Orm from 'drizzle-orm'
import type * as MysqlCore from 'drizzle-orm/mysql-core'
import type * as PgCore from 'drizzle-orm/pg-core'
import type * as SqliteCore from 'drizzle-orm/sqlite-core'
import { requirePeer } from '../peer.js'

const PEER = 'drizzle-orm'
const SUBPATH = '@support/stripe-connect/drizzle'

export const orm = requirePeer<typeof Orm>('drizzle-orm', PEER, SUBPATH)
export const mysqlCore = requirePeer<typeof MysqlCore>('drizzle-orm/mysql-core', PEER, SUBPATH)
export const pgCore = requirePeer<typeof PgCore>('drizzle-orm/pg-core', PEER, SUBPATH)
export const sqliteCore = requirePeer<typeof SqliteCore>('drizzle-orm/sqlite-core', PEER, SUBPATH)
