import { getShortestPath } from '../../lib/graph/queries.js';
import { GRAPH_CACHE, graphRead, shortestQuery, shortestResponse } from '../../lib/graph/schemas.js';
import { defineDocs } from '../../lib/http/docs.js';
import { ApiError } from '../../lib/http/errors.js';
import { methods } from '../../lib/http/handler.js';
import { json } from '../../lib/http/json.js';
import { parseQuery } from '../../lib/http/validate.js';

/** GET /api/graph/shortest?from=&to=: the shortest chain of relations between two nodes. */
async function get(request: Request): Promise<Response> {
  const q = parseQuery(request, shortestQuery);
  const result = await graphRead(() => getShortestPath(q));
  if ('missing' in result) throw new ApiError('not_found', `No node "${result.missing}" in the graph.`);
  return json(result, { cache: GRAPH_CACHE });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: get });

export const docs = defineDocs({
  GET: {
    summary: 'Shortest chain of relations between two nodes',
    description:
      'Any relation, either direction, at most `maxDepth` hops; `length` is null and the lists empty ' +
      'when no chain is that short. `from`/`to` are slugs: `concept:<slug>` or `content:<slug>` pick ' +
      'the kind, and a bare slug means the concept when one exists, else the content item.',
    tags: ['graph'],
    auth: 'none',
    query: shortestQuery,
    response: shortestResponse,
    errors: ['not_found', 'service_unavailable'],
    example: {
      request: 'GET /api/graph/shortest?from=content:tinyindex&to=big-o-notation',
      response: {
        from: {
          id: 'Content:tinyindex',
          label: 'Content',
          key: 'tinyindex',
          title: 'tinyindex: a teaching search engine in TypeScript',
          kind: 'project',
        },
        to: {
          id: 'Concept:big-o-notation',
          label: 'Concept',
          key: 'big-o-notation',
          title: 'Big-O notation',
        },
        maxDepth: 8,
        length: 2,
        nodes: [
          {
            id: 'Content:tinyindex',
            label: 'Content',
            key: 'tinyindex',
            title: 'tinyindex: a teaching search engine in TypeScript',
            kind: 'project',
          },
          {
            id: 'Lesson:building-an-inverted-index',
            label: 'Lesson',
            key: 'building-an-inverted-index',
            title: 'Building an inverted index',
            kind: 'lesson',
          },
          { id: 'Concept:big-o-notation', label: 'Concept', key: 'big-o-notation', title: 'Big-O notation' },
        ],
        edges: [
          { source: 'Lesson:building-an-inverted-index', target: 'Content:tinyindex', type: 'RELATED_TO' },
          { source: 'Lesson:building-an-inverted-index', target: 'Concept:big-o-notation', type: 'COVERS' },
        ],
      },
    },
  },
});
