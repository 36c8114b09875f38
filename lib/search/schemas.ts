import * as z from 'zod';
import { DOCUMENT_KINDS } from '../../db/schema.js';

/** Longest query accepted: longer text is not a search, and would only cost embedding time. */
export const MAX_QUERY_CHARS = 500;

/**
 * GET /api/search query string. `kind` takes one kind or several, comma-separated (`concept` for
 * concept documents).
 */
export const searchQuerySchema = z
  .object({
    q: z
      .string()
      .trim()
      .min(1, 'q is required: the text to search for')
      .max(MAX_QUERY_CHARS, `q must be at most ${MAX_QUERY_CHARS} characters`),
    kind: z
      .string()
      .transform((v) => [
        ...new Set(
          v
            .split(',')
            .map((k) => k.trim())
            .filter(Boolean),
        ),
      ])
      .pipe(z.array(z.enum(DOCUMENT_KINDS)).max(DOCUMENT_KINDS.length))
      .optional(),
    concept: z
      .string()
      .min(1)
      .max(120)
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'a concept slug')
      .optional(),
    limit: z.coerce.number().int().min(1).max(100).default(10),
    offset: z.coerce.number().int().min(0).max(1000).default(0),
  })
  .strict();

export const searchResultSchema = z.object({
  slug: z.string().describe("the content item's slug, or the concept's for kind concept"),
  kind: z.enum(DOCUMENT_KINDS),
  link: z.string().describe('API path of the item: /api/content/<slug> or /api/concepts/<slug>'),
  title: z.string(),
  heading: z.string(),
  snippet: z.string().describe('HTML-escaped excerpt; matched terms wrapped in <mark>'),
  score: z.number(),
  url: z.string().optional(),
  concepts: z.array(z.string()),
  contentId: z.string(),
  chunkId: z.string(),
});

export const searchResponseSchema = z.object({
  query: z.string(),
  results: z.array(searchResultSchema),
  degraded: z.boolean(),
  degradedReason: z.string().optional(),
  indexVersion: z.number(),
});
