import { waitUntil } from '@vercel/functions';
import type { DocumentKind } from '../../db/schema.js';
import { type Embedder, getEmbedder } from '../ai/embedder.js';
import { timebox, timeboxed } from '../cache/timebox.js';
import { env } from '../env.js';
import { log } from '../log.js';
import { getCache } from '../stores/cache/index.js';
import { type Db, getSql } from '../stores/sql/index.js';
import { getVectorStore } from '../stores/vector/index.js';
import type { VectorMatch, VectorStore } from '../stores/vector/types.js';
import { ProjectionUnavailableError } from '../sync/types.js';
import { fuse, type RankedList } from './fuse.js';
import { DEFAULT_LEXICAL, type LexicalHit, type LexicalParams } from './lexical.js';
import { makeSnippet, queryStems } from './snippet.js';
import { rememberIndexVersion, searchLexicalWithVersion, VERSION_CACHE_KEY } from './version.js';

export interface SearchInput {
  q: string;
  kinds?: DocumentKind[];
  /** Only content that covers or mentions this concept (slug). */
  concept?: string;
  /** 1..100 */
  limit: number;
  offset?: number;
}

export interface SearchResult {
  /** The content item's slug, or the concept's for `kind: "concept"`. */
  slug: string;
  kind: DocumentKind;
  /** API path of the item: `/api/content/<slug>`, or `/api/concepts/<slug>` for a concept. */
  link: string;
  title: string;
  /** Heading path of the best-matching chunk ('' for the lead). */
  heading: string;
  /** HTML-escaped excerpt with the matched terms in `<mark>`. */
  snippet: string;
  /** Fused score (reciprocal rank fusion): only the order is meaningful. */
  score: number;
  /** The content's external link, when it has one (a project's repository). */
  url?: string;
  concepts: string[];
  contentId: string;
  chunkId: string;
}

export interface SearchResponse {
  query: string;
  results: SearchResult[];
  /** True when one side (usually the vector store) was unavailable and results come from the other. */
  degraded: boolean;
  degradedReason?: string;
  indexVersion: number;
}

/**
 * How the two rankings are fused: part of the embedder's identity (DESIGN 4a). The local hashing
 * embedder is lexical too (hashed words and character n-grams), so it is a weak second opinion and gets
 * a small weight; a provider model is a different signal and counts fully. `minSimilarity` is the floor
 * below which a vector match is noise: nearest neighbours always exist, related or not. Measured on the
 * tuning half of Cranfield's queries (README, retrieval); the provider figures follow the published
 * results for dense retrievers fused with BM25 and are not measured here (no provider key).
 */
export interface FusionProfile {
  /** `rrf` (reciprocal rank fusion, constant k) or `convex` (weighted sum of normalised scores). */
  method: 'rrf' | 'convex';
  k: number;
  lexicalWeight: number;
  vectorWeight: number;
  minSimilarity: number;
}

/**
 * The local hashing embedder measures as a second opinion that only costs ranking quality once the full
 * text has titles, lengths and feedback right (tuning half of Cranfield, with RM3: vector weight 0.3,
 * 0.2, 0.1 and 0 gave 0.533, 0.535, 0.537 and 0.541 nDCG@10). So it does not reorder what full text
 * found (weight 0): it backfills, after the full-text results, the items full text misses entirely
 * (a misspelt or differently inflected word its character n-grams still match), above the floor.
 */
export const LOCAL_FUSION: FusionProfile = {
  method: 'convex',
  k: 60,
  lexicalWeight: 1,
  vectorWeight: 0,
  minSimilarity: 0.25,
};
export const PROVIDER_FUSION: FusionProfile = {
  method: 'rrf',
  k: 60,
  lexicalWeight: 1,
  vectorWeight: 1,
  minSimilarity: 0.3,
};

export function fusionFor(embedder: Pick<Embedder, 'provider'>): FusionProfile {
  return embedder.provider === 'local' ? LOCAL_FUSION : PROVIDER_FUSION;
}
/** Results are cached this long under a key that includes the index version. */
const RESULT_TTL_SECONDS = 300;
const CACHE_TIMEOUT_MS = 150;

export interface SearchDeps {
  sql?: () => Promise<Db>;
  vectors?: () => Promise<VectorStore>;
  embedder?: () => Promise<Embedder>;
  /** Skip the result cache (evaluation measures ranking, not the cache). */
  noCache?: boolean;
  /** Ranking overrides (evaluation and tuning). */
  lexical?: LexicalParams;
  fusion?: FusionProfile;
  /** Full text only (evaluation of BM25 alone). */
  lexicalOnly?: boolean;
}

