import neo4j, { type Driver, type ManagedTransaction, type Session } from 'neo4j-driver';
import { CYPHER } from './cypher.js';
import {
  CONTENT_LABELS,
  type ConceptExpansion,
  EDGE_TYPES,
  type EdgeType,
  edgeId,
  type GraphEdge,
  type GraphNode,
  type GraphPath,
  type GraphStore,
  MAX_PATH_DEPTH,
  type Neighbourhood,
  NODE_LABELS,
  type NodeLabel,
  type NodeRef,
  nodeId,
  type PrerequisiteClosure,
  type RelatedContent,
} from './types.js';

export interface Neo4jOptions {
  uri: string;
  username?: string | undefined;
  password?: string | undefined;
  database?: string | undefined;
  /** Connect, acquire and retry budgets in ms (default 1000): a down server fails in about a second. */
  timeoutMs?: number;
}

const BATCH = 1000;

/** A link from a node found by the shortest-path search back to the layer before it. */
interface PathLink {
  back: string;
  type: string;
  forward: boolean;
  edge: unknown;
}

/** Byte order, as the embedded adapter's `collate "C"` (slugs are ASCII; uids sort as (label, key)). */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Neo4j through `neo4j-driver`: one driver per store (the store is one per process), a small pool and
 * short timeouts, because `executeQuery`-style retries otherwise go on for 30-54 s against a down
 * server (DESIGN section 6). Every session is closed in `finally`; statements live in cypher.ts.
 */
export class Neo4jGraphStore implements GraphStore {
  readonly name = 'neo4j' as const;
  private readonly driver: Driver;
  private readonly database: string | undefined;

  constructor(options: Neo4jOptions) {
    const timeout = options.timeoutMs ?? 1000;
    const auth =
      options.username !== undefined
        ? neo4j.auth.basic(options.username, options.password ?? '')
        : neo4j.auth.basic('neo4j', options.password ?? '');
    this.driver = neo4j.driver(options.uri, auth, {
      maxConnectionPoolSize: 5,
      // A pooled connection idle for longer than the budget is checked (one RESET round trip) before
      // use, inside the acquisition timeout: a server that hung or a partition since the last request
      // fails in about a second instead of stalling a query until the caller's budget runs out.
      connectionLivenessCheckTimeout: timeout,
      connectionTimeout: timeout,
      connectionAcquisitionTimeout: timeout,
      // One retry at most: the first backoff is about a second, after which this budget is spent.
      maxTransactionRetryTime: Math.round(timeout / 2),
      disableLosslessIntegers: true,
      userAgent: 'polyfolio',
    });
    this.database = options.database;
  }

  private async session<T>(mode: 'READ' | 'WRITE', work: (s: Session) => Promise<T>): Promise<T> {
    const session = this.driver.session({
      defaultAccessMode: mode === 'READ' ? neo4j.session.READ : neo4j.session.WRITE,
      ...(this.database ? { database: this.database } : {}),
    });
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  }

