/**
 * Search and indexing figures on the sample content (db/seed), on a fresh in-memory PGlite with
 * pgvector and the local embedder (the embedded defaults). Prints one JSON object:
 *  - fullReindex: `reindex --full` from SQL (seconds, embed calls, chunks)
 *  - incremental: sync after editing one section of one post (embed calls, chunks embedded, ms)
 *  - search: p50/p99 latency of searchContent over sample queries, uncached and cached
 * Run alone with `npx tsx bench/search.ts`; `npm run bench` collects it.
 */
import { sql } from 'drizzle-orm';
import { migrate } from '../db/migrate.js';
import { getEmbedder } from '../lib/ai/embedder.js';
import { updateContent } from '../lib/content/content-writes.js';
import { seedSampleContent } from '../lib/content/seed.js';
import { configureLog } from '../lib/log.js';
import { searchContent } from '../lib/search/search.js';
import { publishIndexVersion } from '../lib/search/version.js';
import { setCache } from '../lib/stores/cache/index.js';
import { MemoryCache } from '../lib/stores/cache/memory.js';
import { queryRows, setSql } from '../lib/stores/sql/index.js';
import { openPglite } from '../lib/stores/sql/pglite.js';
import { setVectorStore } from '../lib/stores/vector/index.js';
import { rebuildAll } from '../lib/sync/engine.js';
import { defaultProjectors } from '../lib/sync/projectors.js';
import { syncNow } from '../lib/sync/run.js';

configureLog({ level: 'silent' });
const QUERIES = [
  'hybrid search',
  'reciprocal rank fusion',
  'how does BM25 rank documents',
  'transactional outbox',
  'vacuum and MVCC',
  'connection pooling in serverless functions',
  'chunking strategies for embeddings',
  'prompt injection',
  'evaluating retrieval with nDCG',
  'read query plans',
  'cache invalidation',
  'inverted index',
];
const ROUNDS = 5;

const store = await openPglite();
try {
  await migrate(store);
  setSql(store);
  setVectorStore(undefined);
  setCache(new MemoryCache());
  const embedder = await getEmbedder();
  await seedSampleContent({ sql: store });
  // First sync indexes the seed; then the timed full rebuild from SQL.
  await syncNow({ sql: store });
  let calls = embedder.usage.calls;
  let t = performance.now();
  const full = await rebuildAll({
    sql: store,
    projectors: defaultProjectors(),
    onIndexChanged: publishIndexVersion,
  });
  const fullReindex = {
    seconds: round((performance.now() - t) / 1000, 2),
    embedCalls: embedder.usage.calls - calls,
    chunks: full.projectors.vectors?.chunksEmbedded ?? 0,
    content: Number(
      (await queryRows<{ n: string }>(store.db, sql`SELECT count(*) AS n FROM content`))[0]?.n ?? 0,
    ),
  };

  // Edit one section of one post: only its changed chunk(s) should be embedded.
  const [post] = await queryRows<{ id: string; body: string; version: number }>(
    store.db,
    sql`SELECT id::text AS id, body, version FROM content WHERE kind = 'post' ORDER BY slug LIMIT 1`,
  );
  if (!post) throw new Error('the sample content has no post');
  const edited = post.body.replace(/\n## /, '\nOne more sentence, added by the benchmark.\n\n## ');
  await updateContent({
    sql: store,
    actor: 'bench',
    target: { id: post.id },
    patch: { body: edited === post.body ? `${post.body}\n\nOne more sentence.` : edited },
    expectedVersion: post.version,
  });
  calls = embedder.usage.calls;
  const texts = embedder.usage.texts;
  t = performance.now();
  const inc = await syncNow({ sql: store });
  const incremental = {
    ms: round(performance.now() - t),
    embedCalls: embedder.usage.calls - calls,
    chunksEmbedded: embedder.usage.texts - texts,
    chunksSkipped: inc.projectors.vectors?.chunksSkipped ?? 0,
  };

  // Search latency: uncached (ranking work) and cached (the cache hit path).
  const uncached: number[] = [];
  const cached: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const q of QUERIES) {
      t = performance.now();
      await searchContent({ q, limit: 10 }, { noCache: true });
      uncached.push(performance.now() - t);
    }
  }
  for (const q of QUERIES) await searchContent({ q, limit: 10 });
  for (let r = 0; r < ROUNDS; r++) {
    for (const q of QUERIES) {
      t = performance.now();
      await searchContent({ q, limit: 10 });
      cached.push(performance.now() - t);
    }
  }
  process.stdout.write(
    `${JSON.stringify({
      name: 'search',
      embedder: embedder.id,
      vectors: 'pgvector (PGlite)',
      fullReindex,
      incrementalAfterEditingOnePost: incremental,
      search: {
        queries: uncached.length,
        uncached: { p50Ms: pct(uncached, 50), p99Ms: pct(uncached, 99) },
        cached: { p50Ms: pct(cached, 50), p99Ms: pct(cached, 99) },
      },
    })}\n`,
  );
} finally {
  await store.close();
}

function pct(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
