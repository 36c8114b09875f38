import { type SQL, sql } from 'drizzle-orm';
import { ApiError } from '../http/errors.js';
import type { SqlStore } from '../stores/sql/index.js';
import type { ContentDoc, ContentPatch } from './schemas.js';
import { jsonb, pgErrorCode, runWrite, textArray, textList, UNIQUE_VIOLATION } from './sql-util.js';
import { explainMiss, type Target, targetWhere } from './target.js';

/**
 * Content writes. Each is ONE statement: the domain rows, an outbox row (plus rows for neighbours whose
 * projection depends on this item's slug) and an audit row, chained with data-modifying CTEs so that
 * nothing depends on a JavaScript result (works as a Neon HTTP batch) and the version check gates all.
 */

export interface WriteResult {
  id: string;
  slug: string;
  version: number;
}

interface WriteContext {
  sql: SqlStore;
  /** User id, or a CLI name such as `cli:import`. */
  actor: string;
  now?: Date;
}

const relationForKind = (kind: SQL) =>
  sql`CASE WHEN ${kind} IN ('course', 'lesson') THEN 'COVERS' ELSE 'MENTIONS' END`;

export async function createContent(
  ctx: WriteContext & { doc: ContentDoc; id?: string },
): Promise<WriteResult> {
  const { doc } = ctx;
  const now = (ctx.now ?? new Date()).toISOString();
  const id = ctx.id ?? crypto.randomUUID();
  const publishedAt = doc.publishedAt ?? now;
  const statement = sql`
    WITH ins AS (
      INSERT INTO content (id, slug, kind, title, summary, body, tags, url, course_id, position,
                           published_at, version, created_at, updated_at)
      SELECT ${id}::uuid, ${doc.slug}::text, ${doc.kind}::text, ${doc.title}::text, ${doc.summary}::text,
             ${doc.body}::text, ${textArray(doc.tags)}, ${doc.url}::text,
             (SELECT c.id FROM content c WHERE c.slug = ${doc.course}::text AND c.kind = 'course'),
             ${doc.position}::int, ${publishedAt}::timestamptz, 1, ${now}::timestamptz, ${now}::timestamptz
      ON CONFLICT (slug) DO NOTHING
      RETURNING id, slug, kind, version
    ),
    cc AS (
      INSERT INTO content_concepts (content_id, concept_id, relation)
      SELECT ins.id, k.id, ${relationForKind(sql`ins.kind`)} FROM ins JOIN concepts k ON k.slug IN ${textList(doc.concepts)}
    ),
    rel AS (
      INSERT INTO content_related (from_id, to_id)
      SELECT ins.id, r.id FROM ins JOIN content r ON r.slug IN ${textList(doc.related)} AND r.id <> ins.id
    ),
    ob AS (
      INSERT INTO outbox (entity, entity_id, op, version)
      SELECT 'content', ins.id::text, 'upsert', ins.version FROM ins
    ),
    au AS (
      INSERT INTO audit_log (actor, action, entity, entity_id, data, at)
      SELECT ${ctx.actor}::text, 'content.create', 'content', ins.id::text, ${jsonb(auditData(doc))}, ${now}::timestamptz
      FROM ins
    )
    SELECT id::text AS id, slug, version FROM ins`;
  const rows = await guardUnique(() => runWrite<WriteResult>(ctx.sql, statement), doc.slug);
  const row = rows[0];
  if (!row) throw new ApiError('conflict', `Content "${doc.slug}" already exists.`);
  return row;
}

