import { type SQL, sql } from 'drizzle-orm';
import type { DocumentKind } from '../../db/schema.js';
import { type Db, parseTextArray, queryRows } from '../stores/sql/index.js';

/**
 * One document (content item or concept) found by full-text search, with what a result needs (same
 * query, no hydration): its best chunk's score, and the chunk that best matches the query as asked.
 */
export interface LexicalHit {
  chunkId: string;
  /** The content item's id, or the concept's id for a concept document. */
  contentId: string;
  kind: DocumentKind;
  slug: string;
  title: string;
  heading: string;
  /** Display text of the chunk (the lead chunk's summary first). */
  text: string;
  url: string | null;
  concepts: string[];
  score: number;
}

/** Field weights of the fielded BM25 (tsvector labels A..D). */
export interface FieldWeights {
  title: number;
  heading: number;
  /** Summary and tags. */
  meta: number;
  body: number;
}

/**
 * Ranking parameters. `rm3` turns on pseudo-relevance feedback (RM3: the query is expanded with the
 * terms most typical of the first pass's top documents); `proximity` adds a bonus for query terms
 * that occur near each other (within `window` positions), to the best `depth` chunks by term score.
 * Each is on by default only because it measured better on held-back queries (see README, retrieval).
 */
export interface LexicalParams {
  k1: number;
  b: number;
  weights: FieldWeights;
  rm3?: { docs: number; terms: number; originalWeight: number } | undefined;
  proximity?: { weight: number; window: number; depth?: number | undefined } | undefined;
}

/**
 * RM3 settings: 5 feedback documents, 10 expansion terms, original query weight 0.5 (Anserini's
 * defaults but for the feedback depth, chosen on the tuning half of Cranfield: 3, 5 and 10 documents
 * measured 0.534, 0.541 and 0.530 nDCG@10 there; fewer documents drift less).
 */
export const RM3: NonNullable<LexicalParams['rm3']> = { docs: 5, terms: 10, originalWeight: 0.5 };
/**
 * Proximity bonus: consecutive query terms within 3 positions of each other (either order), at 0.1 of
 * the pair's weight, for the best 100 chunks of the term score. Chosen on the tuning half of Cranfield
 * (weights 0.1, 0.2, 0.3, 0.5 measured 0.544, 0.544, 0.539, 0.540 nDCG@10 there against 0.541 without;
 * windows 1, 3, 5, 8 at 0.2: 0.542, 0.544, 0.543, 0.542) and confirmed on the held-back half (0.562 to
 * 0.565). Checking only the first 100 chunks gives the same figures at a fraction of the cost (it tests
 * each pair's phrase query against each chunk it checks): a bonus this small does not lift a chunk
 * from below 100 into the first page. Term dependence is the best-established addition to a bag of words
 * (Metzler and Croft's sequential dependence model): a visitor's "rate limit" means the phrase.
 */
export const PROXIMITY: NonNullable<LexicalParams['proximity']> = { weight: 0.1, window: 3, depth: 100 };

/** The fielded BM25 without options. */
export const BM25F: LexicalParams = {
  k1: 1.2,
  b: 0.75,
  weights: { title: 2, heading: 1.5, meta: 1.5, body: 1 },
};

/**
 * What search ships with, chosen on the tuning half of Cranfield's queries and checked on the held-back
 * half and on the chat QA set (README, retrieval quality): titles count most, then headings, summaries
 * and tags, then body text, as a reader weighs them; the textbook k1 and b; RM3 feedback on, which
 * raises MAP and recall on both halves (nDCG@10 on the tuning half only); the proximity bonus on, which
 * raises nDCG@10, MAP and MRR on both halves. Feedback re-ranks documents only: the chunk a result
 * shows (and chat quotes) is still the one that best matches the words asked, which is what keeps short
 * chat questions on topic (see `lexicalQuery`).
 */
export const DEFAULT_LEXICAL: LexicalParams = { ...BM25F, rm3: RM3, proximity: PROXIMITY };

