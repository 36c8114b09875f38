import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../../lib/content/import/run.js';
import { readSource } from '../../lib/content/import/sources.js';
import { createGraphProjector } from '../../lib/graph/projector.js';
import { type GraphStore, setGraphStore } from '../../lib/stores/graph/index.js';
import type { Neo4jGraphStore } from '../../lib/stores/graph/neo4j.js';
import { SqlGraphStore } from '../../lib/stores/graph/sql.js';
import { runSync } from '../../lib/sync/engine.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { graphTargets } from '../helpers/neo4j.js';

/**
 * Done means: after importing Metacademy's concept graph and syncing, the learning path to ANY concept
 * lists exactly its unmet transitive prerequisites, each after its own prerequisites. Checked for every
 * concept against an independent computation: a plain DFS over the JSON file itself.
 */

const FILE = resolve(process.cwd(), '../shared/data/metacademy/metacademy.json');
const available = existsSync(FILE);

interface Step {
  slug: string;
  title: string;
  requires: string[];
}
interface PathBody {
  target: Step;
  steps: Step[];
  cycles: string[][];
  unknownKnown: string[];
}

for (const target of graphTargets())
  describe.skipIf(!available || target.skip !== undefined)(
    `learning paths over the Metacademy graph (import + sync, ${target.name} graph)`,
    () => {
      let t: TestApp;
      let store: Neo4jGraphStore | undefined;
      const titles = new Map<string, string>();
      const prereqs = new Map<string, string[]>();
      let courses: { slug: string; concepts: string[] }[] = [];

      /** Independent: every concept reachable from `starts` through prerequisites in the file. */
      const closure = (starts: string[]): Set<string> => {
        const seen = new Set<string>();
        const visit = (slug: string) => {
          for (const p of prereqs.get(slug) ?? []) {
            if (seen.has(p)) continue;
            seen.add(p);
            visit(p);
          }
        };
        for (const s of starts) visit(s);
        return seen;
      };

      const expectValidPath = (body: PathBody, target: string, known: string[]) => {
        const met = new Set([...known, ...closure(known)]);
        const expected = [...closure([target])].filter((s) => s !== target && !met.has(s)).sort();
        expect([...body.steps.map((s) => s.slug)].sort(), target).toEqual(expected);
        expect(body.cycles, target).toEqual([]);
        expect(body.target.slug).toBe(target);
        const position = new Map(body.steps.map((s, i) => [s.slug, i]));
        body.steps.forEach((step, i) => {
          expect(step.title).toBe(titles.get(step.slug));
          expect(step.requires, step.slug).toEqual([...(prereqs.get(step.slug) ?? [])].sort());
          // Every unmet prerequisite of a step comes before it.
          for (const p of step.requires)
            if (position.has(p)) expect(position.get(p), `${p} before ${step.slug}`).toBeLessThan(i);
        });
      };

      beforeAll(async () => {
        const data = JSON.parse(readFileSync(FILE, 'utf8')) as {
          concepts: { slug: string; title: string; prerequisites: { slug: string }[] }[];
          courses: { slug: string; concepts: string[] }[];
        };
        courses = data.courses;
        for (const c of data.concepts) titles.set(c.slug, c.title);
        for (const c of data.concepts) {
          // References to concepts missing from the file are dangling: the import reports and skips them.
          const list = [...new Set(c.prerequisites.map((p) => p.slug))].filter(
            (p) => titles.has(p) && p !== c.slug,
          );
          prereqs.set(c.slug, list);
        }

        t = await createTestApp();
        store = await target.open();
        setGraphStore(store);
        const report = await importBundle({ sql: t.sql, bundle: readSource(FILE), actor: 'test' });
        expect(report.problems).toEqual([]);
        expect(report.created.concepts).toBe(data.concepts.length);
        // The real sync engine drains the outbox the import wrote, through the graph projector.
        const stats = await runSync({ sql: t.sql, projectors: [createGraphProjector()], batchSize: 500 });
        expect(stats.dead).toBe(0);
        expect(stats.retrying).toBe(0);
      }, 180_000);
      afterAll(async () => {
        setGraphStore(undefined);
        await store?.close();
        await t?.close();
      });

      // ~400 requests: about 10 s on an idle machine; the generous bound only guards a loaded CI box.
      it('happy: the path to every concept is exactly its transitive prerequisites, each after its own', {
        timeout: 240_000,
      }, async () => {
        expect(titles.size).toBeGreaterThan(300);
        for (const slug of titles.keys()) {
          const res = await t.request('GET', `/api/graph/path?to=${encodeURIComponent(slug)}`);
          expect(res.status, slug).toBe(200);
          expectValidPath((await res.json()) as PathBody, slug, []);
        }
      });

      it('happy: known concepts and everything they build on drop out of the path', async () => {
        // A deterministic sample: every 9th concept with at least two prerequisites; known = its first
        // direct prerequisite plus an unrelated concept.
        const slugs = [...titles.keys()].sort();
        const sample = slugs.filter((s, i) => i % 9 === 0 && (prereqs.get(s)?.length ?? 0) >= 2);
        expect(sample.length).toBeGreaterThan(10);
        let shortened = 0;
        for (const slug of sample) {
          const first = prereqs.get(slug)?.[0] ?? '';
          const unrelated = slugs.find((s) => s !== slug && !closure([slug]).has(s)) ?? '';
          const known = [first, unrelated];
          const res = await t.request('GET', `/api/graph/path?to=${slug}&known=${known.join(',')}`);
          expect(res.status).toBe(200);
          const body = (await res.json()) as PathBody;
          expectValidPath(body, slug, known);
          expect(body.steps.map((s) => s.slug)).not.toContain(first);
          if (body.steps.length < closure([slug]).size) shortened++;
        }
        expect(shortened).toBe(sample.length);
      });

      it('happy: a known target needs nothing; unknown known slugs are reported, not fatal', async () => {
        const slug = [...prereqs.entries()].find(([, p]) => p.length > 0)?.[0] ?? '';
        const res = await t.request('GET', `/api/graph/path?to=${slug}&known=${slug},no_such_concept`);
        const body = (await res.json()) as PathBody;
        expect(body.steps).toEqual([]);
        expect(body.unknownKnown).toEqual(['no_such_concept']);
      });

      it('error: an unknown target is 404 and a malformed one 400, with the error shape', async () => {
        const missing = await t.request('GET', '/api/graph/path?to=no_such_concept');
        expect(missing.status).toBe(404);
        expect(await missing.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
        for (const query of ['', '?to=Bad%20Slug', '?to=a&extra=1', `?to=a&known=${'x,'.repeat(300)}`]) {
          const res = await t.request('GET', `/api/graph/path${query}`);
          expect(res.status, query).toBe(400);
          expect(((await res.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
        }
      });

      it('happy: a hub neighbourhood at depth 3 is capped at 200 nodes and says so', async () => {
        // Independent: the undirected depth-3 ball over REQUIRES and the courses' COVERS links.
        const adjacent = new Map<string, Set<string>>();
        const link = (a: string, b: string) => {
          adjacent.set(a, (adjacent.get(a) ?? new Set()).add(b));
          adjacent.set(b, (adjacent.get(b) ?? new Set()).add(a));
        };
        for (const [slug, list] of prereqs) for (const p of list) link(`Concept:${slug}`, `Concept:${p}`);
        for (const c of courses)
          for (const k of c.concepts) if (titles.has(k)) link(`Course:${c.slug}`, `Concept:${k}`);
        const ball = (start: string) => {
          let frontier = [start];
          const seen = new Set(frontier);
          for (let d = 0; d < 3; d++)
            frontier = frontier.flatMap((n) =>
              [...(adjacent.get(n) ?? [])].filter((m) => !seen.has(m) && seen.add(m)),
            );
          return seen.size;
        };
        const hub = [...titles.keys()].sort((a, b) => ball(`Concept:${b}`) - ball(`Concept:${a}`))[0] ?? '';
        const size = ball(`Concept:${hub}`);
        expect(size).toBeGreaterThan(200);
        const res = await t.request('GET', `/api/graph/concepts/${hub}?depth=3`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as {
          nodes: { id: string }[];
          edges: unknown[];
          truncated: boolean;
          cap: number;
        };
        expect(body).toMatchObject({ cap: 200, truncated: true });
        expect(body.nodes).toHaveLength(200);
        expect(body.nodes[0]?.id).toBe(`Concept:${hub}`);
        // Uncapped at depth 1: exactly the direct neighbours.
        const one = (await (
          await t.request('GET', `/api/graph/concepts/${hub}?depth=1`)
        ).json()) as typeof body;
        expect(one.truncated).toBe(false);
        expect(one.nodes.map((n) => n.id).sort()).toEqual(
          [`Concept:${hub}`, ...(adjacent.get(`Concept:${hub}`) ?? [])].sort(),
        );
      });

      // Same contract, same order: on the live Neo4j, an embedded graph rebuilt from the same SQL must
      // give identical answers (ties included) on a real graph's hubs, chains and shared concepts.
      it.skipIf(target.name !== 'neo4j')(
        'happy: the embedded graph and Neo4j answer every query identically',
        { timeout: 240_000 },
        async () => {
          const neo = store;
          if (!neo) throw new Error('no Neo4j store');
          const embedded = new SqlGraphStore(t.sql);
          await createGraphProjector({ graph: async () => embedded }).rebuild({
            sql: t.sql,
            now: () => new Date(),
          });
          expect(await neo.listNodes()).toEqual(await embedded.listNodes());
          expect(await neo.listEdges()).toEqual(await embedded.listEdges());
          const slugs = [...titles.keys()].sort();
          const sample = slugs.filter((_, i) => i % 4 === 0);
          const both = async <T>(what: string, q: (g: GraphStore) => Promise<T>) => {
            const [a, b] = await Promise.all([q(embedded), q(neo)]);
            expect(b, what).toEqual(a);
          };
          for (const [i, slug] of sample.entries()) {
            const start = { label: 'Concept' as const, key: slug };
            await both(`closure ${slug}`, (g) => g.prerequisiteClosure({ slugs: [slug] }));
            await both(`neighbourhood ${slug}`, (g) => g.neighbourhood({ start, depth: 2, limit: 60 }));
            await both(`expand ${slug}`, (g) =>
              g.expandConcepts({ slugs: [slug], excludeSourceIds: [], limit: 8 }),
            );
            const other = sample[(i * 7 + 3) % sample.length] ?? slug;
            await both(`shortest ${slug} -> ${other}`, (g) =>
              g.shortestPath({ from: start, to: { label: 'Concept', key: other }, maxDepth: 8 }),
            );
          }
          for (const c of courses)
            await both(`related ${c.slug}`, (g) =>
              g.relatedContent({ from: { label: 'Course', key: c.slug }, limit: 10 }),
            );
        },
      );

      it('happy: courses are related through the concepts they share', async () => {
        const res = await t.request('GET', '/api/graph/related/linear_algebra');
        expect(res.status).toBe(200);
        const body = (await res.json()) as {
          item: { label: string };
          related: { key: string; via: unknown[] }[];
        };
        expect(body.item.label).toBe('Course');
        for (const r of body.related) expect(r.via.length).toBeGreaterThan(0);
      });
    },
  );
