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
  const k1 = sql`${params.k1}::float8`;
  const b = sql`${params.b}::float8`;
  const hw = sql`${params.headingWeight}::float8`;
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
    sql`WITH terms AS MATERIALIZED (
          SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('english', ${q}))) AS term
        ),
        tq AS MATERIALIZED (
          SELECT string_agg(quote_literal(term), ' | ')::tsquery AS q FROM terms
        ),
        stats AS MATERIALIZED (
          SELECT greatest(count(*), 1)::float8 AS n, greatest(avg(length(tsv)), 1)::float8 AS avgdl FROM chunks
        ),
        idf AS MATERIALIZED (
          SELECT t.term, quote_literal(t.term)::tsquery AS tq,
                 ln(1 + (s.n - df.n + 0.5) / (df.n + 0.5)) AS idf
          FROM terms t
          CROSS JOIN stats s
          CROSS JOIN LATERAL (
            SELECT count(*)::float8 AS n FROM chunks WHERE tsv @@ quote_literal(t.term)::tsquery
          ) df
        ),
        cand AS MATERIALIZED (
          SELECT ch.id, ch.tsv, length(ch.tsv)::float8 AS dl
          FROM chunks ch JOIN content c ON c.id = ch.content_id, tq
          WHERE tq.q IS NOT NULL AND ch.tsv @@ tq.q${where}
        ),
        scored AS (
          SELECT cand.id,
                 sum(i.idf * tf.tf * (${k1} + 1) / (tf.tf + ${k1} * (1 - ${b} + ${b} * cand.dl / s.avgdl))) AS score
          FROM cand
          CROSS JOIN stats s
          JOIN idf i ON cand.tsv @@ i.tq
          -- ts_rank_cd of a one-lexeme query sums the weights of its occurrences: with body (B) = 1/hw
          -- and heading (A) = 1, times hw, that is the term frequency with headings counted hw times.
          CROSS JOIN LATERAL (
            SELECT ts_rank_cd(ARRAY[0, 0, 1 / ${hw}, 1]::float4[], cand.tsv, i.tq, 0) * ${hw} AS tf
          ) tf
          GROUP BY cand.id
          ORDER BY score DESC, cand.id
          LIMIT ${topK}::int
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
