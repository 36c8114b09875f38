import { NAMESPACES } from '../../lib/cache/namespaces.js';
import { cachedJson } from '../../lib/cache/response-cache.js';
import { contentListResponseSchema, listContentQuerySchema } from '../../lib/content/read-schemas.js';
import { defineDocs } from '../../lib/http/docs.js';
import { methods } from '../../lib/http/handler.js';
import { parseQuery } from '../../lib/http/validate.js';
import { loadDb } from '../../lib/stores/sql/lazy.js';

/** GET /api/content: newest first, filtered by kind, tag or concept, keyset-paginated. Cache-first. */
async function list(request: Request): Promise<Response> {
  const q = parseQuery(request, listContentQuerySchema);
  const key = `list:${JSON.stringify([q.kind ?? '', q.tag ?? '', q.concept ?? '', q.limit, q.cursor ?? ''])}`;
  return cachedJson({
    request,
    namespace: NAMESPACES.content,
    key,
    compute: async () => {
      const [{ listContent }, db] = await Promise.all([
        import('../../lib/content/queries/list-content.js'),
        loadDb(),
      ]);
      return listContent({ db, ...q });
    },
  });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: list });

export const docs = defineDocs({
  GET: {
    summary: 'List content',
    description:
      'Projects, posts, courses, lessons and pages, newest first. Filters combine. `nextCursor` is null on ' +
      'the last page; pass it back as `cursor` for the next one. Cached (ETag, s-maxage=60, swr=300).',
    tags: ['content'],
    auth: 'none',
    query: listContentQuerySchema,
    response: contentListResponseSchema,
    errors: ['bad_request'],
    example: {
      request: 'GET /api/content?kind=post&tag=search&limit=2',
      response: {
        items: [
          {
            slug: 'hybrid-search-in-practice',
            kind: 'post',
            title: 'Hybrid search in practice',
            summary: 'What I learned combining Postgres full-text search with pgvector…',
            tags: ['search', 'postgres', 'pgvector', 'hybrid-search', 'relevance'],
            url: null,
            publishedAt: '2024-09-14T00:00:00.000Z',
            course: null,
            position: null,
            concepts: ['bm25', 'hnsw', 'hybrid-search', 'ndcg', 'reciprocal-rank-fusion'],
          },
        ],
        nextCursor: 'WyIyMDI0LTA5LTE0VDAwOjAwOjAwLjAwMDAwMFoiLCI0YjZi4oCmIl0',
      },
    },
  },
});
