import { type SQL, sql } from 'drizzle-orm';
import { atomic, queryRows, type SqlStore } from '../sql/index.js';
import {
  type ConceptExpansion,
  type EdgeType,
  type GraphEdge,
  type GraphNode,
  type GraphPath,
  type GraphStore,
  MAX_PATH_DEPTH,
  type Neighbourhood,
  NODE_LABELS,
  type NodeLabel,
  type NodeRef,
  type PrerequisiteClosure,
  type RelatedContent,
} from './types.js';

/**
 * The embedded graph store: `graph_nodes`/`graph_edges` in the SQL database, traversed with recursive
 * CTEs. Every recursion dedups with UNION on a bounded row shape (node, or node and depth), so cycles
 * end it and it never enumerates paths. Row sets travel as one JSON parameter (`jsonb_to_recordset`),
 * which works the same on PGlite, node-postgres and Neon HTTP.
 */

const BATCH = 500;

type NodeRow = { label: string; key: string; props: Record<string, unknown> };
type EdgeRow = {
  type: string;
  from_label: string;
  from_key: string;
  to_label: string;
  to_key: string;
  props: Record<string, unknown>;
};

export class SqlGraphStore implements GraphStore {
  readonly name = 'sql' as const;
  private readonly store: () => Promise<SqlStore>;

  /** Takes the SQL store, or a getter resolved per call (so a swapped SQL store is picked up). */
  constructor(store: SqlStore | (() => Promise<SqlStore>)) {
    this.store = typeof store === 'function' ? store : async () => store;
  }

  private async rows<T extends Record<string, unknown>>(query: SQL): Promise<T[]> {
    return queryRows<T>((await this.store()).db, query);
  }

  async setup(): Promise<void> {
    // The tables and indexes come with the migrations; check they are there.
    await this.rows(sql`select 1 from graph_nodes limit 0`);
  }

  async upsertNodes(nodes: GraphNode[]): Promise<void> {
    const db = (await this.store()).db;
    for (const batch of chunk(
      dedupe(nodes, (n) => `${n.label}:${n.key}`),
      BATCH,
    )) {
      const rows = batch.map((n) => ({ label: n.label, key: n.key, props: nodeProps(n) }));
      await db.execute(sql`
        insert into graph_nodes (label, key, props, updated_at)
        select r.label, r.key, r.props, now()
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(label text, key text, props jsonb)
        on conflict (label, key) do update set props = excluded.props, updated_at = excluded.updated_at
        where graph_nodes.props is distinct from excluded.props`);
    }
  }

  async upsertEdges(edges: GraphEdge[]): Promise<void> {
    const db = (await this.store()).db;
    for (const batch of chunk(dedupe(edges, edgeKey), BATCH)) await db.execute(insertEdges(batch));
  }

  async deleteNodes(refs: NodeRef[]): Promise<void> {
    if (!refs.length) return;
    const json = refsJson(refs);
    await atomic(await this.store(), (q) => [
      q.execute(sql`
        delete from graph_edges e using jsonb_to_recordset(${json}::jsonb) as n(label text, key text)
        where (e.from_label = n.label and e.from_key = n.key) or (e.to_label = n.label and e.to_key = n.key)`),
      q.execute(sql`
        delete from graph_nodes g using jsonb_to_recordset(${json}::jsonb) as n(label text, key text)
        where g.label = n.label and g.key = n.key`),
    ]);
  }

  async deleteEdges(edges: GraphEdge[]): Promise<void> {
    const db = (await this.store()).db;
    for (const batch of chunk(edges, BATCH)) {
      await db.execute(sql`
        delete from graph_edges e using ${edgeRecordset(batch)}
        where e.type = k.type and e.from_label = k.from_label and e.from_key = k.from_key
          and e.to_label = k.to_label and e.to_key = k.to_key`);
    }
  }

