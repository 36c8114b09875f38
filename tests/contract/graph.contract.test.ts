import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GraphEdge, GraphNode, GraphStore, NodeRef } from '../../lib/stores/graph/index.js';
import { SqlGraphStore } from '../../lib/stores/graph/sql.js';
import type { SqlStore } from '../../lib/stores/sql/index.js';
import { NEO4J_SKIP, neo4jConnection, openNeo4j, warnSkipped } from '../helpers/neo4j.js';
import { sqlTargets } from '../helpers/sql.js';

/**
 * The definition of the graph store port: one suite, run on the embedded adapter (PGlite, and the real
 * PostgreSQL when TEST_DATABASE_URL is set) and on Neo4j when NEO4J_URI is set.
 */

interface Target {
  name: string;
  skip?: string;
  open(): Promise<{ store: GraphStore; close(): Promise<void> }>;
}

const targets: Target[] = [
  ...sqlTargets().map(
    (t): Target => ({
      name: `sql on ${t.name}`,
      ...(t.skip ? { skip: t.skip } : {}),
      async open() {
        const sql: SqlStore = await t.create();
        return { store: new SqlGraphStore(sql), close: () => sql.close() };
      },
    }),
  ),
  {
    name: 'neo4j',
    ...(neo4jConnection() ? {} : { skip: NEO4J_SKIP }),
    async open() {
      const store = await openNeo4j();
      return { store, close: () => store.close() };
    },
  },
];

if (!neo4jConnection()) warnSkipped();

const concept = (key: string, title = key.toUpperCase()): GraphNode => ({
  label: 'Concept',
  key,
  title,
  sourceId: `id-${key}`,
});
const content = (label: 'Course' | 'Lesson' | 'Content', key: string, kind: string): GraphNode => ({
  label,
  key,
  title: `Title ${key}`,
  sourceId: `id-${key}`,
  kind,
});
const C = (key: string): NodeRef => ({ label: 'Concept', key });
const requires = (from: string, to: string, reason?: string): GraphEdge => ({
  type: 'REQUIRES',
  from: C(from),
  to: C(to),
  ...(reason ? { reason } : {}),
});

/*
 * a -> b -> c, a -> d -> c (REQUIRES); x <-> y (a cycle); e RELATED_TO a.
 * course COVERS a; lesson PART_OF course, COVERS b, MENTIONS c; post MENTIONS a, b; proj COVERS c.
 */
const NODES: GraphNode[] = [
  ...['a', 'b', 'c', 'd', 'e', 'x', 'y'].map((k) => concept(k)),
  content('Course', 'course', 'course'),
  content('Lesson', 'lesson', 'lesson'),
  content('Content', 'post', 'post'),
  content('Content', 'proj', 'project'),
];
const COURSE: NodeRef = { label: 'Course', key: 'course' };
const LESSON: NodeRef = { label: 'Lesson', key: 'lesson' };
const POST: NodeRef = { label: 'Content', key: 'post' };
const PROJ: NodeRef = { label: 'Content', key: 'proj' };
const EDGES: GraphEdge[] = [
  requires('a', 'b', 'b comes first'),
  requires('b', 'c'),
  requires('a', 'd'),
  requires('d', 'c'),
  requires('x', 'y'),
  requires('y', 'x'),
  { type: 'RELATED_TO', from: C('e'), to: C('a') },
  { type: 'COVERS', from: COURSE, to: C('a') },
  { type: 'PART_OF', from: LESSON, to: COURSE, position: 1 },
  { type: 'COVERS', from: LESSON, to: C('b') },
  { type: 'MENTIONS', from: LESSON, to: C('c') },
  { type: 'MENTIONS', from: POST, to: C('a') },
  { type: 'MENTIONS', from: POST, to: C('b') },
  { type: 'COVERS', from: PROJ, to: C('c') },
];

const id = (r: NodeRef) => `${r.label}:${r.key}`;
const eid = (e: GraphEdge) => `${e.type} ${id(e.from)}->${id(e.to)}`;

