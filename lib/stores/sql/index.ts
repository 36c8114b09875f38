import type { SQLWrapper } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from '../../../db/schema.js';
import { adapters, env, type SqlAdapter } from '../../env.js';

/** The Drizzle database every query module takes; the same API over PGlite, node-postgres and Neon HTTP. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** The SQL store: a Drizzle client plus what health checks and shutdown need. */
export interface SqlStore {
  readonly adapter: SqlAdapter;
  readonly db: Db;
  /** True where `db.transaction` is available (not on Neon HTTP, which batches instead). */
  readonly interactiveTransactions: boolean;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Rows of a raw query, whatever the driver's result shape. */
export async function queryRows<T extends Record<string, unknown>>(db: Db, query: SQLWrapper): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

type Query = SQLWrapper & PromiseLike<unknown>;

/**
 * Runs statements atomically: one transaction on PGlite/node-postgres, one `db.batch` on Neon HTTP
 * (which has no interactive transactions). `build` gets the executor to build the statements on, so
 * every statement runs on the transaction's connection. Statements must not depend on each other's
 * results in JavaScript; chain them in SQL (`WHERE EXISTS`, `INSERT ... SELECT`) instead.
 */
export async function atomic<T extends readonly Query[]>(
  store: SqlStore,
  build: (q: Db) => T,
): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
  if (!store.interactiveTransactions) {
    const batchable = store.db as unknown as { batch(queries: readonly Query[]): Promise<unknown[]> };
    return (await batchable.batch(build(store.db))) as { [K in keyof T]: Awaited<T[K]> };
  }
  return store.db.transaction(async (tx) => {
    const results: unknown[] = [];
    for (const q of build(tx as unknown as Db)) results.push(await q);
    return results as { [K in keyof T]: Awaited<T[K]> };
  });
}

let current: Promise<SqlStore> | undefined;

/** The process's SQL store, created on first use from env (DESIGN section 2). */
export function getSql(): Promise<SqlStore> {
  if (!current) {
    current = createSqlStore();
    current.catch(() => {
      current = undefined; // let the next call retry instead of caching a failure
    });
  }
  return current;
}

/** Replaces the process's SQL store (tests, dev server); `undefined` resets to env selection. */
export function setSql(store: SqlStore | undefined): void {
  current = store ? Promise.resolve(store) : undefined;
}

export async function createSqlStore(): Promise<SqlStore> {
  const e = env();
  const adapter = adapters(e).sql;
  if (adapter === 'pglite') {
    const { openPglite } = await import('./pglite.js');
    return openPglite({ dataDir: `${e.DATA_DIR}/pglite` });
  }
  const url = e.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required for the postgres and neon-http drivers');
  if (adapter === 'neon-http') {
    const { openNeonHttp } = await import('./neon.js');
    return openNeonHttp(url, e.NEON_FETCH_ENDPOINT);
  }
  const { openPostgres } = await import('./postgres.js');
  return openPostgres(url);
}

export { schema };

/** A text[] value as drivers return it: an array (PGlite, pg) or its literal `{a,"b c"}` (some HTTP paths). */
export function parseTextArray(v: readonly string[] | string | null | undefined): string[] {
  if (Array.isArray(v)) return v.filter(Boolean);
  if (typeof v !== 'string') return [];
  const inner = v.replace(/^\{|\}$/g, '');
  if (inner === '') return [];
  return (inner.match(/"((?:[^"\\]|\\.)*)"|[^,]+/g) ?? []).map((s) =>
    s.startsWith('"') ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s,
  );
}
