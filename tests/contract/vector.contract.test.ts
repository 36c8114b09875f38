/**
 * The vector store port's contract, run on every adapter available: pgvector on PGlite always;
 * Pinecone through the official client against the local stand-in (tests/standins/pinecone.ts);
 * a live Pinecone index when PINECONE_API_KEY (+ PINECONE_INDEX or PINECONE_HOST) is set, in a
 * throwaway namespace that is deleted afterwards.
 */

import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../lib/stores/sql/index.js';
import { queryRows } from '../../lib/stores/sql/index.js';
import { PgVectorStore } from '../../lib/stores/vector/pgvector.js';
import { PineconeVectorStore } from '../../lib/stores/vector/pinecone.js';
import {
  type IndexIdentity,
  IndexMismatchError,
  type VectorMetadata,
  type VectorRecord,
  type VectorStore,
} from '../../lib/stores/vector/types.js';
import { createPglite } from '../helpers/sql.js';
import { type PineconeStandin, startPineconeStandin } from '../standins/pinecone.js';

interface Harness {
  store: VectorStore;
  dimension: number;
  /** Waits until writes are visible (live Pinecone is eventually consistent). */
  settle(): Promise<void>;
  /** Upsert request sizes seen by the server, when the target can tell. */
  upsertSizes?(): number[];
  sql?: SqlStore;
  dispose(): Promise<void>;
}

interface Target {
  name: string;
  skip?: string;
  create(): Promise<Harness>;
}

const live = process.env.PINECONE_API_KEY;
const liveIndex = process.env.PINECONE_INDEX;
const liveHost = process.env.PINECONE_HOST;

const targets: Target[] = [
  {
    name: 'pgvector (PGlite)',
    async create() {
      const sqlStore = await createPglite();
      return {
        store: new PgVectorStore({ sql: async () => sqlStore }),
        dimension: 8,
        settle: async () => {},
        sql: sqlStore,
        dispose: () => sqlStore.close(),
      };
    },
  },
  {
    name: 'pinecone (local stand-in)',
    async create() {
      const standin: PineconeStandin = await startPineconeStandin({ dimension: 8 });
      return {
        store: new PineconeVectorStore({ apiKey: standin.apiKey, host: standin.host, namespace: 'contract' }),
        dimension: 8,
        settle: async () => {},
        upsertSizes: () =>
          standin.calls
            .filter(
              (c) =>
                c.path === '/vectors/upsert' && (c.body as { namespace?: string }).namespace === 'contract',
            )
            .map((c) => (c.body as { vectors: unknown[] }).vectors.length),
        dispose: () => standin.close(),
      };
    },
  },
  {
    name: 'pinecone (live)',
    ...(live && (liveIndex || liveHost)
      ? {}
      : {
          skip: 'PINECONE_API_KEY and PINECONE_INDEX (or PINECONE_HOST) are not set: skipping the live run',
        }),
    async create() {
      const store = new PineconeVectorStore({
        apiKey: live ?? '',
        indexName: liveIndex,
        host: liveHost,
        namespace: `polyfolio-contract-${process.pid}-${Date.now().toString(36)}`,
      });
      const { Pinecone } = await import('@pinecone-database/pinecone');
      const pc = new Pinecone({ apiKey: live ?? '' });
      const index = pc.index({
        ...(liveHost ? { host: liveHost } : {}),
        ...(liveIndex ? { name: liveIndex } : {}),
      });
      const stats = await index.describeIndexStats();
      return {
        store,
        dimension: stats.dimension ?? 8,
        settle: () => new Promise((r) => setTimeout(r, 8_000)),
        async dispose() {
          await store.reset({ model: 'contract-cleanup', dimension: stats.dimension ?? 8 }).catch(() => {});
        },
      };
    },
  },
];

const ID_A: IndexIdentity = { model: 'contract-model-a', dimension: 8 };

