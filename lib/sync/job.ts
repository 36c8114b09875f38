import type { SqlStore } from '../stores/sql/index.js';
import type { SyncStats } from './engine.js';
import { syncNow } from './run.js';
import { acquireJobLease, releaseJobLease } from './state.js';
import type { Projector } from './types.js';

export const REINDEX_LEASE_KEY = 'job:reindex';

export type ReindexJobResult =
  | ({ status: 'ok' } & SyncStats)
  | { status: 'skipped'; reason: string }
  | { status: 'deadline'; reason: string };

/**
 * The cron job: takes the `job:reindex` lease (a second, overlapping run gets `skipped`), syncs for at
 * most `budgetMs`, releases the lease. The lease outlives the budget a little, so a run that dies
 * holding it blocks the next one only briefly. With `deadlineMs`, a run still going at its deadline (a
 * projection store that hangs) gives the lease up then and answers `deadline`; the hung work is left
 * to finish or fail on its own, and the outbox rows it claimed are retried when their row leases expire.
 */
export async function runReindexJob(options: {
  sql: SqlStore;
  projectors?: Projector[];
  now?: () => Date;
  budgetMs?: number;
  deadlineMs?: number;
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
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const run = syncNow({
      sql: options.sql,
      budgetMs,
      now,
      ...(options.projectors ? { projectors: options.projectors } : {}),
    }).then((stats) => ({ status: 'ok' as const, ...stats }));
    if (options.deadlineMs === undefined) return await run;
    run.catch(() => {}); // past the deadline nobody awaits it
    const deadlineMs = options.deadlineMs;
    return await Promise.race([
      run,
      new Promise<ReindexJobResult>((resolve) => {
        timer = setTimeout(
          () => resolve({ status: 'deadline', reason: `the run did not finish within ${deadlineMs} ms` }),
          deadlineMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await releaseJobLease({ db: options.sql.db, key: REINDEX_LEASE_KEY, token });
  }
}