  async replaceEdges(input: { nodes: NodeRef[]; edges: GraphEdge[] }): Promise<void> {
    if (!input.nodes.length) return;
    const edges = dedupe(input.edges, edgeKey);
    await atomic(await this.store(), (q) => [
      q.execute(sql`
        delete from graph_edges e using jsonb_to_recordset(${refsJson(input.nodes)}::jsonb) as n(label text, key text)
        where ((e.from_label = n.label and e.from_key = n.key) or (e.to_label = n.label and e.to_key = n.key))
          and not exists (
            select 1 from ${edgeRecordset(edges)}
            where e.type = k.type and e.from_label = k.from_label and e.from_key = k.from_key
              and e.to_label = k.to_label and e.to_key = k.to_key)`),
      ...(edges.length ? [q.execute(insertEdges(edges))] : []),
    ]);
  }

  async findBySourceIds(ids: string[]): Promise<GraphNode[]> {
    if (!ids.length) return [];
    const rows = await this.rows<NodeRow>(sql`
      select label, key, props from graph_nodes
      where props->>'id' in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))
      order by label collate "C", key collate "C"`);
    return rows.map(toNode);
  }

  async findByKey(key: string, labels: readonly NodeLabel[] = NODE_LABELS): Promise<GraphNode[]> {
    const rows = await this.rows<NodeRow>(sql`
      select label, key, props from graph_nodes
      where key = ${key} and label in (select jsonb_array_elements_text(${JSON.stringify(labels)}::jsonb))
      order by label collate "C"`);
    return rows.map(toNode);
  }

  async neighbourhood(input: {
    start: NodeRef;
    depth: number;
    limit: number;
  }): Promise<Neighbourhood | null> {
    const rows = await this.rows<NodeRow & { depth: number }>(sql`
      with recursive
      adj as (
        select from_label as a_label, from_key as a_key, to_label as b_label, to_key as b_key from graph_edges
        union all
        select to_label, to_key, from_label, from_key from graph_edges
      ),
      walk(label, key, depth) as (
        select label, key, 0 from graph_nodes where label = ${input.start.label} and key = ${input.start.key}
        union
        select adj.b_label, adj.b_key, w.depth + 1
        from walk w join adj on adj.a_label = w.label and adj.a_key = w.key
        where w.depth < ${input.depth}
      ),
      reached as (select label, key, min(depth) as depth from walk group by label, key)
      select n.label, n.key, n.props, r.depth
      from reached r join graph_nodes n on n.label = r.label and n.key = r.key
      order by r.depth, n.label collate "C", n.key collate "C"
      limit ${input.limit + 1}`);
    if (!rows.length) return null;
    const nodes = rows.slice(0, input.limit).map(toNode);
    const edgeRows = await this.rows<EdgeRow>(sql`
      select e.type, e.from_label, e.from_key, e.to_label, e.to_key, e.props
      from graph_edges e
      join jsonb_to_recordset(${refsJson(nodes)}::jsonb) as a(label text, key text)
        on a.label = e.from_label and a.key = e.from_key
      join jsonb_to_recordset(${refsJson(nodes)}::jsonb) as b(label text, key text)
        on b.label = e.to_label and b.key = e.to_key
      ${ORDER_EDGES}`);
    return { nodes, edges: edgeRows.map(toEdge), truncated: rows.length > input.limit };
  }

  async prerequisiteClosure(input: { slugs: string[] }): Promise<PrerequisiteClosure> {
    if (!input.slugs.length) return { concepts: [], edges: [] };
    // UNION on the slug alone: each concept enters once, so a cycle simply adds nothing new.
    const rows = await this.rows<{ slug: string; title: string | null; requires: unknown }>(sql`
      with recursive closure(key) as (
        select key from graph_nodes
        where label = 'Concept' and key in (select jsonb_array_elements_text(${JSON.stringify(input.slugs)}::jsonb))
        union
        select e.to_key from closure c
        join graph_edges e on e.type = 'REQUIRES' and e.from_label = 'Concept' and e.from_key = c.key
          and e.to_label = 'Concept'
      )
      select n.key as slug, n.props->>'title' as title,
        coalesce((
          select jsonb_agg(jsonb_build_object('to', e.to_key, 'reason', e.props->>'reason') order by e.to_key collate "C")
          from graph_edges e join graph_nodes t on t.label = 'Concept' and t.key = e.to_key
          where e.type = 'REQUIRES' and e.from_label = 'Concept' and e.from_key = n.key and e.to_label = 'Concept'
        ), '[]'::jsonb) as requires
      from closure c join graph_nodes n on n.label = 'Concept' and n.key = c.key
      order by n.key collate "C"`);
    const concepts = rows.map((r) => ({ slug: r.slug, title: r.title ?? r.slug }));
    const edges = rows.flatMap((r) =>
      parseJsonArray<{ to: string; reason: string | null }>(r.requires).map((e) => ({
        from: r.slug,
        to: e.to,
        ...(e.reason ? { reason: e.reason } : {}),
      })),
    );
    return { concepts, edges };
  }

