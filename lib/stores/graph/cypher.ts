import { EDGE_TYPES, type EdgeType, MAX_CLOSURE_DEPTH, NODE_LABELS, type NodeLabel } from './types.js';

/**
 * Every Cypher statement the Neo4j adapter runs, in one place, all parameterised. Labels, relationship
 * types and path bounds cannot be parameters in Cypher, so the few statements that need them are built
 * here from the closed sets in types.ts, never from input. Every node carries the `Entity` label and
 * `uid` = "Label:slug" (unique), so edges and lookups match one indexed property whatever the label.
 * tests/unit/cypher-syntax.test.ts parses each statement with Neo4j's own parser.
 */

/** `node {...}` projection every read returns, in the shape `toNode` in neo4j.ts expects. */
const node = (v: string) =>
  `${v} {.slug, .title, .sourceId, .kind, label: head([l IN labels(${v}) WHERE l <> 'Entity'])}`;

const edge = (r: string) =>
  `{type: type(${r}), from: startNode(${r}).uid, to: endNode(${r}).uid, reason: ${r}.reason, position: ${r}.position}`;

const perLabel = (build: (label: NodeLabel) => string) =>
  Object.fromEntries(NODE_LABELS.map((l) => [l, build(l)])) as Record<NodeLabel, string>;
const perType = (build: (type: EdgeType) => string) =>
  Object.fromEntries(EDGE_TYPES.map((t) => [t, build(t)])) as Record<EdgeType, string>;

