import type { SqlStore } from '../stores/sql/index.js';
import type { SyncStats } from './engine.js';
import { syncNow } from './run.js';
import { acquireJobLease, releaseJobLease } from './state.js';
import type { Projector } from './types.js';

export const REINDEX_LEASE_KEY = 'job:reindex';

export type ReindexJobResult = ({ status: 'ok' } & SyncStats) | { status: 'skipped'; reason: string };

/**
 * The cron job: takes the `job:reindex` lease (a second, overlapping run gets `skipped`), syncs for at
 * most `budgetMs`, releases the lease. The lease outlives the budget a little, so a run that dies
 * holding it blocks the next one only briefly.
 */
export async function runReindexJob(options: {
  sql: SqlStore;
  projectors?: Projector[];
  now?: () => Date;
  budgetMs?: number;
}): Promise<ReindexJobResult> {
  const now = options.now ?? (() => new Date());
  const budgetMs = options.budgetMs ?? 40_000;
  const token = await acquireJobLease({
    db: options.sql.db,
    key: REINDEX_LEASE_KEY,
    leaseMs: budgetMs + 20_000,
    now: now(),
  });
  if (!token) return { status: 'skipped', reason: 'another reindex run holds the lease' };
  try {
    const stats = await syncNow({
      sql: options.sql,
      budgetMs,
      now,
      ...(options.projectors ? { projectors: options.projectors } : {}),
    });
    return { status: 'ok', ...stats };
  } finally {
    await releaseJobLease({ db: options.sql.db, key: REINDEX_LEASE_KEY, token });
  }
}
