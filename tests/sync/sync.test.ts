import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Embedder } from '../../lib/ai/embedder.js';
import { setEmbedder } from '../../lib/ai/embedder.js';
import { LocalHashEmbedder } from '../../lib/ai/local-embedder.js';
import { createContent, deleteContent, updateContent } from '../../lib/content/content-writes.js';
import { toContentDoc } from '../../lib/content/schemas.js';
import { queryRows, type SqlStore, setSql } from '../../lib/stores/sql/index.js';
import { getVectorStore, setVectorStore } from '../../lib/stores/vector/index.js';
import { fanOut, rebuildAll, runSync } from '../../lib/sync/engine.js';
import { claimOutbox, DEFAULT_RETRY } from '../../lib/sync/outbox.js';
import { createTextProjector } from '../../lib/sync/text-projector.js';
import type { Projector } from '../../lib/sync/types.js';
import { createVectorProjector } from '../../lib/sync/vector-projector.js';
import { createPglite } from '../helpers/sql.js';

/** The local embedder, recording every text it is asked to embed. */
class CountingEmbedder implements Embedder {
  readonly inner: LocalHashEmbedder;
  readonly provider = 'local' as const;
  texts: string[] = [];
  constructor(dimension = 256) {
    this.inner = new LocalHashEmbedder({ dimension });
  }
  get id() {
    return this.inner.id;
  }
  get dimension() {
    return this.inner.dimension;
  }
  get usage() {
    return this.inner.usage;
  }
  embed(texts: string[]) {
    this.texts.push(...texts);
    return this.inner.embed(texts);
  }
}

const section = (name: string, words: string) => `## ${name}\n\n${words}\n`;
const body = (extra = '') =>
  [
    section('Indexes', 'B-tree indexes keep keys sorted so range scans are cheap.'),
    section('Vacuum', `MVCC leaves dead tuples that vacuum reclaims. ${extra}`),
    section('Pooling', 'A connection pool bounds concurrent sessions for serverless functions.'),
  ].join('\n');

let store: SqlStore;
let embedder: CountingEmbedder;
let clock: Date;
const now = () => clock;
const vectorProjector = () => createVectorProjector();
const sync = (
  projectors: Projector[] = [createTextProjector(), vectorProjector()],
  extra: Partial<Parameters<typeof runSync>[0]> = {},
) => runSync({ sql: store, projectors, now, ...extra });

async function vectorIds(): Promise<string[]> {
  const ids: string[] = [];
  for await (const { id } of (await getVectorStore()).listIds()) ids.push(id);
  return ids.sort();
}

async function outboxRows() {
  return queryRows<{ id: number; status: string; attempts: number; last_error: string | null }>(
    store.db,
    sql`SELECT id, status, attempts, last_error FROM outbox ORDER BY id`,
  );
}

async function addPost(slug: string, text = body()) {
  return createContent({
    sql: store,
    actor: 'test',
    now: clock,
    doc: toContentDoc({ slug, kind: 'post', title: `Post ${slug}`, body: text }),
  });
}

beforeAll(async () => {
  store = await createPglite();
  setSql(store);
  setVectorStore(undefined); // pgvector on this PGlite
  embedder = new CountingEmbedder();
  setEmbedder(embedder);
});

afterAll(async () => {
  setEmbedder(undefined);
  setVectorStore(undefined);
  setSql(undefined);
  await store.close();
});

beforeEach(async () => {
  await store.db.execute(sql`DELETE FROM outbox WHERE true`);
  await store.db.execute(sql`DELETE FROM content WHERE true`);
  const vectors = await getVectorStore();
  await vectors.reset({ model: embedder.id, dimension: embedder.dimension });
  embedder.texts = [];
  // Rows become due at the database's now(); the test clock starts after it and then moves by hand.
  clock = new Date(Date.now() + 60_000);
});

