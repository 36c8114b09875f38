import { getGraphStore } from '../stores/graph/index.js';
import type { GraphStore } from '../stores/graph/types.js';

/**
 * The graph store could not answer (down, unreachable, misconfigured). Endpoints answer 503; chat and
 * search catch it and continue without graph expansion.
 */
export class GraphUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`The knowledge graph is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'GraphUnavailableError';
  }
}

/**
 * Runs work against the process's graph store; anything the store throws becomes GraphUnavailableError
 * (the store is a derived projection: its failures are outages, never client errors).
 */
export async function withGraph<T>(work: (store: GraphStore) => Promise<T>): Promise<T> {
  let store: GraphStore;
  try {
    store = await getGraphStore();
  } catch (err) {
    throw new GraphUnavailableError(err);
  }
  try {
    return await work(store);
  } catch (err) {
    throw err instanceof GraphUnavailableError ? err : new GraphUnavailableError(err);
  }
}
