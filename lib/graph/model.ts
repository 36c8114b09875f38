import { type SQL, sql } from 'drizzle-orm';
import type { ContentKind } from '../../db/schema.js';
import type { GraphEdge, GraphNode, NodeLabel, NodeRef } from '../stores/graph/types.js';
import { type Db, queryRows } from '../stores/sql/index.js';

/**
 * What the graph should hold, read from SQL (the truth): one node per concept and content row, one edge
 * per relation row. Used by the projector for single entities and for whole-graph rebuild/reconcile.
 */

/** Courses and lessons get their own labels; projects, posts and pages are `Content`. */
export function labelForKind(kind: string): NodeLabel {
  return kind === 'course' ? 'Course' : kind === 'lesson' ? 'Lesson' : 'Content';
}

/** Which rows to load: given ids, or everything. */
export type Scope = { conceptIds: string[]; contentIds: string[] } | 'all';

export async function loadNodes(db: Db, scope: Scope): Promise<GraphNode[]> {
  const conceptWhere = scope === 'all' ? sql`true` : sql`id in ${uuids(scope.conceptIds)}`;
  const contentWhere = scope === 'all' ? sql`true` : sql`id in ${uuids(scope.contentIds)}`;
  const [concepts, content] = await Promise.all([
    scope !== 'all' && !scope.conceptIds.length
      ? []
      : queryRows<{ id: string; slug: string; title: string }>(
          db,
          sql`select id::text as id, slug, title from concepts where ${conceptWhere} order by slug`,
        ),
    scope !== 'all' && !scope.contentIds.length
      ? []
      : queryRows<{ id: string; slug: string; title: string; kind: ContentKind }>(
          db,
          sql`select id::text as id, slug, title, kind from content where ${contentWhere} order by slug`,
        ),
  ]);
  return [
    ...concepts.map((c): GraphNode => ({ label: 'Concept', key: c.slug, title: c.title, sourceId: c.id })),
    ...content.map(
      (c): GraphNode => ({
        label: labelForKind(c.kind),
        key: c.slug,
        title: c.title,
        sourceId: c.id,
        kind: c.kind,
      }),
    ),
  ];
}

/**
 * Every edge touching the scoped entities, in either direction (all edges for 'all'): REQUIRES (with
 * reason) and RELATED_TO between concepts, COVERS/MENTIONS from content to concepts, RELATED_TO between
 * content, and PART_OF (with position) from a lesson to its course.
 */
export async function loadEdges(db: Db, scope: Scope): Promise<GraphEdge[]> {
  const all = scope === 'all';
  const cIds = all ? [] : scope.conceptIds;
  const kIds = all ? [] : scope.contentIds;
  const touching = (a: SQL, b: SQL, ids: string[]) =>
    all ? sql`true` : sql`(${a} in ${uuids(ids)} or ${b} in ${uuids(ids)})`;
  const cc = all ? sql`true` : sql`(cc.concept_id in ${uuids(cIds)} or cc.content_id in ${uuids(kIds)})`;
  const [prereqs, conceptRel, covers, contentRel, partOf] = await Promise.all([
    all || cIds.length
      ? queryRows<{ f: string; t: string; reason: string | null }>(
          db,
          sql`select a.slug as f, b.slug as t, p.reason from concept_prerequisites p
              join concepts a on a.id = p.concept_id join concepts b on b.id = p.requires_id
              where ${touching(sql`p.concept_id`, sql`p.requires_id`, cIds)}`,
        )
      : [],
    all || cIds.length
      ? queryRows<{ f: string; t: string }>(
          db,
          sql`select a.slug as f, b.slug as t from concept_related r
              join concepts a on a.id = r.from_id join concepts b on b.id = r.to_id
              where ${touching(sql`r.from_id`, sql`r.to_id`, cIds)}`,
        )
      : [],
    queryRows<{ f: string; kind: string; t: string; relation: 'COVERS' | 'MENTIONS' }>(
      db,
      sql`select k.slug as f, k.kind, c.slug as t, cc.relation from content_concepts cc
          join content k on k.id = cc.content_id join concepts c on c.id = cc.concept_id
          where ${cc}`,
    ),
    all || kIds.length
      ? queryRows<{ f: string; fkind: string; t: string; tkind: string }>(
          db,
          sql`select a.slug as f, a.kind as fkind, b.slug as t, b.kind as tkind from content_related r
              join content a on a.id = r.from_id join content b on b.id = r.to_id
              where ${touching(sql`r.from_id`, sql`r.to_id`, kIds)}`,
        )
      : [],
    all || kIds.length
      ? queryRows<{ f: string; fkind: string; t: string; tkind: string; position: number | null }>(
          db,
          sql`select l.slug as f, l.kind as fkind, c.slug as t, c.kind as tkind, l.position from content l
              join content c on c.id = l.course_id
              where ${touching(sql`l.id`, sql`l.course_id`, kIds)}`,
        )
      : [],
  ]);
  const concept = (key: string): NodeRef => ({ label: 'Concept', key });
  const item = (key: string, kind: string): NodeRef => ({ label: labelForKind(kind), key });
  return [
    ...prereqs.map(
      (r): GraphEdge => ({
        type: 'REQUIRES',
        from: concept(r.f),
        to: concept(r.t),
        ...(r.reason ? { reason: r.reason } : {}),
      }),
    ),
    ...conceptRel.map((r): GraphEdge => ({ type: 'RELATED_TO', from: concept(r.f), to: concept(r.t) })),
    ...covers.map((r): GraphEdge => ({ type: r.relation, from: item(r.f, r.kind), to: concept(r.t) })),
    ...contentRel.map(
      (r): GraphEdge => ({ type: 'RELATED_TO', from: item(r.f, r.fkind), to: item(r.t, r.tkind) }),
    ),
    ...partOf.map(
      (r): GraphEdge => ({
        type: 'PART_OF',
        from: item(r.f, r.fkind),
        to: item(r.t, r.tkind),
        ...(r.position != null ? { position: Number(r.position) } : {}),
      }),
    ),
  ];
}

/** `( $1::uuid, ... )` from a JSON parameter; an empty list matches nothing. */
function uuids(ids: string[]): SQL {
  return sql`(select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::uuid)`;
}