  private read<T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    return this.session('READ', (s) => s.executeRead(work));
  }

  private write<T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    return this.session('WRITE', (s) => s.executeWrite(work));
  }

  async setup(): Promise<void> {
    // Schema statements cannot share a transaction with each other or with writes.
    await this.session('WRITE', async (s) => {
      for (const statement of CYPHER.setup) await s.run(statement);
    });
  }

  async upsertNodes(nodes: GraphNode[]): Promise<void> {
    if (!nodes.length) return;
    await this.write(async (tx) => {
      for (const label of NODE_LABELS) {
        const rows = nodes
          .filter((n) => n.label === label)
          .map((n) => ({
            uid: nodeId(n),
            key: n.key,
            title: n.title,
            sourceId: n.sourceId,
            kind: n.kind ?? null,
          }));
        for (const batch of chunk(rows, BATCH)) await tx.run(CYPHER.mergeNodes[label], { rows: batch });
      }
    });
  }

  async upsertEdges(edges: GraphEdge[]): Promise<void> {
    if (!edges.length) return;
    await this.write((tx) => mergeEdges(tx, edges));
  }

  async deleteNodes(refs: NodeRef[]): Promise<void> {
    if (!refs.length) return;
    await this.write(async (tx) => {
      for (const batch of chunk(refs.map(nodeId), BATCH)) await tx.run(CYPHER.deleteNodes, { uids: batch });
    });
  }

  async deleteEdges(edges: GraphEdge[]): Promise<void> {
    if (!edges.length) return;
    const rows = edges.map((e) => ({ type: e.type, from: nodeId(e.from), to: nodeId(e.to) }));
    await this.write(async (tx) => {
      for (const batch of chunk(rows, BATCH)) await tx.run(CYPHER.deleteEdges, { rows: batch });
    });
  }

  async replaceEdges(input: { nodes: NodeRef[]; edges: GraphEdge[] }): Promise<void> {
    if (!input.nodes.length) return;
    await this.write(async (tx) => {
      await tx.run(CYPHER.deleteEdgesExcept, {
        uids: input.nodes.map(nodeId),
        keep: input.edges.map(edgeId),
      });
      await mergeEdges(tx, input.edges);
    });
  }

  async findBySourceIds(ids: string[]): Promise<GraphNode[]> {
    if (!ids.length) return [];
    const result = await this.read((tx) => tx.run(CYPHER.findBySourceIds, { ids }));
    return result.records.map((r) => toNode(r.get('node')));
  }

  async findByKey(key: string, labels: readonly NodeLabel[] = NODE_LABELS): Promise<GraphNode[]> {
    const uids = labels.map((label) => nodeId({ label, key }));
    const result = await this.read((tx) => tx.run(CYPHER.findByUids, { uids }));
    return result.records.map((r) => toNode(r.get('node')));
  }

  async neighbourhood(input: {
    start: NodeRef;
    depth: number;
    limit: number;
  }): Promise<Neighbourhood | null> {
    // Breadth first, one query per layer: the same order as the embedded adapter (depth, then uid),
    // and no path enumeration around hub nodes.
    return this.read(async (tx) => {
      const startUid = nodeId(input.start);
      const start = await tx.run(CYPHER.findByUids, { uids: [startUid] });
      const first = start.records[0];
      if (!first) return null;
      const nodes: GraphNode[] = [toNode(first.get('node'))];
      const seen = [startUid];
      let frontier = [startUid];
      let truncated = false;
      for (let d = 1; d <= input.depth && frontier.length && !truncated; d++) {
        const room = input.limit - nodes.length;
        const layer = await tx.run(CYPHER.neighbourLayer, { frontier, seen, limit: neo4j.int(room + 1) });
        const found = layer.records.map((r) => toNode(r.get('node')));
        if (found.length > room) truncated = true;
        const kept = found.slice(0, Math.max(room, 0));
        nodes.push(...kept);
        frontier = kept.map(nodeId);
        seen.push(...frontier);
      }
      const edges = await tx.run(CYPHER.edgesAmong, { uids: seen });
      return { nodes, edges: edges.records.map((r) => toEdge(r.get('edge'))), truncated };
    });
  }

  async prerequisiteClosure(input: { slugs: string[] }): Promise<PrerequisiteClosure> {
    if (!input.slugs.length) return { concepts: [], edges: [] };
    const uids = input.slugs.map((key) => nodeId({ label: 'Concept', key }));
    const result = await this.read((tx) => tx.run(CYPHER.prerequisiteClosure, { uids }));
    const concepts: PrerequisiteClosure['concepts'] = [];
    const edges: PrerequisiteClosure['edges'] = [];
    for (const r of result.records) {
      const slug = String(r.get('slug'));
      const title = r.get('title');
      concepts.push({ slug, title: typeof title === 'string' ? title : slug });
      for (const e of r.get('requires') as { to: string; reason: string | null }[])
        edges.push({ from: slug, to: e.to, ...(e.reason ? { reason: e.reason } : {}) });
    }
    return { concepts, edges };
  }

  async relatedContent(input: { from: NodeRef; limit: number }): Promise<RelatedContent[]> {
    const result = await this.read((tx) =>
      tx.run(CYPHER.relatedContent, { uid: nodeId(input.from), limit: neo4j.int(input.limit) }),
    );
    return result.records.map((r) => ({
      node: toNode(r.get('node')),
      score: Number(r.get('score')),
      via: (r.get('via') as { slug: string; title: string | null }[]).map((v) => ({
        slug: v.slug,
        title: v.title ?? v.slug,
      })),
    }));
  }

  async shortestPath(input: { from: NodeRef; to: NodeRef; maxDepth: number }): Promise<GraphPath | null> {
    const from = nodeId(input.from);
    const to = nodeId(input.to);
    const maxDepth = Math.min(input.maxDepth, MAX_PATH_DEPTH);
    // Breadth first from `from`, one query per layer, until `to` is reached; then back from `to`, one
    // hop at a time to a neighbour one layer closer, preferring the smallest (label, key), then edge
    // type, then an edge leaving the nearer node: the embedded adapter's order, so ties agree. (Cypher's
    // shortestPath() returns an arbitrary one of equally short paths.)
    return this.read(async (tx) => {
      const start = await tx.run(CYPHER.findByUids, { uids: [from] });
      const first = start.records[0];
      if (!first) return null;
      const found = new Map<string, { node: GraphNode; links: PathLink[] }>([
        [from, { node: toNode(first.get('node')), links: [] }],
      ]);
      let frontier = [from];
      for (let d = 1; d <= maxDepth && frontier.length && !found.has(to); d++) {
        const layer = await tx.run(CYPHER.pathLayer, { frontier, seen: [...found.keys()] });
        frontier = [];
        for (const r of layer.records) {
          const uid = String(r.get('uid'));
          found.set(uid, { node: toNode(r.get('node')), links: r.get('links') as PathLink[] });
          frontier.push(uid);
        }
      }
      const end = found.get(to);
      if (!end) return null;
      const nodes: GraphNode[] = [end.node];
      const edges: GraphEdge[] = [];
      for (let here = end; here.links.length; ) {
        const [best] = [...here.links].sort(
          (a, b) => cmp(a.back, b.back) || cmp(a.type, b.type) || Number(b.forward) - Number(a.forward),
        );
        const next = best ? found.get(best.back) : undefined;
        if (!best || !next) break;
        edges.push(toEdge(best.edge));
        nodes.push(next.node);
        here = next;
      }
      return { nodes: nodes.reverse(), edges: edges.reverse() };
    });
  }

  async expandConcepts(input: {
    slugs: string[];
    excludeSourceIds: string[];
    limit: number;
  }): Promise<ConceptExpansion> {
    if (!input.slugs.length) return { concepts: [], content: [] };
    return this.read(async (tx) => {
      const uids = input.slugs.map((key) => nodeId({ label: 'Concept', key }));
      const near = await tx.run(CYPHER.conceptNeighbours, { uids });
      const rows = near.records.map((r) => ({ slug: String(r.get('slug')), input: r.get('input') === true }));
      const concepts = rows.map((r) => r.slug);
      if (!concepts.length || input.limit <= 0) return { concepts, content: [] };
      const weighted = rows.map((r) => ({
        uid: nodeId({ label: 'Concept', key: r.slug }),
        weight: r.input ? 1 : 0.5,
      }));
      const result = await tx.run(CYPHER.contentForConcepts, {
        concepts: weighted,
        exclude: input.excludeSourceIds,
        limit: neo4j.int(input.limit),
      });
      return {
        concepts,
        content: result.records.map((r) => {
          const node = toNode(r.get('node'));
          return {
            sourceId: node.sourceId,
            slug: node.key,
            title: node.title,
            kind: node.kind ?? node.label.toLowerCase(),
            via: (r.get('via') as unknown[]).map(String),
          };
        }),
      };
    });
  }

  async listNodes(): Promise<GraphNode[]> {
    const result = await this.read((tx) => tx.run(CYPHER.listNodes));
    return result.records.map((r) => toNode(r.get('node')));
  }

  async listEdges(): Promise<GraphEdge[]> {
    const result = await this.read((tx) => tx.run(CYPHER.listEdges));
    return result.records.map((r) => toEdge(r.get('edge')));
  }

  async clear(): Promise<void> {
    await this.write((tx) => tx.run(CYPHER.clear));
  }

  async ping(): Promise<void> {
    await this.read((tx) => tx.run(CYPHER.ping));
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}

