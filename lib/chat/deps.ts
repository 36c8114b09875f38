import { searchContent } from '../search/search.js';
import { getSql } from '../stores/sql/index.js';
import { loadChunkTexts, type RetrievalDeps } from './retrieve.js';

/** Retrieval wired to the real search, graph and SQL modules. */
export function defaultRetrievalDeps(): RetrievalDeps {
  return {
    search: (input) => searchContent(input),
    loadChunks: async (ids) => loadChunkTexts((await getSql()).db, ids),
  };
}
