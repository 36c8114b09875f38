import type { ContentKind } from '../../db/schema.js';
import { withGraph } from './errors.js';

export { GraphUnavailableError } from './errors.js';

export interface ExpandedContent {
  slug: string;
  title: string;
  kind: ContentKind;
  /** The SQL id, to drop hits the caller already has. */
  contentId: string;
  /** The expanded concepts this item covers or mentions. */
  via: string[];
}

export interface Expansion {
  /** The input concepts that exist and their 1-hop concept neighbours (REQUIRES either way, RELATED_TO). */
  concepts: string[];
  /** Content covering or mentioning those concepts; links to input concepts and COVERS rank first. */
  content: ExpandedContent[];
}

/**
 * Graph-augmented retrieval: expands the concepts of the top hits by one hop and fetches the content
 * that covers them. Throws GraphUnavailableError when the graph store is down; chat and search catch it
 * and continue without expansion.
 */
export async function expandConcepts(input: {
  conceptSlugs: string[];
  /** Content ids (SQL uuids) to leave out, e.g. the hits already retrieved. */
  excludeContentIds?: string[];
  limit: number;
}): Promise<Expansion> {
  const slugs = [...new Set(input.conceptSlugs)];
  if (!slugs.length) return { concepts: [], content: [] };
  const out = await withGraph((g) =>
    g.expandConcepts({
      slugs,
      excludeSourceIds: input.excludeContentIds ?? [],
      limit: Math.max(0, input.limit),
    }),
  );
  return {
    concepts: out.concepts,
    content: out.content.map((c) => ({
      slug: c.slug,
      title: c.title,
      kind: c.kind as ContentKind,
      contentId: c.sourceId,
      via: c.via,
    })),
  };
}