describe('outbox sync: vector projection', () => {
  it('happy: a new post is chunked into SQL rows and vectors under <contentId>:<position> with metadata', async () => {
    const post = await addPost('alpha');
    const stats = await sync();
    // The write's event fans out to a text row; the text projection queues a vectors row for the post.
    expect(stats).toMatchObject({ claimed: 2, done: 2, dead: 0 });
    const rows = await queryRows<{ id: string; heading: string; hash: string }>(
      store.db,
      sql`SELECT id, heading, hash FROM chunks ORDER BY position`,
    );
    expect(rows.map((r) => r.id)).toEqual([`${post.id}:0`, `${post.id}:1`, `${post.id}:2`, `${post.id}:3`]);
    expect(rows.map((r) => r.heading)).toEqual(['', 'Indexes', 'Vacuum', 'Pooling']);
    expect(await vectorIds()).toEqual(rows.map((r) => r.id));
    const [match] = await (await getVectorStore()).query(await embedder.inner.vector('dead tuples vacuum'), {
      topK: 1,
    });
    expect(match?.metadata).toMatchObject({
      contentId: post.id,
      slug: 'alpha',
      kind: 'post',
      heading: 'Vacuum',
    });
    expect((await outboxRows()).map((r) => r.status)).toEqual(['done', 'done', 'done']);
  });

  it("happy: editing one section of one post re-embeds only that post's changed chunk", async () => {
    const a = await addPost('alpha');
    await addPost('beta');
    await sync();
    embedder.texts = [];
    await updateContent({
      sql: store,
      actor: 'test',
      target: { id: a.id },
      patch: { body: body('Autovacuum runs it for you.') },
      expectedVersion: a.version,
    });
    const stats = await sync();
    expect(embedder.texts).toHaveLength(1);
    expect(embedder.texts[0]).toContain('Autovacuum runs it for you.');
    expect(stats.projectors.vectors).toMatchObject({ chunksEmbedded: 1, chunksSkipped: 3, chunksDeleted: 0 });
    const [row] = await queryRows<{ text: string }>(
      store.db,
      sql`SELECT text FROM chunks WHERE id = ${`${a.id}:2`}`,
    );
    expect(row?.text).toContain('Autovacuum');
  });

  it('happy: delivering the same event twice (at least once) embeds nothing the second time', async () => {
    const a = await addPost('alpha');
    await sync();
    embedder.texts = [];
    await store.db.execute(
      sql`INSERT INTO outbox (entity, entity_id, op, version) VALUES ('content', ${a.id}, 'upsert', 1)`,
    );
    const stats = await sync();
    expect(stats.done).toBe(1);
    expect(embedder.texts).toEqual([]);
  });

  it('happy: several events for one entity in a batch collapse into one projection', async () => {
    let a = await addPost('alpha');
    for (const extra of ['one', 'two', 'three'])
      a = await updateContent({
        sql: store,
        actor: 'test',
        target: { id: a.id },
        patch: { body: body(extra) },
        expectedVersion: a.version,
      });
    const stats = await sync();
    // Four text rows collapse into one projection, which queues one vectors row.
    expect(stats).toMatchObject({ claimed: 5, entities: 2, done: 5 });
    expect(embedder.texts).toHaveLength(4); // one embedding pass of the final state
    expect(embedder.texts.join('\n')).toContain('three');
  });

  it('happy: shrinking a post deletes the vectors and rows of chunks that disappeared', async () => {
    const a = await addPost('alpha');
    await sync();
    await updateContent({
      sql: store,
      actor: 'test',
      target: { id: a.id },
      patch: { body: section('Indexes', 'B-tree indexes keep keys sorted so range scans are cheap.') },
      expectedVersion: a.version,
    });
    await sync();
    expect(await vectorIds()).toEqual([`${a.id}:0`, `${a.id}:1`]);
    expect(await queryRows(store.db, sql`SELECT id FROM chunk_tombstones`)).toEqual([]);
  });

  it('happy: deleting a post removes its vectors and chunk rows, and leaves the others', async () => {
    const a = await addPost('alpha');
    const b = await addPost('beta');
    await sync();
    await deleteContent({ sql: store, actor: 'test', target: { id: a.id }, expectedVersion: a.version });
    const stats = await sync();
    expect(stats.projectors.vectors?.chunksDeleted).toBe(4);
    const ids = await vectorIds();
    expect(ids.some((id) => id.startsWith(a.id))).toBe(false);
    expect(ids.filter((id) => id.startsWith(b.id))).toHaveLength(4);
  });
});

