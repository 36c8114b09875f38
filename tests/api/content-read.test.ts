import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSampleContent } from '../../lib/content/seed.js';
import { MemoryCache } from '../../lib/stores/cache/memory.js';
import { setSql } from '../../lib/stores/sql/index.js';
import { openPostgres } from '../../lib/stores/sql/postgres.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { closedPort, faulty } from '../helpers/faults.js';

interface Page {
  items: { slug: string; kind: string; publishedAt: string; tags: string[]; concepts: string[] }[];
  nextCursor: string | null;
}

describe('content read API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    const report = await seedSampleContent({ sql: t.sql });
    expect(report.problems).toEqual([]);
  });
  afterAll(() => t.close());

  const get = async <T>(path: string, headers?: Record<string, string>) => {
    const res = await t.request('GET', path, headers ? { headers } : {});
    return { res, body: (res.status === 200 ? await res.json() : await res.text()) as T };
  };

  it('happy: lists newest first and pages through everything with the cursor, no duplicates', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let previous = '9999';
    do {
      const path: string = `/api/content?limit=10${cursor ? `&cursor=${cursor}` : ''}`;
      const { res, body } = await get<Page>(path);
      expect(res.status).toBe(200);
      for (const item of body.items) {
        expect(item.publishedAt <= previous).toBe(true);
        previous = item.publishedAt;
        seen.push(item.slug);
      }
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(27);
    expect(new Set(seen).size).toBe(27);
  });

  it('happy: default page size is 20 and filters combine', async () => {
    const all = await get<Page>('/api/content');
    expect(all.body.items).toHaveLength(20);
    const posts = await get<Page>('/api/content?kind=post&tag=search');
    expect(posts.body.items.length).toBeGreaterThan(0);
    for (const i of posts.body.items) {
      expect(i.kind).toBe('post');
      expect(i.tags).toContain('search');
    }
    const byConcept = await get<Page>('/api/content?concept=bm25&limit=100');
    expect(byConcept.body.items.map((i) => i.slug)).toContain('judgekit');
    for (const i of byConcept.body.items) expect(i.concepts).toContain('bm25');
    expect(byConcept.body.nextCursor).toBeNull();
  });

  it('happy: a lesson has its body, concepts, related items and course navigation', async () => {
    const { res, body } = await get<{
      body: string;
      version: number;
      concepts: { slug: string; relation: string }[];
      related: { slug: string }[];
      navigation: { course: { slug: string }; previous: unknown; next: { slug: string }; lessons: unknown[] };
    }>('/api/content/tokenizing-text');
    expect(res.status).toBe(200);
    expect(body.body).toMatch(/deciding what a word is/);
    expect(body.version).toBeGreaterThanOrEqual(1);
    expect(body.concepts).toContainEqual(
      expect.objectContaining({ slug: 'tokenization', relation: 'COVERS' }),
    );
    expect(body.related.map((r) => r.slug)).toEqual(expect.arrayContaining(['tinyindex']));
    expect(body.navigation.course.slug).toBe('search-from-scratch');
    expect(body.navigation.previous).toBeNull();
    expect(body.navigation.next.slug).toBe('building-an-inverted-index');
    expect(body.navigation.lessons).toHaveLength(6);
  });

  it('happy: courses list and a course with ordered lessons and covered concepts', async () => {
    const list = await get<{ items: { slug: string; lessonCount: number }[] }>('/api/courses');
    expect(list.body.items.map((c) => [c.slug, c.lessonCount]).sort()).toEqual([
      ['postgres-for-application-developers', 6],
      ['search-from-scratch', 6],
    ]);
    const course = await get<{ lessons: { position: number }[]; concepts: { slug: string }[] }>(
      '/api/courses/search-from-scratch',
    );
    expect(course.body.lessons.map((l) => l.position)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(course.body.concepts.map((c) => c.slug)).toEqual(expect.arrayContaining(['bm25', 'tokenization']));
    expect((await t.request('GET', '/api/courses/judgekit')).status).toBe(404); // a project, not a course
  });

  it('happy: concepts list and a concept with prerequisites, dependents and content', async () => {
    const list = await get<{ items: { slug: string; prerequisites: string[] }[] }>('/api/concepts');
    expect(list.body.items).toHaveLength(41);
    const c = await get<{
      prerequisites: { slug: string; reason: string | null }[];
      dependents: { slug: string }[];
      content: { slug: string; relation: string }[];
    }>('/api/concepts/stemming-and-normalization');
    expect(c.body.prerequisites).toEqual([
      expect.objectContaining({ slug: 'tokenization', reason: expect.stringMatching(/tokens/) }),
    ]);
    const tokenization = await get<{ dependents: { slug: string }[]; content: { relation: string }[] }>(
      '/api/concepts/tokenization',
    );
    expect(tokenization.body.dependents.map((d) => d.slug)).toContain('stemming-and-normalization');
    expect(tokenization.body.content.map((x) => x.relation)).toContain('COVERS');
  });

  it('error: unknown items are 404 and bad parameters are 400, with the error shape', async () => {
    for (const path of ['/api/content/nope', '/api/concepts/nope', '/api/courses/nope']) {
      const res = await t.request('GET', path);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    }
    for (const path of [
      '/api/content?limit=101',
      '/api/content?limit=0',
      '/api/content?limit=abc',
      '/api/content?kind=video',
      '/api/content?colour=red',
      '/api/content?cursor=not-a-cursor',
      `/api/content?cursor=${Buffer.from('["x","y"]').toString('base64url')}`,
      '/api/content/Not%20A%20Slug',
    ]) {
      const res = await t.request('GET', path);
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).toMatch(/bad_request|validation_failed/);
    }
  });

  it('security: filter values are parameters, never SQL', async () => {
    const res = await t.request('GET', `/api/content?tag=${encodeURIComponent("search' OR '1'='1")}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Page).items).toEqual([]);
    const traversal = await t.request('GET', '/api/content/..%2F..%2Fetc%2Fpasswd');
    expect(traversal.status).toBe(400);
  });

  it('security: write methods on read endpoints are 405', async () => {
    for (const path of ['/api/content', '/api/content/judgekit', '/api/courses', '/api/concepts/bm25']) {
      const res = await t.request('POST', path, { json: {} });
      expect(res.status).toBe(405);
    }
  });
});

describe('read cache', () => {
  let t: TestApp;
  let cache: MemoryCache;
  beforeAll(async () => {
    cache = new MemoryCache();
    t = await createTestApp({ cache });
    await seedSampleContent({ sql: t.sql });
  });
  afterAll(() => t.close());

  it('happy: ETag and Cache-Control; If-None-Match gives 304; the second read is a cache hit', async () => {
    const first = await t.request('GET', '/api/content/judgekit');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('MISS');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    expect(first.headers.get('cache-control')).toBe(
      'public, max-age=0, s-maxage=60, stale-while-revalidate=300',
    );
    await t.settle(); // the fill runs after the response
    const second = await t.request('GET', '/api/content/judgekit');
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.headers.get('etag')).toBe(etag);
    expect(await second.text()).toBe(await first.text());
    const notModified = await t.request('GET', '/api/content/judgekit', {
      headers: { 'if-none-match': etag ?? '' },
    });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe(etag);
    expect(await notModified.text()).toBe('');
    const other = await t.request('GET', '/api/content/judgekit', {
      headers: { 'if-none-match': '"other"' },
    });
    expect(other.status).toBe(200);
  });

  it('happy: a write invalidates cached reads (versioned keys)', async () => {
    const item = (await (await t.request('GET', '/api/content/judgekit')).json()) as { version: number };
    const before = await t.request('GET', '/api/content?kind=project&limit=100');
    const beforeTag = before.headers.get('etag');
    await t.settle();
    expect((await t.request('GET', '/api/content?kind=project&limit=100')).headers.get('x-cache')).toBe(
      'HIT',
    );
    const { bumpNamespaces } = await import('../../lib/cache/namespaces.js');
    const { updateContent } = await import('../../lib/content/content-writes.js');
    await updateContent({
      sql: t.sql,
      actor: 'test',
      target: { slug: 'judgekit' },
      expectedVersion: item.version,
      patch: { title: 'judgekit, renamed' },
    });
    await bumpNamespaces(cache, ['content']);
    const after = await t.request('GET', '/api/content?kind=project&limit=100');
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(after.headers.get('etag')).not.toBe(beforeTag);
    expect(await after.text()).toContain('judgekit, renamed');
  });

  it('happy: concurrent misses of one key run one query', async () => {
    const { cachedJson } = await import('../../lib/cache/response-cache.js');
    let calls = 0;
    const compute = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 30));
      return { n: 1 };
    };
    const request = new Request('http://localhost/x');
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => cachedJson({ request, cache, namespace: 'test', key: 'k', compute })),
    );
    expect(calls).toBe(1);
    for (const r of responses) expect(await r.json()).toEqual({ n: 1 });
  });

  it('error: a cache that is down still serves reads from SQL', async () => {
    const t2 = await createTestApp({ sql: t.sql, cache: faulty(new MemoryCache(), 'down') });
    const res = await t2.request('GET', '/api/content/judgekit');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-cache')).toBe('BYPASS');
    expect(res.headers.get('etag')).toBeTruthy();
  });

  it('error: a cache that hangs costs a bounded wait, then SQL answers', async () => {
    const t3 = await createTestApp({ sql: t.sql, cache: faulty(new MemoryCache(), 'slow') });
    const res = await t3.request('GET', '/api/concepts/bm25');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-cache')).toBe('BYPASS');
  });

  it('error: with SQL unreachable, a page read before is served stale, even after writes moved the version', async () => {
    const warm = new MemoryCache();
    const t4 = await createTestApp({ sql: t.sql, cache: warm });
    const fresh = await t4.request('GET', '/api/content/judgekit');
    expect(fresh.status).toBe(200);
    const freshBody = await fresh.text();
    await t4.settle();
    const { bumpNamespaces } = await import('../../lib/cache/namespaces.js');
    await bumpNamespaces(warm, ['content']); // a write since: the versioned entry is unreachable
    const broken = openPostgres(`postgres://postgres@127.0.0.1:${await closedPort()}/none`);
    setSql(broken);
    try {
      const stale = await t4.request('GET', '/api/content/judgekit');
      expect(stale.status).toBe(200);
      expect(stale.headers.get('x-cache')).toBe('STALE');
      expect(stale.headers.get('cache-control')).toMatch(/s-maxage=5\b/);
      expect(await stale.text()).toBe(freshBody);
      const revalidated = await t4.request('GET', '/api/content/judgekit', {
        headers: { 'if-none-match': fresh.headers.get('etag') ?? '' },
      });
      expect(revalidated.status).toBe(304);
      // Never read before: nothing to fall back on.
      const cold = await t4.request('GET', '/api/content/tinyindex');
      expect(cold.status).toBe(503);
      expect(((await cold.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');
    } finally {
      setSql(t.sql);
      await broken.close();
    }
  });

  it('error: a failure that is not an outage is never answered from the stale copy', async () => {
    const { cachedJson } = await import('../../lib/cache/response-cache.js');
    const request = new Request('http://localhost/y');
    const ok = await cachedJson({
      request,
      cache,
      namespace: 'stale-test',
      key: 'k',
      compute: async () => ({ n: 1 }),
    });
    expect(ok.status).toBe(200);
    await new Promise((r) => setTimeout(r, 20)); // the fill runs after the response
    const { bumpNamespaces } = await import('../../lib/cache/namespaces.js');
    await bumpNamespaces(cache, ['stale-test']);
    await expect(
      cachedJson({
        request,
        cache,
        namespace: 'stale-test',
        key: 'k',
        compute: async () => {
          throw new Error('syntax error at or near "selec"');
        },
      }),
    ).rejects.toThrow(/syntax error/);
  });
});
