import { sql } from 'drizzle-orm';
import type { OutboxEntity } from '../../db/schema.js';
import { type Db, queryRows } from '../stores/sql/index.js';
import type { OutboxEvent } from './types.js';

/** A claimed outbox row: the event plus how many times it has been tried (this claim included). */
export interface ClaimedRow extends OutboxEvent {
  attempts: number;
  /** The projection the row is for. */
  projector: string;
}

/**
 * Claims up to `limit` due rows in ONE statement: `FOR UPDATE SKIP LOCKED` keeps concurrent workers
 * apart, and the lease keeps a crashed worker's rows from being lost (they become claimable again when
 * it expires). Works on Neon HTTP too, since it needs no interactive transaction.
 */
export async function claimOutbox({
  db,
  limit,
  leaseMs,
  now,
  projectors,
}: {
  db: Db;
  limit: number;
  leaseMs: number;
  now: Date;
  /** Only rows for these projections (the fan-out gives every domain event one row per projection). */
  projectors: string[];
}): Promise<ClaimedRow[]> {
  const until = new Date(now.getTime() + leaseMs);
  const rows = await queryRows<{
    id: number | string;
    entity: OutboxEntity;
    entity_id: string;
    op: 'upsert' | 'delete';
    version: number;
    attempts: number;
    projector: string;
  }>(
    db,
    sql`UPDATE outbox SET lease_until = ${until.toISOString()}::timestamptz, attempts = attempts + 1
        WHERE id IN (
          SELECT id FROM outbox
          WHERE status = 'pending' AND available_at <= ${now.toISOString()}::timestamptz
            AND (lease_until IS NULL OR lease_until < ${now.toISOString()}::timestamptz)
            AND projector IN (${sql.join(
              projectors.map((p) => sql`${p}`),
              sql`, `,
            )})
          -- Vector rows after the rest: they follow the text projection, and a backlog of chunks then
          -- reaches the vector projector whole, as one bulk load (lib/sync/vector-projector.ts).
          ORDER BY projector = 'vectors', id
          FOR UPDATE SKIP LOCKED
          LIMIT ${limit}
        )
        RETURNING id, entity, entity_id, op, version, attempts, projector`,
  );
  return rows
    .map((r) => ({
      id: Number(r.id),
      entity: r.entity,
      entityId: r.entity_id,
      op: r.op,
      version: Number(r.version),
      attempts: Number(r.attempts),
      projector: r.projector,
    }))
    .sort((a, b) => a.id - b.id);
}

/** Marks claimed rows done (idempotent: a row another worker already finished stays done). */
export async function markOutboxDone({ db, ids, now }: { db: Db; ids: number[]; now: Date }): Promise<void> {
  if (!ids.length) return;
  await db.execute(
    sql`UPDATE outbox SET status = 'done', processed_at = ${now.toISOString()}::timestamptz,
          lease_until = NULL, last_error = NULL
        WHERE id IN (${sql.join(
          ids.map((id) => sql`${id}`),
          sql`, `,
        )}) AND status = 'pending'`,
  );
}

export interface RetryPolicy {
  /** After this many attempts a row is parked as `dead` (a dead letter). */
  maxAttempts: number;
  /** First retry delay; doubles per attempt, capped at `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Random in [0, 1): jitter, so rows failing together do not retry together. */
  random: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 5_000,
  maxDelayMs: 60 * 60_000,
  random: Math.random,
};

/** Delay before the next try: exponential in the attempts so far, with jitter in [50%, 100%]. */
export function backoffMs(attempts: number, policy: RetryPolicy): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp * (0.5 + policy.random() / 2));
}

/** Records a failure: back off, or park as dead after `maxAttempts`. Releases the lease either way. */
export async function markOutboxFailed({
  db,
  rows,
  error,
  now,
  policy,
  permanent = false,
}: {
  db: Db;
  rows: ClaimedRow[];
  error: string;
  now: Date;
  policy: RetryPolicy;
  /**
   * The projection cannot work in this deployment (ProjectionUnavailableError): wait the longest
   * delay, and do not count the try, so the rows are there when the cause is fixed.
   */
  permanent?: boolean;
}): Promise<{ dead: number; retrying: number }> {
  let dead = 0;
  const message = error.slice(0, 2000);
  if (permanent) {
    if (!rows.length) return { dead: 0, retrying: 0 };
    const at = new Date(now.getTime() + policy.maxDelayMs);
    await db.execute(
      sql`UPDATE outbox SET available_at = ${at.toISOString()}::timestamptz, lease_until = NULL,
            last_error = ${message}, attempts = greatest(attempts - 1, 0)
          WHERE id IN (${sql.join(
            rows.map((r) => sql`${r.id}`),
            sql`, `,
          )}) AND status = 'pending'`,
    );
    return { dead: 0, retrying: rows.length };
  }
  for (const row of rows) {
    if (row.attempts >= policy.maxAttempts) {
      dead++;
      await db.execute(
        sql`UPDATE outbox SET status = 'dead', lease_until = NULL, last_error = ${message},
              processed_at = ${now.toISOString()}::timestamptz
            WHERE id = ${row.id} AND status = 'pending'`,
      );
    } else {
      const at = new Date(now.getTime() + backoffMs(row.attempts, policy));
      await db.execute(
        sql`UPDATE outbox SET available_at = ${at.toISOString()}::timestamptz, lease_until = NULL,
              last_error = ${message}
            WHERE id = ${row.id} AND status = 'pending'`,
      );
    }
  }
  return { dead, retrying: rows.length - dead };
}

/** Counts for health and status pages: what is waiting, what is dead, how old the oldest wait is. */
export async function getOutboxStatus({ db, now }: { db: Db; now: Date }): Promise<{
  pending: number;
  dead: number;
  oldestPendingSeconds: number | null;
}> {
  const [row] = await queryRows<{ pending: number | string; dead: number | string; oldest: string | null }>(
    db,
    sql`SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
               count(*) FILTER (WHERE status = 'dead') AS dead,
               min(created_at) FILTER (WHERE status = 'pending')::text AS oldest
        FROM outbox`,
  );
  const oldest = row?.oldest ? new Date(row.oldest) : null;
  return {
    pending: Number(row?.pending ?? 0),
    dead: Number(row?.dead ?? 0),
    oldestPendingSeconds: oldest ? Math.max(0, Math.round((now.getTime() - oldest.getTime()) / 1000)) : null,
  };
}

/** Puts dead letters back in the queue (an operator's retry after fixing the cause). */
export async function requeueDead({ db, now }: { db: Db; now: Date }): Promise<number> {
  const rows = await queryRows<{ id: number }>(
    db,
    sql`UPDATE outbox SET status = 'pending', attempts = 0, available_at = ${now.toISOString()}::timestamptz,
          lease_until = NULL
        WHERE status = 'dead' RETURNING id`,
  );
  return rows.length;
}