export async function updateContent(
  ctx: WriteContext & { target: Target; patch: ContentPatch; expectedVersion: number },
): Promise<WriteResult> {
  const { patch } = ctx;
  const now = (ctx.now ?? new Date()).toISOString();
  const sets: SQL[] = [];
  if (patch.slug !== undefined) sets.push(sql`slug = ${patch.slug}::text`);
  if (patch.kind !== undefined) sets.push(sql`kind = ${patch.kind}::text`);
  if (patch.title !== undefined) sets.push(sql`title = ${patch.title}::text`);
  if (patch.summary !== undefined) sets.push(sql`summary = ${patch.summary}::text`);
  if (patch.body !== undefined) sets.push(sql`body = ${patch.body}::text`);
  if (patch.tags !== undefined) sets.push(sql`tags = ${textArray(patch.tags)}`);
  if (patch.url !== undefined) sets.push(sql`url = ${patch.url}::text`);
  if (patch.course !== undefined)
    sets.push(
      sql`course_id = (SELECT c.id FROM content c WHERE c.slug = ${patch.course}::text AND c.kind = 'course')`,
    );
  if (patch.position !== undefined) sets.push(sql`position = ${patch.position}::int`);
  if (patch.publishedAt !== undefined) sets.push(sql`published_at = ${patch.publishedAt}::timestamptz`);
  sets.push(sql`version = content.version + 1`, sql`updated_at = ${now}::timestamptz`);

  const parts: SQL[] = [
    sql`target AS (SELECT id, slug AS old_slug FROM content WHERE ${targetWhere(ctx.target)})`,
    sql`upd AS (
      UPDATE content SET ${sql.join(sets, sql`, `)}
      WHERE id = (SELECT id FROM target) AND version = ${ctx.expectedVersion}::int
      RETURNING id, slug, kind, version)`,
  ];
  if (patch.concepts !== undefined) {
    parts.push(
      sql`cc_del AS (
        DELETE FROM content_concepts WHERE content_id IN (SELECT id FROM upd)
          AND concept_id NOT IN (SELECT k.id FROM concepts k WHERE k.slug IN ${textList(patch.concepts)}))`,
      sql`cc_ins AS (
        INSERT INTO content_concepts (content_id, concept_id, relation)
        SELECT upd.id, k.id, ${relationForKind(sql`upd.kind`)} FROM upd JOIN concepts k ON k.slug IN ${textList(patch.concepts)}
        ON CONFLICT (content_id, concept_id) DO UPDATE SET relation = excluded.relation)`,
    );
  } else if (patch.kind !== undefined) {
    parts.push(
      sql`cc_kind AS (
        UPDATE content_concepts cc SET relation = ${relationForKind(sql`upd.kind`)}
        FROM upd WHERE cc.content_id = upd.id)`,
    );
  }
  if (patch.related !== undefined) {
    const related = patch.related;
    parts.push(
      sql`rel_del AS (
        DELETE FROM content_related WHERE from_id IN (SELECT id FROM upd)
          AND to_id NOT IN (SELECT r.id FROM content r WHERE r.slug IN ${textList(related)}))`,
      sql`rel_ins AS (
        INSERT INTO content_related (from_id, to_id)
        SELECT upd.id, r.id FROM upd JOIN content r ON r.slug IN ${textList(related)} AND r.id <> upd.id
        ON CONFLICT DO NOTHING)`,
    );
  }
  parts.push(
    sql`ob AS (
      INSERT INTO outbox (entity, entity_id, op, version)
      SELECT 'content', upd.id::text, 'upsert', upd.version FROM upd
      UNION ALL
      SELECT 'content', n.id::text, 'upsert', n.version FROM content n
      WHERE EXISTS (SELECT 1 FROM upd JOIN target USING (id) WHERE upd.slug <> target.old_slug)
        AND n.id NOT IN (SELECT id FROM upd) AND ${neighbourOf(sql`(SELECT id FROM upd)`)})`,
    sql`au AS (
      INSERT INTO audit_log (actor, action, entity, entity_id, data, at)
      SELECT ${ctx.actor}::text, 'content.update', 'content', upd.id::text,
             ${jsonb({ ...auditData(patch), expectedVersion: ctx.expectedVersion })}, ${now}::timestamptz
      FROM upd)`,
  );
  const statement = sql`WITH ${sql.join(parts, sql`,\n`)} SELECT id::text AS id, slug, version FROM upd`;
  const rows = await guardUnique(() => runWrite<WriteResult>(ctx.sql, statement), patch.slug ?? '');
  const row = rows[0];
  if (!row) return explainMiss(ctx.sql, 'content', ctx.target, ctx.expectedVersion);
  return row;
}

export async function deleteContent(
  ctx: WriteContext & { target: Target; expectedVersion: number },
): Promise<WriteResult> {
  const now = (ctx.now ?? new Date()).toISOString();
  const statement = sql`
    WITH target AS (SELECT id FROM content WHERE ${targetWhere(ctx.target)}),
    del AS (
      DELETE FROM content WHERE id = (SELECT id FROM target) AND version = ${ctx.expectedVersion}::int
      RETURNING id, slug, version
    ),
    orphans AS (
      UPDATE content SET course_id = NULL, version = content.version + 1, updated_at = ${now}::timestamptz
      WHERE course_id IN (SELECT id FROM del)
      RETURNING id, version
    ),
    ob AS (
      INSERT INTO outbox (entity, entity_id, op, version)
      SELECT 'content', del.id::text, 'delete', del.version + 1 FROM del
      UNION ALL
      SELECT 'content', orphans.id::text, 'upsert', orphans.version FROM orphans
      UNION ALL
      SELECT 'content', n.id::text, 'upsert', n.version FROM content n
      WHERE EXISTS (SELECT 1 FROM del) AND n.id NOT IN (SELECT id FROM target)
        AND n.course_id IS DISTINCT FROM (SELECT id FROM target)
        AND ${neighbourOf(sql`(SELECT id FROM target)`)}
    ),
    au AS (
      INSERT INTO audit_log (actor, action, entity, entity_id, data, at)
      SELECT ${ctx.actor}::text, 'content.delete', 'content', del.id::text,
             jsonb_build_object('slug', del.slug, 'version', del.version), ${now}::timestamptz
      FROM del
    )
    SELECT id::text AS id, slug, version + 1 AS version FROM del`;
  const rows = await runWrite<WriteResult>(ctx.sql, statement);
  const row = rows[0];
  if (!row) return explainMiss(ctx.sql, 'content', ctx.target, ctx.expectedVersion);
  return row;
}

/** Content whose projection names the given item: related either way, or lessons of the course. */
function neighbourOf(ids: SQL): SQL {
  return sql`(n.id IN (SELECT from_id FROM content_related WHERE to_id IN ${ids})
    OR n.id IN (SELECT to_id FROM content_related WHERE from_id IN ${ids})
    OR n.course_id IN ${ids})`;
}

/** What the audit row keeps: every field but the body, which is summarised by its length. */
function auditData(doc: Partial<ContentDoc>): Record<string, unknown> {
  const { body, ...rest } = doc;
  return body === undefined ? rest : { ...rest, bodyChars: body.length };
}

async function guardUnique<T>(run: () => Promise<T>, slug: string): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (pgErrorCode(err) === UNIQUE_VIOLATION)
      throw new ApiError('conflict', `Content "${slug}" already exists.`, { cause: err });
    throw err;
  }
}
