import { sql as sqlTag } from 'drizzle-orm';
import { log } from '../log.js';
import { queryRows, type SqlStore } from '../stores/sql/index.js';
import { isStoreUnavailable } from '../stores/unavailable.js';
import {
  type ClaimedRow,
  claimOutbox,
  DEFAULT_RETRY,
  markOutboxDone,
  markOutboxFailed,
  type RetryPolicy,
} from './outbox.js';
import { bumpIndexVersion } from './state.js';
import type { OutboxEvent, Progress, Projector, ProjectorStats, SyncContext } from './types.js';
import { ProjectionUnavailableError } from './types.js';

export interface RunSyncOptions {
  sql: SqlStore;
  projectors: Projector[];
  now?: () => Date;
  /** Rows claimed per batch. */
  batchSize?: number;
  /** Stop after this many batches (the post-write kick does one). */
  maxBatches?: number;
  /** Stop claiming new batches after this many ms (cron runs are bounded). */
  budgetMs?: number;
  /** How long a claim is held; a worker that dies loses it after this. */
  leaseMs?: number;
  retry?: RetryPolicy;
  progress?: Progress;
  /** Called after a batch changed the projections (search caches key on the index version). */
  onIndexChanged?: (version: number) => Promise<void> | void;
}

export interface SyncStats {
  batches: number;
  /** Outbox rows claimed. */
  claimed: number;
  /** Distinct entities projected (several events per entity collapse into one). */
  entities: number;
  done: number;
  retrying: number;
  dead: number;
  /** Counters each projector reported, summed over batches. */
  projectors: Record<string, ProjectorStats>;
  indexVersion: number | null;
  ms: number;
}

/**
 * Drains the outbox: claim a batch under a lease, collapse events per entity (the latest SQL state is
 * what gets projected), run every projector, mark rows done. A failure backs off the failing entities'
 * rows (and parks them as dead after `retry.maxAttempts`); the rest of the batch still completes.
 * At-least-once: a worker that dies mid-batch leaves leased rows that the next run claims after expiry.
 */
export async function runSync(options: RunSyncOptions): Promise<SyncStats> {
  const started = performance.now();
  const now = options.now ?? (() => new Date());
  const batchSize = options.batchSize ?? 50;
  const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
  const budgetMs = options.budgetMs ?? Number.POSITIVE_INFINITY;
  const retry = options.retry ?? DEFAULT_RETRY;
  const stats: SyncStats = {
    batches: 0,
    claimed: 0,
    entities: 0,
    done: 0,
    retrying: 0,
    dead: 0,
    projectors: {},
    indexVersion: null,
    ms: 0,
  };
  const ctx: SyncContext = {
    sql: options.sql,
    now,
    ...(options.progress ? { progress: options.progress } : {}),
  };

  const names = options.projectors.map((p) => p.name);
  const roots = options.projectors.filter((p) => !p.derived).map((p) => p.name);
  while (stats.batches < maxBatches && performance.now() - started < budgetMs) {
    await fanOut(options.sql.db, roots, now());
    const rows = await claimOutbox({
      db: options.sql.db,
      limit: batchSize,
      leaseMs: options.leaseMs ?? 120_000,
      now: now(),
      projectors: names,
    });
    if (!rows.length) break;
    stats.batches++;
    stats.claimed += rows.length;

    let changed = false;
    // In order (text before vectors): each projector's rows succeed or back off on their own.
    for (const projector of options.projectors) {
      const groups = collapse(rows.filter((r) => r.projector === projector.name));
      if (!groups.length) continue;
      stats.entities += groups.length;
      const failed = new Map<string, { error: string; permanent: boolean }>();
      await applyIsolated(projector, groups, ctx, stats, failed);
      const okRows = groups.filter((g) => !failed.has(g.key)).flatMap((g) => g.rows);
      await markOutboxDone({ db: options.sql.db, ids: okRows.map((r) => r.id), now: now() });
      stats.done += okRows.length;
      if (okRows.length) changed = true;
      for (const g of groups) {
        const failure = failed.get(g.key);
        if (failure === undefined) continue;
        const r = await markOutboxFailed({
          db: options.sql.db,
          rows: g.rows,
          error: failure.error,
          now: now(),
          policy: retry,
          permanent: failure.permanent,
        });
        stats.dead += r.dead;
        stats.retrying += r.retrying;
      }
    }
    if (changed) {
      stats.indexVersion = await bumpIndexVersion(options.sql.db);
      await notify(options.onIndexChanged, stats.indexVersion);
    }
    options.progress?.(stats.claimed, stats.claimed, `batch ${stats.batches}`);
  }
  stats.ms = Math.round(performance.now() - started);
  return stats;
}

