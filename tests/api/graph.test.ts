import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateConcept } from '../../lib/content/concept-writes.js';
import { deleteContent } from '../../lib/content/content-writes.js';
import { importBundle } from '../../lib/content/import/run.js';
import { removeRelation } from '../../lib/content/relation-writes.js';
import { expandConcepts, GraphUnavailableError } from '../../lib/graph/expand.js';
import { createGraphProjector } from '../../lib/graph/projector.js';
import { publishIndexVersion } from '../../lib/search/version.js';
import { type GraphStore, getGraphStore, setGraphStore } from '../../lib/stores/graph/index.js';
import type { Neo4jGraphStore } from '../../lib/stores/graph/neo4j.js';
import { queryRows } from '../../lib/stores/sql/index.js';
import { runSync } from '../../lib/sync/engine.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { faulty } from '../helpers/faults.js';
import { graphTargets } from '../helpers/neo4j.js';

/*
 * tokens, hashing <- index (REQUIRES, reason on tokens) <- ranking.
 * course COVERS index; lesson-1 (PART_OF course, position 1) COVERS tokens, index;
 * post-a MENTIONS hashing, index, RELATED_TO proj-x; proj-x MENTIONS ranking;
 * page "tokens" MENTIONS tokens (a content slug equal to a concept slug); island stands alone.
 */
const concepts = [
  { slug: 'tokens', title: 'Tokens' },
  { slug: 'hashing', title: 'Hashing' },
  {
    slug: 'index',
    title: 'Inverted index',
    prerequisites: [
      { slug: 'tokens', reason: 'terms come from tokens' },
      { slug: 'hashing', reason: null },
    ],
  },
  { slug: 'ranking', title: 'Ranking', prerequisites: [{ slug: 'index', reason: null }] },
  { slug: 'island', title: 'Island' },
];
const content = [
  { slug: 'search-course', kind: 'course', title: 'Search course', concepts: ['index'] },
  {
    slug: 'lesson-1',
    kind: 'lesson',
    title: 'Lesson one',
    course: 'search-course',
    position: 1,
    concepts: ['tokens', 'index'],
  },
  { slug: 'post-a', kind: 'post', title: 'Post A', concepts: ['hashing', 'index'], related: ['proj-x'] },
  { slug: 'proj-x', kind: 'project', title: 'Project X', concepts: ['ranking'] },
  { slug: 'tokens', kind: 'page', title: 'About tokens', concepts: ['tokens'] },
];

interface View {
  nodes: { id: string; title: string }[];
  edges: { source: string; target: string; type: string; reason?: string; position?: number }[];
}

