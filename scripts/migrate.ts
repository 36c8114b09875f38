/**
 * `npm run db:migrate`: applies pending migrations to the database env selects (PGlite in DATA_DIR,
 * node-postgres or Neon HTTP for DATABASE_URL), says what it did, and closes.
 */
import { existsSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { migrate } from '../db/migrate.js';
import { adapters, env } from '../lib/env.js';
import { getSql, queryRows, type SqlStore } from '../lib/stores/sql/index.js';

if (existsSync('.env')) process.loadEnvFile('.env');

const e = env();
const adapter = adapters(e).sql;
const target = adapter === 'pglite' ? `${e.DATA_DIR}/pglite` : redact(e.DATABASE_URL ?? '');

let store: SqlStore | undefined;
try {
  store = await getSql();
  const before = await appliedCount(store);
  const started = performance.now();
  await migrate(store);
  const after = await appliedCount(store);
  const ms = Math.round(performance.now() - started);
  const applied = after - before;
  console.log(
    applied > 0
      ? `db:migrate: applied ${applied} migration${applied === 1 ? '' : 's'} to ${adapter} (${target}) in ${ms} ms; ${after} in total`
      : `db:migrate: ${adapter} (${target}) is up to date (${after} migrations applied)`,
  );
} catch (err) {
  console.error(`db:migrate failed on ${adapter} (${target}): ${describe(err)}`);
  process.exitCode = 1;
} finally {
  await store?.close();
}

/** Rows in Drizzle's migrations journal; 0 before the first run creates it. */
async function appliedCount(s: SqlStore): Promise<number> {
  const [exists] = await queryRows<{ t: string | null }>(
    s.db,
    sql`select to_regclass('drizzle.__drizzle_migrations')::text as t`,
  );
  if (!exists?.t) return 0;
  const [row] = await queryRows<{ n: number }>(
    s.db,
    sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
  );
  return row?.n ?? 0;
}

/** The URL without its password, for printing. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(DATABASE_URL)';
  }
}

/** The innermost cause is the useful part: Drizzle wraps driver errors in "Failed query: ...". */
function describe(err: unknown): string {
  let e = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message || String(e) : String(e);
}
