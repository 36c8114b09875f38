import { type SQL, sql } from 'drizzle-orm';
import { ApiError } from '../http/errors.js';
import type { SqlStore } from '../stores/sql/index.js';
import type { RelationInput, RelationType } from './schemas.js';
import { jsonb, runWrite } from './sql-util.js';

/**
 * Adding or removing one typed relation. The relation belongs to its `from` entity: that entity's
 * version is bumped and it is enqueued in the outbox, in the same statement as the link row and the
 * audit row. Adding a relation that already exists (same reason or type) or removing a missing one
 * changes nothing and writes nothing.
 */

export interface RelationResult {
  changed: boolean;
  /** The `from` entity after the write (its version only moves when something changed). */
  entity: 'content' | 'concept';
  slug: string;
  version: number | null;
}

interface Shape {
  owner: 'content' | 'concepts';
  entity: 'content' | 'concept';
  target: 'content' | 'concepts';
  /** The link row for (a, b) exists with the same payload. */
  same: SQL;
  insert: SQL;
  remove: SQL;
}

function shapeOf(type: RelationType, reason: string | null): Shape {
  switch (type) {
    case 'REQUIRES':
      return {
        owner: 'concepts',
        entity: 'concept',
        target: 'concepts',
        same: sql`EXISTS (SELECT 1 FROM concept_prerequisites l WHERE l.concept_id = a.id AND l.requires_id = b.id
                  AND l.reason IS NOT DISTINCT FROM ${reason}::text)`,
        insert: sql`INSERT INTO concept_prerequisites (concept_id, requires_id, reason)
                    SELECT a_id, b_id, ${reason}::text FROM need
                    ON CONFLICT (concept_id, requires_id) DO UPDATE SET reason = excluded.reason`,
        remove: sql`DELETE FROM concept_prerequisites WHERE concept_id IN (SELECT id FROM a)
                    AND requires_id IN (SELECT id FROM b) RETURNING concept_id AS owner_id`,
      };
    case 'COVERS':
    case 'MENTIONS':
      return {
        owner: 'content',
        entity: 'content',
        target: 'concepts',
        same: sql`EXISTS (SELECT 1 FROM content_concepts l WHERE l.content_id = a.id AND l.concept_id = b.id
                  AND l.relation = ${type}::text)`,
        insert: sql`INSERT INTO content_concepts (content_id, concept_id, relation)
                    SELECT a_id, b_id, ${type}::text FROM need
                    ON CONFLICT (content_id, concept_id) DO UPDATE SET relation = excluded.relation`,
        remove: sql`DELETE FROM content_concepts WHERE content_id IN (SELECT id FROM a)
                    AND concept_id IN (SELECT id FROM b) AND relation = ${type}::text RETURNING content_id AS owner_id`,
      };
    case 'RELATED_TO':
      return {
        owner: 'content',
        entity: 'content',
        target: 'content',
        same: sql`EXISTS (SELECT 1 FROM content_related l WHERE l.from_id = a.id AND l.to_id = b.id)`,
        insert: sql`INSERT INTO content_related (from_id, to_id) SELECT a_id, b_id FROM need ON CONFLICT DO NOTHING`,
        remove: sql`DELETE FROM content_related WHERE from_id IN (SELECT id FROM a)
                    AND to_id IN (SELECT id FROM b) RETURNING from_id AS owner_id`,
      };
  }
}

interface Ctx {
  sql: SqlStore;
  actor: string;
  relation: RelationInput;
  now?: Date;
}

export function addRelation(ctx: Ctx): Promise<RelationResult> {
  const shape = shapeOf(ctx.relation.type, ctx.relation.reason ?? null);
  const change = sql`
    need AS (SELECT a.id AS a_id, b.id AS b_id FROM a, b WHERE a.id <> b.id AND NOT ${shape.same}),
    ins AS (${shape.insert}),
    changed AS (SELECT a_id AS owner_id FROM need)`;
  return write(ctx, shape, change, 'add');
}

export function removeRelation(ctx: Ctx): Promise<RelationResult> {
  const shape = shapeOf(ctx.relation.type, null);
  return write(ctx, shape, sql`changed AS (${shape.remove})`, 'remove');
}

async function write(ctx: Ctx, shape: Shape, change: SQL, verb: 'add' | 'remove'): Promise<RelationResult> {
  const { relation } = ctx;
  const now = (ctx.now ?? new Date()).toISOString();
  const statement = sql`
    WITH a AS (SELECT id, version FROM ${sql.identifier(shape.owner)} WHERE slug = ${relation.from}::text),
    b AS (SELECT id FROM ${sql.identifier(shape.target)} WHERE slug = ${relation.to}::text),
    ${change},
    upd AS (
      UPDATE ${sql.identifier(shape.owner)} SET version = version + 1, updated_at = ${now}::timestamptz
      WHERE id IN (SELECT owner_id FROM changed) RETURNING id, version
    ),
    ob AS (
      INSERT INTO outbox (entity, entity_id, op, version)
      SELECT ${shape.entity}::text, upd.id::text, 'upsert', upd.version FROM upd
    ),
    au AS (
      INSERT INTO audit_log (actor, action, entity, entity_id, data, at)
      SELECT ${ctx.actor}::text, ${`relation.${verb}`}::text, ${shape.entity}::text, upd.id::text,
             ${jsonb(relation)}, ${now}::timestamptz
      FROM upd
    )
    SELECT (SELECT count(*)::int FROM a) AS from_found, (SELECT count(*)::int FROM b) AS to_found,
           (SELECT version FROM a) AS old_version, (SELECT version FROM upd) AS new_version`;
  const rows = await runWrite<{
    from_found: number;
    to_found: number;
    old_version: number | null;
    new_version: number | null;
  }>(ctx.sql, statement);
  const row = rows[0];
  const ownerNoun = shape.entity === 'concept' ? 'Concept' : 'Content';
  const targetNoun = shape.target === 'concepts' ? 'Concept' : 'Content';
  if (!row || Number(row.from_found) === 0)
    throw new ApiError('not_found', `${ownerNoun} "${relation.from}" does not exist.`);
  if (Number(row.to_found) === 0)
    throw new ApiError('not_found', `${targetNoun} "${relation.to}" does not exist.`);
  const changed = row.new_version !== null;
  return {
    changed,
    entity: shape.entity,
    slug: relation.from,
    version: changed ? Number(row.new_version) : row.old_version === null ? null : Number(row.old_version),
  };
}
