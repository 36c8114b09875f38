import { neon, neonConfig } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-http';
import * as schema from '../../../db/schema.js';
import type { Db, SqlStore } from './index.js';

/**
 * Neon's serverless driver over HTTP: one round trip per query, no connection to keep. It has no
 * interactive transactions; atomic writes go through `db.batch` (see `atomic`).
 * `fetchEndpoint` points it at another HTTP SQL endpoint (the local stand-in used in tests).
 */
export function openNeonHttp(url: string, fetchEndpoint?: string): SqlStore {
  if (fetchEndpoint) neonConfig.fetchEndpoint = fetchEndpoint;
  const client = neon(url);
  const db = drizzle({ client, schema }) as unknown as Db;
  return {
    adapter: 'neon-http',
    db,
    interactiveTransactions: false,
    async ping() {
      await client.query('select 1');
    },
    async close() {},
  };
}