  async relatedContent(input: { from: NodeRef; limit: number }): Promise<RelatedContent[]> {
    const rows = await this.rows<NodeRow & { score: number; via: unknown }>(sql`
      select b.from_label as label, b.from_key as key, n.props,
        sum((case when a.type = 'COVERS' then 1.0 else 0.5 end) * (case when b.type = 'COVERS' then 1.0 else 0.5 end))::float8 as score,
        jsonb_agg(jsonb_build_object('slug', c.key, 'title', c.props->>'title') order by c.key collate "C") as via
      from graph_edges a
      join graph_edges b on b.to_label = 'Concept' and b.to_key = a.to_key and b.type in ('COVERS', 'MENTIONS')
      join graph_nodes n on n.label = b.from_label and n.key = b.from_key
      join graph_nodes c on c.label = 'Concept' and c.key = a.to_key
      where a.from_label = ${input.from.label} and a.from_key = ${input.from.key}
        and a.type in ('COVERS', 'MENTIONS') and a.to_label = 'Concept'
        and not (b.from_label = ${input.from.label} and b.from_key = ${input.from.key})
      group by b.from_label, b.from_key, n.props
      order by score desc, count(*) desc, b.from_key collate "C", b.from_label collate "C"
      limit ${input.limit}`);
    return rows.map((r) => ({
      node: toNode(r),
      score: Number(r.score),
      via: parseJsonArray<{ slug: string; title: string | null }>(r.via).map((v) => ({
        slug: v.slug,
        title: v.title ?? v.slug,
      })),
    }));
  }

  async shortestPath(input: { from: NodeRef; to: NodeRef; maxDepth: number }): Promise<GraphPath | null> {
    const maxDepth = Math.min(input.maxDepth, MAX_PATH_DEPTH);
    // Distances first (rows bounded by nodes x depth), then walk back from the target one hop at a
    // time to a neighbour one step closer, preferring the smallest (label, key): deterministic.
    const rows = await this.rows<
      NodeRow & { depth: number; etype: string | null; eprops: unknown; forward: boolean | null }
    >(sql`
      with recursive
      adj as (
        select from_label as a_label, from_key as a_key, to_label as b_label, to_key as b_key, type, props, true as forward
        from graph_edges
        union all
        select to_label, to_key, from_label, from_key, type, props, false from graph_edges
      ),
      walk(label, key, depth) as (
        select label, key, 0 from graph_nodes where label = ${input.from.label} and key = ${input.from.key}
        union
        select adj.b_label, adj.b_key, w.depth + 1
        from walk w join adj on adj.a_label = w.label and adj.a_key = w.key
        join graph_nodes x on x.label = adj.b_label and x.key = adj.b_key
        where w.depth < ${maxDepth}
      ),
      dist as materialized (select label, key, min(depth) as depth from walk group by label, key),
      back(label, key, depth, etype, eprops, forward) as (
        select label, key, depth, null::text, null::jsonb, null::boolean
        from dist where label = ${input.to.label} and key = ${input.to.key}
        union all
        select s.b_label, s.b_key, s.depth, s.type, s.props, s.forward
        from back k cross join lateral (
          select adj.b_label, adj.b_key, d.depth, adj.type, adj.props, adj.forward
          from adj join dist d on d.label = adj.b_label and d.key = adj.b_key
          where adj.a_label = k.label and adj.a_key = k.key and d.depth = k.depth - 1
          order by adj.b_label collate "C", adj.b_key collate "C", adj.type collate "C", adj.forward desc
          limit 1
        ) s
        where k.depth > 0
      )
      select b.label, b.key, n.props, b.depth, b.etype, b.eprops, b.forward
      from back b join graph_nodes n on n.label = b.label and n.key = b.key
      order by b.depth`);
    if (!rows.length) return null;
    const nodes = rows.map(toNode);
    const edges: GraphEdge[] = [];
    // Row i carries the edge by which the walk back reached node i from node i+1.
    for (let i = 0; i + 1 < rows.length; i++) {
      const row = rows[i];
      const here = nodes[i];
      const next = nodes[i + 1];
      if (!row || !here || !next || !row.etype) continue;
      const props = parseJsonObject(row.eprops);
      const [from, to] = row.forward ? [next, here] : [here, next];
      edges.push(edgeFrom(row.etype, ref(from), ref(to), props));
    }
    return { nodes, edges };
  }

