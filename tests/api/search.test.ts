import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setEmbedder } from '../../lib/ai/embedder.js';
import { LocalHashEmbedder } from '../../lib/ai/local-embedder.js';
import { CONFIG_KEYS } from '../../lib/config/keys.js';
import { resetConfigMemo } from '../../lib/config/load.js';
import { createConcept } from '../../lib/content/concept-writes.js';
import { createContent, updateContent } from '../../lib/content/content-writes.js';
import { toConceptDoc, toContentDoc } from '../../lib/content/schemas.js';
import type { SearchResponse } from '../../lib/search/search.js';
import { VERSION_CACHE_KEY } from '../../lib/search/version.js';
import { getVectorStore, setVectorStore } from '../../lib/stores/vector/index.js';
import { syncNow } from '../../lib/sync/run.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createUserAndLogin } from '../helpers/auth.js';
import { faulty } from '../helpers/faults.js';

let t: TestApp;
let outboxPost: { id: string; version: number };

beforeAll(async () => {
  t = await createTestApp();
  setVectorStore(undefined); // pgvector on the test app's PGlite
  setEmbedder(new LocalHashEmbedder({ dimension: 256 }));
  const ctx = { sql: t.sql, actor: 'test' };
  await createConcept({ ...ctx, doc: toConceptDoc({ slug: 'outbox', title: 'Transactional outbox' }) });
  await createConcept({ ...ctx, doc: toConceptDoc({ slug: 'bm25', title: 'BM25' }) });
  outboxPost = await createContent({
    ...ctx,
    doc: toContentDoc({
      slug: 'outbox-post',
      kind: 'post',
      title: 'The outbox that ate our disk',
      body: '## Symptoms\n\nThe outbox table grew without bound because done rows were never deleted.\n\n## Fix\n\nA nightly job deletes processed outbox rows older than a week.',
      concepts: ['outbox'],
    }),
  });
  await createContent({
    ...ctx,
    doc: toContentDoc({
      slug: 'bm25-lesson',
      kind: 'lesson',
      title: 'Ranking with BM25',
      body: 'BM25 ranks documents by term frequency, inverse document frequency and length normalisation. Compare `<script>` tags & entities.',
      concepts: ['bm25'],
    }),
  });
  await createContent({
    ...ctx,
    doc: toContentDoc({
      slug: 'tinyindex',
      kind: 'project',
      title: 'tinyindex',
      body: 'A tiny inverted index with BM25 ranking, written for teaching.',
      url: 'https://example.dev/tinyindex',
      concepts: ['bm25'],
    }),
  });
  await syncNow({ sql: t.sql });
});

afterAll(async () => {
  setEmbedder(undefined);
  setVectorStore(undefined);
  await t.close();
});

async function search(query: string): Promise<{ status: number; body: SearchResponse; res: Response }> {
  const res = await t.request('GET', `/api/search?${query}`);
  return { status: res.status, body: (await res.json()) as SearchResponse, res };
}

