import { NAMESPACES } from '../../lib/cache/namespaces.js';
import { cachedJson } from '../../lib/cache/response-cache.js';
import { conceptListResponseSchema } from '../../lib/content/read-schemas.js';
import { defineDocs } from '../../lib/http/docs.js';
import { methods } from '../../lib/http/handler.js';
import { loadDb } from '../../lib/stores/sql/lazy.js';

/** GET /api/concepts: the full concept list (not paginated: the graph view needs all of it). */
async function list(request: Request): Promise<Response> {
  return cachedJson({
    request,
    namespace: NAMESPACES.content,
    key: 'concepts',
    compute: async () => {
      const [{ listConcepts }, db] = await Promise.all([
        import('../../lib/content/queries/concepts.js'),
        loadDb(),
      ]);
      return { items: await listConcepts({ db }) };
    },
  });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: list });

export const docs = defineDocs({
  GET: {
    summary: 'List concepts',
    description:
      'Every concept, ordered by title, with the slugs of its prerequisites: the whole graph in one ' +
      'response (a few hundred concepts is tens of kilobytes gzipped), so it is deliberately not paginated.',
    tags: ['content'],
    auth: 'none',
    response: conceptListResponseSchema,
    example: {
      request: 'GET /api/concepts',
      response: {
        items: [
          {
            slug: 'bm25',
            title: 'BM25',
            summary: 'BM25 scores a document for a query…',
            prerequisites: ['inverted-index', 'tf-idf'],
          },
        ],
      },
    },
  },
});
