import * as z from 'zod';
import { CONTENT_KINDS } from '../../db/enums.js';
import { slugSchema } from './slug.js';

/** Query strings and response shapes of the public content reads (validation and OpenAPI docs). */

export const listContentQuerySchema = z
  .object({
    kind: z.enum(CONTENT_KINDS).optional(),
    tag: z.string().trim().min(1).max(60).optional(),
    concept: slugSchema.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    /** The `nextCursor` of the previous page. */
    cursor: z.string().min(1).max(300).optional(),
  })
  .strict();

export const slugParamSchema = z.object({ slug: slugSchema });

const kind = z.enum(CONTENT_KINDS);
const lessonRef = z.object({ slug: z.string(), title: z.string(), position: z.number().nullable() });

export const contentListItemSchema = z.object({
  slug: z.string(),
  kind,
  title: z.string(),
  summary: z.string(),
  tags: z.array(z.string()),
  url: z.string().nullable(),
  publishedAt: z.string(),
  course: z.object({ slug: z.string(), title: z.string() }).nullable(),
  position: z.number().nullable(),
  concepts: z.array(z.string()),
});

export const contentListResponseSchema = z.object({
  items: z.array(contentListItemSchema),
  nextCursor: z.string().nullable(),
});

export const contentPageResponseSchema = z.object({
  id: z.string(),
  slug: z.string(),
  kind,
  title: z.string(),
  summary: z.string(),
  body: z.string().describe('Markdown'),
  tags: z.array(z.string()),
  url: z.string().nullable(),
  publishedAt: z.string(),
  updatedAt: z.string(),
  version: z.number().describe('send as If-Match: "<version>" to PATCH or DELETE'),
  concepts: z.array(
    z.object({ slug: z.string(), title: z.string(), relation: z.enum(['COVERS', 'MENTIONS']) }),
  ),
  related: z.array(z.object({ slug: z.string(), kind, title: z.string(), summary: z.string() })),
  lessons: z.array(lessonRef).optional(),
  navigation: z
    .object({
      course: z.object({ slug: z.string(), title: z.string() }),
      position: z.number().nullable(),
      lessons: z.array(lessonRef),
      previous: lessonRef.nullable(),
      next: lessonRef.nullable(),
    })
    .optional(),
});

const courseSummary = z.object({
  slug: z.string(),
  title: z.string(),
  summary: z.string(),
  tags: z.array(z.string()),
  publishedAt: z.string(),
  lessonCount: z.number(),
});

export const courseListResponseSchema = z.object({ items: z.array(courseSummary) });

export const courseResponseSchema = courseSummary.extend({
  body: z.string(),
  version: z.number(),
  lessons: z.array(
    z.object({ slug: z.string(), title: z.string(), summary: z.string(), position: z.number().nullable() }),
  ),
  concepts: z.array(z.object({ slug: z.string(), title: z.string(), lessons: z.number() })),
});

export const conceptListResponseSchema = z.object({
  items: z.array(
    z.object({
      slug: z.string(),
      title: z.string(),
      summary: z.string(),
      prerequisites: z.array(z.string()),
    }),
  ),
});

const conceptLink = z.object({ slug: z.string(), title: z.string(), reason: z.string().nullable() });

export const conceptResponseSchema = z.object({
  slug: z.string(),
  title: z.string(),
  summary: z.string(),
  goals: z.array(z.string()),
  version: z.number(),
  updatedAt: z.string(),
  prerequisites: z.array(conceptLink),
  dependents: z.array(conceptLink),
  content: z.array(
    z.object({ slug: z.string(), kind, title: z.string(), relation: z.enum(['COVERS', 'MENTIONS']) }),
  ),
});
