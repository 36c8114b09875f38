import { getGraphStore } from '../stores/graph/index.js';
import { edgeId, type GraphEdge, type GraphNode, type GraphStore, nodeId } from '../stores/graph/types.js';
import type { DriftReport, OutboxEvent, Projector, ProjectorStats, SyncContext } from '../sync/types.js';
import { loadEdges, loadNodes } from './model.js';

/** Nodes or edges written per store call during rebuild and repair (progress moves between them). */
const BATCH = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Projects SQL into the graph store. For each entity in a batch it reads the current SQL row: a row
 * that is gone deletes the node (found by its SQL id, since the slug is gone too); a row that exists is
 * merged, a node left under an old slug or label (rename, kind change) is deleted, and every edge
 * touching the node is replaced by the SQL set, so removed relations disappear and renamed neighbours
 * are re-linked. All of it is idempotent, so redelivered events are harmless.
 */
export function createGraphProjector(deps: { graph?: () => Promise<GraphStore> } = {}): Projector {
  const graph = deps.graph ?? getGraphStore;

  return {
    name: 'graph',

    async apply(events: OutboxEvent[], ctx: SyncContext): Promise<ProjectorStats> {
      const ids = (entity: OutboxEvent['entity']) => [
        ...new Set(events.filter((e) => e.entity === entity).map((e) => e.entityId)),
      ];
      const conceptIds = ids('concept');
      const contentIds = ids('content');
      const scope = {
        conceptIds: conceptIds.filter((id) => UUID.test(id)),
        contentIds: contentIds.filter((id) => UUID.test(id)),
      };
      const db = ctx.sql.db;
      const [nodes, edges] = await Promise.all([loadNodes(db, scope), loadEdges(db, scope)]);
      const store = await graph();
      const existing = await store.findBySourceIds([...conceptIds, ...contentIds]);
      const wanted = new Map(nodes.map((n) => [n.sourceId, nodeId(n)]));
      const stale = existing.filter((n) => wanted.get(n.sourceId) !== nodeId(n));
      const stats = { nodesUpserted: nodes.length, nodesDeleted: stale.length, edgesReplaced: edges.length };
      if (ctx.dryRun) return stats;
      await store.deleteNodes(stale);
      await store.upsertNodes(nodes);
      await store.replaceEdges({ nodes, edges });
      return stats;
    },

    async rebuild(ctx: SyncContext): Promise<ProjectorStats> {
      const store = await graph();
      const db = ctx.sql.db;
      const [nodes, edges] = await Promise.all([loadNodes(db, 'all'), loadEdges(db, 'all')]);
      if (ctx.dryRun) return { nodesUpserted: nodes.length, edgesUpserted: edges.length };
      await store.setup();
      const total = nodes.length + edges.length;
      let done = 0;
      for (const batch of chunk(nodes, BATCH)) {
        await store.upsertNodes(batch);
        done += batch.length;
        ctx.progress?.(done, total, 'graph nodes');
      }
      for (const batch of chunk(edges, BATCH)) {
        await store.upsertEdges(batch);
        done += batch.length;
        ctx.progress?.(done, total, 'graph edges');
      }
      // What SQL no longer has goes last, so the graph is never emptier than the truth meanwhile.
      const orphans = await findOrphans(store, nodes, edges);
      await store.deleteEdges(orphans.edges);
      await store.deleteNodes(orphans.nodes);
      return {
        nodesUpserted: nodes.length,
        edgesUpserted: edges.length,
        nodesDeleted: orphans.nodes.length,
        edgesDeleted: orphans.edges.length,
      };
    },

    async reconcile(ctx: SyncContext): Promise<DriftReport> {
      const store = await graph();
      const db = ctx.sql.db;
      const [nodes, edges, haveNodes, haveEdges] = await Promise.all([
        loadNodes(db, 'all'),
        loadEdges(db, 'all'),
        store.listNodes(),
        store.listEdges(),
      ]);
      const nodeDiff = diff(nodes, haveNodes, nodeId, nodeSignature);
      const edgeDiff = diff(edges, haveEdges, edgeId, edgeSignature);
      const examples = [
        ...nodeDiff.missing.slice(0, 3).map((n) => `missing node ${nodeId(n)}`),
        ...nodeDiff.stale.slice(0, 3).map((n) => `stale node ${nodeId(n)}`),
        ...nodeDiff.orphaned.slice(0, 3).map((n) => `orphaned node ${nodeId(n)}`),
        ...edgeDiff.missing.slice(0, 3).map((e) => `missing edge ${edgeId(e)}`),
        ...edgeDiff.stale.slice(0, 3).map((e) => `stale edge ${edgeId(e)}`),
        ...edgeDiff.orphaned.slice(0, 3).map((e) => `orphaned edge ${edgeId(e)}`),
      ];
      const missing = nodeDiff.missing.length + edgeDiff.missing.length;
      const stale = nodeDiff.stale.length + edgeDiff.stale.length;
      const orphaned = nodeDiff.orphaned.length + edgeDiff.orphaned.length;
      const drift = missing + stale + orphaned > 0;
      if (drift && !ctx.dryRun) {
        await store.deleteEdges(edgeDiff.orphaned);
        await store.deleteNodes(nodeDiff.orphaned);
        await store.upsertNodes([...nodeDiff.missing, ...nodeDiff.stale]);
        await store.upsertEdges([...edgeDiff.missing, ...edgeDiff.stale]);
      }
      return { projector: 'graph', missing, stale, orphaned, repaired: drift && !ctx.dryRun, examples };
    },
  };
}

async function findOrphans(
  store: GraphStore,
  nodes: GraphNode[],
  edges: GraphEdge[],
): Promise<{ nodes: GraphNode[]; edges: GraphEdge[] }> {
  const [haveNodes, haveEdges] = await Promise.all([store.listNodes(), store.listEdges()]);
  const wantNodes = new Set(nodes.map(nodeId));
  const wantEdges = new Set(edges.map(edgeId));
  return {
    nodes: haveNodes.filter((n) => !wantNodes.has(nodeId(n))),
    edges: haveEdges.filter((e) => !wantEdges.has(edgeId(e))),
  };
}

/** Splits desired vs actual into missing (absent), stale (present, different) and orphaned (extra). */
function diff<T>(want: T[], have: T[], id: (x: T) => string, signature: (x: T) => string) {
  const haveById = new Map(have.map((h) => [id(h), h]));
  const wantIds = new Set(want.map(id));
  const missing: T[] = [];
  const stale: T[] = [];
  for (const w of want) {
    const h = haveById.get(id(w));
    if (!h) missing.push(w);
    else if (signature(h) !== signature(w)) stale.push(w);
  }
  return { missing, stale, orphaned: have.filter((h) => !wantIds.has(id(h))) };
}

function nodeSignature(n: GraphNode): string {
  return JSON.stringify([n.title, n.sourceId, n.kind ?? null]);
}

function edgeSignature(e: GraphEdge): string {
  return JSON.stringify([e.reason ?? null, e.position ?? null]);
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