  async expandConcepts(input: {
    slugs: string[];
    excludeSourceIds: string[];
    limit: number;
  }): Promise<ConceptExpansion> {
    if (!input.slugs.length) return { concepts: [], content: [] };
    const conceptRows = await this.rows<{ key: string; input: boolean }>(sql`
      with input as (
        select key from graph_nodes
        where label = 'Concept' and key in (select jsonb_array_elements_text(${JSON.stringify(input.slugs)}::jsonb))
      ),
      near as (
        select key, true as input from input
        union
        select e.to_key, false from graph_edges e join input i on e.from_label = 'Concept' and e.from_key = i.key
        join graph_nodes n on n.label = 'Concept' and n.key = e.to_key
        where e.to_label = 'Concept'
        union
        select e.from_key, false from graph_edges e join input i on e.to_label = 'Concept' and e.to_key = i.key
        join graph_nodes n on n.label = 'Concept' and n.key = e.from_key
        where e.from_label = 'Concept'
      )
      select key, bool_or(input) as input from near group by key order by key collate "C"`);
    const concepts = conceptRows.map((r) => r.key);
    if (!concepts.length || input.limit <= 0) return { concepts, content: [] };
    const weights = conceptRows.map((r) => ({ key: r.key, weight: r.input ? 1 : 0.5 }));
    const rows = await this.rows<NodeRow & { score: number; via: unknown }>(sql`
      select n.label, n.key, n.props,
        sum(c.weight * (case when e.type = 'COVERS' then 1.0 else 0.5 end))::float8 as score,
        jsonb_agg(e.to_key order by e.to_key collate "C") as via
      from jsonb_to_recordset(${JSON.stringify(weights)}::jsonb) as c(key text, weight float8)
      join graph_edges e on e.to_label = 'Concept' and e.to_key = c.key and e.type in ('COVERS', 'MENTIONS')
      join graph_nodes n on n.label = e.from_label and n.key = e.from_key
      where coalesce(n.props->>'id', '') not in (
        select jsonb_array_elements_text(${JSON.stringify(input.excludeSourceIds)}::jsonb))
      group by n.label, n.key, n.props
      order by score desc, n.key collate "C", n.label collate "C"
      limit ${input.limit}`);
    return {
      concepts,
      content: rows.map((r) => {
        const node = toNode(r);
        return {
          sourceId: node.sourceId,
          slug: node.key,
          title: node.title,
          kind: node.kind ?? node.label.toLowerCase(),
          via: parseJsonArray<string>(r.via),
        };
      }),
    };
  }

  async listNodes(): Promise<GraphNode[]> {
    const rows = await this.rows<NodeRow>(
      sql`select label, key, props from graph_nodes order by label collate "C", key collate "C"`,
    );
    return rows.map(toNode);
  }

  async listEdges(): Promise<GraphEdge[]> {
    const rows = await this.rows<EdgeRow>(
      sql`select type, from_label, from_key, to_label, to_key, props from graph_edges e ${ORDER_EDGES}`,
    );
    return rows.map(toEdge);
  }

