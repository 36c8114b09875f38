import * as z from 'zod';
import { slugSchema } from '../content/slug.js';
import { ApiError } from '../http/errors.js';
import { log } from '../log.js';
import { EDGE_TYPES, NODE_LABELS } from '../stores/graph/types.js';
import { GraphUnavailableError } from './errors.js';

/** Query and response shapes of /api/graph/*, shared by the handlers and their OpenAPI docs. */

export const slugParamQuery = z.object({ slug: slugSchema }).strict();

export const neighbourhoodQuery = z
  .object({
    slug: slugSchema,
    depth: z.coerce.number().int().min(1).max(3).default(1),
  })
  .strict();

/** Comma-separated slugs, at most 200. */
const slugList = z
  .string()
  .max(20_000)
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(slugSchema).max(200));

export const pathQuery = z.object({ to: slugSchema, known: slugList.optional() }).strict();

export const relatedQuery = z
  .object({ slug: slugSchema, limit: z.coerce.number().int().min(1).max(50).default(10) })
  .strict();

/** `concept:<slug>`, `content:<slug>` or a bare slug. */
const nodeName = z
  .string()
  .max(130)
  .regex(
    /^((concept|content):)?[a-z0-9][a-z0-9_-]*$/,
    'a slug, optionally prefixed with concept: or content:',
  );

export const shortestQuery = z.object({ from: nodeName, to: nodeName }).strict();

export const viewNodeSchema = z.object({
  id: z.string().describe('`Label:slug`'),
  label: z.enum(NODE_LABELS),
  key: z.string(),
  title: z.string(),
  kind: z.string().optional(),
});

export const viewEdgeSchema = z.object({
  source: z.string(),
  target: z.string(),
  type: z.enum(EDGE_TYPES),
  reason: z.string().optional(),
  position: z.number().int().optional(),
});

export const neighbourhoodResponse = z.object({
  center: z.string(),
  depth: z.number().int(),
  nodes: z.array(viewNodeSchema),
  edges: z.array(viewEdgeSchema),
  truncated: z.boolean(),
  cap: z.number().int(),
});

const stepSchema = z.object({ slug: z.string(), title: z.string(), requires: z.array(z.string()) });

export const pathResponse = z.object({
  target: stepSchema,
  steps: z.array(stepSchema),
  cycles: z.array(z.array(z.string())),
  unknownKnown: z.array(z.string()),
});

export const relatedResponse = z.object({
  item: viewNodeSchema,
  related: z.array(
    viewNodeSchema.extend({
      score: z.number(),
      via: z.array(z.object({ slug: z.string(), title: z.string() })),
    }),
  ),
});

export const shortestResponse = z.object({
  from: viewNodeSchema,
  to: viewNodeSchema,
  maxDepth: z.number().int(),
  length: z.number().int().nullable(),
  nodes: z.array(viewNodeSchema),
  edges: z.array(viewEdgeSchema),
});

/** Graph reads answer 503 with the error shape when the graph store is down. */
export async function graphRead<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof GraphUnavailableError)) throw err;
    log.warn('graph store unavailable', { err: err.cause ?? err });
    throw new ApiError(
      'service_unavailable',
      'The knowledge graph is unavailable right now. Please try again.',
      {
        headers: { 'retry-after': '5' },
        cause: err,
      },
    );
  }
}

/** Graph views may be served by the CDN for a minute (the graph follows writes within a sync). */
export const GRAPH_CACHE = { sMaxAge: 60, staleWhileRevalidate: 300 } as const;
