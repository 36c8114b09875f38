import { type SQL, sql } from 'drizzle-orm';
import { ApiError } from '../http/errors.js';
import type { SqlStore } from '../stores/sql/index.js';
import type { WriteResult } from './content-writes.js';
import type { ConceptDoc, ConceptPatch } from './schemas.js';
import { jsonb, pgErrorCode, runWrite, textList, UNIQUE_VIOLATION } from './sql-util.js';
import { explainMiss, type Target, targetWhere } from './target.js';

/**
 * Concept writes: one statement each, with the outbox row (`entity: 'concept'`) and an audit row.
 * A renamed or deleted concept also enqueues the content that covers or mentions it and the concepts
 * that require it, since their projections carry its slug.
 */

interface WriteContext {
  sql: SqlStore;
  actor: string;
  now?: Date;
}

const prereqRows = (prerequisites: ConceptDoc['prerequisites']) =>
  sql`jsonb_to_recordset(${JSON.stringify(prerequisites)}::jsonb) AS p(slug text, reason text)`;

export async function createConcept(
  ctx: WriteContext & { doc: ConceptDoc; id?: string },
): Promise<WriteResult> {
  const { doc } = ctx;
  const now = (ctx.now ?? new Date()).toISOString();
  const id = ctx.id ?? crypto.randomUUID();
  const statement = sql`
    WITH ins AS (
      INSERT INTO concepts (id, slug, title, summary, goals, version, created_at, updated_at)
      VALUES (${id}::uuid, ${doc.slug}::text, ${doc.title}::text, ${doc.summary}::text, ${jsonb(doc.goals)},
              1, ${now}::timestamptz, ${now}::timestamptz)
      ON CONFLICT (slug) DO NOTHING
      RETURNING id, slug, version
    ),
    pre AS (
      INSERT INTO concept_prerequisites (concept_id, requires_id, reason)
      SELECT ins.id, k.id, p.reason FROM ins, ${prereqRows(doc.prerequisites)}
      JOIN concepts k ON k.slug = p.slug
    ),
    ob AS (
      INSERT INTO outbox (entity, entity_id, op, version)
      SELECT 'concept', ins.id::text, 'upsert', ins.version FROM ins
    ),
    au AS (
      INSERT INTO audit_log (actor, action, entity, entity_id, data, at)
      SELECT ${ctx.actor}::text, 'concept.create', 'concept', ins.id::text, ${jsonb(doc)}, ${now}::timestamptz
      FROM ins
    )
    SELECT id::text AS id, slug, version FROM ins`;
  const rows = await guardUnique(() => runWrite<WriteResult>(ctx.sql, statement), doc.slug);
  const row = rows[0];
  if (!row) throw new ApiError('conflict', `Concept "${doc.slug}" already exists.`);
  return row;
}

