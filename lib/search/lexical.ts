import { type SQL, sql } from 'drizzle-orm';
import type { ContentKind } from '../../db/schema.js';
import { type Db, queryRows } from '../stores/sql/index.js';

/** One chunk found by full-text search, with what a result needs (same query, no hydration). */
export interface LexicalHit {
  chunkId: string;
  contentId: string;
  kind: ContentKind;
  slug: string;
  title: string;
  heading: string;
  text: string;
  url: string | null;
  concepts: string[];
  score: number;
}

/** BM25 parameters; `headingWeight` counts a term in a heading (tsvector weight A) this many times. */
export interface Bm25Params {
  k1: number;
  b: number;
  headingWeight: number;
}

export const DEFAULT_BM25: Bm25Params = { k1: 1.2, b: 0.75, headingWeight: 2 };

/**
 * Okapi BM25 over `chunks.tsv`, computed in SQL. Postgres' own `ts_rank` has no document-frequency
 * statistics (a rare term counts as much as a common one), so this ranks with proper IDF:
 *   score = sum over query lexemes of idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))
 * Lexemes are the query's `to_tsvector('english')` output (stemmed, stop words removed), matched with
 * OR semantics through the GIN index; tf comes from the chunk's tsvector positions (heading positions
 * weighted), dl is the chunk's distinct-lexeme count. One round trip.
 */
export async function searchLexical({
  db,
  q,
  kinds,
  concept,
  topK,
  params = DEFAULT_BM25,
}: {
  db: Db;
  q: string;
  kinds?: ContentKind[] | undefined;
  concept?: string | undefined;
  topK: number;
  params?: Bm25Params;
}): Promise<LexicalHit[]> {
  const filters: SQL[] = [];
  if (kinds?.length)
    filters.push(
      sql`c.kind IN (${sql.join(
        kinds.map((k) => sql`${k}`),
        sql`, `,
      )})`,
    );
  if (concept)
    filters.push(
      sql`EXISTS (SELECT 1 FROM content_concepts cc JOIN concepts k ON k.id = cc.concept_id
                  WHERE cc.content_id = c.id AND k.slug = ${concept})`,
    );
  const where = filters.length ? sql` AND ${sql.join(filters, sql` AND `)}` : sql``;
  const rows = await queryRows<{
    chunk_id: string;
    content_id: string;
    kind: ContentKind;
    slug: string;
    title: string;
    heading: string;
    text: string;
    url: string | null;
    concepts: string[] | string | null;
    score: number | string;
  }>(
    db,
    sql`WITH terms AS (
          SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('english', ${q}))) AS term
        ),
        tq AS (
          SELECT string_agg(quote_literal(term), ' | ')::tsquery AS q FROM terms
        ),
        stats AS (
          SELECT greatest(count(*), 1)::float8 AS n, greatest(avg(length(tsv)), 1)::float8 AS avgdl FROM chunks
        ),
        idf AS (
          SELECT t.term,
                 ln(1 + (s.n - df.n + 0.5) / (df.n + 0.5)) AS idf
          FROM terms t
          CROSS JOIN stats s
          CROSS JOIN LATERAL (
            SELECT count(*)::float8 AS n FROM chunks WHERE tsv @@ quote_literal(t.term)::tsquery
          ) df
        ),
        cand AS (
          SELECT ch.id, ch.tsv, length(ch.tsv)::float8 AS dl
          FROM chunks ch JOIN content c ON c.id = ch.content_id, tq
          WHERE tq.q IS NOT NULL AND ch.tsv @@ tq.q${where}
        ),
        scored AS (
          SELECT cand.id,
                 sum(i.idf * tf.tf * (${params.k1} + 1)
                     / (tf.tf + ${params.k1} * (1 - ${params.b} + ${params.b} * cand.dl / s.avgdl))) AS score
          FROM cand
          CROSS JOIN stats s
          CROSS JOIN LATERAL unnest(cand.tsv) u
          JOIN idf i ON i.term = u.lexeme
          CROSS JOIN LATERAL (
            SELECT coalesce(sum(CASE WHEN w = 'A' THEN ${params.headingWeight}::float8 ELSE 1 END), 1) AS tf
            FROM unnest(u.weights) w
          ) tf
          GROUP BY cand.id
          ORDER BY score DESC, cand.id
          LIMIT ${topK}
        )
        SELECT ch.id AS chunk_id, c.id::text AS content_id, c.kind, c.slug, c.title, ch.heading, ch.text,
               c.url, scored.score,
               ARRAY(SELECT k.slug FROM content_concepts cc JOIN concepts k ON k.id = cc.concept_id
                     WHERE cc.content_id = c.id ORDER BY k.slug) AS concepts
        FROM scored
        JOIN chunks ch ON ch.id = scored.id
        JOIN content c ON c.id = ch.content_id
        ORDER BY scored.score DESC, ch.id`,
  );
  return rows.map((r) => ({
    chunkId: r.chunk_id,
    contentId: r.content_id,
    kind: r.kind,
    slug: r.slug,
    title: r.title,
    heading: r.heading,
    text: r.text,
    url: r.url,
    concepts: toArray(r.concepts),
    score: Number(r.score),
  }));
}

function toArray(v: string[] | string | null): string[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string' && v.startsWith('{')) return v.slice(1, -1).split(',').filter(Boolean);
  return [];
}
