import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setEmbedder } from '../../lib/ai/embedder.js';
import { LocalHashEmbedder } from '../../lib/ai/local-embedder.js';
import { createConcept } from '../../lib/content/concept-writes.js';
import { toConceptDoc } from '../../lib/content/schemas.js';
import { type GraphStore, getGraphStore, setGraphStore } from '../../lib/stores/graph/index.js';
import type { Neo4jGraphStore } from '../../lib/stores/graph/neo4j.js';
import { queryRows } from '../../lib/stores/sql/index.js';
import { getVectorStore, setVectorStore, type VectorStore } from '../../lib/stores/vector/index.js';
import { runReindexJob } from '../../lib/sync/job.js';
import { getOutboxStatus } from '../../lib/sync/outbox.js';
import { defaultProjectors } from '../../lib/sync/projectors.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createUserAndLogin, type LoggedIn } from '../helpers/auth.js';
import { faulty } from '../helpers/faults.js';
import { graphTargets } from '../helpers/neo4j.js';

/**
 * Writes accepted while a projection is down are projected after recovery: SQL (the truth) takes the
 * write, the post-write sync fails and backs off, and once the store is back the next sync projects
 * it; reconcile then finds no drift, search finds the item and the graph has its node.
 */

for (const target of graphTargets())
  describe.skipIf(target.skip !== undefined)(
    `recovery after a projection outage (${target.name} graph)`,
    () => {
      let t: TestApp;
      let admin: LoggedIn;
      let realVectors: VectorStore;
      let realGraph: GraphStore;
      let neo4jStore: Neo4jGraphStore | undefined;

      beforeAll(async () => {
        t = await createTestApp();
        setVectorStore(undefined); // pgvector on this app's PGlite
        neo4jStore = await target.open(); // the graph tables on the same PGlite, or the live Neo4j
        setGraphStore(neo4jStore);
        setEmbedder(new LocalHashEmbedder({ dimension: 128 }));
        await createConcept({
          sql: t.sql,
          actor: 'test',
          doc: toConceptDoc({ slug: 'write-ahead-log', title: 'Write-ahead log' }),
        });
        admin = await createUserAndLogin(t, { role: 'admin' });
        realVectors = await getVectorStore();
        realGraph = await getGraphStore();
      });

      afterAll(async () => {
        setEmbedder(undefined);
        setVectorStore(undefined);
        setGraphStore(undefined);
        await neo4jStore?.close();
        await t?.close();
      });

      async function post(slug: string, word: string): Promise<Response> {
        return t.request('POST', '/api/admin/content', {
          headers: admin.headers,
          json: {
            slug,
            kind: 'post',
            title: `Notes on the ${word}`,
            body: `The ${word} survives a crash because the write-ahead log is flushed before the commit returns.`,
            concepts: ['write-ahead-log'],
          },
        });
      }

      async function outboxRow(slug: string, projector: string) {
        const [row] = await queryRows<{
          attempts: number;
          status: string;
          last_error: string | null;
          available_at: string;
        }>(
          t.sql.db,
          sql`SELECT o.attempts, o.status, o.last_error, o.available_at FROM outbox o
        JOIN content c ON c.id::text = o.entity_id
        WHERE c.slug = ${slug} AND o.projector = ${projector} ORDER BY o.id DESC LIMIT 1`,
        );
        return row;
      }

      async function drift(dryRun: boolean) {
        const ctx = { sql: t.sql, now: () => new Date(), dryRun };
        return Promise.all(defaultProjectors().map((p) => p.reconcile(ctx)));
      }

      async function searchSlugs(q: string): Promise<{ slugs: string[]; degraded: boolean }> {
        const res = await t.request('GET', `/api/search?q=${encodeURIComponent(q)}`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { results: { slug: string }[]; degraded: boolean };
        return { slugs: body.results.map((r) => r.slug), degraded: body.degraded };
      }

      it('happy: writes accepted during vector and graph outages are projected after recovery, with zero drift', async () => {
        // Vectors down: SQL takes the write; the post-write sync fails and backs the row off.
        setVectorStore(faulty(realVectors, 'down'));
        const duringVectors = await post('written-during-vector-outage', 'quokkafoil');
        expect(duringVectors.status).toBe(201);
        await t.settle();
        setVectorStore(realVectors);
        const a = await outboxRow('written-during-vector-outage', 'vectors');
        expect(a).toMatchObject({ status: 'pending' });
        expect(a?.attempts).toBeGreaterThanOrEqual(1);
        expect(a?.last_error).toMatch(/injected fault/);
        expect(new Date(a?.available_at ?? 0).getTime()).toBeGreaterThan(Date.now()); // backing off
        // The text projection does not wait for vectors: full text finds the post during the outage.
        expect((await searchSlugs('quokkafoil')).slugs[0]).toBe('written-during-vector-outage');

        // Graph down: the same for the graph projection.
        setGraphStore(faulty(realGraph, 'down'));
        const duringGraph = await post('written-during-graph-outage', 'marmotrix');
        expect(duringGraph.status).toBe(201);
        await t.settle();
        setGraphStore(realGraph);
        const b = await outboxRow('written-during-graph-outage', 'graph');
        expect(b).toMatchObject({ status: 'pending' });
        expect(b?.last_error).toMatch(/graph/);

        // Both stores are back, but nothing is projected yet: reconcile (dry run) sees the drift.
        const before = await drift(true);
        const byName = Object.fromEntries(before.map((r) => [r.projector, r]));
        expect(Object.keys(byName).sort()).toEqual(['graph', 'text', 'vectors']);
        expect(byName.text).toMatchObject({ missing: 0, stale: 0, orphaned: 0 });
        expect(byName.vectors?.missing).toBeGreaterThan(0);
        expect(byName.graph?.missing).toBeGreaterThan(0);
        expect(await t.request('GET', '/api/graph/related/written-during-graph-outage')).toMatchObject({
          status: 404,
        });

        // The cron job, run once the backoff has passed, projects both writes.
        const later = new Date(Date.now() + 3 * 60 * 60_000);
        const job = await runReindexJob({ sql: t.sql, now: () => later });
        expect(job).toMatchObject({ status: 'ok', retrying: 0, dead: 0 });
        expect(job.status === 'ok' && job.done).toBeGreaterThanOrEqual(2);
        expect(await getOutboxStatus({ db: t.sql.db, now: later })).toMatchObject({ pending: 0, dead: 0 });

        const after = await drift(true);
        for (const r of after) expect(r, r.projector).toMatchObject({ missing: 0, stale: 0, orphaned: 0 });

        const quokka = await searchSlugs('quokkafoil');
        expect(quokka.degraded).toBe(false);
        expect(quokka.slugs[0]).toBe('written-during-vector-outage');
        expect((await searchSlugs('marmotrix')).slugs[0]).toBe('written-during-graph-outage');
        for (const slug of ['written-during-vector-outage', 'written-during-graph-outage']) {
          const nodes = await realGraph.findByKey(slug);
          expect(nodes.map((n) => n.key)).toEqual([slug]);
          expect((await t.request('GET', `/api/graph/related/${slug}`)).status).toBe(200);
        }
      });
    },
  );