for (const target of targets) {
  describe.skipIf(Boolean(target.skip))(`vector store contract: ${target.name}`, () => {
    let h: Harness;
    let identity: IndexIdentity;

    /** A unit vector pointing mostly along the given leading components. */
    const vec = (...lead: number[]) => {
      const v = Array.from({ length: h.dimension }, (_, i) => lead[i] ?? 0);
      const n = Math.hypot(...v) || 1;
      return v.map((x) => x / n);
    };
    const meta = (id: string, over: Partial<VectorMetadata> = {}): VectorMetadata => ({
      contentId: id.split(':')[0] ?? id,
      kind: 'post',
      slug: `slug-${id.split(':')[0]}`,
      title: `Title ${id}`,
      heading: 'Intro > Details',
      position: Number(id.split(':')[1] ?? 0),
      concepts: ['indexing'],
      hash: `hash-${id}`,
      excerpt: `Excerpt of ${id}`,
      ...over,
    });
    const rec = (id: string, values: number[], over: Partial<VectorMetadata> = {}): VectorRecord => ({
      id,
      values,
      metadata: meta(id, over),
    });
    const allIds = async () => {
      const out: { id: string; hash: string }[] = [];
      for await (const x of h.store.listIds()) out.push(x);
      return out.sort((a, b) => (a.id < b.id ? -1 : 1));
    };

    beforeAll(async () => {
      h = await target.create();
      identity = { ...ID_A, dimension: h.dimension };
    });
    afterAll(async () => {
      await h?.dispose();
    });
    beforeEach(async () => {
      await h.store.reset(identity);
      await h.store.ensureIndex(identity);
    });

    it('happy: remembers the identity it was built with', async () => {
      expect(await h.store.identity()).toEqual(identity);
      await h.store.ping();
    });

    it('happy: query orders matches by cosine similarity and returns their metadata', async () => {
      await h.store.upsert([
        rec('c1:0', vec(0, 1, 0)),
        rec('c2:0', vec(1, 0, 0)),
        rec('c3:0', vec(0.8, 0.6, 0)),
        rec('c4:0', vec(-1, 0, 0)),
      ]);
      await h.settle();
      const matches = await h.store.query(vec(1, 0, 0), { topK: 3 });
      expect(matches.map((m) => m.id)).toEqual(['c2:0', 'c3:0', 'c1:0']);
      expect(matches[0]?.score).toBeCloseTo(1, 4);
      expect(matches[1]?.score).toBeCloseTo(0.8, 4);
      expect(matches[2]?.score).toBeCloseTo(0, 4);
      expect(matches[0]?.metadata).toEqual(meta('c2:0'));
    });

    it('happy: filters by kind and by concept, alone and together', async () => {
      await h.store.upsert([
        rec('p1:0', vec(1, 0.1), { kind: 'post', concepts: ['hnsw', 'vectors'] }),
        rec('l1:0', vec(1, 0.2), { kind: 'lesson', concepts: ['vectors'] }),
        rec('j1:0', vec(1, 0.3), { kind: 'project', concepts: ['bm25'] }),
        rec('p2:0', vec(1, 0.4), { kind: 'post', concepts: [] }),
      ]);
      await h.settle();
      const ids = async (filter: Parameters<VectorStore['query']>[1]['filter']) =>
        (await h.store.query(vec(1, 0), { topK: 10, ...(filter ? { filter } : {}) })).map((m) => m.id).sort();
      expect(await ids({ kinds: ['post'] })).toEqual(['p1:0', 'p2:0']);
      expect(await ids({ kinds: ['lesson', 'project'] })).toEqual(['j1:0', 'l1:0']);
      expect(await ids({ concept: 'vectors' })).toEqual(['l1:0', 'p1:0']);
      expect(await ids({ kinds: ['post'], concept: 'vectors' })).toEqual(['p1:0']);
      expect(await ids({ concept: 'no-such-concept' })).toEqual([]);
      expect(await ids({ kinds: [] })).toHaveLength(4);
    });

    it('happy: upserting an existing id overwrites its vector and metadata', async () => {
      await h.store.upsert([rec('d1:0', vec(1, 0)), rec('d2:0', vec(0, 1))]);
      await h.store.upsert([rec('d1:0', vec(0, 1), { hash: 'hash-new', title: 'Renamed' })]);
      await h.settle();
      expect(await allIds()).toEqual([
        { id: 'd1:0', hash: 'hash-new' },
        { id: 'd2:0', hash: 'hash-d2:0' },
      ]);
      const [top] = await h.store.query(vec(0, 1), { topK: 1 });
      expect(top?.score).toBeCloseTo(1, 4);
      const d1 = (await h.store.query(vec(0, 1), { topK: 2 })).find((m) => m.id === 'd1:0');
      expect(d1?.metadata.title).toBe('Renamed');
    });

    it('happy: deletes by id, ignoring ids that do not exist', async () => {
      await h.store.upsert([rec('e1:0', vec(1)), rec('e1:1', vec(1, 1)), rec('e2:0', vec(0, 1))]);
      await h.store.deleteIds(['e1:0', 'e1:1', 'never-stored:0']);
      await h.settle();
      expect((await allIds()).map((x) => x.id)).toEqual(['e2:0']);
      expect((await h.store.query(vec(1), { topK: 10 })).map((m) => m.id)).toEqual(['e2:0']);
      await h.store.deleteIds([]);
    });

    it('error: refuses an index built with another model, naming the full rebuild', async () => {
      await h.store.upsert([rec('f1:0', vec(1))]);
      await h.settle();
      const other = { model: 'contract-model-b', dimension: h.dimension };
      const err = await h.store.ensureIndex(other).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IndexMismatchError);
      expect((err as Error).message).toMatch(/reindex -- --full/);
      expect(await h.store.identity()).toEqual(identity);
    });

    it('happy: reset empties the index and adopts the new identity', async () => {
      await h.store.upsert([rec('g1:0', vec(1)), rec('g2:0', vec(0, 1))]);
      await h.settle();
      const other = { model: 'contract-model-b', dimension: h.dimension };
      await h.store.reset(other);
      await h.settle();
      expect(await h.store.identity()).toEqual(other);
      expect(await allIds()).toEqual([]);
      expect(await h.store.query(vec(1), { topK: 5 })).toEqual([]);
      await h.store.ensureIndex(other);
      await h.store.upsert([rec('g3:0', vec(1))]);
      await h.settle();
      expect((await allIds()).map((x) => x.id)).toEqual(['g3:0']);
    });

    it('happy: 2,500 records load in batches (Pinecone: at most 1,000 per request) and list with hashes', async () => {
      const before = h.upsertSizes?.().length ?? 0;
      const records = Array.from({ length: 2500 }, (_, i) =>
        rec(`bulk${String(Math.floor(i / 10)).padStart(4, '0')}:${i % 10}`, vec(1, i / 2500, (i % 7) / 7)),
      );
      await h.store.bulkLoad(() => h.store.upsert(records));
      await h.settle();
      const listed = await allIds();
      expect(listed).toHaveLength(2500);
      expect(new Set(listed.map((x) => x.hash))).toEqual(new Set(records.map((r) => r.metadata.hash)));
      const sizes = h.upsertSizes?.().slice(before);
      if (sizes) {
        expect(Math.max(...sizes)).toBeLessThanOrEqual(1000);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(2500);
        expect(sizes.length).toBe(3);
      }
      const [top] = await h.store.query(vec(1, 0, 0), { topK: 1 });
      expect(top?.id).toBe('bulk0000:0');
      expect((await h.store.query(vec(1, 0.5, 0.5), { topK: 100 })).length).toBe(100);
    });
  });
}

