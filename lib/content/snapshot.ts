import { sql } from 'drizzle-orm';
import type { ContentKind } from '../../db/schema.js';
import { queryRows, type SqlStore } from '../stores/sql/index.js';
import type { ConceptDoc, ContentDoc } from './schemas.js';

/**
 * The stored catalogue in the write path's document shape, so an importer can compare before writing.
 * Two queries, whatever the size of the catalogue.
 */

export interface Stored<D> {
  id: string;
  version: number;
  doc: D;
}

export async function loadConceptDocs(store: SqlStore): Promise<Map<string, Stored<ConceptDoc>>> {
  const rows = await queryRows<{
    id: string;
    slug: string;
    title: string;
    summary: string;
    goals: string[];
    version: number;
    prerequisites: ConceptDoc['prerequisites'];
  }>(
    store.db,
    sql`SELECT k.id::text AS id, k.slug, k.title, k.summary, k.goals, k.version,
          coalesce((SELECT json_agg(json_build_object('slug', r.slug, 'reason', p.reason) ORDER BY r.slug)
                    FROM concept_prerequisites p JOIN concepts r ON r.id = p.requires_id
                    WHERE p.concept_id = k.id), '[]'::json) AS prerequisites
        FROM concepts k`,
  );
  return new Map(
    rows.map((r) => [
      r.slug,
      {
        id: r.id,
        version: Number(r.version),
        doc: {
          slug: r.slug,
          title: r.title,
          summary: r.summary,
          goals: r.goals,
          prerequisites: r.prerequisites,
        },
      },
    ]),
  );
}

export async function loadContentDocs(store: SqlStore): Promise<Map<string, Stored<ContentDoc>>> {
  const rows = await queryRows<{
    id: string;
    slug: string;
    kind: ContentKind;
    title: string;
    summary: string;
    body: string;
    tags: string[];
    url: string | null;
    course: string | null;
    position: number | null;
    published_at: string | Date;
    version: number;
    concepts: string[];
    related: string[];
  }>(
    store.db,
    sql`SELECT c.id::text AS id, c.slug, c.kind, c.title, c.summary, c.body, c.tags, c.url,
          course.slug AS course, c.position, c.published_at, c.version,
          coalesce((SELECT json_agg(k.slug ORDER BY k.slug) FROM content_concepts cc
                    JOIN concepts k ON k.id = cc.concept_id WHERE cc.content_id = c.id), '[]'::json) AS concepts,
          coalesce((SELECT json_agg(r.slug ORDER BY r.slug) FROM content_related cr
                    JOIN content r ON r.id = cr.to_id WHERE cr.from_id = c.id), '[]'::json) AS related
        FROM content c LEFT JOIN content course ON course.id = c.course_id`,
  );
  return new Map(
    rows.map((r) => [
      r.slug,
      {
        id: r.id,
        version: Number(r.version),
        doc: {
          slug: r.slug,
          kind: r.kind,
          title: r.title,
          summary: r.summary,
          body: r.body,
          tags: r.tags,
          url: r.url,
          course: r.course,
          position: r.position === null ? null : Number(r.position),
          publishedAt: new Date(r.published_at).toISOString(),
          concepts: r.concepts,
          related: r.related,
        },
      },
    ]),
  );
}

/** Fields of `next` that differ from `current` (lists of references compared as sets). */
export function diffContent(current: ContentDoc, next: ContentDoc): Partial<ContentDoc> {
  const out: Partial<ContentDoc> = {};
  const scalar = ['slug', 'kind', 'title', 'summary', 'body', 'url', 'course', 'position'] as const;
  for (const key of scalar) if (current[key] !== next[key]) Object.assign(out, { [key]: next[key] });
  if (next.publishedAt !== undefined && next.publishedAt !== current.publishedAt)
    out.publishedAt = next.publishedAt;
  if (JSON.stringify(current.tags) !== JSON.stringify(next.tags)) out.tags = next.tags;
  if (!sameSet(current.concepts, next.concepts)) out.concepts = next.concepts;
  if (!sameSet(current.related, next.related)) out.related = next.related;
  return out;
}

export function diffConcept(current: ConceptDoc, next: ConceptDoc): Partial<ConceptDoc> {
  const out: Partial<ConceptDoc> = {};
  if (current.title !== next.title) out.title = next.title;
  if (current.summary !== next.summary) out.summary = next.summary;
  if (JSON.stringify(current.goals) !== JSON.stringify(next.goals)) out.goals = next.goals;
  const key = (p: ConceptDoc['prerequisites']) =>
    JSON.stringify(
      [...p].sort((a, b) => a.slug.localeCompare(b.slug)).map((x) => [x.slug, x.reason ?? null]),
    );
  if (key(current.prerequisites) !== key(next.prerequisites)) out.prerequisites = next.prerequisites;
  return out;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}
