import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setEmbedder } from '../../lib/ai/embedder.js';
import { LocalHashEmbedder } from '../../lib/ai/local-embedder.js';
import { createContent } from '../../lib/content/content-writes.js';
import { toContentDoc } from '../../lib/content/schemas.js';
import { resetEnv } from '../../lib/env.js';
import { queryRows } from '../../lib/stores/sql/index.js';
import { getVectorStore, setVectorStore } from '../../lib/stores/vector/index.js';
import { acquireJobLease, releaseJobLease } from '../../lib/sync/state.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { faulty } from '../helpers/faults.js';

const SECRET = 'cron-secret-for-tests-0123456789';
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { CRON_SECRET: SECRET } });
  setVectorStore(undefined);
  setEmbedder(new LocalHashEmbedder({ dimension: 64 }));
});

afterAll(async () => {
  setEmbedder(undefined);
  setVectorStore(undefined);
  await t.close();
});

const cron = (headers: Record<string, string> = { authorization: `Bearer ${SECRET}` }) =>
  t.request('GET', '/api/cron/reindex', { headers });

async function addPosts(n: number, prefix: string) {
  for (let i = 0; i < n; i++)
    await createContent({
      sql: t.sql,
      actor: 'test',
      doc: toContentDoc({
        slug: `${prefix}-${i}`,
        kind: 'post',
        title: `Post ${i}`,
        body: `Body ${i} text.`,
      }),
    });
}

describe('GET /api/cron/reindex', () => {
  it('security: no token, a wrong token or another scheme is 401, and nothing is processed', async () => {
    await addPosts(1, 'auth');
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${SECRET}x` },
      { authorization: `Basic ${SECRET}` },
    ];
    for (const headers of attempts) {
      const res = await cron(headers);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    const [row] = await queryRows<{ n: string }>(
      t.sql.db,
      sql`SELECT count(*) AS n FROM outbox WHERE status = 'pending'`,
    );
    expect(Number(row?.n)).toBeGreaterThan(0);
  });

  it('happy: with the secret it drains the outbox and answers its stats', async () => {
    const res = await cron();
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; done: number; dead: number };
    expect(body.status).toBe('ok');
    expect(body.done).toBeGreaterThan(0);
    const [row] = await queryRows<{ n: string }>(
      t.sql.db,
      sql`SELECT count(*) AS n FROM outbox WHERE status = 'pending'`,
    );
    expect(Number(row?.n)).toBe(0);
  });

  it('happy: two overlapping runs do not both process: one holds the lease, the other is skipped', async () => {
    await addPosts(3, 'overlap');
    const [a, b] = await Promise.all([cron(), cron()]);
    const bodies = (await Promise.all([a.json(), b.json()])) as { status: string; claimed?: number }[];
    expect(bodies.map((x) => x.status).sort()).toEqual(['ok', 'skipped']);
    // Each post's event fans out to a text and a graph row, and its text projection queues a vectors row.
    expect(bodies.find((x) => x.status === 'ok')?.claimed).toBe(9);
    const [row] = await queryRows<{ n: string }>(
      t.sql.db,
      sql`SELECT count(*) AS n FROM outbox WHERE status = 'done' AND entity_id IN
            (SELECT id::text FROM content WHERE slug LIKE 'overlap-%') AND attempts = 1`,
    );
    expect(Number(row?.n)).toBe(9); // each projection row claimed exactly once
  });

  it('happy: a held lease makes a run skip until it expires or is released', async () => {
    const now = new Date();
    const token = await acquireJobLease({ db: t.sql.db, key: 'job:reindex', leaseMs: 60_000, now });
    expect(token).not.toBeNull();
    expect(await acquireJobLease({ db: t.sql.db, key: 'job:reindex', leaseMs: 60_000, now })).toBeNull();
    expect(((await (await cron()).json()) as { status: string }).status).toBe('skipped');
    // An expired lease (its holder died) is taken over.
    const later = new Date(now.getTime() + 61_000);
    const next = await acquireJobLease({ db: t.sql.db, key: 'job:reindex', leaseMs: 60_000, now: later });
    expect(next).not.toBeNull();
    await releaseJobLease({ db: t.sql.db, key: 'job:reindex', token: next ?? '' });
    expect(((await (await cron()).json()) as { status: string }).status).toBe('ok');
  });

  it('error: a run whose vector store hangs gives its lease up at its deadline (503 timeout)', async () => {
    await addPosts(1, 'hung');
    const real = await getVectorStore();
    setVectorStore(faulty(real, 'slow', { delayMs: 4000 }));
    process.env.REQUEST_TIMEOUT_MS = '1500';
    resetEnv();
    try {
      const res = await cron();
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('timeout');
      // The lease is free at once, although the hung projection has not finished.
      const token = await acquireJobLease({
        db: t.sql.db,
        key: 'job:reindex',
        leaseMs: 1000,
        now: new Date(),
      });
      expect(token).not.toBeNull();
      await releaseJobLease({ db: t.sql.db, key: 'job:reindex', token: token ?? '' });
    } finally {
      process.env.REQUEST_TIMEOUT_MS = '30000';
      resetEnv();
      setVectorStore(real);
      await t.settle();
      await new Promise((r) => setTimeout(r, 4000)); // let the hung call end before the next test
    }
  });

  it('error: without CRON_SECRET configured the endpoint is closed (503)', async () => {
    delete process.env.CRON_SECRET;
    resetEnv();
    try {
      const res = await cron();
      expect(res.status).toBe(503);
    } finally {
      process.env.CRON_SECRET = SECRET;
      resetEnv();
    }
  });
});
