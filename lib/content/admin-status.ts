import { sql } from 'drizzle-orm';
import type { OutboxStatus } from '../../db/schema.js';
import { type Db, queryRows } from '../stores/sql/index.js';

export interface DeadLetter {
  id: number;
  entity: string;
  entityId: string;
  op: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
}

export interface OutboxReport {
  /** Rows per status (every status present, zero when none). */
  byStatus: Record<OutboxStatus, number>;
  /** Pending rows whose time has come (not waiting for a retry backoff). */
  due: number;
  oldestPendingSeconds: number | null;
  /** The most recent dead letters, newest first. */
  deadLetters: DeadLetter[];
}

/** The outbox at a glance for GET /api/admin/status: one query. */
export async function getOutboxReport(args: {
  db: Db;
  now: Date;
  deadLimit?: number;
}): Promise<OutboxReport> {
  const now = args.now.toISOString();
  const [row] = await queryRows<{
    pending: number | string;
    done: number | string;
    dead: number | string;
    due: number | string;
    oldest: number | string | null;
    dead_letters: DeadLetter[] | string | null;
  }>(
    args.db,
    sql`SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
               count(*) FILTER (WHERE status = 'done') AS done,
               count(*) FILTER (WHERE status = 'dead') AS dead,
               count(*) FILTER (WHERE status = 'pending' AND available_at <= ${now}::timestamptz) AS due,
               extract(epoch FROM ${now}::timestamptz - min(created_at) FILTER (WHERE status = 'pending')) AS oldest,
               (SELECT json_agg(d ORDER BY d."id" DESC) FROM (
                  SELECT id, entity, entity_id AS "entityId", op, attempts, last_error AS "lastError",
                         to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt"
                  FROM outbox WHERE status = 'dead' ORDER BY id DESC LIMIT ${args.deadLimit ?? 20}) d) AS dead_letters
        FROM outbox`,
  );
  const dead = row?.dead_letters;
  return {
    byStatus: {
      pending: Number(row?.pending ?? 0),
      done: Number(row?.done ?? 0),
      dead: Number(row?.dead ?? 0),
    },
    due: Number(row?.due ?? 0),
    oldestPendingSeconds: row?.oldest == null ? null : Math.max(0, Math.round(Number(row.oldest))),
    deadLetters: (typeof dead === 'string' ? JSON.parse(dead) : (dead ?? [])) as DeadLetter[],
  };
}
