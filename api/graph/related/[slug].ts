import { getRelatedContent } from '../../../lib/graph/queries.js';
import {
  GRAPH_CACHE,
  graphRead,
  relatedQuery,
  relatedResponse,
  slugParamQuery,
} from '../../../lib/graph/schemas.js';
import { defineDocs } from '../../../lib/http/docs.js';
import { ApiError } from '../../../lib/http/errors.js';
import { methods } from '../../../lib/http/handler.js';
import { json } from '../../../lib/http/json.js';
import { parseQuery } from '../../../lib/http/validate.js';

/** GET /api/graph/related/:slug: content sharing concepts with a content item, ranked. */
async function get(request: Request): Promise<Response> {
  const q = parseQuery(request, relatedQuery);
  const related = await graphRead(() => getRelatedContent(q));
  if (!related) throw new ApiError('not_found', `No content "${q.slug}" in the graph.`);
  return json(related, { cache: GRAPH_CACHE });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: get });

export const docs = defineDocs({
  GET: {
    summary: 'Content related through shared concepts',
    description:
      'Other content (projects, posts, courses, lessons, pages) that covers or mentions the same concepts ' +
      'as this item, ranked by `score`: the sum over shared concepts of a weight per side (COVERS 1, ' +
      'MENTIONS 0.5, multiplied). `via` lists the shared concepts that explain each link.',
    tags: ['graph'],
    auth: 'none',
    params: slugParamQuery,
    query: relatedQuery.omit({ slug: true }),
    response: relatedResponse,
    errors: ['not_found', 'service_unavailable'],
    example: {
      request: 'GET /api/graph/related/tokenizing-text?limit=1',
      response: {
        item: {
          id: 'Lesson:tokenizing-text',
          label: 'Lesson',
          key: 'tokenizing-text',
          title: 'Tokenizing text',
          kind: 'lesson',
        },
        related: [
          {
            id: 'Content:tinyindex',
            label: 'Content',
            key: 'tinyindex',
            title: 'tinyindex: a teaching search engine in TypeScript',
            kind: 'project',
            score: 1,
            via: [
              { slug: 'stemming-and-normalization', title: 'Stemming and normalization' },
              { slug: 'tokenization', title: 'Tokenization' },
            ],
          },
        ],
      },
    },
  },
});
