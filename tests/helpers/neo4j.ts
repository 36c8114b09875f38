import { expect } from 'vitest';
import { Neo4jGraphStore } from '../../lib/stores/graph/neo4j.js';

/**
 * The live Neo4j the graph suites run against. CI (and `npm run neo4j:start`) exports NEO4J_URI,
 * NEO4J_USERNAME and NEO4J_PASSWORD; tests/setup.ts moves them to TEST_NEO4J_* so that only the
 * suites that ask for Neo4j use it (the rest stay on the embedded graph). The server has one database,
 * so those suites run one file at a time (the `neo4j` vitest project) and each clears it first.
 */
export interface Neo4jConnection {
  uri: string;
  username: string | undefined;
  password: string | undefined;
  database: string | undefined;
}

export const NEO4J_SKIP = 'NEO4J_URI is not set: skipping the Neo4j run (npm run neo4j:start)';

export function neo4jConnection(): Neo4jConnection | undefined {
  const uri = process.env.TEST_NEO4J_URI ?? process.env.NEO4J_URI;
  if (!uri) return undefined;
  return {
    uri,
    username: process.env.TEST_NEO4J_USERNAME ?? process.env.NEO4J_USERNAME,
    password: process.env.TEST_NEO4J_PASSWORD ?? process.env.NEO4J_PASSWORD,
    database: process.env.TEST_NEO4J_DATABASE ?? process.env.NEO4J_DATABASE,
  };
}

/**
 * A store on the live server with its constraints in place and the graph emptied. `uri` overrides the
 * server's (a TCP switch in front of it, say); `timeoutMs` defaults to a loaded CI machine's 5 s.
 */
export async function openNeo4j(
  options: { uri?: string; timeoutMs?: number } = {},
): Promise<Neo4jGraphStore> {
  const c = neo4jConnection();
  if (!c) throw new Error(NEO4J_SKIP);
  const store = new Neo4jGraphStore({
    uri: options.uri ?? c.uri,
    username: c.username,
    password: c.password,
    database: c.database,
    timeoutMs: options.timeoutMs ?? 5000,
  });
  await store.setup();
  await store.clear();
  return store;
}

/** A graph store a suite runs on: the embedded graph (env selection) or the live Neo4j. */
export interface GraphTarget {
  name: 'embedded' | 'neo4j';
  skip?: string;
  /** The store to install with setGraphStore (undefined: the embedded graph on the app's SQL). */
  open(): Promise<Neo4jGraphStore | undefined>;
}

export function graphTargets(): GraphTarget[] {
  if (!neo4jConnection()) warnSkipped();
  return [
    { name: 'embedded', open: async () => undefined },
    { name: 'neo4j', ...(neo4jConnection() ? {} : { skip: NEO4J_SKIP }), open: () => openNeo4j() },
  ];
}

/** Says in the output that this file's live Neo4j runs are skipped, and why. */
export function warnSkipped(): void {
  const file = expect.getState().testPath ?? 'this file';
  console.warn(`skipped: the live Neo4j runs in ${file.replace(`${process.cwd()}/`, '')}: ${NEO4J_SKIP}`);
}
