import type { OutboxEntity } from '../../db/schema.js';
import type { SqlStore } from '../stores/sql/index.js';

/** One outbox row as a projector sees it. */
export interface OutboxEvent {
  id: number;
  entity: OutboxEntity;
  /** The entity's id (content or concept uuid). */
  entityId: string;
  op: 'upsert' | 'delete';
  version: number;
}

/** Reports progress of long work (CLI progress bars); `total` may grow as work is discovered. */
export type Progress = (done: number, total: number, label?: string) => void;

export interface SyncContext {
  sql: SqlStore;
  now: () => Date;
  progress?: Progress;
  dryRun?: boolean;
}

export interface ProjectorStats {
  [counter: string]: number;
}

/** Drift between SQL and a projection, found (and repaired unless dry-run) by `reconcile`. */
export interface DriftReport {
  projector: string;
  missing: number;
  stale: number;
  orphaned: number;
  repaired: boolean;
  /** A few example ids of each kind of drift, for the operator. */
  examples: string[];
}

/**
 * A projection of SQL into another store (vectors, graph). The sync engine feeds it claimed outbox
 * events; everything it does must be idempotent, since delivery is at least once.
 */
export interface Projector {
  readonly name: string;
  /**
   * Its outbox rows come from another projector (vectors follow text), not from the fan-out of domain
   * events.
   */
  readonly derived?: boolean;
  /** Projects these events (same entity may appear once per batch; the latest SQL state wins). */
  apply(events: OutboxEvent[], ctx: SyncContext): Promise<ProjectorStats>;
  /** Rebuilds the whole projection from SQL. */
  rebuild(ctx: SyncContext): Promise<ProjectorStats>;
  /** Compares SQL with the projection and repairs drift (reports only, with ctx.dryRun). */
  reconcile(ctx: SyncContext): Promise<DriftReport>;
}

export { ProjectionUnavailableError } from '../stores/unavailable.js';