const metaOf = (id: string): VectorMetadata => ({
  contentId: id,
  kind: 'post',
  slug: id,
  title: id.toUpperCase(),
  heading: '',
  position: 0,
  concepts: [],
  hash: 'h',
  excerpt: '',
});

describe('pgvector specifics', () => {
  let sqlStore: SqlStore;
  beforeAll(async () => {
    sqlStore = await createPglite();
  });
  afterAll(async () => {
    await sqlStore.close();
  });
  const indexes = async () =>
    (
      await queryRows<{ indexname: string; indexdef: string }>(
        sqlStore.db,
        sql`select indexname, indexdef from pg_indexes where tablename = 'vector_chunks'`,
      )
    ).map((r) => r.indexdef);

  it('happy: a query on an index never built answers empty instead of failing', async () => {
    const store = new PgVectorStore({ sql: async () => sqlStore });
    expect(await store.query([1, 0, 0], { topK: 5 })).toEqual([]);
    expect(await store.identity()).toBeNull();
  });

  it('happy: creates an HNSW cosine index sized by the model, and rebuilds it after a bulk load', async () => {
    const store = new PgVectorStore({ sql: async () => sqlStore });
    await store.ensureIndex({ model: 'm', dimension: 3 });
    expect((await indexes()).some((d) => /using hnsw \(embedding vector_cosine_ops\)/i.test(d))).toBe(true);
    const seen: string[][] = [];
    await store.bulkLoad(async () => {
      seen.push(await indexes());
      await store.upsert([
        {
          id: 'x:0',
          values: [1, 0, 0],
          metadata: {
            contentId: 'x',
            kind: 'post',
            slug: 'x',
            title: 'X',
            heading: '',
            position: 0,
            concepts: [],
            hash: 'h',
            excerpt: '',
          },
        },
      ]);
    });
    expect(seen[0]?.some((d) => /hnsw/i.test(d))).toBe(false);
    expect((await indexes()).some((d) => /hnsw/i.test(d))).toBe(true);
    const rows = await queryRows<{ value: unknown }>(
      sqlStore.db,
      sql`select value from app_state where key = 'vector_index'`,
    );
    expect(rows[0]?.value).toEqual({ model: 'm', dimension: 3 });
  });

  it('happy: a swapped SQL store (setSql, tests) is checked again, not trusted from memory', async () => {
    let current = sqlStore;
    const store = new PgVectorStore({ sql: async () => current });
    await store.ensureIndex({ model: 'm', dimension: 3 });
    // Another store object over a database without the index (same PGlite, emptied: cheaper than a new one).
    await sqlStore.db.execute(sql`drop table vector_chunks`);
    await sqlStore.db.execute(sql`delete from app_state where key = 'vector_index'`);
    current = { ...sqlStore };
    expect(await store.query([1, 0, 0], { topK: 3 })).toEqual([]);
    await expect(store.upsert([{ id: 'z:0', values: [1, 0, 0], metadata: metaOf('z') }])).rejects.toThrow(
      /not initialised/,
    );
  });

  it('error: a vector of the wrong dimension is refused before it reaches SQL', async () => {
    const store = new PgVectorStore({ sql: async () => sqlStore });
    await store.ensureIndex({ model: 'm', dimension: 3 });
    await expect(
      store.upsert([
        {
          id: 'y:0',
          values: [1, 0],
          metadata: {
            contentId: 'y',
            kind: 'post',
            slug: 'y',
            title: 'Y',
            heading: '',
            position: 0,
            concepts: [],
            hash: 'h',
            excerpt: '',
          },
        },
      ]),
    ).rejects.toThrow(/2 dimensions; the index has 3/);
  });

  it('error: another dimension on a populated index is a mismatch; on an empty one it is adopted', async () => {
    const store = new PgVectorStore({ sql: async () => sqlStore });
    await store.ensureIndex({ model: 'm', dimension: 3 });
    await store.upsert([{ id: 'x:0', values: [1, 0, 0], metadata: metaOf('x') }]);
    await expect(store.ensureIndex({ model: 'm', dimension: 4 })).rejects.toBeInstanceOf(IndexMismatchError);
    await store.deleteIds(['x:0']);
    const fresh = new PgVectorStore({ sql: async () => sqlStore });
    await fresh.ensureIndex({ model: 'm2', dimension: 4 });
    expect(await fresh.identity()).toEqual({ model: 'm2', dimension: 4 });
  });
});
