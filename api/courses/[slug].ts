import { NAMESPACES } from '../../lib/cache/namespaces.js';
import { cachedJson } from '../../lib/cache/response-cache.js';
import { courseResponseSchema, slugParamSchema } from '../../lib/content/read-schemas.js';
import { slugSchema } from '../../lib/content/slug.js';
import { defineDocs } from '../../lib/http/docs.js';
import { ApiError } from '../../lib/http/errors.js';
import { methods } from '../../lib/http/handler.js';
import { routeParam, validate } from '../../lib/http/validate.js';
import { loadDb } from '../../lib/stores/sql/lazy.js';

/** GET /api/courses/:slug: the course, its lessons in order and the concepts it covers. */
async function get(request: Request): Promise<Response> {
  const slug = validate(slugSchema, routeParam(request, 'slug'));
  return cachedJson({
    request,
    namespace: NAMESPACES.content,
    key: `course:${slug}`,
    compute: async () => {
      const [{ getCourse }, db] = await Promise.all([
        import('../../lib/content/queries/courses.js'),
        loadDb(),
      ]);
      const doc = await getCourse({ db, slug });
      if (!doc) throw new ApiError('not_found', `No course "${slug}".`);
      return doc;
    },
  });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: get });

export const docs = defineDocs({
  GET: {
    summary: 'One course',
    description:
      'Lessons ordered by position; concepts covered by the course or any lesson, with lesson counts.',
    tags: ['content'],
    auth: 'none',
    params: slugParamSchema,
    response: courseResponseSchema,
    errors: ['not_found'],
    example: {
      request: 'GET /api/courses/search-from-scratch',
      response: {
        slug: 'search-from-scratch',
        title: 'Search from Scratch',
        summary: 'A six-lesson course…',
        body: 'Search looks like magic from the outside…',
        tags: ['search'],
        publishedAt: '2025-01-20T00:00:00.000Z',
        version: 1,
        lessonCount: 6,
        lessons: [{ slug: 'tokenizing-text', title: 'Tokenizing text', summary: '…', position: 1 }],
        concepts: [{ slug: 'bm25', title: 'BM25', lessons: 1 }],
      },
    },
  },
});