interface Group {
  key: string;
  event: OutboxEvent;
  rows: ClaimedRow[];
}

/**
 * Turns each domain event (`projector` null, as a write recorded it) into one row per root projector,
 * in one statement; a concurrent worker skips rows another is fanning out. Derived projectors (vectors)
 * get their rows from the projector they follow.
 */
export async function fanOut(db: SqlStore['db'], roots: string[], now: Date): Promise<void> {
  if (!roots.length) return;
  await db.execute(sqlTag`WITH src AS (
      UPDATE outbox SET status = 'done', processed_at = ${now.toISOString()}::timestamptz
      WHERE id IN (SELECT id FROM outbox WHERE projector IS NULL AND status = 'pending'
                   ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 5000)
      RETURNING id, entity, entity_id, op, version, available_at, created_at
    )
    INSERT INTO outbox (entity, entity_id, op, version, projector, available_at, created_at)
    SELECT src.entity, src.entity_id, src.op, src.version, p.name, src.available_at, src.created_at
    FROM src CROSS JOIN unnest(ARRAY[${sqlTag.join(
      roots.map((r) => sqlTag`${r}`),
      sqlTag`, `,
    )}]::text[]) WITH ORDINALITY AS p(name, ord)
    ORDER BY src.id, p.ord`);
}

/** One event per entity: the latest row's op wins (projectors read the current SQL state anyway). */
export function collapse(rows: ClaimedRow[]): Group[] {
  const byKey = new Map<string, Group>();
  for (const row of rows) {
    const key = `${row.projector}:${row.entity}:${row.entityId}`;
    const group = byKey.get(key);
    const { attempts: _attempts, projector: _projector, ...event } = row;
    if (!group) byKey.set(key, { key, event, rows: [row] });
    else {
      group.rows.push(row);
      if (row.id > group.event.id) group.event = event;
    }
  }
  return [...byKey.values()];
}

/**
 * Applies a projector to the whole batch; if that fails, entity by entity, so one poisoned entity
 * backs off alone instead of holding the batch hostage.
 */
async function applyIsolated(
  projector: Projector,
  groups: Group[],
  ctx: SyncContext,
  stats: SyncStats,
  failed: Map<string, { error: string; permanent: boolean }>,
): Promise<void> {
  try {
    addStats(
      stats,
      projector.name,
      await projector.apply(
        groups.map((g) => g.event),
        ctx,
      ),
    );
    return;
  } catch (err) {
    // An unreachable store fails every entity alike: retrying one by one would only multiply the
    // connect timeouts (a batch of 50 against a down Neo4j would take a minute), so back them all off.
    const permanent = err instanceof ProjectionUnavailableError;
    if (groups.length === 1 || permanent || isStoreUnavailable(err)) {
      for (const g of groups) failed.set(g.key, { error: describe(projector, err), permanent });
      // One line, no stack: a projection that cannot work at all says why once per batch.
      if (permanent) log.warn(`sync: ${projector.name} projection unavailable: ${(err as Error).message}`);
      else log.warn('sync projector failed', { projector: projector.name, entities: groups.length, err });
      return;
    }
  }
  for (const g of groups) {
    try {
      addStats(stats, projector.name, await projector.apply([g.event], ctx));
    } catch (err) {
      failed.set(g.key, { error: describe(projector, err), permanent: false });
      log.warn('sync projector failed', { projector: projector.name, entity: g.key, err });
    }
  }
}

function describe(projector: Projector, err: unknown): string {
  return `${projector.name}: ${err instanceof Error ? err.message : String(err)}`;
}

function addStats(stats: SyncStats, name: string, add: ProjectorStats): void {
  const into = stats.projectors[name] ?? {};
  stats.projectors[name] = into;
  for (const [k, v] of Object.entries(add)) into[k] = (into[k] ?? 0) + v;
}

async function notify(hook: RunSyncOptions['onIndexChanged'], version: number): Promise<void> {
  try {
    await hook?.(version);
  } catch (err) {
    log.warn('index version hook failed', { err });
  }
}

