/**
 * Projections fail alone (DESIGN section 3): on a PostgreSQL server without the pgvector extension (the
 * real server here: Debian's PostgreSQL has no pgvector package) the text and graph projections finish,
 * the vector projection waits in a named state, search answers from full text saying why, and a full
 * rebuild finishes what it can and reports the one it cannot. Runs when TEST_DATABASE_URL is set.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setEmbedder } from '../../lib/ai/embedder.js';
import { LocalHashEmbedder } from '../../lib/ai/local-embedder.js';
import { createContent } from '../../lib/content/content-writes.js';
import { toContentDoc } from '../../lib/content/schemas.js';
import { measureHealth, publicHealth, storeChecks } from '../../lib/health.js';
import { searchContent } from '../../lib/search/search.js';
import { setCache } from '../../lib/stores/cache/index.js';
import { MemoryCache } from '../../lib/stores/cache/memory.js';
import { setGraphStore } from '../../lib/stores/graph/index.js';
import { queryRows, type SqlStore, setSql } from '../../lib/stores/sql/index.js';
import { setVectorStore } from '../../lib/stores/vector/index.js';
import { rebuildAll } from '../../lib/sync/engine.js';
import { defaultProjectors } from '../../lib/sync/projectors.js';
import { syncNow } from '../../lib/sync/run.js';
import { createPostgres } from '../helpers/sql.js';

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);

describe.skipIf(!hasPostgres)('projections on PostgreSQL without pgvector (TEST_DATABASE_URL)', () => {
  let store: SqlStore;

  beforeAll(async () => {
    store = await createPostgres();
    setSql(store);
    setVectorStore(undefined); // pgvector on this server: the extension is not there
    setGraphStore(undefined); // the embedded SQL graph on the same server
    setCache(new MemoryCache());
    setEmbedder(new LocalHashEmbedder({ dimension: 64 }));
    const available = await queryRows(
      store.db,
      sql`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`,
    );
    if (available.length) throw new Error('this PostgreSQL has pgvector: the suite needs one without it');
    await createContent({
      sql: store,
      actor: 'test',
      doc: toContentDoc({
        slug: 'walrus-notes',
        kind: 'post',
        title: 'Walrus migration notes',
        body: 'Walruses haul out on sea ice.',
      }),
    });
  });

  afterAll(async () => {
    setEmbedder(undefined);
    setVectorStore(undefined);
    setGraphStore(undefined);
    setSql(undefined);
    setCache(undefined);
    await store.close();
  });

  it('error: text and graph finish, vectors wait with a named reason, and nothing is dead', async () => {
    const stats = await syncNow({ sql: store });
    expect(stats.dead).toBe(0);
    const chunks = await queryRows<{ id: string }>(store.db, sql`SELECT id FROM chunks`);
    expect(chunks.length).toBeGreaterThan(0);
    const nodes = await queryRows<{ key: string }>(store.db, sql`SELECT key FROM graph_nodes`);
    expect(nodes.map((n) => n.key)).toContain('walrus-notes');
    const rows = await queryRows<{ projector: string; status: string; last_error: string | null }>(
      store.db,
      sql`SELECT projector, status, last_error FROM outbox WHERE projector IS NOT NULL ORDER BY id`,
    );
    expect(rows.filter((r) => r.projector !== 'vectors').every((r) => r.status === 'done')).toBe(true);
    const vectors = rows.filter((r) => r.projector === 'vectors');
    expect(vectors).toHaveLength(1);
    expect(vectors[0]).toMatchObject({ status: 'pending' });
    expect(vectors[0]?.last_error).toMatch(/pgvector extension is not installed/);
    // A second run does not retry at speed: the row waits.
    expect((await syncNow({ sql: store })).claimed).toBe(0);
  });

  it('error: search answers from full text, degraded with the reason and the fix, and is not cached', async () => {
    const res = await searchContent({ q: 'walrus migration', limit: 5 });
    expect(res.results[0]?.slug).toBe('walrus-notes');
    expect(res.degraded).toBe(true);
    expect(res.degradedReason).toMatch(/pgvector extension is not installed/);
    expect(res.degradedReason).toMatch(/Pinecone/);
  });

  it('error: health names the vector store as unsupported here, with what is missing and how to fix it', async () => {
    const health = (await measureHealth(storeChecks())).map(publicHealth);
    const vector = health.find((h) => h.store === 'vector');
    expect(vector).toMatchObject({ status: 'down', reason: 'unsupported' });
    expect(vector?.hint).toMatch(/pgvector extension is not installed.*Install pgvector.*Pinecone/);
    expect(health.find((h) => h.store === 'sql')?.status).toBe('up');
    expect(health.find((h) => h.store === 'graph')?.status).toBe('up');
  });

  it('error: a full rebuild rebuilds text and graph, and names the vector projection it could not rebuild', async () => {
    const result = await rebuildAll({ sql: store, projectors: defaultProjectors() });
    expect(Object.keys(result.projectors).sort()).toEqual(['graph', 'text']);
    expect(result.failed).toEqual([
      { projector: 'vectors', error: expect.stringMatching(/pgvector extension is not installed.*Pinecone/) },
    ]);
    const pending = await queryRows<{ n: string }>(
      store.db,
      sql`SELECT count(*) AS n FROM outbox WHERE projector = 'vectors' AND status = 'pending'`,
    );
    expect(Number(pending[0]?.n)).toBeGreaterThan(0);
  });
});
