import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from '../../../db/schema.js';
import type { Db, SqlStore } from './index.js';

/** Any Postgres over TCP (node-postgres pool). Small pool: serverless instances are many and short-lived. */
export function openPostgres(url: string, options: { max?: number } = {}): SqlStore {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 5,
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 10_000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const db = drizzle({ client: pool, schema }) as unknown as Db;
  return {
    adapter: 'postgres',
    db,
    interactiveTransactions: true,
    async ping() {
      await pool.query('select 1');
    },
    async close() {
      await pool.end();
    },
  };
}
