/**
 * The graph store port: a projection of SQL (concepts, content and their relations) into Neo4j or the
 * embedded `graph_*` tables. Nodes are keyed by label and slug; every write is idempotent (MERGE
 * semantics), so outbox replays are harmless.
 */

export const NODE_LABELS = ['Concept', 'Course', 'Lesson', 'Content'] as const;
export type NodeLabel = (typeof NODE_LABELS)[number];
/** Labels that hold rows of the `content` table. */
export const CONTENT_LABELS = ['Course', 'Lesson', 'Content'] as const satisfies readonly NodeLabel[];

export const EDGE_TYPES = ['REQUIRES', 'COVERS', 'MENTIONS', 'PART_OF', 'RELATED_TO'] as const;
export type EdgeType = (typeof EDGE_TYPES)[number];

/** A node's identity. */
export interface NodeRef {
  label: NodeLabel;
  /** The slug. */
  key: string;
}

export interface GraphNode extends NodeRef {
  /** The SQL row's id (concept or content uuid), so deletes by id find the node. */
  sourceId: string;
  title: string;
  /** Content kind (project, post, course, lesson, page); absent on concepts. */
  kind?: string;
}

/** A typed, directed edge; `reason` on REQUIRES, `position` on PART_OF. */
export interface GraphEdge {
  type: EdgeType;
  from: NodeRef;
  to: NodeRef;
  reason?: string;
  position?: number;
}

export interface Neighbourhood {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** True when the node cap cut the neighbourhood short. */
  truncated: boolean;
}

/** The transitive REQUIRES closure of some concepts: every concept reached, with its REQUIRES edges. */
export interface PrerequisiteClosure {
  /** The start concepts that exist, then everything they require, transitively. */
  concepts: { slug: string; title: string }[];
  /** Every REQUIRES edge between concepts of the closure (`from` requires `to`). */
  edges: { from: string; to: string; reason?: string }[];
}

export interface RelatedContent {
  node: GraphNode;
  /** Shared concepts; the ranking counts them (COVERS on both sides weighs more than MENTIONS). */
  score: number;
  via: { slug: string; title: string }[];
}

export interface GraphPath {
  /** From the start to the end node. */
  nodes: GraphNode[];
  /** `edges[i]` joins `nodes[i]` and `nodes[i+1]`, in either direction (see `from`/`to`). */
  edges: GraphEdge[];
}

export interface ConceptExpansion {
  /** The input concepts that exist plus their 1-hop concept neighbours (any relation), sorted. */
  concepts: string[];
  /** Content covering or mentioning those concepts, most links first. */
  content: { sourceId: string; slug: string; title: string; kind: string; via: string[] }[];
}

/** Deepest REQUIRES chain the closure follows; longer chains are cut, never looped on. */
export const MAX_CLOSURE_DEPTH = 64;
/** Longest chain the shortest-path search looks for. */
export const MAX_PATH_DEPTH = 8;

export interface GraphStore {
  readonly name: 'sql' | 'neo4j';
  /** Creates constraints and indexes; idempotent. */
  setup(): Promise<void>;
  /** Creates or updates nodes (by label and key). */
  upsertNodes(nodes: GraphNode[]): Promise<void>;
  /** Creates or updates edges; edges whose end nodes do not exist are skipped. */
  upsertEdges(edges: GraphEdge[]): Promise<void>;
  /** Deletes nodes and every edge touching them. */
  deleteNodes(refs: NodeRef[]): Promise<void>;
  deleteEdges(edges: GraphEdge[]): Promise<void>;
  /**
   * Makes `edges` the complete set of edges touching `nodes` (either direction): others touching them
   * are deleted and these are merged, atomically. Edges to nodes that do not exist yet are skipped.
   */
  replaceEdges(input: { nodes: NodeRef[]; edges: GraphEdge[] }): Promise<void>;
  /** Nodes projected from these SQL ids (any label). */
  findBySourceIds(ids: string[]): Promise<GraphNode[]>;
  /** Nodes with this key, under any of `labels` (all labels by default). */
  findByKey(key: string, labels?: readonly NodeLabel[]): Promise<GraphNode[]>;
  /** Nodes within `depth` hops (any relation, either direction), breadth first, at most `limit` nodes. */
  neighbourhood(input: { start: NodeRef; depth: number; limit: number }): Promise<Neighbourhood | null>;
  /** The REQUIRES closure of these concepts (bounded by MAX_CLOSURE_DEPTH, cycle-safe). */
  prerequisiteClosure(input: { slugs: string[] }): Promise<PrerequisiteClosure>;
  /** Content sharing concepts with `from` (excluding itself), ranked by shared concepts. */
  relatedContent(input: { from: NodeRef; limit: number }): Promise<RelatedContent[]>;
  /** A shortest chain of relations (undirected, any type), or null when none within `maxDepth`. */
  shortestPath(input: { from: NodeRef; to: NodeRef; maxDepth: number }): Promise<GraphPath | null>;
  /** One-hop concept neighbours of these concepts and the content covering or mentioning them. */
  expandConcepts(input: {
    slugs: string[];
    excludeSourceIds: string[];
    limit: number;
  }): Promise<ConceptExpansion>;
  /** Every node and edge, for reconcile. */
  listNodes(): Promise<GraphNode[]>;
  listEdges(): Promise<GraphEdge[]>;
  /** Drops every node and edge (tests; a full rebuild does not need it). */
  clear(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** `Label:key`, the id nodes carry in API responses (and `uid` in Neo4j). */
export function nodeId(ref: NodeRef): string {
  return `${ref.label}:${ref.key}`;
}

/** Identity of an edge, for set comparisons. */
export function edgeId(e: Pick<GraphEdge, 'type' | 'from' | 'to'>): string {
  return `${e.type}|${nodeId(e.from)}|${nodeId(e.to)}`;
}
