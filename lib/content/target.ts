import { type SQL, sql } from 'drizzle-orm';
import { ApiError } from '../http/errors.js';
import type { SqlStore } from '../stores/sql/index.js';
import { rowsOf } from './sql-util.js';

/** How a write names its entity: by id (uuid) or by slug. */
export type Target = { id: string } | { slug: string };

export function targetWhere(target: Target): SQL {
  return 'id' in target ? sql`id = ${target.id}::uuid` : sql`slug = ${target.slug}`;
}

export function describeTarget(target: Target): string {
  return 'id' in target ? `id ${target.id}` : `"${target.slug}"`;
}

/**
 * A guarded write matched no row: tell apart "not there" (404) from "changed since you read it" (409).
 * One read, after the write has already been refused, so it never races a write into happening.
 */
export async function explainMiss(
  store: SqlStore,
  table: 'content' | 'concepts',
  target: Target,
  expectedVersion: number,
): Promise<never> {
  const rows = rowsOf<{ version: number }>(
    await store.db.execute(
      sql`SELECT version FROM ${sql.identifier(table)} WHERE ${targetWhere(target)} LIMIT 1`,
    ),
  );
  const noun = table === 'content' ? 'Content' : 'Concept';
  const current = rows[0];
  if (!current) throw new ApiError('not_found', `${noun} ${describeTarget(target)} does not exist.`);
  throw new ApiError(
    'conflict',
    `${noun} ${describeTarget(target)} is at version ${current.version}, not ${expectedVersion}: reload it and retry.`,
    { headers: { etag: `"${current.version}"` } },
  );
}