/** Due, unclaimed events, collapsed per entity, without claiming them (for `reindex --dry-run`). */
export async function listPendingEvents(store: SqlStore, now: Date, limit = 10_000): Promise<OutboxEvent[]> {
  const rows = await queryRows<{
    id: number | string;
    entity: OutboxEvent['entity'];
    entity_id: string;
    op: OutboxEvent['op'];
    version: number;
    attempts: number;
    projector: string | null;
  }>(
    store.db,
    sqlTag`SELECT id, entity, entity_id, op, version, attempts, projector FROM outbox
           WHERE status = 'pending' AND available_at <= ${now.toISOString()}::timestamptz
           ORDER BY id LIMIT ${limit}`,
  );
  return collapse(
    rows.map((r) => ({
      id: Number(r.id),
      entity: r.entity,
      entityId: r.entity_id,
      op: r.op,
      version: Number(r.version),
      attempts: Number(r.attempts),
      projector: '', // one line per entity, whichever projections still owe it
    })),
  ).map((g) => g.event);
}

/**
 * Rebuilds every projection from SQL, then marks the outbox rows that existed before it started as done
 * (the rebuild read a state at least that new); rows written meanwhile stay pending for the next sync.
 */
export async function rebuildAll(options: {
  sql: SqlStore;
  projectors: Projector[];
  now?: () => Date;
  progress?: Progress;
  onIndexChanged?: RunSyncOptions['onIndexChanged'];
}): Promise<{
  projectors: Record<string, ProjectorStats>;
  /** Projections that could not be rebuilt (their store is unusable or unreachable), and why. */
  failed: { projector: string; error: string }[];
  outboxCleared: number;
  indexVersion: number;
  ms: number;
}> {
  const started = performance.now();
  const now = options.now ?? (() => new Date());
  const [mark] = await queryRows<{ max: string | number | null }>(
    options.sql.db,
    sqlTag`SELECT max(id) AS max FROM outbox`,
  );
  const maxId = Number(mark?.max ?? 0);
  const ctx: SyncContext = {
    sql: options.sql,
    now,
    ...(options.progress ? { progress: options.progress } : {}),
  };
  // Every domain event gets its per-projection rows first, so a projection that cannot be rebuilt
  // keeps its own rows pending while the others are marked done.
  await fanOut(
    options.sql.db,
    options.projectors.filter((p) => !p.derived).map((p) => p.name),
    now(),
  );
  const projectors: Record<string, ProjectorStats> = {};
  const failed: { projector: string; error: string }[] = [];
  for (const p of options.projectors) {
    try {
      projectors[p.name] = await p.rebuild(ctx);
    } catch (err) {
      if (!(err instanceof ProjectionUnavailableError) && !isStoreUnavailable(err)) throw err;
      const hint = err instanceof ProjectionUnavailableError ? ` ${err.hint}` : '';
      failed.push({ projector: p.name, error: `${(err as Error).message}${hint}` });
      if (p.derived) {
        // Leave the projection a row per item still to embed, for when its store works again.
        await options.sql.db.execute(
          sqlTag`INSERT INTO outbox (entity, entity_id, op, version, projector)
                 SELECT DISTINCT CASE WHEN content_id IS NOT NULL THEN 'content' ELSE 'concept' END,
                        coalesce(content_id, concept_id)::text, 'upsert', 0, ${p.name}
                 FROM chunks WHERE embedded_hash IS DISTINCT FROM hash`,
        );
      }
    }
  }
  const done = options.projectors.map((p) => p.name).filter((n) => !failed.some((f) => f.projector === n));
  const cleared = done.length
    ? await queryRows<{ id: number }>(
        options.sql.db,
        sqlTag`UPDATE outbox SET status = 'done', processed_at = ${now().toISOString()}::timestamptz,
                 lease_until = NULL, last_error = NULL
               WHERE status = 'pending' AND id <= ${maxId} AND projector IN (${sqlTag.join(
                 done.map((n) => sqlTag`${n}`),
                 sqlTag`, `,
               )}) RETURNING id`,
      )
    : [];
  const indexVersion = await bumpIndexVersion(options.sql.db);
  await notify(options.onIndexChanged, indexVersion);
  return {
    projectors,
    failed,
    outboxCleared: cleared.length,
    indexVersion,
    ms: Math.round(performance.now() - started),
  };
}
