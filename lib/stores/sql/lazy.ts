import type { Db } from './index.js';

/**
 * The process's Drizzle client, with the SQL side (Drizzle, the schema, the driver) imported on first
 * use: a cached read function imports this instead of `getSql`, so a cold start answered from the
 * cache never loads it (esbuild splits the import into a chunk).
 */
export async function loadDb(): Promise<Db> {
  const { getSql } = await import('./index.js');
  return (await getSql()).db;
}