for (const target of graphTargets())
  describe.skipIf(target.skip !== undefined)(
    `graph endpoints, projection and expansion (${target.name} graph)`,
    () => {
      let t: TestApp;
      let store: Neo4jGraphStore | undefined;
      // As syncNow does: a sync that changed the graph publishes the index version (graph cache moves).
      const sync = () =>
        runSync({ sql: t.sql, projectors: [createGraphProjector()], onIndexChanged: publishIndexVersion });
      const get = async <T>(path: string) => {
        const res = await t.request('GET', path);
        return { status: res.status, body: (await res.json()) as T, headers: res.headers };
      };

      beforeAll(async () => {
        t = await createTestApp();
        store = await target.open();
        setGraphStore(store);
        const report = await importBundle({
          sql: t.sql,
          actor: 'test',
          bundle: {
            concepts: concepts.map((data, i) => ({ source: `c${i}`, data })),
            content: content.map((data, i) => ({ source: `k${i}`, data })),
            problems: [],
          },
        });
        expect(report.problems).toEqual([]);
        await sync();
      });
      afterAll(async () => {
        setGraphStore(undefined);
        await store?.close();
        await t?.close();
      });

      it('happy: a concept neighbourhood carries nodes, typed edges with reasons, and the cap', async () => {
        const { status, body, headers } = await get<
          View & { truncated: boolean; cap: number; center: string }
        >('/api/graph/concepts/index?depth=1');
        expect(status).toBe(200);
        expect(headers.get('cache-control')).toMatch(/s-maxage=60/);
        expect(body.center).toBe('Concept:index');
        expect(body.nodes.map((n) => n.id).sort()).toEqual(
          [
            'Concept:hashing',
            'Concept:index',
            'Concept:ranking',
            'Concept:tokens',
            'Content:post-a',
            'Course:search-course',
            'Lesson:lesson-1',
          ].sort(),
        );
        expect(body.edges).toContainEqual({
          source: 'Concept:index',
          target: 'Concept:tokens',
          type: 'REQUIRES',
          reason: 'terms come from tokens',
        });
        expect(body.edges).toContainEqual({
          source: 'Lesson:lesson-1',
          target: 'Course:search-course',
          type: 'PART_OF',
          position: 1,
        });
        expect(body.edges).toContainEqual({
          source: 'Course:search-course',
          target: 'Concept:index',
          type: 'COVERS',
        });
        expect(body.edges).toContainEqual({
          source: 'Content:post-a',
          target: 'Concept:index',
          type: 'MENTIONS',
        });
        expect(body).toMatchObject({ truncated: false, cap: 200 });
        const two = await get<View>('/api/graph/concepts/index?depth=2');
        expect(two.body.nodes.map((n) => n.id)).toContain('Content:proj-x');
      });

      it('error: bad depth, unknown fields and unknown concepts are 400/404 with the error shape', async () => {
        for (const q of ['depth=0', 'depth=4', 'depth=two', 'depth=1&x=1']) {
          const res = await get<{ error: { code: string } }>(`/api/graph/concepts/index?${q}`);
          expect(res.status, q).toBe(400);
          expect(res.body.error.code).toBe('validation_failed');
        }
        const missing = await get('/api/graph/concepts/nope');
        expect(missing).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
      });

      it('happy: the learning path lists prerequisites before what needs them', async () => {
        const { body } = await get<{
          steps: { slug: string; requires: string[] }[];
          target: { requires: string[] };
        }>('/api/graph/path?to=ranking');
        expect(body.target.requires).toEqual(['index']);
        expect(body.steps.map((s) => s.slug)).toEqual(['hashing', 'tokens', 'index']);
        const known = await get<{ steps: { slug: string }[] }>('/api/graph/path?to=ranking&known=tokens');
        expect(known.body.steps.map((s) => s.slug)).toEqual(['hashing', 'index']);
      });

      it('happy: related content is ranked by shared concepts and explained', async () => {
        const { status, body } = await get<{
          item: { id: string };
          related: { id: string; score: number; via: { slug: string }[] }[];
        }>('/api/graph/related/lesson-1');
        expect(status).toBe(200);
        expect(body.item.id).toBe('Lesson:lesson-1');
        // course COVERS index (1 x 1); post-a MENTIONS index (1 x 0.5); the page MENTIONS tokens (1 x 0.5).
        expect(body.related.map((r) => r.id)).toEqual([
          'Course:search-course',
          'Content:post-a',
          'Content:tokens',
        ]);
        expect(body.related[0]).toMatchObject({
          score: 1,
          via: [{ slug: 'index', title: 'Inverted index' }],
        });
        expect((await get('/api/graph/related/lesson-1?limit=1')).body).toMatchObject({
          related: [{ id: 'Course:search-course' }],
        });
        expect((await get('/api/graph/related/ranking')).status).toBe(404); // a concept, not content
        expect((await get('/api/graph/related/lesson-1?limit=0')).status).toBe(400);
      });

      it('happy: the shortest chain resolves slugs (concept first) and prefixes', async () => {
        const { body } = await get<View & { length: number }>(
          '/api/graph/shortest?from=content:proj-x&to=tokens',
        );
        expect(body.length).toBe(3);
        expect(body.nodes.map((n) => n.id)).toEqual([
          'Content:proj-x',
          'Concept:ranking',
          'Concept:index',
          'Concept:tokens',
        ]);
        expect(body.edges.map((e) => e.type)).toEqual(['MENTIONS', 'REQUIRES', 'REQUIRES']);
        const prefixed = await get<{ from: { id: string }; to: { id: string }; length: number }>(
          '/api/graph/shortest?from=tokens&to=content:tokens',
        );
        expect(prefixed.body).toMatchObject({
          from: { id: 'Concept:tokens' },
          to: { id: 'Content:tokens' },
          length: 1,
        });
        const none = await get<{ length: null; nodes: unknown[] }>(
          '/api/graph/shortest?from=island&to=tokens',
        );
        expect(none.body).toMatchObject({ length: null, nodes: [], edges: [] });
        expect((await get('/api/graph/shortest?from=nope&to=tokens')).status).toBe(404);
        expect((await get('/api/graph/shortest?from=concept:proj-x&to=tokens')).status).toBe(404);
        expect((await get('/api/graph/shortest?from=Bad!&to=tokens')).status).toBe(400);
        expect((await get('/api/graph/shortest?from=tokens')).status).toBe(400);
      });

      it('happy: expansion adds 1-hop concepts and the content covering them, minus excluded ids', async () => {
        const [lesson] = await queryRows<{ id: string }>(
          t.sql.db,
          sql`select id::text as id from content where slug = 'lesson-1'`,
        );
        const out = await expandConcepts({
          conceptSlugs: ['index'],
          excludeContentIds: [lesson?.id ?? ''],
          limit: 10,
        });
        expect(out.concepts).toEqual(['hashing', 'index', 'ranking', 'tokens']);
        const slugs = out.content.map((c) => c.slug);
        expect(slugs).not.toContain('lesson-1');
        expect(slugs).toEqual(expect.arrayContaining(['search-course', 'post-a', 'proj-x', 'tokens']));
        expect(out.content[0]).toMatchObject({ slug: 'search-course', kind: 'course', via: ['index'] });
        expect(await expandConcepts({ conceptSlugs: [], limit: 5 })).toEqual({ concepts: [], content: [] });
      });

      describe('with the graph store down', () => {
        let real: GraphStore;
        beforeAll(async () => {
          real = await getGraphStore();
          setGraphStore(faulty(real, 'down'));
        });
        afterAll(() => setGraphStore(real));

        it('happy: a learning path read before the outage is still answered, from the cache', async () => {
          const res = await t.request('GET', '/api/graph/path?to=ranking');
          expect(res.status).toBe(200);
          expect(res.headers.get('x-cache')).toBe('HIT');
        });

        it('error: every graph endpoint answers 503 with the error shape, no internals', async () => {
          for (const path of [
            '/api/graph/concepts/index',
            '/api/graph/path?to=ranking&known=hashing', // a path not read (so not cached) before
            '/api/graph/related/lesson-1',
            '/api/graph/shortest?from=index&to=tokens',
          ]) {
            const res = await t.request('GET', path);
            expect(res.status, path).toBe(503);
            expect(res.headers.get('retry-after')).toBe('5');
            const body = (await res.json()) as { error: { code: string; message: string } };
            expect(body.error.code).toBe('service_unavailable');
            expect(body.error.message).not.toMatch(/injected|fault/);
          }
        });

        it('error: expansion throws GraphUnavailableError for callers to continue without it', async () => {
          await expect(expandConcepts({ conceptSlugs: ['index'], limit: 5 })).rejects.toBeInstanceOf(
            GraphUnavailableError,
          );
        });

        it('error: health reports the graph store down', async () => {
          const res = await t.request('GET', '/api/health');
          expect(res.status).toBe(503);
          expect(((await res.json()) as { down: string[] }).down).toContain('graph');
        });
      });

      describe('projection through the outbox', () => {
        const version = async (table: 'concepts' | 'content', slug: string) => {
          const [row] = await queryRows<{ version: number }>(
            t.sql.db,
            sql`select version from ${sql.identifier(table)} where slug = ${slug}`,
          );
          return Number(row?.version);
        };

        it('happy: a removed relation disappears from the graph after a sync', async () => {
          const before = await get<{ steps: { slug: string }[] }>('/api/graph/path?to=index');
          expect(before.body.steps.map((s) => s.slug)).toContain('hashing');
          await t.settle(); // the cache fill
          await removeRelation({
            sql: t.sql,
            actor: 'test',
            relation: { type: 'REQUIRES', from: 'index', to: 'hashing' },
          });
          await sync();
          const { body } = await get<View>('/api/graph/concepts/index');
          expect(body.edges.some((e) => e.target === 'Concept:hashing')).toBe(false);
          const after = await get<{ steps: { slug: string }[] }>('/api/graph/path?to=index');
          expect(after.headers.get('x-cache'), 'the cached path died with the sync').toBe('MISS');
          expect(after.body.steps.map((s) => s.slug)).not.toContain('hashing');
          expect(body.edges.some((e) => e.target === 'Concept:tokens')).toBe(true);
        });

        it('happy: a renamed concept moves its node and keeps every relation to it', async () => {
          await updateConcept({
            sql: t.sql,
            actor: 'test',
            target: { slug: 'tokens' },
            patch: { slug: 'tokenization', title: 'Tokenization' },
            expectedVersion: await version('concepts', 'tokens'),
          });
          await sync();
          expect((await get('/api/graph/concepts/tokens')).status).toBe(404);
          const { body } = await get<View>('/api/graph/concepts/tokenization');
          expect(body.nodes.find((n) => n.id === 'Concept:tokenization')?.title).toBe('Tokenization');
          expect(body.edges).toContainEqual(
            expect.objectContaining({
              source: 'Concept:index',
              target: 'Concept:tokenization',
              type: 'REQUIRES',
            }),
          );
          expect(body.edges).toContainEqual({
            source: 'Lesson:lesson-1',
            target: 'Concept:tokenization',
            type: 'COVERS',
          });
        });

        it('happy: deleted content leaves the graph with its edges', async () => {
          await deleteContent({
            sql: t.sql,
            actor: 'test',
            target: { slug: 'post-a' },
            expectedVersion: await version('content', 'post-a'),
          });
          await sync();
          const graph = await getGraphStore();
          expect(await graph.findByKey('post-a')).toEqual([]);
          expect(
            (await graph.listEdges()).some((e) => e.from.key === 'post-a' || e.to.key === 'post-a'),
          ).toBe(false);
        });

        it('happy: reconcile finds missing, stale and orphaned graph records, and repairs them', async () => {
          const graph = await getGraphStore();
          const projector = createGraphProjector();
          const ctx = { sql: t.sql, now: () => new Date() };
          expect(await projector.reconcile({ ...ctx, dryRun: true })).toMatchObject({
            missing: 0,
            stale: 0,
            orphaned: 0,
          });
          await graph.deleteEdges([
            {
              type: 'PART_OF',
              from: { label: 'Lesson', key: 'lesson-1' },
              to: { label: 'Course', key: 'search-course' },
            },
          ]);
          const [ranking] = await graph.findByKey('ranking', ['Concept']);
          if (ranking) await graph.upsertNodes([{ ...ranking, title: 'Wrong' }]);
          await graph.upsertNodes([{ label: 'Concept', key: 'ghost', title: 'Ghost', sourceId: 'gone' }]);
          const report = await projector.reconcile({ ...ctx, dryRun: true });
          expect(report).toMatchObject({ missing: 1, stale: 1, orphaned: 1, repaired: false });
          expect(report.examples).toEqual(
            expect.arrayContaining(['orphaned node Concept:ghost', 'stale node Concept:ranking']),
          );
          expect(await projector.reconcile(ctx)).toMatchObject({ repaired: true });
          expect(await projector.reconcile({ ...ctx, dryRun: true })).toMatchObject({
            missing: 0,
            stale: 0,
            orphaned: 0,
          });
        });

        it('happy: a full rebuild restores an emptied graph to what SQL holds', async () => {
          const graph = await getGraphStore();
          const before = { nodes: await graph.listNodes(), edges: await graph.listEdges() };
          await graph.clear();
          await graph.upsertNodes([{ label: 'Concept', key: 'stray', title: 'Stray', sourceId: 'x' }]);
          const stats = await createGraphProjector().rebuild({ sql: t.sql, now: () => new Date() });
          expect(stats).toMatchObject({ nodesUpserted: before.nodes.length, nodesDeleted: 1 });
          expect(await graph.listNodes()).toEqual(before.nodes);
          expect(await graph.listEdges()).toEqual(before.edges);
        });
      });
    },
  );
