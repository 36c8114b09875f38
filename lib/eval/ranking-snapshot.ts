import { sql } from 'drizzle-orm';
import { LocalHashEmbedder } from '../ai/local-embedder.js';
import { importBundle } from '../content/import/run.js';
import { DEFAULT_LEXICAL, PROXIMITY, RM3, searchLexical } from '../search/lexical.js';
import { searchContent } from '../search/search.js';
import type { SqlStore } from '../stores/sql/index.js';
import { PgVectorStore } from '../stores/vector/pgvector.js';
import { syncNow } from '../sync/run.js';
import { createTextProjector } from '../sync/text-projector.js';
import { createVectorProjector } from '../sync/vector-projector.js';
import { syntheticCorpus } from './synthetic.js';

/** The corpus the ranking fixture is recorded on (tests/fixtures/search-rankings.json). */
export const SNAPSHOT_CORPUS = { items: 220, seed: 14, queries: 30 };

/** Ranked ids per query and configuration: what must not change when search gets faster. */
export type RankingSnapshot = Record<string, string[]>;

/**
 * Indexes the synthetic corpus into `store` through the normal write path and sync (text and pgvector
 * with the default local embedder), then records the ranked ids of the full-text side (with and
 * without filters and options, with scores to 6 decimals) and of hybrid search (`searchContent`).
 */
export async function rankingSnapshot(store: SqlStore): Promise<RankingSnapshot> {
  const corpus = syntheticCorpus(SNAPSHOT_CORPUS);
  // Ids from the slug instead of gen_random_uuid(): ties are ordered by chunk id, so the recorded order
  // must not depend on random ids. (This store is a throwaway; the trigger is never installed elsewhere.)
  await store.db.execute(sql`CREATE FUNCTION snapshot_stable_id() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN NEW.id := md5(TG_TABLE_NAME || ':' || NEW.slug)::uuid; RETURN NEW; END $$`);
  for (const table of ['content', 'concepts'])
    await store.db.execute(
      sql.raw(
        `CREATE TRIGGER snapshot_stable_id BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION snapshot_stable_id()`,
      ),
    );
  await importBundle({ sql: store, bundle: corpus.bundle, actor: 'cli:eval' });
  const embedder = new LocalHashEmbedder();
  const vectors = new PgVectorStore({ sql: async () => store });
  const deps = {
    sql: async () => store.db,
    vectors: async () => vectors,
    embedder: async () => embedder,
    noCache: true,
  };
  const projectors = [
    createTextProjector(),
    createVectorProjector({ vectors: deps.vectors, embedder: deps.embedder }),
  ];
  await syncNow({ sql: store, projectors, onIndexChanged: async () => {} });
  const out: RankingSnapshot = {};
  const lexical = async (name: string, q: string, extra: Parameters<typeof searchLexical>[0]) => {
    const hits = await searchLexical(extra);
    out[`${name} | ${q}`] = hits.map((h) => `${h.chunkId} ${h.score.toFixed(6)}`);
  };
  for (const [i, q] of corpus.queries.entries()) {
    const base = { db: store.db, q, topK: 50 };
    await lexical('bm25f', q, base);
    if (i % 3 === 0) await lexical('bm25f top200', q, { ...base, topK: 200 });
    if (i % 3 === 1) await lexical('bm25f kinds', q, { ...base, kinds: ['post', 'lesson'] });
    if (i % 3 === 2) await lexical('bm25f concept', q, { ...base, concept: corpus.concepts[i % 4] });
    if (i % 5 === 0) await lexical('bm25f+rm3', q, { ...base, params: { ...DEFAULT_LEXICAL, rm3: RM3 } });
    if (i % 5 === 1)
      await lexical('bm25f+prox', q, { ...base, params: { ...DEFAULT_LEXICAL, proximity: PROXIMITY } });
    const hybrid = await searchContent({ q, limit: 20 }, deps);
    out[`hybrid | ${q}`] = hybrid.results.map((r) => r.chunkId);
    if (i % 4 === 0) {
      const page = await searchContent({ q, limit: 10, offset: 10 }, deps);
      out[`hybrid page 2 | ${q}`] = page.results.map((r) => `${r.chunkId} ${r.snippet}`);
    }
  }
  return out;
}