async function mergeEdges(tx: ManagedTransaction, edges: GraphEdge[]): Promise<void> {
  for (const type of EDGE_TYPES) {
    const rows = edges
      .filter((e) => e.type === type)
      .map((e) => ({
        from: nodeId(e.from),
        to: nodeId(e.to),
        reason: e.reason ?? null,
        position: e.position ?? null,
      }));
    for (const batch of chunk(rows, BATCH)) await tx.run(CYPHER.mergeEdges[type], { rows: batch });
  }
}

function toNode(value: unknown): GraphNode {
  const v = (value ?? {}) as Record<string, unknown>;
  const label = (NODE_LABELS as readonly string[]).includes(String(v.label))
    ? (v.label as NodeLabel)
    : 'Content';
  return {
    label,
    key: String(v.slug ?? ''),
    sourceId: typeof v.sourceId === 'string' ? v.sourceId : '',
    title: typeof v.title === 'string' ? v.title : String(v.slug ?? ''),
    ...(typeof v.kind === 'string' ? { kind: v.kind } : {}),
  };
}

function toEdge(value: unknown): GraphEdge {
  const v = (value ?? {}) as Record<string, unknown>;
  return {
    type: String(v.type) as EdgeType,
    from: parseUid(String(v.from)),
    to: parseUid(String(v.to)),
    ...(typeof v.reason === 'string' ? { reason: v.reason } : {}),
    ...(typeof v.position === 'number' ? { position: v.position } : {}),
  };
}

function parseUid(uid: string): NodeRef {
  const i = uid.indexOf(':');
  const label = uid.slice(0, i);
  return {
    label: (NODE_LABELS as readonly string[]).includes(label) ? (label as NodeLabel) : CONTENT_LABELS[2],
    key: uid.slice(i + 1),
  };
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