for (const target of targets) {
  describe.skipIf(Boolean(target.skip))(`graph store contract: ${target.name}`, () => {
    let store: GraphStore;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ store, close } = await target.open());
      await store.setup();
    });
    afterAll(() => close?.());
    beforeEach(async () => {
      await store.clear();
      await store.upsertNodes(NODES);
      await store.upsertEdges(EDGES);
    });

    it('happy: nodes and edges round-trip with their properties', async () => {
      const nodes = await store.listNodes();
      expect(nodes.map(id).sort()).toEqual(NODES.map(id).sort());
      expect(nodes.find((n) => n.key === 'proj')).toEqual(content('Content', 'proj', 'project'));
      expect(nodes.find((n) => n.key === 'a')).toEqual(concept('a'));
      const edges = await store.listEdges();
      expect(edges.map(eid).sort()).toEqual(EDGES.map(eid).sort());
      expect(edges.find((e) => e.type === 'REQUIRES' && e.to.key === 'b')?.reason).toBe('b comes first');
      expect(edges.find((e) => e.type === 'PART_OF')?.position).toBe(1);
    });

    it('happy: upserts are idempotent and update properties in place (MERGE)', async () => {
      await store.upsertNodes(NODES);
      await store.upsertEdges(EDGES);
      await store.upsertNodes([concept('a', 'Renamed A')]);
      await store.upsertEdges([requires('a', 'b', 'new reason')]);
      const nodes = await store.listNodes();
      expect(nodes).toHaveLength(NODES.length);
      expect(nodes.find((n) => n.key === 'a')?.title).toBe('Renamed A');
      const edges = await store.listEdges();
      expect(edges).toHaveLength(EDGES.length);
      expect(edges.find((e) => e.type === 'REQUIRES' && e.to.key === 'b')?.reason).toBe('new reason');
    });

    it('edge: an edge to a node that does not exist is skipped, not invented', async () => {
      await store.upsertEdges([requires('a', 'ghost')]);
      expect((await store.listNodes()).some((n) => n.key === 'ghost')).toBe(false);
      expect((await store.listEdges()).some((e) => e.to.key === 'ghost')).toBe(false);
    });

    it('happy: deleting a node removes its edges, and nothing else', async () => {
      await store.deleteNodes([C('b')]);
      expect((await store.listNodes()).some((n) => n.key === 'b')).toBe(false);
      const edges = await store.listEdges();
      expect(edges.some((e) => e.from.key === 'b' || e.to.key === 'b')).toBe(false);
      expect(edges).toHaveLength(EDGES.length - 4);
    });

    it('happy: deleteEdges removes exactly the given edges', async () => {
      await store.deleteEdges([requires('a', 'd')]);
      const edges = (await store.listEdges()).map(eid);
      expect(edges).not.toContain(eid(requires('a', 'd')));
      expect(edges).toHaveLength(EDGES.length - 1);
    });

    it('happy: replaceEdges makes the given set complete for those nodes, both directions', async () => {
      // b keeps a->b (incoming, with a new reason), loses b->c and the lesson/post links, gains b->e.
      await store.replaceEdges({
        nodes: [C('b')],
        edges: [requires('a', 'b', 'changed'), requires('b', 'e')],
      });
      const edges = await store.listEdges();
      const touchingB = edges.filter((e) => e.from.key === 'b' || e.to.key === 'b').map(eid);
      expect(touchingB.sort()).toEqual([eid(requires('a', 'b')), eid(requires('b', 'e'))].sort());
      expect(edges.find((e) => e.to.key === 'b' && e.type === 'REQUIRES')?.reason).toBe('changed');
      // Edges not touching b are untouched.
      expect(edges.map(eid)).toContain(eid(requires('d', 'c')));
      // Four edges touched b: three dropped, one kept, one added.
      expect(edges).toHaveLength(EDGES.length - 2);
    });

    it('happy: nodes are found by source id and by key across labels', async () => {
      const bySource = await store.findBySourceIds(['id-a', 'id-post', 'id-none']);
      expect(bySource.map(id).sort()).toEqual(['Concept:a', 'Content:post']);
      await store.upsertNodes([content('Content', 'a', 'post')]);
      const byKey = await store.findByKey('a');
      expect(byKey.map(id)).toEqual(['Concept:a', 'Content:a']);
      expect((await store.findByKey('a', ['Course', 'Lesson', 'Content'])).map(id)).toEqual(['Content:a']);
    });

    it('happy: the neighbourhood grows with depth and carries only edges among its nodes', async () => {
      const one = await store.neighbourhood({ start: C('a'), depth: 1, limit: 50 });
      expect(one?.nodes.map(id).sort()).toEqual(
        ['Concept:a', 'Concept:b', 'Concept:d', 'Concept:e', 'Course:course', 'Content:post'].sort(),
      );
      expect(one?.nodes[0]).toEqual(concept('a'));
      expect(one?.truncated).toBe(false);
      const inOne = new Set(one?.nodes.map(id));
      for (const e of one?.edges ?? []) {
        expect(inOne.has(id(e.from)) && inOne.has(id(e.to))).toBe(true);
      }
      // post MENTIONS b, both within one hop of a: that edge belongs to the view.
      expect(one?.edges.map(eid)).toContain('MENTIONS Content:post->Concept:b');
      const two = await store.neighbourhood({ start: C('a'), depth: 2, limit: 50 });
      expect(two?.nodes.map(id)).toEqual(expect.arrayContaining(['Concept:c', 'Lesson:lesson']));
      expect(two?.nodes.map(id)).not.toContain('Content:proj');
    });

    it('edge: the neighbourhood is capped breadth first and says so', async () => {
      const capped = await store.neighbourhood({ start: C('a'), depth: 3, limit: 3 });
      expect(capped?.truncated).toBe(true);
      expect(capped?.nodes).toHaveLength(3);
      // The start, then depth-1 nodes in (label, key) order.
      expect(capped?.nodes.map(id)).toEqual(['Concept:a', 'Concept:b', 'Concept:d']);
    });

    it('edge: a cycle does not loop the neighbourhood; an unknown start is null', async () => {
      const cyc = await store.neighbourhood({ start: C('x'), depth: 3, limit: 50 });
      expect(cyc?.nodes.map(id).sort()).toEqual(['Concept:x', 'Concept:y']);
      expect(cyc?.edges).toHaveLength(2);
      expect(await store.neighbourhood({ start: C('nope'), depth: 2, limit: 50 })).toBeNull();
    });

    it('happy: the prerequisite closure holds every transitive REQUIRES with its edges', async () => {
      const closure = await store.prerequisiteClosure({ slugs: ['a'] });
      expect(closure.concepts.map((c) => c.slug).sort()).toEqual(['a', 'b', 'c', 'd']);
      expect(closure.concepts.find((c) => c.slug === 'a')?.title).toBe('A');
      expect(closure.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(['a>b', 'a>d', 'b>c', 'd>c']);
      expect(closure.edges.find((e) => e.to === 'b')?.reason).toBe('b comes first');
    });

    it('edge: the closure terminates on a cycle and skips unknown slugs', async () => {
      const closure = await store.prerequisiteClosure({ slugs: ['x', 'unknown'] });
      expect(closure.concepts.map((c) => c.slug).sort()).toEqual(['x', 'y']);
      expect(closure.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(['x>y', 'y>x']);
      expect(await store.prerequisiteClosure({ slugs: ['unknown'] })).toEqual({ concepts: [], edges: [] });
    });

    it('happy: related content is ranked by shared concepts, with the concepts that link them', async () => {
      const related = await store.relatedContent({ from: LESSON, limit: 10 });
      // lesson: COVERS b, MENTIONS c. post MENTIONS b (1 x 0.5); proj COVERS c (0.5 x 1).
      expect(related.map((r) => r.node.key)).toEqual(['post', 'proj']);
      expect(related[0]?.via).toEqual([{ slug: 'b', title: 'B' }]);
      expect(related[0]?.score).toBeCloseTo(0.5);
      const fromPost = await store.relatedContent({ from: POST, limit: 10 });
      // post MENTIONS a and b: course COVERS a (0.5), lesson COVERS b (0.5).
      expect(fromPost.map((r) => r.node.key)).toEqual(['course', 'lesson']);
      expect(fromPost.every((r) => r.node.key !== 'post')).toBe(true);
      expect(await store.relatedContent({ from: POST, limit: 1 })).toHaveLength(1);
    });

    it('happy: the shortest path follows relations in either direction', async () => {
      const path = await store.shortestPath({ from: PROJ, to: COURSE, maxDepth: 8 });
      // proj -COVERS-> c <-MENTIONS- lesson -PART_OF-> course
      expect(path?.nodes.map(id)).toEqual(['Content:proj', 'Concept:c', 'Lesson:lesson', 'Course:course']);
      expect(path?.edges.map(eid)).toEqual([
        'COVERS Content:proj->Concept:c',
        'MENTIONS Lesson:lesson->Concept:c',
        'PART_OF Lesson:lesson->Course:course',
      ]);
      expect(path?.edges[2]?.position).toBe(1);
      const self = await store.shortestPath({ from: C('a'), to: C('a'), maxDepth: 8 });
      expect(self).toEqual({ nodes: [concept('a')], edges: [] });
    });

    it('edge: among equally short paths, the walk back from the end takes the smallest label, key, type', async () => {
      // a -> b -> c and a -> d -> c: two paths of length 2; the one through b (smaller key) is chosen.
      expect((await store.shortestPath({ from: C('a'), to: C('c'), maxDepth: 8 }))?.nodes.map(id)).toEqual([
        'Concept:a',
        'Concept:b',
        'Concept:c',
      ]);
      // Created in reverse order of the answer, so insertion order cannot decide: z1..z4 each join
      // m and n. The walk back from n picks z1; of the two REQUIRES edges between n and z1 the one
      // leaving n; between z1 and m, RELATED_TO (it sorts before REQUIRES).
      const zs = ['z4', 'z3', 'z2', 'z1'];
      await store.upsertNodes([concept('m'), concept('n'), ...zs.map((k) => concept(k))]);
      for (const z of zs) {
        await store.upsertEdges([
          requires(z, 'm'),
          { type: 'RELATED_TO', from: C('m'), to: C(z) },
          requires(z, 'n'),
          requires('n', z),
        ]);
      }
      const tie = await store.shortestPath({ from: C('m'), to: C('n'), maxDepth: 8 });
      expect(tie?.nodes.map(id)).toEqual(['Concept:m', 'Concept:z1', 'Concept:n']);
      expect(tie?.edges.map(eid)).toEqual([
        'RELATED_TO Concept:m->Concept:z1',
        'REQUIRES Concept:n->Concept:z1',
      ]);
      // From the other end, the same rule on the reversed search.
      const back = await store.shortestPath({ from: C('n'), to: C('m'), maxDepth: 8 });
      expect(back?.nodes.map(id)).toEqual(['Concept:n', 'Concept:z1', 'Concept:m']);
      expect(back?.edges.map(eid)).toEqual([
        'REQUIRES Concept:z1->Concept:n',
        'RELATED_TO Concept:m->Concept:z1',
      ]);
    });

    it('edge: no path, or none within the depth bound, is null', async () => {
      expect(await store.shortestPath({ from: C('x'), to: C('a'), maxDepth: 8 })).toBeNull();
      const chain = Array.from({ length: 10 }, (_, i) => concept(`chain-${i}`));
      await store.upsertNodes(chain);
      await store.upsertEdges(chain.slice(1).map((n, i) => requires(`chain-${i}`, n.key)));
      expect(
        (await store.shortestPath({ from: C('chain-0'), to: C('chain-8'), maxDepth: 8 }))?.edges,
      ).toHaveLength(8);
      expect(await store.shortestPath({ from: C('chain-0'), to: C('chain-9'), maxDepth: 8 })).toBeNull();
      expect(await store.shortestPath({ from: C('chain-0'), to: C('chain-3'), maxDepth: 2 })).toBeNull();
    });

    it('happy: expanding concepts adds 1-hop concept neighbours and the content covering them', async () => {
      const out = await store.expandConcepts({ slugs: ['b', 'nope'], excludeSourceIds: [], limit: 10 });
      // b: requires c, required by a.
      expect(out.concepts).toEqual(['a', 'b', 'c']);
      const bySlug = Object.fromEntries(out.content.map((c) => [c.slug, c]));
      expect(Object.keys(bySlug).sort()).toEqual(['course', 'lesson', 'post', 'proj']);
      expect(bySlug.lesson).toMatchObject({ kind: 'lesson', sourceId: 'id-lesson', via: ['b', 'c'] });
      expect(bySlug.post?.via).toEqual(['a', 'b']);
      // The lesson covers an input concept: it ranks first.
      expect(out.content[0]?.slug).toBe('lesson');
      const excluded = await store.expandConcepts({
        slugs: ['b'],
        excludeSourceIds: ['id-lesson'],
        limit: 2,
      });
      expect(excluded.content.map((c) => c.slug)).not.toContain('lesson');
      expect(excluded.content).toHaveLength(2);
      expect(await store.expandConcepts({ slugs: [], excludeSourceIds: [], limit: 5 })).toEqual({
        concepts: [],
        content: [],
      });
    });

    it('happy: ping answers and clear empties the graph', async () => {
      await store.ping();
      await store.clear();
      expect(await store.listNodes()).toEqual([]);
      expect(await store.listEdges()).toEqual([]);
    });
  });
}