/**
 * Hybrid search: the query is embedded once; the vector query and the BM25 full-text query run in
 * parallel; their rankings are fused by the embedder's profile (`fusionFor`: reciprocal rank for a
 * provider model, full text first with vector backfill for the local hashing embedder) and grouped by
 * document (best chunk per item or concept).
 * Vector metadata and the full-text row carry everything a result shows: no hydration query.
 * With the vector store (or the embedder) down, full text alone answers and `degraded` says so.
 */
export async function searchContent(input: SearchInput, deps: SearchDeps = {}): Promise<SearchResponse> {
  const sqlOf = deps.sql ?? (async () => (await getSql()).db);
  const q = input.q.trim();
  const offset = input.offset ?? 0;
  const limit = Math.max(1, Math.min(100, input.limit));
  const suffix = cacheSuffix({ ...input, q, limit, offset });
  // One cache round trip: the index version the cache knows and the answer cached under it.
  let cachedVersion: number | null = null;
  if (!deps.noCache) {
    const read = await timeboxed(
      async () =>
        (await getCache()).getVersioned<SearchResponse>({
          versionKey: VERSION_CACHE_KEY,
          entryPrefix: 'search:v',
          entrySuffix: suffix,
        }),
      CACHE_TIMEOUT_MS,
      null,
    );
    if (read?.value) return read.value;
    cachedVersion = read?.version ? Number(read.version) : null;
  }

  const depth = Math.min(300, Math.max(50, (offset + limit) * 2));
  const filter = {
    ...(input.kinds?.length ? { kinds: input.kinds } : {}),
    ...(input.concept ? { concept: input.concept } : {}),
  };
  let fusion = deps.fusion ?? LOCAL_FUSION;
  const [lexical, vector] = await Promise.allSettled([
    // The index version rides in the full-text statement: a miss is one SQL round trip.
    sqlOf().then((db) =>
      searchLexicalWithVersion({
        db,
        q,
        kinds: input.kinds,
        concept: input.concept,
        topK: depth,
        params: deps.lexical ?? DEFAULT_LEXICAL,
      }),
    ),
    deps.lexicalOnly
      ? Promise.resolve([] as VectorMatch[])
      : // Time-boxed: a vector store (or embedder) that hangs degrades to full text like one that is down.
        timebox(
          (async () => {
            const [embedder, vectors] = await Promise.all([
              (deps.embedder ?? getEmbedder)(),
              (deps.vectors ?? getVectorStore)(),
            ]);
            fusion = deps.fusion ?? fusionFor(embedder);
            const [values] = await embedder.embed([q]);
            if (!values) throw new Error('the embedder returned no vector');
            return vectors.query(values, { topK: depth, filter });
          })(),
          vectorBudgetMs(),
        ),
  ]);
  if (lexical.status === 'rejected' && vector.status === 'rejected') {
    log.error('search failed on both sides', { lexical: lexical.reason, vector: vector.reason });
    throw new SearchUnavailableError();
  }
  let degradedReason: string | undefined;
  if (vector.status === 'rejected') {
    if (vector.reason instanceof ProjectionUnavailableError) {
      degradedReason = `${vector.reason.message} Results come from full-text search alone. ${vector.reason.hint}`;
    } else {
      log.warn('vector search unavailable; answering from full text', { err: vector.reason });
      degradedReason = 'The vector store is unavailable: results come from full-text search alone.';
    }
  } else if (lexical.status === 'rejected') {
    log.warn('full-text search unavailable; answering from vectors', { err: lexical.reason });
    degradedReason = 'Full-text search is unavailable: results come from vector search alone.';
  }
  const lexHits = lexical.status === 'fulfilled' ? lexical.value.hits : [];
  // Without SQL, the version the cache knows (a degraded answer is never cached under it).
  const indexVersion = lexical.status === 'fulfilled' ? lexical.value.indexVersion : (cachedVersion ?? 0);
  const vecHits =
    vector.status === 'fulfilled' ? vector.value.filter((m) => m.score >= fusion.minSimilarity) : [];
  const results = rankResults(q, lexHits, vecHits, fusion, { offset, limit });
  const response: SearchResponse = {
    query: q,
    results,
    degraded: degradedReason !== undefined,
    ...(degradedReason ? { degradedReason } : {}),
    indexVersion,
  };
  // Filled after the response (waitUntil). A degraded answer is not cached: the next request should
  // try the vector store again. A cache that lacks the version, or knows an older one (a memory cache
  // in another instance than the sync), learns it from SQL here.
  if (!deps.noCache && !response.degraded) {
    const fill = timeboxed(
      async () => {
        const cache = await getCache();
        await cache.set(`search:v${indexVersion}${suffix}`, response, { ttlSeconds: RESULT_TTL_SECONDS });
        if (cachedVersion === null || cachedVersion < indexVersion) await rememberIndexVersion(indexVersion);
      },
      CACHE_TIMEOUT_MS * 2,
      undefined,
    );
    waitUntil(fill);
  }
  return response;
}

