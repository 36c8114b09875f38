import { type SQL, sql } from 'drizzle-orm';
import { atomic, type SqlStore } from '../stores/sql/index.js';

/**
 * Helpers for the write path's SQL. Lists travel as one JSON parameter (the same on PGlite,
 * node-postgres and Neon HTTP) and are unpacked in SQL.
 */

export function jsonb(value: unknown): SQL {
  return sql`${JSON.stringify(value)}::jsonb`;
}

/** `(SELECT ...)` of the given strings, for `IN` clauses. */
export function textList(values: readonly string[]): SQL {
  return sql`(SELECT jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;
}

/** A text[] value built from the given strings, order kept. */
export function textArray(values: readonly string[]): SQL {
  return sql`ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))::text[]`;
}

/** Rows of a raw query result, whatever the driver's result shape. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] } | null)?.rows ?? []) as T[];
}

/**
 * Runs one write: the domain rows, outbox and audit rows chained with data-modifying CTEs in ONE
 * statement, which Postgres applies all-or-nothing on every driver (PGlite, pg, Neon HTTP). A single
 * statement needs no BEGIN/COMMIT round trips; several go through `atomic` (a transaction or a batch).
 */
export async function runWrite<T>(store: SqlStore, statement: SQL, ...more: SQL[]): Promise<T[]> {
  if (more.length === 0) return rowsOf<T>(await store.db.execute(statement));
  const [result] = await atomic(store, (q) => [q.execute(statement), ...more.map((m) => q.execute(m))]);
  return rowsOf<T>(result);
}

/** A Postgres error code anywhere in the cause chain (drizzle wraps driver errors). */
export function pgErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export const UNIQUE_VIOLATION = '23505';
