import {
  CONTENT_LABELS,
  type GraphEdge,
  type GraphNode,
  MAX_PATH_DEPTH,
  type NodeLabel,
  nodeId,
} from '../stores/graph/types.js';
import { withGraph } from './errors.js';
import { type LearningPath, learningPath } from './path.js';

/**
 * The graph reads behind /api/graph/*, free of HTTP. Store failures surface as GraphUnavailableError;
 * `null` means the start node does not exist.
 */

/** Largest neighbourhood returned; the response says when it was cut. */
export const NEIGHBOURHOOD_CAP = 200;

export interface ViewNode {
  /** `Label:slug`, unique in the graph. */
  id: string;
  label: NodeLabel;
  key: string;
  title: string;
  kind?: string;
}

export interface ViewEdge {
  source: string;
  target: string;
  type: GraphEdge['type'];
  reason?: string;
  position?: number;
}

export function toViewNode(n: GraphNode): ViewNode {
  return { id: nodeId(n), label: n.label, key: n.key, title: n.title, ...(n.kind ? { kind: n.kind } : {}) };
}

export function toViewEdge(e: GraphEdge): ViewEdge {
  return {
    source: nodeId(e.from),
    target: nodeId(e.to),
    type: e.type,
    ...(e.reason !== undefined ? { reason: e.reason } : {}),
    ...(e.position !== undefined ? { position: e.position } : {}),
  };
}

export async function getConceptNeighbourhood(input: { slug: string; depth: number }) {
  const n = await withGraph((g) =>
    g.neighbourhood({
      start: { label: 'Concept', key: input.slug },
      depth: input.depth,
      limit: NEIGHBOURHOOD_CAP,
    }),
  );
  if (!n) return null;
  return {
    center: nodeId({ label: 'Concept', key: input.slug }),
    depth: input.depth,
    nodes: n.nodes.map(toViewNode),
    edges: n.edges.map(toViewEdge),
    truncated: n.truncated,
    cap: NEIGHBOURHOOD_CAP,
  };
}

export async function getLearningPath(input: { to: string; known: string[] }): Promise<LearningPath | null> {
  const closure = await withGraph((g) => g.prerequisiteClosure({ slugs: [input.to, ...input.known] }));
  return learningPath(closure, input.to, input.known);
}

/** Content related to a content item through shared concepts. */
export async function getRelatedContent(input: { slug: string; limit: number }) {
  const found = await withGraph((g) => g.findByKey(input.slug, CONTENT_LABELS));
  const from = found[0];
  if (!from) return null;
  const related = await withGraph((g) => g.relatedContent({ from, limit: input.limit }));
  return {
    item: toViewNode(from),
    related: related.map((r) => ({ ...toViewNode(r.node), score: r.score, via: r.via })),
  };
}

/**
 * A node named by a slug: `concept:<slug>` or `content:<slug>` say which; a bare slug is the concept
 * when one exists, else the content item (content slugs are unique across kinds).
 */
export function parseNodeName(name: string): { slug: string; labels: readonly NodeLabel[] } {
  if (name.startsWith('concept:')) return { slug: name.slice(8), labels: ['Concept'] };
  if (name.startsWith('content:')) return { slug: name.slice(8), labels: CONTENT_LABELS };
  return { slug: name, labels: ['Concept', ...CONTENT_LABELS] };
}

export async function getShortestPath(input: { from: string; to: string }) {
  const from = parseNodeName(input.from);
  const to = parseNodeName(input.to);
  const [a, b] = await withGraph((g) =>
    Promise.all([g.findByKey(from.slug, from.labels), g.findByKey(to.slug, to.labels)]),
  );
  // findByKey sorts by label, and 'Concept' sorts first: a bare slug prefers the concept.
  const start = a?.[0];
  const end = b?.[0];
  if (!start || !end) return { missing: !start ? input.from : input.to } as const;
  const path = await withGraph((g) => g.shortestPath({ from: start, to: end, maxDepth: MAX_PATH_DEPTH }));
  return {
    from: toViewNode(start),
    to: toViewNode(end),
    maxDepth: MAX_PATH_DEPTH,
    length: path ? path.edges.length : null,
    nodes: path ? path.nodes.map(toViewNode) : [],
    edges: path ? path.edges.map(toViewEdge) : [],
  };
}