describe('outbox sync: failures', () => {
  it('error: a worker that dies after claiming loses nothing; the next run completes after the lease expires', async () => {
    await addPost('alpha');
    // A worker claims the batch and dies before marking anything.
    // (the first sync pass fans the write's event out into per-projection rows; this worker claims them)
    await fanOut(store.db, ['text'], clock);
    const claimed = await claimOutbox({
      db: store.db,
      limit: 10,
      leaseMs: 60_000,
      now: clock,
      projectors: ['text'],
    });
    expect(claimed).toHaveLength(1);
    expect((await sync()).claimed).toBe(0); // still leased: nobody else takes it
    clock = new Date(clock.getTime() + 61_000);
    const stats = await sync();
    expect(stats).toMatchObject({ claimed: 2, done: 2 });
    expect(await vectorIds()).toHaveLength(4);
  });

  it('error: a projector that throws midway backs off, and the retry completes the work', async () => {
    await addPost('alpha');
    let calls = 0;
    const real = vectorProjector();
    const flaky: Projector = {
      ...real,
      name: 'vectors',
      async apply(events, ctx) {
        calls++;
        const stats = await real.apply(events, ctx); // the work happens...
        if (calls === 1) throw new Error('crashed after writing'); // ...but the run dies before "done"
        return stats;
      },
    };
    const first = await sync([createTextProjector(), flaky], {
      retry: { ...DEFAULT_RETRY, random: () => 0 },
    });
    expect(first).toMatchObject({ done: 1, retrying: 1 }); // text done, vectors backing off
    const row = (await outboxRows()).at(-1);
    expect(row).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: 'vectors: crashed after writing',
    });
    expect((await sync([flaky])).claimed).toBe(0); // backing off
    clock = new Date(clock.getTime() + DEFAULT_RETRY.baseDelayMs);
    embedder.texts = [];
    expect(await sync([flaky])).toMatchObject({ claimed: 1, done: 1 });
    expect(embedder.texts).toEqual([]); // idempotent: the first attempt's vectors were kept
    expect(await vectorIds()).toHaveLength(4);
  });

  it('error: after N failed attempts a row is parked as dead with its last error', async () => {
    await addPost('alpha');
    const broken: Projector = {
      name: 'broken',
      apply: () => Promise.reject(new Error('index unreachable')),
      rebuild: () => Promise.resolve({}),
      reconcile: () => Promise.reject(new Error('unused')),
    };
    const retry = { ...DEFAULT_RETRY, maxAttempts: 3, random: () => 0.99 };
    let dead = 0;
    for (let i = 0; i < 3; i++) {
      dead += (await sync([broken], { retry })).dead;
      clock = new Date(clock.getTime() + 60 * 60_000);
    }
    expect(dead).toBe(1);
    const row = (await outboxRows()).at(-1);
    expect(row).toMatchObject({ status: 'dead', attempts: 3, last_error: 'broken: index unreachable' });
    expect((await sync([broken], { retry })).claimed).toBe(0);
  });

  it('error: one poisoned entity backs off alone; the rest of the batch is done', async () => {
    const a = await addPost('alpha');
    await addPost('beta');
    const real = vectorProjector();
    const picky: Projector = {
      ...real,
      async apply(events, ctx) {
        if (events.some((e) => e.entityId === a.id)) throw new Error(`cannot project ${a.id}`);
        return real.apply(events, ctx);
      },
    };
    const stats = await sync([createTextProjector(), picky]);
    // Two text rows done, then one vectors row per post: alpha's backs off alone.
    expect(stats).toMatchObject({ claimed: 4, done: 3, retrying: 1 });
    const vectorRows = await queryRows<{ entity_id: string; status: string }>(
      store.db,
      sql`SELECT entity_id, status FROM outbox WHERE projector = 'vectors' ORDER BY id`,
    );
    expect(vectorRows.map((r) => [r.entity_id === a.id, r.status]).sort()).toEqual([
      [false, 'done'],
      [true, 'pending'],
    ]);
  });
});

describe('index identity', () => {
  it('error: vectors of another embedder are refused with the advice to run a full rebuild', async () => {
    await addPost('alpha');
    await sync();
    await addPost('beta');
    const other = new CountingEmbedder(128);
    setEmbedder(other);
    try {
      const stats = await sync();
      expect(stats.retrying).toBe(1);
      const rows = await outboxRows();
      expect(rows.at(-1)?.last_error).toMatch(/npm run reindex -- --full/);
      // The full rebuild is the cure: it resets the index to the new identity.
      const rebuilt = await rebuildAll({ sql: store, projectors: [vectorProjector()], now });
      expect(rebuilt.projectors.vectors?.chunksEmbedded).toBe(8);
      expect(await (await getVectorStore()).identity()).toEqual({ model: other.id, dimension: 128 });
      expect((await outboxRows()).every((r) => r.status === 'done')).toBe(true);
    } finally {
      setEmbedder(embedder);
    }
  });
});

describe('reconcile', () => {
  it('happy: finds missing, stale and orphaned vectors, repairs them, then reports in sync', async () => {
    const a = await addPost('alpha');
    await sync();
    const vectors = await getVectorStore();
    await vectors.deleteIds([`${a.id}:0`]);
    await store.db.execute(sql`UPDATE chunks SET hash = 'stale' WHERE id = ${`${a.id}:1`}`);
    const [v] = await embedder.embed(['orphan']);
    await vectors.upsert([
      {
        id: '00000000-0000-0000-0000-000000000000:0',
        values: v ?? [],
        metadata: {
          contentId: '00000000-0000-0000-0000-000000000000',
          kind: 'post',
          slug: 'gone',
          title: 'Gone',
          heading: '',
          position: 0,
          concepts: [],
          hash: 'x',
          excerpt: '',
        },
      },
    ]);
    const projector = vectorProjector();
    const dry = await projector.reconcile({ sql: store, now, dryRun: true });
    expect(dry).toMatchObject({ missing: 1, stale: 1, orphaned: 1, repaired: false });
    expect(await vectorIds()).toHaveLength(4); // dry run changed nothing
    const fixed = await projector.reconcile({ sql: store, now });
    expect(fixed.repaired).toBe(true);
    expect(await projector.reconcile({ sql: store, now, dryRun: true })).toMatchObject({
      missing: 0,
      stale: 0,
      orphaned: 0,
    });
    expect(await vectorIds()).toEqual([`${a.id}:0`, `${a.id}:1`, `${a.id}:2`, `${a.id}:3`]);
  });
});