/**
 * Fielded BM25 (BM25F in its simple form) over `chunks.tsv`, computed in ONE SQL statement. Each field
 * carries its own tsvector label (A title, B headings, C summary/tags, D body), so a term's frequency is
 * the weighted sum of its occurrences in each field (`ts_rank_cd` of a one-lexeme query with a weight
 * per label is exactly that sum), saturated once:
 *   score = sum over query lexemes of idf * tf~ * (k1 + 1) / (tf~ + k1 * (1 - b + b * dl / avgdl))
 * with idf from real document frequencies (Postgres' own `ts_rank` has none). Lexemes are the query's
 * `to_tsvector('english')` output (stemmed, stop words removed), matched with OR semantics; dl is the
 * chunk's length in index terms (`chunks.dl`, stop words out), which measured better than its
 * distinct-lexeme count on the tuning half (README). The statement reads the postings of its terms
 * (`chunk_terms`, an inverted index kept by triggers with per-label counts, so `ts_rank_cd`'s weighted
 * frequency is computed from them exactly), their document frequencies (`term_df`) and the corpus
 * counts (`chunk_stats`): its cost follows the postings of the query's terms, read once per pass, not
 * the number of chunks times the number of terms.
 */
export async function searchLexical({
  db,
  q,
  kinds,
  concept,
  topK,
  params = DEFAULT_LEXICAL,
}: {
  db: Db;
  q: string;
  kinds?: DocumentKind[] | undefined;
  concept?: string | undefined;
  topK: number;
  params?: LexicalParams;
}): Promise<LexicalHit[]> {
  return lexicalHits(await queryRows<LexicalRow>(db, lexicalQuery({ q, kinds, concept, topK, params })));
}

/** A row of `lexicalQuery`. */
export type LexicalRow = {
  chunk_id: string;
  content_id: string;
  kind: DocumentKind;
  slug: string;
  title: string;
  heading: string;
  summary: string;
  text: string;
  url: string | null;
  concepts: string[] | string | null;
  score: number | string;
  /** Position in the ranking (1 = best), so a statement wrapping this one can keep its order. */
  rank: number | string;
};

/** `lexicalQuery`'s rows as hits. */
export function lexicalHits(rows: LexicalRow[]): LexicalHit[] {
  return rows.map((r) => ({
    chunkId: r.chunk_id,
    contentId: r.content_id,
    kind: r.kind,
    slug: r.slug,
    title: r.title,
    heading: r.heading,
    text: r.summary ? (r.text ? `${r.summary}\n\n${r.text}` : r.summary) : r.text,
    url: r.url,
    concepts: parseTextArray(r.concepts),
    score: Number(r.score),
  }));
}

function num(v: number): SQL {
  if (!Number.isFinite(v)) throw new Error(`ranking parameter must be finite, got ${v}`);
  return sql`${v}::float8`;
}