export const CYPHER = {
  setup: [
    'CREATE CONSTRAINT entity_uid IF NOT EXISTS FOR (n:Entity) REQUIRE n.uid IS UNIQUE',
    'CREATE INDEX entity_source_id IF NOT EXISTS FOR (n:Entity) ON (n.sourceId)',
    'CREATE INDEX concept_slug IF NOT EXISTS FOR (n:Concept) ON (n.slug)',
  ],

  ping: 'RETURN 1 AS ok',

  /** `$rows`: [{uid, key, title, sourceId, kind}]; kind null removes the property. */
  mergeNodes: perLabel(
    (label) => `UNWIND $rows AS row
MERGE (n:Entity {uid: row.uid})
SET n:${label}, n.slug = row.key, n.title = row.title, n.sourceId = row.sourceId, n.kind = row.kind`,
  ),

  /** `$rows`: [{from, to, reason, position}] (uids); edges whose ends are missing match nothing. */
  mergeEdges: perType(
    (type) => `UNWIND $rows AS row
MATCH (a:Entity {uid: row.from})
MATCH (b:Entity {uid: row.to})
MERGE (a)-[r:${type}]->(b)
SET r.reason = row.reason, r.position = row.position`,
  ),

  /** `$uids` */
  deleteNodes: `UNWIND $uids AS uid
MATCH (n:Entity {uid: uid})
DETACH DELETE n`,

  /** `$rows`: [{type, from, to}] */
  deleteEdges: `UNWIND $rows AS row
MATCH (:Entity {uid: row.from})-[r]->(:Entity {uid: row.to})
WHERE type(r) = row.type
DELETE r`,

  /** `$uids`, `$keep`: edge ids "TYPE|fromUid|toUid" to leave in place. */
  deleteEdgesExcept: `UNWIND $uids AS uid
MATCH (:Entity {uid: uid})-[r]-(:Entity)
WITH DISTINCT r
WHERE NOT (type(r) + '|' + startNode(r).uid + '|' + endNode(r).uid) IN $keep
DELETE r`,

  /** `$ids` */
  findBySourceIds: `MATCH (n:Entity)
WHERE n.sourceId IN $ids
RETURN ${node('n')} AS node
ORDER BY n.uid`,

  /** `$uids` */
  findByUids: `MATCH (n:Entity)
WHERE n.uid IN $uids
RETURN ${node('n')} AS node
ORDER BY n.uid`,

  /** One breadth-first layer. `$frontier`, `$seen` (uids), `$limit` (integer). */
  neighbourLayer: `UNWIND $frontier AS uid
MATCH (:Entity {uid: uid})-[]-(b:Entity)
WHERE NOT b.uid IN $seen
WITH DISTINCT b
RETURN ${node('b')} AS node
ORDER BY b.uid
LIMIT $limit`,

  /** `$uids`: edges with both ends among these nodes. */
  edgesAmong: `MATCH (a:Entity)-[r]->(b:Entity)
WHERE a.uid IN $uids AND b.uid IN $uids
RETURN ${edge('r')} AS edge
ORDER BY edge.type, edge.from, edge.to`,

  /**
   * `$uids` of start concepts. DISTINCT end nodes let the planner prune the variable-length expansion
   * (breadth first) instead of enumerating paths; the bound keeps even a cyclic graph finite.
   */
  prerequisiteClosure: `MATCH (s:Concept:Entity)
WHERE s.uid IN $uids
OPTIONAL MATCH (s)-[:REQUIRES*1..${MAX_CLOSURE_DEPTH}]->(p:Concept)
WITH collect(DISTINCT s) + collect(DISTINCT p) AS found
UNWIND found AS c
WITH DISTINCT c
OPTIONAL MATCH (c)-[r:REQUIRES]->(d:Concept)
WITH c, r, d
ORDER BY d.slug
RETURN c.slug AS slug, c.title AS title,
  collect(CASE WHEN d IS NULL THEN NULL ELSE {to: d.slug, reason: r.reason} END) AS requires
ORDER BY slug`,

  /** `$uid`, `$limit` (integer). Weights match the embedded adapter: COVERS 1, MENTIONS 0.5, multiplied. */
  relatedContent: `MATCH (s:Entity {uid: $uid})-[a:COVERS|MENTIONS]->(c:Concept)<-[b:COVERS|MENTIONS]-(o:Entity)
WHERE o <> s
WITH o, c,
  (CASE type(a) WHEN 'COVERS' THEN 1.0 ELSE 0.5 END) * (CASE type(b) WHEN 'COVERS' THEN 1.0 ELSE 0.5 END) AS w
ORDER BY c.slug
WITH o, sum(w) AS score, collect({slug: c.slug, title: c.title}) AS via
RETURN ${node('o')} AS node, score, via
ORDER BY score DESC, size(via) DESC, o.slug, o.uid
LIMIT $limit`,

  /**
   * One breadth-first layer of the shortest-path search. `$frontier`, `$seen` (uids). Each new node
   * comes with every link back to the frontier (`forward`: the edge starts at the new node), so the
   * walk back from the target can pick the same tie-break as the embedded adapter without a query.
   */
  pathLayer: `UNWIND $frontier AS uid
MATCH (a:Entity {uid: uid})-[r]-(b:Entity)
WHERE NOT b.uid IN $seen
WITH b, collect({back: a.uid, type: type(r), forward: startNode(r) = b, edge: ${edge('r')}}) AS links
RETURN b.uid AS uid, ${node('b')} AS node, links
ORDER BY uid`,

  /** `$uids` of concepts: themselves (input true) and their concept neighbours. */
  conceptNeighbours: `MATCH (c:Concept:Entity)
WHERE c.uid IN $uids
OPTIONAL MATCH (c)-[:REQUIRES|RELATED_TO]-(n:Concept)
WITH collect(DISTINCT c.slug) AS inputs, collect(DISTINCT n.slug) AS near
UNWIND inputs + near AS slug
WITH DISTINCT slug, inputs
RETURN slug, slug IN inputs AS input
ORDER BY slug`,

  /** `$concepts`: [{uid, weight}], `$exclude` (source ids), `$limit` (integer). */
  contentForConcepts: `UNWIND $concepts AS row
MATCH (c:Concept:Entity {uid: row.uid})<-[r:COVERS|MENTIONS]-(o:Entity)
WHERE o.sourceId IS NULL OR NOT o.sourceId IN $exclude
WITH o, c, row.weight * (CASE type(r) WHEN 'COVERS' THEN 1.0 ELSE 0.5 END) AS w
ORDER BY c.slug
WITH o, sum(w) AS score, collect(c.slug) AS via
RETURN ${node('o')} AS node, via
ORDER BY score DESC, o.slug, o.uid
LIMIT $limit`,

  listNodes: `MATCH (n:Entity)
RETURN ${node('n')} AS node
ORDER BY n.uid`,

  listEdges: `MATCH (:Entity)-[r]->(:Entity)
RETURN ${edge('r')} AS edge
ORDER BY edge.type, edge.from, edge.to`,

  clear: 'MATCH (n:Entity) DETACH DELETE n',
} as const;

/** Every statement with a dotted name (`mergeNodes.Concept`), for the syntax test and docs. */
export function allStatements(): { name: string; cypher: string }[] {
  const out: { name: string; cypher: string }[] = [];
  const visit = (name: string, value: unknown) => {
    if (typeof value === 'string') out.push({ name, cypher: value });
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) visit(name ? `${name}.${k}` : k, v);
  };
  visit('', CYPHER);
  return out;
}