describe('GET /api/search', () => {
  it('happy: finds content by its words, one result per item, with marked and escaped snippets', async () => {
    const { status, body, res } = await search('q=bm25+ranking');
    expect(status).toBe(200);
    expect(body.degraded).toBe(false);
    const slugs = body.results.map((r) => r.slug);
    expect(slugs.slice(0, 2).sort()).toEqual(['bm25-lesson', 'tinyindex']);
    expect(new Set(slugs).size).toBe(slugs.length);
    const lesson = body.results.find((r) => r.slug === 'bm25-lesson');
    expect(lesson).toMatchObject({ kind: 'lesson', title: 'Ranking with BM25', concepts: ['bm25'] });
    expect(lesson?.snippet).toContain('<mark>BM25</mark>');
    expect(lesson?.snippet).toContain('&lt;script&gt;');
    expect(lesson?.snippet).not.toContain('<script>');
    expect(lesson?.chunkId).toBe(`${lesson?.contentId}:0`);
    expect(body.results.find((r) => r.slug === 'tinyindex')?.url).toBe('https://example.dev/tinyindex');
    expect(res.headers.get('cache-control')).toMatch(/s-maxage=\d+/);
  });

  it('happy: kind and concept filters narrow the results', async () => {
    const byKind = await search('q=bm25&kind=project');
    expect(byKind.body.results.map((r) => r.slug)).toEqual(['tinyindex']);
    const byKinds = await search('q=bm25&kind=project,lesson');
    expect(byKinds.body.results.map((r) => r.slug).sort()).toEqual(['bm25-lesson', 'tinyindex']);
    // The concept filter keeps content linked to the concept, and the concept's own document.
    const byConcept = await search('q=rows+deleted&concept=outbox');
    expect(byConcept.body.results[0]?.slug).toBe('outbox-post');
    expect(byConcept.body.results.every((r) => r.concepts.includes('outbox'))).toBe(true);
    expect(byConcept.body.results.filter((r) => r.kind !== 'concept').map((r) => r.slug)).toEqual([
      'outbox-post',
    ]);
    const none = await search('q=outbox&concept=bm25');
    expect(none.body.results.map((r) => r.slug)).not.toContain('outbox-post');
  });

  it('happy: limit and offset page through results', async () => {
    const all = await search('q=bm25+ranking+index&limit=10');
    const page = await search('q=bm25+ranking+index&limit=1&offset=1');
    expect(page.body.results).toHaveLength(1);
    expect(page.body.results[0]?.slug).toBe(all.body.results[1]?.slug);
  });

  it('happy: a write and a sync bump the index version, so cached results are not served stale', async () => {
    const before = await search('q=compaction');
    expect(before.body.results.map((r) => r.slug)).not.toContain('outbox-post');
    outboxPost = await updateContent({
      sql: t.sql,
      actor: 'test',
      target: { id: outboxPost.id },
      patch: { body: 'Compaction of the outbox table runs nightly.' },
      expectedVersion: outboxPost.version,
    });
    await syncNow({ sql: t.sql });
    const after = await search('q=compaction');
    expect(after.body.indexVersion).toBeGreaterThan(before.body.indexVersion);
    expect(after.body.results[0]?.slug).toBe('outbox-post');
  });

  it("happy: a cache that missed a sync's version publish serves the old answer only until its version key expires", async () => {
    const before = await search('q=nightly+purge');
    await t.settle(); // the fill, after the response
    expect(before.body.results.map((r) => r.slug)).not.toContain('tinyindex-purge');
    await createContent({
      sql: t.sql,
      actor: 'test',
      doc: toContentDoc({
        slug: 'tinyindex-purge',
        kind: 'post',
        title: 'Nightly purge',
        body: 'A nightly purge.',
      }),
    });
    await syncNow({ sql: t.sql, onIndexChanged: () => {} }); // the publish never reaches this cache
    const within = await search('q=nightly+purge');
    expect(within.body.indexVersion, 'within the bound: the cached answer').toBe(before.body.indexVersion);
    // The version key lives VERSION_TTL_SECONDS (30 s); its expiry is what bounds the staleness.
    await t.cache.del(VERSION_CACHE_KEY);
    const after = await search('q=nightly+purge');
    expect(after.body.indexVersion).toBeGreaterThan(before.body.indexVersion);
    expect(after.body.results.map((r) => r.slug)).toContain('tinyindex-purge');
    await t.settle();
    expect(await t.cache.get(VERSION_CACHE_KEY), 'the cache learns the version from the search').toBe(
      after.body.indexVersion,
    );
  });

  it('happy: an admin write kicks a sync after the response, so search reflects it without the cron', async () => {
    const { headers } = await createUserAndLogin(t, { role: 'admin' });
    const created = await t.request('POST', '/api/admin/content', {
      headers,
      json: {
        slug: 'kicked',
        kind: 'post',
        title: 'Zeppelin mooring masts',
        body: 'Airships moored at masts.',
      },
    });
    expect(created.status).toBe(201);
    await t.settle(); // the waitUntil work: the post-write kick
    const { body } = await search('q=zeppelin+mooring');
    expect(body.results[0]?.slug).toBe('kicked');
  });

  it('happy: an item with a title and an empty body is found by its title (its lead chunk)', async () => {
    const { headers } = await createUserAndLogin(t, { role: 'admin' });
    const created = await t.request('POST', '/api/admin/content', {
      headers,
      json: { slug: 'title-only', kind: 'project', title: 'Quokka telemetry exporter', body: '' },
    });
    expect(created.status).toBe(201);
    await t.settle();
    const { body } = await search('q=quokka+telemetry');
    expect(body.results[0]).toMatchObject({
      slug: 'title-only',
      kind: 'project',
      heading: '',
      link: '/api/content/title-only',
    });
  });

  it('happy: summary and tags are searchable fields of the lead chunk', async () => {
    await createContent({
      sql: t.sql,
      actor: 'test',
      doc: toContentDoc({
        slug: 'summary-only',
        kind: 'post',
        title: 'Notes',
        summary: 'Marmalade fermentation schedules.',
        tags: ['citrus'],
        body: '',
      }),
    });
    await syncNow({ sql: t.sql });
    expect((await search('q=marmalade')).body.results[0]?.slug).toBe('summary-only');
    expect((await search('q=citrus')).body.results[0]?.slug).toBe('summary-only');
  });

  it('happy: concepts are documents: found by title, summary or goals, as kind concept linking to the concept', async () => {
    await createConcept({
      sql: t.sql,
      actor: 'test',
      doc: toConceptDoc({
        slug: 'gaussian-discriminant-analysis',
        title: 'Gaussian discriminant analysis',
        summary: 'A generative classifier that models each class as a Gaussian.',
        goals: ['Derive the decision boundary of linear discriminant analysis'],
      }),
    });
    await syncNow({ sql: t.sql });
    const { body } = await search('q=What+is+Gaussian+discriminant+analysis%3F');
    expect(body.results[0]).toMatchObject({
      kind: 'concept',
      slug: 'gaussian-discriminant-analysis',
      title: 'Gaussian discriminant analysis',
      link: '/api/concepts/gaussian-discriminant-analysis',
      concepts: ['gaussian-discriminant-analysis'],
    });
    expect((await search('q=decision+boundary')).body.results[0]?.slug).toBe(
      'gaussian-discriminant-analysis',
    );
    const onlyConcepts = await search('q=bm25&kind=concept');
    expect(onlyConcepts.body.results.map((r) => [r.kind, r.slug])).toEqual([['concept', 'bm25']]);
  });

  it('happy: a query sharing no term with the corpus returns no results', async () => {
    for (const q of ['zzzzqqq', 'xqzv+wpfk']) {
      const { status, body } = await search(`q=${q}`);
      expect(status).toBe(200);
      expect(body.results).toEqual([]);
    }
  });

  it('happy: snippets are clean text: no table rules, link syntax or emphasis markers', async () => {
    await createContent({
      sql: t.sql,
      actor: 'test',
      doc: toContentDoc({
        slug: 'tabled',
        kind: 'post',
        title: 'Latency table',
        body: '## Numbers\n\n| engine | p99 latency |\n| ------ | ----------- |\n| **walrus** | 12 ms |\n\nSee [the walrus docs](https://example.dev/walrus) for more.',
      }),
    });
    await syncNow({ sql: t.sql });
    const hit = (await search('q=walrus+latency')).body.results.find((r) => r.slug === 'tabled');
    expect(hit?.snippet).toContain('<mark>walrus</mark>');
    expect(hit?.snippet).not.toMatch(/-{3}|\*\*|\]\(|https:/);
  });

  it('error: with the vector store down, full text answers alone and says it is degraded', async () => {
    const real = await getVectorStore();
    setVectorStore(faulty(real, 'down'));
    try {
      const { status, body, res } = await search('q=inverse+document+frequency');
      expect(status).toBe(200);
      expect(body.degraded).toBe(true);
      expect(body.degradedReason).toMatch(/vector store is unavailable/);
      expect(body.results[0]?.slug).toBe('bm25-lesson');
      expect(res.headers.get('cache-control')).toMatch(/s-maxage=5\b/);
    } finally {
      setVectorStore(real);
    }
  });

  it('error: an empty, blank, missing or too long q is 400 with the field named', async () => {
    for (const query of ['q=', 'q=%20%20', '', `q=${'a'.repeat(501)}`]) {
      const res = await t.request('GET', `/api/search?${query}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; issues: { path: string }[] } };
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.issues.map((i) => i.path)).toContain('q');
    }
  });

  it('error: unknown kinds, bad limits and unknown parameters are 400', async () => {
    for (const query of [
      'q=x&kind=spaceship',
      'q=x&limit=0',
      'q=x&limit=101',
      'q=x&offset=-1',
      'q=x&sort=new',
    ]) {
      expect((await t.request('GET', `/api/search?${query}`)).status).toBe(400);
    }
  });

  it('error: the search.enabled kill switch answers 503', async () => {
    await t.config.set(CONFIG_KEYS.flags, { 'search.enabled': { enabled: false } });
    resetConfigMemo();
    try {
      const res = await t.request('GET', '/api/search?q=bm25');
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');
    } finally {
      await t.config.set(CONFIG_KEYS.flags, {});
      resetConfigMemo();
    }
  });

  it('security: query text is never reflected unescaped in snippets', async () => {
    const { body } = await search(`q=${encodeURIComponent('<img src=x onerror=alert(1)> bm25')}`);
    for (const r of body.results) expect(r.snippet).not.toMatch(/<(?!\/?mark>)/);
  });
});