/** The statement itself (exported for EXPLAIN in benchmarks). */
export function lexicalQuery({
  q,
  kinds,
  concept,
  topK,
  params,
}: {
  q: string;
  kinds?: DocumentKind[] | undefined;
  concept?: string | undefined;
  topK: number;
  params: LexicalParams;
}): SQL {
  const w = params.weights;
  const k1 = num(params.k1);
  const b = num(params.b);
  // The weighted term frequency is what ts_rank_cd of a one-lexeme query with the weights {D, C, B, A}
  // returns (the sum of the weights of the term's occurrences, as float4), computed from the postings'
  // per-label counts: the weights scaled down by the largest into [0, 1] as ts_rank_cd takes them,
  // rounded to float4 like its weight array, and the frequency scaled back up.
  const top = Math.max(w.body, w.meta, w.heading, w.title);
  if (!(top > 0)) throw new Error('at least one field weight must be positive');
  const label = (x: number) => sql`${num(x / top)}::float4::float8`;
  const filters: SQL[] = [];
  const kindExpr = sql`(CASE WHEN ch.content_id IS NOT NULL THEN c.kind ELSE 'concept' END)`;
  if (kinds?.length)
    filters.push(
      sql`${kindExpr} IN (${sql.join(
        kinds.map((k) => sql`${k}`),
        sql`, `,
      )})`,
    );
  if (concept)
    filters.push(
      sql`(EXISTS (SELECT 1 FROM content_concepts cc JOIN concepts kk ON kk.id = cc.concept_id
                   WHERE cc.content_id = ch.content_id AND kk.slug = ${concept})
           OR k.slug = ${concept})`,
    );
  // Filters keep the postings of the chunks they admit; document frequencies count every chunk.
  const filtered = filters.length
    ? sql` WHERE p.id IN (SELECT ch.id FROM chunks ch LEFT JOIN content c ON c.id = ch.content_id
                          LEFT JOIN concepts k ON k.id = ch.concept_id WHERE ${sql.join(filters, sql` AND `)})`
    : sql``;
  const tf = sql`((p.a * ${label(w.title)} + p.b * ${label(w.heading)} + p.c * ${label(w.meta)} + p.d * ${label(w.body)})::float4 * ${num(top)})`;
  const bm25 = sql`(${tf} * (${k1} + 1) / (${tf} + ${k1} * (1 - ${b} + ${b} * p.dl / s.avgdl)))`;

  /**
   * One scoring pass over the weighted terms of CTE `terms` (`term`, `qw`): their idf from real document
   * frequencies (`term_df`, one row per term, CTE `idf<n || ''>`), then one read of their postings (by
   * lexeme, from the covering index) that sums the BM25 of every chunk matching any of them (OR
   * semantics, CTE `scored<n || 1>`), rather than testing each candidate's tsvector against each term.
   */
  const pass = (terms: string, n: string) => {
    const N = sql.raw(n);
    const T = sql.raw(terms);
    return sql`idf${N} AS MATERIALIZED (
      SELECT t.term, t.qw, ln(1 + (s.n - coalesce(df.n, 0) + 0.5) / (coalesce(df.n, 0) + 0.5)) AS idf
      FROM ${T} t CROSS JOIN stats s LEFT JOIN term_df df ON df.lexeme = t.term
    ),
    scored${sql.raw(n || '1')} AS MATERIALIZED (
      SELECT p.id, sum(i.qw * i.idf * ${bm25}) AS score
      FROM idf${N} i CROSS JOIN stats s
      CROSS JOIN LATERAL (SELECT p.chunk_id AS id, greatest(p.dl, 1)::float8 AS dl, p.a, p.b, p.c, p.d
                          FROM chunk_terms p WHERE p.lexeme = i.term OFFSET 0) p${filtered}
      GROUP BY p.id
    )`;
  };

  // First pass: the query's own lexemes, weight 1 each.
  const firstPass = sql`
    qlex AS MATERIALIZED (
      SELECT u.lexeme AS term, u.positions[1] AS pos, 1::float8 AS qw FROM unnest(to_tsvector('english', ${q})) u
    ),
    stats AS MATERIALIZED (
      -- chunk_stats is kept by triggers on chunks (migration 0003): the same count and average length
      -- (numeric, as avg(dl) computes it) as a scan of chunks.
      SELECT greatest(coalesce(max(n), 0), 1)::float8 AS n,
             greatest(max(total_dl)::numeric / nullif(max(n), 0), 1)::float8 AS avgdl
      FROM chunk_stats
    ),
    ${pass('qlex', '')}`;

  const rm3 = params.rm3;
  const expansion = rm3
    ? sql`,
    fbdocs AS MATERIALIZED (
      -- P(d|q): the feedback documents' scores over the sum of all first-pass scores.
      SELECT f.id, f.score / nullif((SELECT sum(score) FROM scored1), 0) AS pd
      FROM (SELECT s1.id, s1.score FROM scored1 s1 ORDER BY s1.score DESC, s1.id LIMIT ${rm3.docs}::int) f
    ),
    fbterms AS MATERIALIZED (
      -- P(w|R) = sum over feedback documents of P(w|d) * P(d|q), P(w|d) by term frequency
      SELECT u.lexeme AS term, sum(f.pd * coalesce(array_length(u.positions, 1), 1)::float8 / greatest(ch.dl, 1)) AS pw
      FROM fbdocs f JOIN chunks ch ON ch.id = f.id
      CROSS JOIN LATERAL unnest(ch.tsv) u
      WHERE length(u.lexeme) > 1 AND u.lexeme !~ '^[0-9.]+$'
      GROUP BY u.lexeme
      ORDER BY pw DESC, u.lexeme LIMIT ${rm3.terms}::int
    ),
    qterms AS MATERIALIZED (
      -- RM3: the original query (uniform) interpolated with the normalised relevance model.
      SELECT coalesce(o.term, e.term) AS term,
             ${num(rm3.originalWeight)} * coalesce(o.w, 0)
               + (1 - ${num(rm3.originalWeight)}) * coalesce(e.pw / nullif((SELECT sum(pw) FROM fbterms), 0), 0) AS qw
      FROM (SELECT DISTINCT term, 1::float8 / (SELECT count(DISTINCT term) FROM qlex) AS w FROM qlex) o
      FULL JOIN fbterms e ON e.term = o.term
    ),
    ${pass('qterms', '2')}`
    : sql``;
  const base = rm3 ? sql`scored2` : sql`scored1`;

  // How many of the best chunks the documents are ranked from (see below).
  const keep = Math.max(100, 4 * topK);
  const prox = params.proximity;
  const proximity = prox
    ? sql`,
    pairs AS MATERIALIZED (
      -- Consecutive query lexemes, and a query matching them within the window in either order;
      -- weighted like the terms themselves (their query weight and idf), so the bonus keeps its scale
      -- with or without feedback.
      SELECT a.term AS t1, b.term AS t2, ((ia.qw * ia.idf) + (ib.qw * ib.idf)) / 2 AS idf,
             (SELECT string_agg(format('(%s <%s> %s) | (%s <%s> %s)', quote_literal(a.term), d, quote_literal(b.term),
                                       quote_literal(b.term), d, quote_literal(a.term)), ' | ')
              FROM generate_series(1, ${prox.window}::int) d)::tsquery AS tq
      FROM (SELECT term, pos, row_number() OVER (ORDER BY pos) AS r FROM qlex) a
      JOIN (SELECT term, pos, row_number() OVER (ORDER BY pos) AS r FROM qlex) b ON b.r = a.r + 1
      JOIN ${rm3 ? sql`idf2` : sql`idf`} ia ON ia.term = a.term JOIN ${rm3 ? sql`idf2` : sql`idf`} ib ON ib.term = b.term
      WHERE a.term <> b.term
    ),
    -- The bonus, for the best chunks by term score: enough of them to rank the documents from (see
    -- below), and every chunk the bonus is checked for.
    btop AS MATERIALIZED (
      SELECT id, score, row_number() OVER (ORDER BY score DESC, id) AS r
      FROM (SELECT id, score FROM ${base} ORDER BY score DESC, id LIMIT ${prox.depth === undefined ? null : Math.max(prox.depth, keep)}::int) t
    ),
    bonused AS MATERIALIZED (
      SELECT x.id, x.score + CASE WHEN x.r <= ${prox.depth ?? 1_000_000_000}::int THEN ${num(prox.weight)} * coalesce((
               SELECT sum(p.idf) FROM pairs p JOIN chunks cd ON cd.id = x.id WHERE cd.tsv @@ p.tq
             ), 0) ELSE 0 END AS score
      FROM btop x
    ),
    -- Every matching chunk with its final score (read only when the best chunks are not enough).
    scored AS (
      SELECT id, score FROM bonused
      UNION ALL SELECT b.id, b.score FROM ${base} b WHERE NOT EXISTS (SELECT 1 FROM btop t WHERE t.id = b.id)
    )`
    : sql`,
    bonused AS MATERIALIZED (SELECT id, score FROM ${base} ORDER BY score DESC, id LIMIT ${keep}::int),
    scored AS (SELECT id, score FROM ${base})`;

  // One row per document (content item or concept): its score is its best chunk's, and the chunk it
  // shows is the one that best matches the query AS ASKED (the first pass). With feedback the two can
  // differ: expansion terms are a model of the topic, good for ranking documents, while which section
  // answers the question is for the words the visitor used (the chat quotes this chunk).
  //
  // The documents are ranked from the best `keep` chunks when those hold at least `topK` documents
  // (exact: a document without a chunk among them scores at most the lowest of them, and loses ties to
  // them by chunk id), else from every matching chunk; so the grouping touches a few hundred chunks,
  // not every chunk that shares a word with the query.
  const final = sql`coalesce(bo.score, x.score)`;
  // Without feedback the query as asked is the final query.
  const first = rm3 ? sql`f.score` : final;
  return sql`WITH ${firstPass}${expansion}${proximity},
    cand AS MATERIALIZED (
      SELECT x.id, x.score, coalesce(ch.content_id, ch.concept_id) AS doc
      FROM (SELECT id, score FROM bonused ORDER BY score DESC, id LIMIT ${keep}::int) x JOIN chunks ch ON ch.id = x.id
    ),
    enough AS MATERIALIZED (SELECT count(DISTINCT doc) >= ${topK}::int AS ok FROM cand),
    docs AS (
      SELECT doc, max(score) AS score, (array_agg(id ORDER BY score DESC, id))[1] AS best
      FROM cand WHERE (SELECT ok FROM enough) GROUP BY doc
      UNION ALL
      SELECT coalesce(ch.content_id, ch.concept_id), max(x.score), (array_agg(x.id ORDER BY x.score DESC, x.id))[1]
      FROM scored x JOIN chunks ch ON ch.id = x.id WHERE NOT (SELECT ok FROM enough)
      GROUP BY coalesce(ch.content_id, ch.concept_id)
    ),
    topdocs AS MATERIALIZED (SELECT doc, score, best FROM docs ORDER BY score DESC, best LIMIT ${topK}::int),
    docchunks AS MATERIALIZED (
      SELECT d.doc, ch.id FROM topdocs d JOIN chunks ch ON ch.content_id = d.doc
      UNION ALL
      SELECT d.doc, ch.id FROM topdocs d JOIN chunks ch ON ch.concept_id = d.doc
    ),
    shown AS (
      SELECT DISTINCT ON (dc.doc) dc.doc, dc.id
      FROM docchunks dc JOIN ${base} x ON x.id = dc.id LEFT JOIN bonused bo ON bo.id = dc.id
      ${rm3 ? sql`LEFT JOIN scored1 f ON f.id = dc.id` : sql``}
      ORDER BY dc.doc, ${first} DESC NULLS LAST, CASE WHEN ${first} IS NULL THEN ${final} END DESC, dc.id
    ),
    top AS (SELECT sh.id, d.score, d.best FROM topdocs d JOIN shown sh ON sh.doc = d.doc)
    SELECT ch.id AS chunk_id, coalesce(ch.content_id, ch.concept_id)::text AS content_id,
           CASE WHEN ch.content_id IS NOT NULL THEN c.kind ELSE 'concept' END AS kind,
           coalesce(c.slug, k.slug) AS slug, ch.title, ch.heading, ch.summary, ch.text, c.url, top.score,
           row_number() OVER (ORDER BY top.score DESC, top.best) AS rank,
           CASE WHEN ch.content_id IS NOT NULL
                THEN ARRAY(SELECT kk.slug FROM content_concepts cc JOIN concepts kk ON kk.id = cc.concept_id
                           WHERE cc.content_id = ch.content_id ORDER BY kk.slug)
                ELSE ARRAY[k.slug] END AS concepts
    FROM top
    JOIN chunks ch ON ch.id = top.id
    LEFT JOIN content c ON c.id = ch.content_id
    LEFT JOIN concepts k ON k.id = ch.concept_id
    ORDER BY rank`;
}