/** The vector side's budget: 3 s, but at most a third of the request deadline (full text needs the rest). */
function vectorBudgetMs(): number {
  return Math.min(3000, Math.floor(env().REQUEST_TIMEOUT_MS / 3));
}

export class SearchUnavailableError extends Error {
  constructor() {
    super('Search is unavailable right now.');
    this.name = 'SearchUnavailableError';
  }
}

/** The cache key after `search:v<index version>`: the normalised query and its filters. */
function cacheSuffix(input: SearchInput): string {
  const kinds = [...(input.kinds ?? [])].sort().join(',');
  const q = input.q.toLowerCase().replace(/\s+/g, ' ');
  return `:${JSON.stringify([q, kinds, input.concept ?? '', input.limit, input.offset ?? 0])}`;
}

/** A hit from either side, before fusion: what a result needs. */
type Candidate = Omit<LexicalHit, 'score'>;

/**
 * Groups each side by content (best chunk), fuses the two rankings, and builds the results of the
 * requested page (snippets only for those: they cost more than the fusion itself).
 */
export function rankResults(
  q: string,
  lexHits: LexicalHit[],
  vecHits: VectorMatch[],
  fusion: FusionProfile = LOCAL_FUSION,
  page: { offset: number; limit: number } = { offset: 0, limit: Number.POSITIVE_INFINITY },
): SearchResult[] {
  const lexByContent = bestPerContent(lexHits.map((h) => ({ ...h, url: h.url })));
  const vecByContent = bestPerContent(
    vecHits.map((m) => ({
      score: m.score,
      contentId: m.metadata.contentId,
      chunkId: m.id,
      kind: m.metadata.kind,
      slug: m.metadata.slug,
      title: m.metadata.title,
      heading: m.metadata.heading,
      text: m.metadata.excerpt,
      url: null,
      concepts: m.metadata.concepts,
    })),
  );
  const lists: RankedList[] = [
    { weight: fusion.lexicalWeight, ids: lexByContent.map((c) => c.contentId) },
    { weight: fusion.vectorWeight, ids: vecByContent.map((c) => c.contentId) },
  ];
  const lexMap = new Map(lexByContent.map((c) => [c.contentId, c]));
  const vecMap = new Map(vecByContent.map((c) => [c.contentId, c]));
  const stems = queryStems(q);
  const fused =
    fusion.method === 'convex'
      ? fuseConvex([
          { weight: fusion.lexicalWeight, hits: lexByContent },
          { weight: fusion.vectorWeight, hits: vecByContent },
        ])
      : fuse(lists, fusion.k);
  return fused.slice(page.offset, page.offset + page.limit).map(({ id, score }) => {
    // The full-text chunk has the whole text (better snippets); the vector one may be the only one.
    const lex = lexMap.get(id);
    const vec = vecMap.get(id);
    const best = (lex ?? vec) as Candidate;
    return {
      slug: best.slug,
      kind: best.kind,
      link: `${best.kind === 'concept' ? '/api/concepts/' : '/api/content/'}${encodeURIComponent(best.slug)}`,
      title: best.title,
      heading: best.heading,
      snippet: makeSnippet(best.text, stems),
      score: Math.round(score * 1e6) / 1e6,
      ...(lex?.url ? { url: lex.url } : {}),
      concepts: best.concepts,
      contentId: id,
      chunkId: best.chunkId,
    };
  });
}

/**
 * Convex combination of normalised scores (Bruch et al., "An Analysis of Fusion Functions for Hybrid
 * Retrieval", 2023): each side's scores divided by its best score (both are non-negative: BM25, and
 * cosine above the floor), weighted and summed; an item missing from one side scores 0 there. Unlike
 * RRF it keeps how much better the first hit is than the tenth. Ties keep first-seen order.
 */
export function fuseConvex(
  sides: { weight: number; hits: { contentId: string; score: number }[] }[],
): { id: string; score: number }[] {
  const scores = new Map<string, { score: number; seen: number }>();
  let seen = 0;
  for (const side of sides) {
    const top = side.hits.reduce((m, h) => Math.max(m, h.score), 0);
    if (!(top > 0)) continue;
    for (const h of side.hits) {
      const entry = scores.get(h.contentId) ?? { score: 0, seen: seen++ };
      entry.score += (side.weight * Math.max(0, h.score)) / top;
      scores.set(h.contentId, entry);
    }
  }
  return [...scores.entries()]
    .sort((a, b) => b[1].score - a[1].score || a[1].seen - b[1].seen)
    .map(([id, e]) => ({ id, score: e.score }));
}

function bestPerContent<T extends Candidate & { score: number }>(hits: T[]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const h of hits) {
    if (seen.has(h.contentId)) continue;
    seen.add(h.contentId);
    out.push(h);
  }
  return out;
}
