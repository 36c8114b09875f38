import { inArray } from 'drizzle-orm';
import { estimateTokens } from '../ai/chunker.js';
import type { GroundingDocument, RelatedItem } from '../ai/documents.js';
import { terms } from '../ai/text-features.js';
import { log } from '../log.js';
import { type Db, schema } from '../stores/sql/index.js';

/**
 * Retrieval for one chat turn: hybrid search for the question (plus a little history when the question
 * is short), one SQL round trip for the best chunks' text, graph expansion of the hits' concepts for
 * related reading, and a context trimmed to a token budget. The graph is optional: when it is down the
 * answer goes on without related items.
 */

/** What chat needs of a search hit (a subset of lib/search's SearchResult). */
export interface SearchHit {
  slug: string;
  kind: string;
  title: string;
  heading: string;
  url?: string;
  concepts: string[];
  contentId: string;
  chunkId: string;
}

export interface RetrievalDeps {
  search(input: { q: string; limit: number }): Promise<{ results: SearchHit[]; degraded: boolean }>;
  /** Concept-graph expansion; throws when the graph is unavailable (the turn goes on without it). */
  expand?(input: {
    conceptSlugs: string[];
    excludeContentIds: string[];
    limit: number;
  }): Promise<{ content: { slug: string; title: string; kind: string; via: string }[] }>;
  loadChunks(ids: string[]): Promise<{ id: string; heading: string; text: string }[]>;
}

/** A cited document with what the citation links to. */
export interface ContextDocument extends GroundingDocument {
  contentId: string;
  /** The content's external link, when it has one. */
  externalUrl?: string;
}

export interface Retrieval {
  query: string;
  docs: ContextDocument[];
  related: RelatedItem[];
  /** Search answered from one side only (see lib/search). */
  degraded: boolean;
  graph: 'ok' | 'unavailable' | 'skipped';
  /** Estimated tokens of the documents' text. */
  tokens: number;
}

export interface RetrievalOptions {
  /** Token budget for the documents' text (estimated, about 4 characters per token). */
  budgetTokens?: number;
  /** Most documents quoted. */
  maxDocs?: number;
  /** Most related items listed. */
  maxRelated?: number;
}

/** The search query for a turn: the question, with the previous user turn when it is a short follow-up. */
export function searchQuery(userTurns: readonly string[]): string {
  const last = (userTurns[userTurns.length - 1] ?? '').trim();
  const previous = (userTurns[userTurns.length - 2] ?? '').trim();
  if (previous && terms(last).length < 4) return `${previous.slice(0, 200)} ${last}`.slice(0, 500);
  return last.slice(0, 500);
}

export async function retrieveContext(
  input: { userTurns: readonly string[] } & RetrievalOptions,
  deps: RetrievalDeps,
): Promise<Retrieval> {
  const budget = input.budgetTokens ?? 2500;
  const maxDocs = input.maxDocs ?? 6;
  const query = searchQuery(input.userTurns);
  if (query === '') return { query, docs: [], related: [], degraded: false, graph: 'skipped', tokens: 0 };

  const found = await deps.search({ q: query, limit: maxDocs });
  const hits = found.results.slice(0, maxDocs);
  const excludeContentIds = hits.map((h) => h.contentId);
  const conceptSlugs = [...new Set(hits.slice(0, 3).flatMap((h) => h.concepts))].slice(0, 10);

  // Chunk text and graph expansion are independent: one round trip each, in parallel.
  const [chunks, expanded] = await Promise.all([
    hits.length ? deps.loadChunks(hits.map((h) => h.chunkId)) : Promise.resolve([]),
    expandRelated(deps, conceptSlugs, excludeContentIds, input.maxRelated ?? 4),
  ]);
  const byId = new Map(chunks.map((c) => [c.id, c]));

  const docs: ContextDocument[] = [];
  let tokens = 0;
  for (const hit of hits) {
    const chunk = byId.get(hit.chunkId);
    if (!chunk) continue; // the index is ahead of SQL (a delete in flight): skip, never invent text
    const body = chunk.heading ? `## ${chunk.heading}\n${chunk.text}` : chunk.text;
    const room = budget - tokens;
    if (room < 40) break;
    const text = trimToTokens(body, room);
    tokens += estimateTokens(text);
    docs.push({
      n: docs.length + 1,
      slug: hit.slug,
      kind: hit.kind,
      title: hit.title,
      text,
      contentId: hit.contentId,
      ...(hit.url ? { externalUrl: hit.url } : {}),
    });
  }
  return { query, docs, related: expanded.related, degraded: found.degraded, graph: expanded.graph, tokens };
}

async function expandRelated(
  deps: RetrievalDeps,
  conceptSlugs: string[],
  excludeContentIds: string[],
  limit: number,
): Promise<{ related: RelatedItem[]; graph: Retrieval['graph'] }> {
  if (!deps.expand || conceptSlugs.length === 0) return { related: [], graph: 'skipped' };
  try {
    const out = await deps.expand({ conceptSlugs, excludeContentIds, limit });
    return { related: out.content.slice(0, limit), graph: 'ok' };
  } catch (err) {
    // GraphUnavailableError is an outage of a derived store: expected, so a warning; anything else is a bug.
    if (err instanceof Error && err.name === 'GraphUnavailableError') {
      log.warn('graph expansion unavailable; answering without related items', { err });
    } else {
      log.error('graph expansion failed; answering without related items', { err });
    }
    return { related: [], graph: 'unavailable' };
  }
}

/** Cuts text to about `maxTokens`, at a sentence or word boundary. */
export function trimToTokens(text: string, maxTokens: number): string {
  if (estimateTokens(text) <= maxTokens) return text;
  const cut = text.slice(0, Math.max(0, maxTokens * 4));
  const sentence = cut.lastIndexOf('. ');
  if (sentence > cut.length * 0.6) return cut.slice(0, sentence + 1);
  const space = cut.lastIndexOf(' ');
  return `${space > 0 ? cut.slice(0, space) : cut} …`;
}

/** Loads chunk text by id: the one SQL round trip retrieval adds to search. */
export async function loadChunkTexts(
  db: Db,
  ids: string[],
): Promise<{ id: string; heading: string; text: string }[]> {
  if (ids.length === 0) return [];
  return db
    .select({ id: schema.chunks.id, heading: schema.chunks.heading, text: schema.chunks.text })
    .from(schema.chunks)
    .where(inArray(schema.chunks.id, ids));
}
