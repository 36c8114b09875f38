import { timebox } from '../cache/timebox.js';
import { env } from '../env.js';
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

/** A graph read's budget: 3 s, but at most a third of the request deadline. */
export function graphBudgetMs(): number {
  return Math.min(3000, Math.floor(env().REQUEST_TIMEOUT_MS / 3));
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
    // Time-boxed: a graph that hangs is unavailable (503, or chat without expansion), not a hung request.
    return await timebox(work(store), graphBudgetMs());
  } catch (err) {
    throw err instanceof GraphUnavailableError ? err : new GraphUnavailableError(err);
  }
}
