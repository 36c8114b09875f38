import { getConceptNeighbourhood } from '../../../lib/graph/queries.js';
import {
  GRAPH_CACHE,
  graphRead,
  neighbourhoodQuery,
  neighbourhoodResponse,
  slugParamQuery,
} from '../../../lib/graph/schemas.js';
import { defineDocs } from '../../../lib/http/docs.js';
import { ApiError } from '../../../lib/http/errors.js';
import { methods } from '../../../lib/http/handler.js';
import { json } from '../../../lib/http/json.js';
import { parseQuery } from '../../../lib/http/validate.js';

/** GET /api/graph/concepts/:slug?depth=1..3: the concept's neighbourhood for a graph view, capped. */
async function get(request: Request): Promise<Response> {
  const q = parseQuery(request, neighbourhoodQuery);
  const view = await graphRead(() => getConceptNeighbourhood(q));
  if (!view) throw new ApiError('not_found', `No concept "${q.slug}" in the graph.`);
  return json(view, { cache: GRAPH_CACHE });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: get });

export const docs = defineDocs({
  GET: {
    summary: 'A concept’s neighbourhood in the knowledge graph',
    description:
      'Nodes within `depth` hops (1-3, any relation, either direction) and the edges among them, ready ' +
      'for a graph view. Breadth first and capped at `cap` nodes; `truncated` says the cap cut it short.',
    tags: ['graph'],
    auth: 'none',
    params: slugParamQuery,
    query: neighbourhoodQuery.omit({ slug: true }),
    response: neighbourhoodResponse,
    errors: ['not_found', 'service_unavailable'],
    example: {
      request: 'GET /api/graph/concepts/hash-tables?depth=1',
      response: {
        center: 'Concept:hash-tables',
        depth: 1,
        nodes: [
          { id: 'Concept:hash-tables', label: 'Concept', key: 'hash-tables', title: 'Hash tables' },
          { id: 'Concept:big-o-notation', label: 'Concept', key: 'big-o-notation', title: 'Big-O notation' },
        ],
        edges: [
          {
            source: 'Concept:hash-tables',
            target: 'Concept:big-o-notation',
            type: 'REQUIRES',
            reason: 'The main selling point of a hash table is its expected O(1) lookup…',
          },
        ],
        truncated: false,
        cap: 200,
      },
    },
  },
});
