import { NAMESPACES } from '../../lib/cache/namespaces.js';
import { cachedJson } from '../../lib/cache/response-cache.js';
import { contentPageResponseSchema, slugParamSchema } from '../../lib/content/read-schemas.js';
import { slugSchema } from '../../lib/content/slug.js';
import { defineDocs } from '../../lib/http/docs.js';
import { ApiError } from '../../lib/http/errors.js';
import { methods } from '../../lib/http/handler.js';
import { routeParam, validate } from '../../lib/http/validate.js';
import { loadDb } from '../../lib/stores/sql/lazy.js';

/** GET /api/content/:slug: one item with body, concepts, related items and course navigation. */
async function get(request: Request): Promise<Response> {
  const slug = slugOf(request);
  return cachedJson({
    request,
    namespace: NAMESPACES.content,
    key: `item:${slug}`,
    compute: async () => {
      const [{ getContentBySlug }, db] = await Promise.all([
        import('../../lib/content/queries/get-content.js'),
        loadDb(),
      ]);
      const doc = await getContentBySlug({ db, slug });
      if (!doc) throw new ApiError('not_found', `No content "${slug}".`);
      return doc;
    },
  });
}

/** Slugs that passed validation (a pure check of the string), so a repeated read skips it. Bounded. */
const validSlugs = new Set<string>();

function slugOf(request: Request): string {
  const raw = routeParam(request, 'slug');
  if (typeof raw === 'string' && validSlugs.has(raw)) return raw;
  const slug = validate(slugSchema, raw);
  if (slug === raw) {
    if (validSlugs.size >= 1000) validSlugs.clear();
    validSlugs.add(slug);
  }
  return slug;
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: get });

export const docs = defineDocs({
  GET: {
    summary: 'One content item',
    description:
      'The Markdown body, the concepts it covers or mentions, related items (either direction), the ' +
      'lessons of a course, and for a lesson its course with previous/next navigation. `version` is what ' +
      'admin PATCH/DELETE expect in If-Match.',
    tags: ['content'],
    auth: 'none',
    params: slugParamSchema,
    response: contentPageResponseSchema,
    errors: ['not_found'],
    example: {
      request: 'GET /api/content/tokenizing-text',
      response: {
        id: '3f0c…',
        slug: 'tokenizing-text',
        kind: 'lesson',
        title: 'Tokenizing text',
        summary: 'How a search engine turns raw text into terms…',
        body: 'Every search engine begins by deciding what a word is…',
        tags: ['search', 'tokenization', 'text-processing'],
        url: null,
        publishedAt: '2025-01-20T00:00:00.000Z',
        updatedAt: '2025-03-01T10:00:00.000Z',
        version: 1,
        concepts: [{ slug: 'tokenization', title: 'Tokenization', relation: 'COVERS' }],
        related: [{ slug: 'tinyindex', kind: 'project', title: 'tinyindex…', summary: '…' }],
        navigation: {
          course: { slug: 'search-from-scratch', title: 'Search from Scratch' },
          position: 1,
          lessons: [{ slug: 'tokenizing-text', title: 'Tokenizing text', position: 1 }],
          previous: null,
          next: { slug: 'building-an-inverted-index', title: 'Building an inverted index', position: 2 },
        },
      },
    },
  },
});