export async function updateConcept(
  ctx: WriteContext & { target: Target; patch: ConceptPatch; expectedVersion: number },
): Promise<WriteResult> {
  const { patch } = ctx;
  const now = (ctx.now ?? new Date()).toISOString();
  const sets: SQL[] = [];
  if (patch.slug !== undefined) sets.push(sql`slug = ${patch.slug}::text`);
  if (patch.title !== undefined) sets.push(sql`title = ${patch.title}::text`);
  if (patch.summary !== undefined) sets.push(sql`summary = ${patch.summary}::text`);
  if (patch.goals !== undefined) sets.push(sql`goals = ${jsonb(patch.goals)}`);
  sets.push(sql`version = concepts.version + 1`, sql`updated_at = ${now}::timestamptz`);
  const parts: SQL[] = [
    sql`target AS (SELECT id, slug AS old_slug FROM concepts WHERE ${targetWhere(ctx.target)})`,
    sql`upd AS (
      UPDATE concepts SET ${sql.join(sets, sql`, `)}
      WHERE id = (SELECT id FROM target) AND version = ${ctx.expectedVersion}::int
      RETURNING id, slug, version)`,
  ];
  if (patch.prerequisites !== undefined) {
    const prerequisites = patch.prerequisites.map((p) => ({ slug: p.slug, reason: p.reason ?? null }));
    parts.push(
      sql`pre_del AS (
        DELETE FROM concept_prerequisites WHERE concept_id IN (SELECT id FROM upd)
          AND requires_id NOT IN (SELECT k.id FROM concepts k WHERE k.slug IN ${textList(prerequisites.map((p) => p.slug))}))`,
      sql`pre_ins AS (
        INSERT INTO concept_prerequisites (concept_id, requires_id, reason)
        SELECT upd.id, k.id, p.reason FROM upd, ${prereqRows(prerequisites)}
        JOIN concepts k ON k.slug = p.slug
        WHERE k.id <> upd.id
        ON CONFLICT (concept_id, requires_id) DO UPDATE SET reason = excluded.reason)`,
    );
  }
  parts.push(
    sql`renamed AS (SELECT upd.id FROM upd JOIN target USING (id) WHERE upd.slug <> target.old_slug)`,
    sql`ob AS (
      INSERT INTO outbox (entity, entity_id, op, version)
      SELECT 'concept', upd.id::text, 'upsert', upd.version FROM upd
      UNION ALL ${conceptNeighbours(sql`(SELECT id FROM renamed)`)})`,
    sql`au AS (
      INSERT INTO audit_log (actor, action, entity, entity_id, data, at)
      SELECT ${ctx.actor}::text, 'concept.update', 'concept', upd.id::text,
             ${jsonb({ ...patch, expectedVersion: ctx.expectedVersion })}, ${now}::timestamptz
      FROM upd)`,
  );
  const statement = sql`WITH ${sql.join(parts, sql`,\n`)} SELECT id::text AS id, slug, version FROM upd`;
  const rows = await guardUnique(() => runWrite<WriteResult>(ctx.sql, statement), patch.slug ?? '');
  const row = rows[0];
  if (!row) return explainMiss(ctx.sql, 'concepts', ctx.target, ctx.expectedVersion);
  return row;
}

export async function deleteConcept(
  ctx: WriteContext & { target: Target; expectedVersion: number },
): Promise<WriteResult> {
  const now = (ctx.now ?? new Date()).toISOString();
  const statement = sql`
    WITH target AS (SELECT id FROM concepts WHERE ${targetWhere(ctx.target)}),
    del AS (
      DELETE FROM concepts WHERE id = (SELECT id FROM target) AND version = ${ctx.expectedVersion}::int
      RETURNING id, slug, version
    ),
    ob AS (
      INSERT INTO outbox (entity, entity_id, op, version)
      SELECT 'concept', del.id::text, 'delete', del.version + 1 FROM del
      UNION ALL ${conceptNeighbours(sql`(SELECT id FROM del)`)}
    ),
    au AS (
      INSERT INTO audit_log (actor, action, entity, entity_id, data, at)
      SELECT ${ctx.actor}::text, 'concept.delete', 'concept', del.id::text,
             jsonb_build_object('slug', del.slug, 'version', del.version), ${now}::timestamptz
      FROM del
    )
    SELECT id::text AS id, slug, version + 1 AS version FROM del`;
  const rows = await runWrite<WriteResult>(ctx.sql, statement);
  const row = rows[0];
  if (!row) return explainMiss(ctx.sql, 'concepts', ctx.target, ctx.expectedVersion);
  return row;
}

/** Outbox rows for content linked to the given concepts and for the concepts that require them. */
function conceptNeighbours(ids: SQL): SQL {
  return sql`
    SELECT 'content', c.id::text, 'upsert', c.version FROM content c
    WHERE c.id IN (SELECT content_id FROM content_concepts WHERE concept_id IN ${ids})
    UNION ALL
    SELECT 'concept', k.id::text, 'upsert', k.version FROM concepts k
    WHERE k.id IN (SELECT concept_id FROM concept_prerequisites WHERE requires_id IN ${ids})`;
}

async function guardUnique<T>(run: () => Promise<T>, slug: string): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (pgErrorCode(err) === UNIQUE_VIOLATION)
      throw new ApiError('conflict', `Concept "${slug}" already exists.`, { cause: err });
    throw err;
  }
}
