import { adapters, env } from '../../env.js';
import type { GraphStore } from './types.js';

export type * from './types.js';

let current: Promise<GraphStore> | undefined;

/**
 * The process's graph store, chosen from env: Neo4j when `NEO4J_URI` is set, else the embedded graph
 * tables in the SQL database. Drivers (and, for the embedded graph, the SQL store) are imported on first use.
 */
export function getGraphStore(): Promise<GraphStore> {
  if (!current) {
    current = createGraphStore();
    current.catch(() => {
      current = undefined; // retry on the next call instead of caching a failure
    });
  }
  return current;
}

/** Replaces the process's graph store (tests, fault injection); `undefined` resets to env selection. */
export function setGraphStore(store: GraphStore | undefined): void {
  current = store ? Promise.resolve(store) : undefined;
}

async function createGraphStore(): Promise<GraphStore> {
  const e = env();
  if (adapters(e).graph === 'neo4j') {
    const { Neo4jGraphStore } = await import('./neo4j.js');
    return new Neo4jGraphStore({
      uri: e.NEO4J_URI ?? '',
      username: e.NEO4J_USERNAME,
      password: e.NEO4J_PASSWORD,
      database: e.NEO4J_DATABASE,
    });
  }
  const [{ SqlGraphStore }, { getSql }] = await Promise.all([import('./sql.js'), import('../sql/index.js')]);
  // Resolves the SQL store per call, so swapping it (tests, dev server) needs no graph reset.
  return new SqlGraphStore(getSql);
}
