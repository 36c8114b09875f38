import { NAMESPACES } from '../../lib/cache/namespaces.js';
import { cachedJson } from '../../lib/cache/response-cache.js';
import { getLearningPath } from '../../lib/graph/queries.js';
import { GRAPH_CACHE, graphRead, pathQuery, pathResponse } from '../../lib/graph/schemas.js';
import { defineDocs } from '../../lib/http/docs.js';
import { ApiError } from '../../lib/http/errors.js';
import { methods } from '../../lib/http/handler.js';
import { parseQuery } from '../../lib/http/validate.js';

/** GET /api/graph/path?to=<slug>&known=<slug,...>: what to learn, in order, to reach a concept. */
async function get(request: Request): Promise<Response> {
  const q = parseQuery(request, pathQuery);
  const known = q.known ?? [];
  // Cached in the graph namespace, which every sync that changed a projection moves.
  return cachedJson({
    request,
    namespace: NAMESPACES.graph,
    key: `path:${JSON.stringify([q.to, known])}`,
    policy: GRAPH_CACHE,
    ttlSeconds: 120,
    compute: async () => {
      const path = await graphRead(() => getLearningPath({ to: q.to, known }));
      if (!path) throw new ApiError('not_found', `No concept "${q.to}" in the graph.`);
      return path;
    },
  });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: get });

export const docs = defineDocs({
  GET: {
    summary: 'A learning path to a concept',
    description:
      'Every transitive prerequisite of `to` that is not met, each after all of its own prerequisites. ' +
      'A concept is met when it is in `known` or is a transitive prerequisite of a known concept. Ties ' +
      'are broken deterministically (depth first from the target, prerequisites in slug order). ' +
      'Concepts that require each other are listed together and reported in `cycles`; unknown slugs in ' +
      '`known` are ignored and listed in `unknownKnown`.',
    tags: ['graph'],
    auth: 'none',
    query: pathQuery,
    response: pathResponse,
    errors: ['not_found', 'service_unavailable'],
    example: {
      request: 'GET /api/graph/path?to=tf-idf&known=stemming-and-normalization',
      response: {
        target: {
          slug: 'tf-idf',
          title: 'TF-IDF',
          requires: ['inverted-index', 'stemming-and-normalization'],
        },
        steps: [{ slug: 'inverted-index', title: 'Inverted index', requires: ['tokenization'] }],
        cycles: [],
        unknownKnown: [],
      },
    },
  },
});