  async clear(): Promise<void> {
    await atomic(await this.store(), (q) => [
      q.execute(sql`delete from graph_edges where true`),
      q.execute(sql`delete from graph_nodes where true`),
    ]);
  }

  async ping(): Promise<void> {
    await this.rows(sql`select 1 from graph_nodes limit 1`);
  }

  async close(): Promise<void> {
    // The SQL store is owned by its getter; nothing of ours to close.
  }
}

const ORDER_EDGES = sql`order by e.type collate "C", e.from_label collate "C", e.from_key collate "C", e.to_label collate "C", e.to_key collate "C"`;

function insertEdges(edges: GraphEdge[]): SQL {
  return sql`
    insert into graph_edges (type, from_label, from_key, to_label, to_key, props, updated_at)
    select k.type, k.from_label, k.from_key, k.to_label, k.to_key, k.props, now()
    from ${edgeRecordset(edges)}
    where exists (select 1 from graph_nodes a where a.label = k.from_label and a.key = k.from_key)
      and exists (select 1 from graph_nodes b where b.label = k.to_label and b.key = k.to_key)
    on conflict (from_label, from_key, type, to_label, to_key)
    do update set props = excluded.props, updated_at = excluded.updated_at
    where graph_edges.props is distinct from excluded.props`;
}

/** `jsonb_to_recordset(...) as k(type, from_label, from_key, to_label, to_key, props)`. */
function edgeRecordset(edges: GraphEdge[]): SQL {
  const rows = edges.map((e) => ({
    type: e.type,
    from_label: e.from.label,
    from_key: e.from.key,
    to_label: e.to.label,
    to_key: e.to.key,
    props: edgeProps(e),
  }));
  return sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
    as k(type text, from_label text, from_key text, to_label text, to_key text, props jsonb)`;
}

function refsJson(refs: NodeRef[]): string {
  return JSON.stringify(refs.map((r) => ({ label: r.label, key: r.key })));
}

function nodeProps(n: GraphNode): Record<string, unknown> {
  return { id: n.sourceId, title: n.title, ...(n.kind ? { kind: n.kind } : {}) };
}

function edgeProps(e: GraphEdge): Record<string, unknown> {
  return {
    ...(e.reason != null ? { reason: e.reason } : {}),
    ...(e.position != null ? { position: e.position } : {}),
  };
}

function toNode(r: NodeRow): GraphNode {
  const props = parseJsonObject(r.props);
  const kind = typeof props.kind === 'string' ? props.kind : undefined;
  return {
    label: r.label as NodeLabel,
    key: r.key,
    sourceId: typeof props.id === 'string' ? props.id : '',
    title: typeof props.title === 'string' ? props.title : r.key,
    ...(kind ? { kind } : {}),
  };
}

function toEdge(r: EdgeRow): GraphEdge {
  return edgeFrom(
    r.type,
    { label: r.from_label as NodeLabel, key: r.from_key },
    { label: r.to_label as NodeLabel, key: r.to_key },
    parseJsonObject(r.props),
  );
}

function edgeFrom(type: string, from: NodeRef, to: NodeRef, props: Record<string, unknown>): GraphEdge {
  return {
    type: type as EdgeType,
    from,
    to,
    ...(typeof props.reason === 'string' ? { reason: props.reason } : {}),
    ...(typeof props.position === 'number' ? { position: props.position } : {}),
  };
}

function ref(n: NodeRef): NodeRef {
  return { label: n.label, key: n.key };
}

function edgeKey(e: GraphEdge): string {
  return `${e.type}|${e.from.label}:${e.from.key}|${e.to.label}:${e.to.key}`;
}

/** Drivers return jsonb parsed, except where a value went through text; accept both. */
function parseJsonObject(value: unknown): Record<string, unknown> {
  const v = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function parseJsonArray<T>(value: unknown): T[] {
  const v = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  return Array.isArray(v) ? (v as T[]) : [];
}

/** Keeps the last of each key, so a batch never touches a row twice (ON CONFLICT forbids it). */
function dedupe<T>(items: T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((i) => [key(i), i])).values()];
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
