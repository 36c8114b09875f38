import { type SQL, sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../stores/sql/index.js';

/** A timestamptz as an ISO-8601 UTC string with milliseconds, the same on every driver. */
export function isoTime(column: SQL): SQL {
  return sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** Runs a query that returns one `doc` JSON column; null when there is no row. */
export async function queryDoc<T>(db: Db, query: SQL): Promise<T | null> {
  const rows = await queryRows<{ doc: T | string | null }>(db, query);
  const doc = rows[0]?.doc ?? null;
  return (typeof doc === 'string' ? JSON.parse(doc) : doc) as T | null;
}
