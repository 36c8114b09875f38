import { sql } from 'drizzle-orm';
import { estimateTokens } from '../ai/chunker.js';
import type { GroundingDocument, RelatedItem } from '../ai/documents.js';
import { standaloneQuestion } from '../ai/standalone.js';
import { log } from '../log.js';
import { type Db, queryRows } from '../stores/sql/index.js';
import type { NamedItem } from './named.js';

/**
 * Retrieval for one chat turn: the question made standalone from the conversation (a follow-up takes
 * the earlier question's topic), then in parallel hybrid search for it and a title lookup for the items
 * it names; named items go first. One SQL round trip loads the chunks' text, graph expansion of the
 * hits' concepts adds related reading, and the context is trimmed to a token budget. The graph is
 * optional: when it is down the answer goes on without related items. Search hits may be content or
 * concepts (`kind: "concept"`, `slug` the concept's, `contentId` the concept's id).
 */

/** What chat needs of a search hit (a subset of lib/search's SearchResult; `kind` may be "concept"). */
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
  /** Items the question names by title (see named.ts); put first in the context. */
  findNamed?(question: string, asked: string): Promise<NamedItem[]>;
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

/** The search query for a turn: the question made standalone from the conversation (see standalone.ts). */
export function searchQuery(userTurns: readonly string[]): string {
  return standaloneQuestion(userTurns).question.slice(0, 500);
}

export async function retrieveContext(
  input: { userTurns: readonly string[] } & RetrievalOptions,
  deps: RetrievalDeps,
): Promise<Retrieval> {
  const budget = input.budgetTokens ?? 2500;
  const maxDocs = input.maxDocs ?? 6;
  const standalone = standaloneQuestion(input.userTurns);
  const query = standalone.question.slice(0, 500);
  if (query === '') return { query, docs: [], related: [], degraded: false, graph: 'skipped', tokens: 0 };

  // The search and the title lookup are independent: in parallel. A failed title lookup only loses the
  // promotion of named items; the search is what the answer cannot do without.
  const [found, named] = await Promise.all([
    deps.search({ q: query, limit: maxDocs }),
    deps.findNamed
      ? deps.findNamed(query, standalone.asked).catch((err: unknown) => {
          log.warn('named-item lookup failed; answering from search alone', { err });
          return [] as NamedItem[];
        })
      : Promise.resolve([] as NamedItem[]),
  ]);
  const key = (kind: string, slug: string) => `${kind === 'concept' ? 'concept' : 'content'}:${slug}`;
  const searched = new Map(found.results.map((h) => [key(h.kind, h.slug), h]));
  const namedKeys = new Set(named.map((n) => key(n.kind, n.slug)));
  // Named items first, each with its chunk that best matches the turn as asked (else the one search
  // found for it); then the other search hits.
  const entries: { item: NamedItem | SearchHit; named?: NamedItem; chunkId?: string }[] = [
    ...named.map((n) => {
      const chunkId = n.chunk?.chunkId ?? searched.get(key(n.kind, n.slug))?.chunkId;
      return { item: n, named: n, ...(chunkId ? { chunkId } : {}) };
    }),
    ...found.results
      .filter((h) => !namedKeys.has(key(h.kind, h.slug)))
      .map((h) => ({ item: h, chunkId: h.chunkId })),
  ].slice(0, maxDocs);
  const hits = entries.map((e) => e.item);
  const excludeContentIds = hits.filter((h) => h.kind !== 'concept').map((h) => h.contentId);
  const conceptSlugs = [...new Set(hits.slice(0, 3).flatMap((h) => h.concepts))].slice(0, 10);

  // Chunk text and graph expansion are independent: one round trip each, in parallel.
  const chunkIds = entries.flatMap((e) => (e.chunkId ? [e.chunkId] : []));
  const [chunks, expanded] = await Promise.all([
    chunkIds.length ? deps.loadChunks(chunkIds) : Promise.resolve([]),
    expandRelated(deps, conceptSlugs, excludeContentIds, input.maxRelated ?? 4),
  ]);
  const byId = new Map(chunks.map((c) => [c.id, c]));

  const docs: ContextDocument[] = [];
  let tokens = 0;
  for (const { item, named: namedItem, chunkId } of entries) {
    const chunk = chunkId ? byId.get(chunkId) : undefined;
    const section = chunk ? (chunk.heading ? `## ${chunk.heading}\n${chunk.text}` : chunk.text) : '';
    // A searched chunk missing from SQL means the index is ahead of it (a delete in flight): skip it,
    // never invent text. A named item brings its own summary.
    const body = namedItem ? namedText(namedItem, section) : section;
    if (body.trim() === '') continue;
    const room = budget - tokens;
    if (room < 40) break;
    const text = trimToTokens(body, room);
    tokens += estimateTokens(text);
    docs.push({
      n: docs.length + 1,
      slug: item.slug,
      kind: item.kind,
      title: item.title,
      text,
      contentId: item.contentId,
      ...(item.url ? { externalUrl: item.url } : {}),
    });
  }
  return { query, docs, related: expanded.related, degraded: found.degraded, graph: expanded.graph, tokens };
}

/**
 * A named item's document: its summary first (what it is), a concept's learning goals, then its section
 * that best matches the question; what the section already holds is not repeated.
 */
function namedText(item: NamedItem, chunk: string): string {
  const parts: string[] = [];
  const summary = item.summary.trim();
  if (summary && !chunk.includes(summary)) parts.push(summary);
  const goals = item.goals.filter((g) => !chunk.includes(g));
  if (goals.length) parts.push(`Learning goals:\n${goals.map((g) => `- ${g}`).join('\n')}`);
  if (chunk) parts.push(chunk);
  return parts.join('\n\n');
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

/**
 * Loads chunk text by id: the one SQL round trip retrieval adds to search. A lead chunk keeps the
 * item's summary in a field of its own (`chunks.summary`, with `text` the body's first prose, or a
 * concept's goals); it is read first, so an answer can quote what the item is.
 */
export async function loadChunkTexts(
  db: Db,
  ids: string[],
): Promise<{ id: string; heading: string; text: string }[]> {
  if (ids.length === 0) return [];
  const rows = await queryRows<{ id: string; heading: string; text: string; summary: string | null }>(
    db,
    sql`SELECT ch.id, ch.heading, ch.text, ch.summary
        FROM chunks ch
        WHERE ch.id IN (${sql.join(
          ids.map((id) => sql`${id}`),
          sql`, `,
        )})`,
  );
  return rows.map((r) => {
    const summary = (r.summary ?? '').trim();
    const text =
      summary && !r.text.includes(summary) ? [summary, r.text].filter((t) => t.trim()).join('\n\n') : r.text;
    return { id: r.id, heading: r.heading, text };
  });
}
