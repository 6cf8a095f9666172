// The app's Drizzle database (already there in the support app).
import { drizzle } from 'drizzle-orm/mysql2'
import mysql from 'mysql2/promise'

import * as schema from './schema'

const pool = mysql.createPool({
  uri: process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/support',
  connectionLimit: 10,
})

export const db = drizzle({ client: pool, schema, mode: 'default' })
