import { expandConcepts } from '../graph/expand.js';
import { searchContent } from '../search/search.js';
import { getSql } from '../stores/sql/index.js';
import { findNamedItems } from './named.js';
import { loadChunkTexts, type RetrievalDeps } from './retrieve.js';

/** Retrieval wired to the real search, graph and SQL modules; `graph: false` skips expansion. */
export function defaultRetrievalDeps(options: { graph: boolean } = { graph: true }): RetrievalDeps {
  return {
    search: (input) => searchContent(input),
    loadChunks: async (ids) => loadChunkTexts((await getSql()).db, ids),
    findNamed: async (question, asked) => findNamedItems((await getSql()).db, question, { asked }),
    ...(options.graph
      ? {
          expand: async (input) => {
            const out = await expandConcepts(input);
            return { content: out.content.map((c) => ({ ...c, via: c.via.join(', ') })) };
          },
        }
      : {}),
  };
}
