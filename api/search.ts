import { isEnabled } from '../lib/config/load.js';
import { defineDocs } from '../lib/http/docs.js';
import { ApiError } from '../lib/http/errors.js';
import { methods } from '../lib/http/handler.js';
import { json } from '../lib/http/json.js';
import { parseQuery } from '../lib/http/validate.js';
import { searchQuerySchema, searchResponseSchema } from '../lib/search/schemas.js';
import { SearchUnavailableError, searchContent } from '../lib/search/search.js';

/** GET /api/search: hybrid (vector + full-text) search over the site's content. */
async function search(request: Request): Promise<Response> {
  const input = parseQuery(request, searchQuerySchema);
  if (!(await isEnabled('search.enabled'))) {
    throw new ApiError('service_unavailable', 'Search is switched off right now. Please try again later.', {
      headers: { 'retry-after': '300' },
    });
  }
  let result: Awaited<ReturnType<typeof searchContent>>;
  try {
    result = await searchContent({
      q: input.q,
      limit: input.limit,
      offset: input.offset,
      ...(input.kind?.length ? { kinds: input.kind } : {}),
      ...(input.concept ? { concept: input.concept } : {}),
    });
  } catch (err) {
    if (err instanceof SearchUnavailableError)
      throw new ApiError(
        'service_unavailable',
        'Search is unavailable right now. Please try again shortly.',
        {
          headers: { 'retry-after': '10' },
        },
      );
    throw err;
  }
  // A degraded answer is kept briefly, so the CDN asks again soon once the vector store is back.
  return json(result, {
    cache: result.degraded ? { sMaxAge: 5 } : { sMaxAge: 30, staleWhileRevalidate: 120 },
  });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: search });

export const docs = defineDocs({
  GET: {
    summary: 'Search content',
    description:
      'Hybrid retrieval: the query is embedded once, the vector and the fielded BM25 full-text queries ' +
      "(RM3 feedback, proximity bonus) run in parallel and are fused as the embedder's profile says: by " +
      'reciprocal rank for a provider model; with the local hashing embedder full text orders what it ' +
      'finds and vector matches backfill. One result per content item or concept (its best chunk). With ' +
      'the vector store down, full text alone answers and `degraded` is true.',
    tags: ['search'],
    auth: 'none',
    query: searchQuerySchema,
    response: searchResponseSchema,
    errors: ['service_unavailable'],
    example: {
      request: 'GET /api/search?q=transactional+outbox&kind=post,lesson&limit=5',
      response: {
        query: 'transactional outbox',
        results: [
          {
            slug: 'the-transactional-outbox',
            kind: 'lesson',
            title: 'The transactional outbox',
            heading: 'Why not publish directly?',
            snippet: 'The <mark>outbox</mark> row is written in the same <mark>transaction</mark>…',
            score: 0.0328,
            concepts: ['transactional-outbox'],
            contentId: '6b1d…',
            chunkId: '6b1d…:2',
          },
        ],
        degraded: false,
        indexVersion: 12,
      },
    },
  },
});
