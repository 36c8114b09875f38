import { sql } from 'drizzle-orm';
import type { ContentKind } from '../../../db/schema.js';
import type { Db } from '../../stores/sql/index.js';
import { isoTime, queryDoc } from './sql-json.js';

export interface ConceptSummary {
  slug: string;
  title: string;
  summary: string;
  /** Slugs of the concepts it REQUIRES. */
  prerequisites: string[];
}

export interface ConceptDocView {
  slug: string;
  title: string;
  summary: string;
  goals: string[];
  version: number;
  updatedAt: string;
  prerequisites: { slug: string; title: string; reason: string | null }[];
  /** Concepts that require this one. */
  dependents: { slug: string; title: string; reason: string | null }[];
  content: { slug: string; kind: ContentKind; title: string; relation: 'COVERS' | 'MENTIONS' }[];
}

/**
 * The whole concept list, by title (a few hundred entries at most: the graph view wants all of
 * them, so it is not paginated): one query.
 */
export async function listConcepts(args: { db: Db }): Promise<ConceptSummary[]> {
  return (
    (await queryDoc<ConceptSummary[]>(
      args.db,
      sql`SELECT coalesce(json_agg(json_build_object(
            'slug', k.slug, 'title', k.title, 'summary', k.summary,
            'prerequisites', coalesce((SELECT json_agg(r.slug ORDER BY r.slug) FROM concept_prerequisites p
                                       JOIN concepts r ON r.id = p.requires_id WHERE p.concept_id = k.id), '[]'::json)
          ) ORDER BY k.title, k.slug), '[]'::json) AS doc
          FROM concepts k`,
    )) ?? []
  );
}

/** One concept with prerequisites (and reasons), dependents and the content covering or mentioning it. */
export async function getConcept(args: { db: Db; slug: string }): Promise<ConceptDocView | null> {
  return queryDoc<ConceptDocView>(
    args.db,
    sql`SELECT json_build_object(
          'slug', k.slug, 'title', k.title, 'summary', k.summary, 'goals', k.goals, 'version', k.version,
          'updatedAt', ${isoTime(sql`k.updated_at`)},
          'prerequisites', coalesce((
            SELECT json_agg(json_build_object('slug', r.slug, 'title', r.title, 'reason', p.reason) ORDER BY r.title)
            FROM concept_prerequisites p JOIN concepts r ON r.id = p.requires_id WHERE p.concept_id = k.id), '[]'::json),
          'dependents', coalesce((
            SELECT json_agg(json_build_object('slug', d.slug, 'title', d.title, 'reason', p.reason) ORDER BY d.title)
            FROM concept_prerequisites p JOIN concepts d ON d.id = p.concept_id WHERE p.requires_id = k.id), '[]'::json),
          'content', coalesce((
            SELECT json_agg(json_build_object('slug', c.slug, 'kind', c.kind, 'title', c.title, 'relation', cc.relation)
                            ORDER BY cc.relation, c.published_at DESC)
            FROM content_concepts cc JOIN content c ON c.id = cc.content_id WHERE cc.concept_id = k.id), '[]'::json)
        ) AS doc
        FROM concepts k WHERE k.slug = ${args.slug}::text`,
  );
}
