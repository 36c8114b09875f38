import { NAMESPACES } from '../../lib/cache/namespaces.js';
import { cachedJson } from '../../lib/cache/response-cache.js';
import { courseListResponseSchema } from '../../lib/content/read-schemas.js';
import { defineDocs } from '../../lib/http/docs.js';
import { methods } from '../../lib/http/handler.js';
import { loadDb } from '../../lib/stores/sql/lazy.js';

/** GET /api/courses: every course, newest first, with lesson counts. Cache-first. */
async function list(request: Request): Promise<Response> {
  return cachedJson({
    request,
    namespace: NAMESPACES.content,
    key: 'courses',
    compute: async () => {
      const [{ listCourses }, db] = await Promise.all([
        import('../../lib/content/queries/courses.js'),
        loadDb(),
      ]);
      return { items: await listCourses({ db }) };
    },
  });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: list });

export const docs = defineDocs({
  GET: {
    summary: 'List courses',
    tags: ['content'],
    auth: 'none',
    response: courseListResponseSchema,
    example: {
      request: 'GET /api/courses',
      response: {
        items: [
          {
            slug: 'search-from-scratch',
            title: 'Search from Scratch',
            summary: 'A six-lesson course that builds a search engine step by step…',
            tags: ['search', 'information-retrieval', 'course', 'typescript'],
            publishedAt: '2025-01-20T00:00:00.000Z',
            lessonCount: 6,
          },
        ],
      },
    },
  },
});
