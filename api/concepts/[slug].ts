import { NAMESPACES } from '../../lib/cache/namespaces.js';
import { cachedJson } from '../../lib/cache/response-cache.js';
import { conceptResponseSchema, slugParamSchema } from '../../lib/content/read-schemas.js';
import { slugSchema } from '../../lib/content/slug.js';
import { defineDocs } from '../../lib/http/docs.js';
import { ApiError } from '../../lib/http/errors.js';
import { methods } from '../../lib/http/handler.js';
import { routeParam, validate } from '../../lib/http/validate.js';
import { loadDb } from '../../lib/stores/sql/lazy.js';

/** GET /api/concepts/:slug: prerequisites with reasons, dependents, and content covering or mentioning it. */
async function get(request: Request): Promise<Response> {
  const slug = validate(slugSchema, routeParam(request, 'slug'));
  return cachedJson({
    request,
    namespace: NAMESPACES.content,
    key: `concept:${slug}`,
    compute: async () => {
      const [{ getConcept }, db] = await Promise.all([
        import('../../lib/content/queries/concepts.js'),
        loadDb(),
      ]);
      const doc = await getConcept({ db, slug });
      if (!doc) throw new ApiError('not_found', `No concept "${slug}".`);
      return doc;
    },
  });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: get });

export const docs = defineDocs({
  GET: {
    summary: 'One concept',
    tags: ['content'],
    auth: 'none',
    params: slugParamSchema,
    response: conceptResponseSchema,
    errors: ['not_found'],
    example: {
      request: 'GET /api/concepts/bm25',
      response: {
        slug: 'bm25',
        title: 'BM25',
        summary: 'BM25 scores a document for a query…',
        goals: ['Explain what k1 and b control'],
        version: 1,
        updatedAt: '2025-03-01T10:00:00.000Z',
        prerequisites: [{ slug: 'tf-idf', title: 'TF-IDF', reason: 'BM25 refines TF-IDF weighting.' }],
        dependents: [{ slug: 'hybrid-search', title: 'Hybrid search', reason: '…' }],
        content: [
          { slug: 'ranking-with-bm25', kind: 'lesson', title: 'Ranking with BM25', relation: 'COVERS' },
        ],
      },
    },
  },
});
