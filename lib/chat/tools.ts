import { type ToolSet, tool } from 'ai';
import * as z from 'zod';
import { getConcept } from '../content/queries/concepts.js';
import { GraphUnavailableError } from '../graph/errors.js';
import { getLearningPath, getRelatedContent, getShortestPath } from '../graph/queries.js';
import { log } from '../log.js';
import { searchContent } from '../search/search.js';
import { type Db, getSql } from '../stores/sql/index.js';
import { loadConceptNames, loadContentNames, matchName, type Named } from './names.js';
import type { CHAT_TOOL_NAMES } from './schema.js';
import { citationUrl } from './turn.js';

/**
 * The chat's tools (AI SDK `tool()`s with zod input schemas) over the same lib functions the API
 * uses: search (lib/search), learning path, shortest path and related content (lib/graph), and a
 * concept explained from its SQL record plus its learning path. A provider model calls them; the
 * local model calls them by intent rules (lib/chat/intent.ts). Names are resolved to slugs here, so
 * a model can say "HNSW".
 *
 * Every item a result mentions is a source: it gets a number `n` (continuing after the retrieved
 * documents' numbers, so `[n]` cites it in the answer) and the turn emits it as a `source-url` part
 * right after the tool's output. A tool whose store is down throws ToolFailure: the stream carries a
 * `tool-output-error` part with its public message and the answer goes on.
 */

export type ChatToolName = (typeof CHAT_TOOL_NAMES)[number];

/** An item a tool result mentions, citable as `[n]`. */
export interface ToolSource {
  n: number;
  slug: string;
  /** `concept` or a content kind. */
  kind: string;
  title: string;
  url: string;
}

/** A tool failure whose message is safe to show (and to give the model). */
export class ToolFailure extends Error {
  /** Enumerable, so the model's copy of the error (JSON) carries the message too. */
  readonly error: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ToolFailure';
    this.error = message;
  }
}

const GRAPH_DOWN = 'The knowledge graph is unavailable right now, so this could not be looked up.';
const SEARCH_DOWN = 'Search is unavailable right now.';

const name = z.string().trim().min(1).max(120);

export const toolInputSchemas = {
  searchContent: z
    .object({
      query: z.string().trim().min(1).max(300).describe('What to search the site for'),
      limit: z.number().int().min(1).max(10).optional().describe('Most results (default 5)'),
    })
    .strict(),
  learningPath: z
    .object({
      concept: name.describe('The concept to reach: its slug or name, e.g. "hnsw" or "HNSW"'),
      known: z.array(name).max(50).optional().describe('Concepts the learner already knows'),
    })
    .strict(),
  shortestPath: z
    .object({
      from: name.describe('A concept or content item: slug or name'),
      to: name.describe('A concept or content item: slug or name'),
    })
    .strict(),
  relatedContent: z
    .object({
      item: name.describe('A content item (project, post, course, lesson): slug or title'),
      limit: z.number().int().min(1).max(10).optional(),
    })
    .strict(),
  explainConcept: z
    .object({ concept: name.describe('The concept: slug or name, e.g. "mvcc" or "MVCC"') })
    .strict(),
} as const;

export interface ChatTools {
  tools: ToolSet;
  /** The sources of each finished tool call, by toolCallId. */
  sources: Map<string, ToolSource[]>;
}

export interface ChatToolsOptions {
  /** Base of source links (SITE_URL or the request's origin). */
  siteUrl: string;
  /** The first source number tools may use (after the retrieved documents). */
  firstN: number;
  db?: () => Promise<Db>;
}

export function sourceUrl(siteUrl: string, kind: string, slug: string): string {
  if (kind !== 'concept') return citationUrl(siteUrl, slug);
  return `${siteUrl.replace(/\/+$/, '')}/concepts/${encodeURIComponent(slug)}`;
}

export function createChatTools(options: ChatToolsOptions): ChatTools {
  const db = options.db ?? (async () => (await getSql()).db);
  const sources = new Map<string, ToolSource[]>();
  let next = options.firstN;
  const byKey = new Map<string, ToolSource>();
  /** Numbers items; an item cited by two tools in one turn keeps its first number. */
  const cite = (toolCallId: string, items: { slug: string; kind: string; title: string }[]) => {
    const out: ToolSource[] = [];
    for (const item of items) {
      const key = `${item.kind === 'concept' ? 'concept' : 'content'}:${item.slug}`;
      let s = byKey.get(key);
      if (!s) {
        s = { n: next++, ...item, url: sourceUrl(options.siteUrl, item.kind, item.slug) };
        byKey.set(key, s);
      }
      if (!out.includes(s)) out.push(s);
    }
    sources.set(toolCallId, out);
    return out;
  };

  let conceptNames: Promise<Named[]> | undefined;
  let contentNames: Promise<Named[]> | undefined;
  const concepts = () => {
    conceptNames ??= db().then(loadConceptNames);
    return conceptNames;
  };
  const contents = () => {
    contentNames ??= db().then(loadContentNames);
    return contentNames;
  };
  const concept = async (n: string) => matchName(n, await concepts());
  /** A concept or a content item; `concept:`/`content:` prefixes pick, a bare name prefers the concept. */
  const node = async (n: string) => {
    if (n.startsWith('content:')) return matchName(n.slice(8), await contents());
    if (n.startsWith('concept:')) return concept(n.slice(8));
    return (await concept(n)) ?? matchName(n, await contents());
  };

  const tools = {
    searchContent: tool({
      description:
        "Search the site's projects, posts, courses and lessons (hybrid full-text and vector search). " +
        'Returns the best matches with a short plain-text snippet; cite them by their n.',
      inputSchema: toolInputSchemas.searchContent,
      execute: async (input, { toolCallId }) => {
        const found = await storeRead(
          () => searchContent({ q: input.query, limit: input.limit ?? 5 }),
          SEARCH_DOWN,
        );
        const results = found.results.map((r) => ({
          slug: r.slug,
          kind: r.kind,
          title: r.title,
          heading: r.heading,
          snippet: plainSnippet(r.snippet),
        }));
        const cited = cite(toolCallId, results);
        return {
          query: input.query,
          degraded: found.degraded,
          results: results.map((r, i) => ({ n: cited[i]?.n, ...r })),
          sources: cited,
        };
      },
    }),

    learningPath: tool({
      description:
        'What to learn, in order, before a concept: every prerequisite not yet known, each after its own ' +
        'prerequisites (the same answer as GET /api/graph/path). Use for "what should I learn before X?".',
      inputSchema: toolInputSchemas.learningPath,
      execute: async (input, { toolCallId }) => {
        const target = await concept(input.concept);
        if (!target) return { found: false as const, concept: input.concept, sources: [] };
        const known = (await Promise.all((input.known ?? []).map(concept))).flatMap((k) =>
          k ? [k.slug] : [],
        );
        const path = await storeRead(() => getLearningPath({ to: target.slug, known }), GRAPH_DOWN);
        if (!path) return { found: false as const, concept: input.concept, sources: [] };
        const cited = cite(toolCallId, [
          { slug: path.target.slug, kind: 'concept', title: path.target.title },
          ...path.steps.map((s) => ({ slug: s.slug, kind: 'concept', title: s.title })),
        ]);
        return { found: true as const, ...path, sources: cited };
      },
    }),

    shortestPath: tool({
      description:
        'The shortest chain of relations (REQUIRES, COVERS, MENTIONS, PART_OF, RELATED_TO) between two ' +
        'concepts or content items. Use for "how do I get from X to Y?".',
      inputSchema: toolInputSchemas.shortestPath,
      execute: async (input, { toolCallId }) => {
        const [from, to] = await Promise.all([node(input.from), node(input.to)]);
        if (!from || !to)
          return { found: false as const, missing: !from ? input.from : input.to, sources: [] };
        const ref = (n: Named) => `${n.kind === 'concept' ? 'concept' : 'content'}:${n.slug}`;
        const result = await storeRead(() => getShortestPath({ from: ref(from), to: ref(to) }), GRAPH_DOWN);
        if ('missing' in result) return { found: false as const, missing: result.missing, sources: [] };
        const cited = cite(
          toolCallId,
          result.nodes.map((n) => ({
            slug: n.key,
            kind: n.label === 'Concept' ? 'concept' : (n.kind ?? 'page'),
            title: n.title,
          })),
        );
        return { found: true as const, ...result, sources: cited };
      },
    }),

    relatedContent: tool({
      description:
        'Content related to a content item through the concepts they share, ranked. Use for "what else is ' +
        'like X?".',
      inputSchema: toolInputSchemas.relatedContent,
      execute: async (input, { toolCallId }) => {
        const item = matchName(input.item, await contents());
        if (!item) return { found: false as const, item: input.item, sources: [] };
        const related = await storeRead(
          () => getRelatedContent({ slug: item.slug, limit: input.limit ?? 5 }),
          GRAPH_DOWN,
        );
        if (!related) return { found: false as const, item: input.item, sources: [] };
        const cited = cite(toolCallId, [
          { slug: related.item.key, kind: related.item.kind ?? item.kind, title: related.item.title },
          ...related.related.map((r) => ({ slug: r.key, kind: r.kind ?? 'page', title: r.title })),
        ]);
        return { found: true as const, ...related, sources: cited };
      },
    }),

    explainConcept: tool({
      description:
        "A concept from the site's knowledge graph: its summary, learning goals, prerequisites (with " +
        'reasons), what builds on it, the content that covers it, and its learning path. Use for "what is X?".',
      inputSchema: toolInputSchemas.explainConcept,
      execute: async (input, { toolCallId }) => {
        const target = await concept(input.concept);
        if (!target) return { found: false as const, concept: input.concept, sources: [] };
        // The concept's record is SQL (the truth); its learning path is the graph's, and optional.
        const [doc, path] = await Promise.all([
          db().then((d) => getConcept({ db: d, slug: target.slug })),
          getLearningPath({ to: target.slug, known: [] }).catch((err: unknown) => {
            if (!(err instanceof GraphUnavailableError)) throw err;
            log.warn('explainConcept: graph unavailable; answering without the learning path', { err });
            return 'unavailable' as const;
          }),
        ]);
        if (!doc) return { found: false as const, concept: input.concept, sources: [] };
        const content = doc.content.slice(0, 5);
        const cited = cite(toolCallId, [
          { slug: doc.slug, kind: 'concept', title: doc.title },
          ...content.map((c) => ({ slug: c.slug, kind: c.kind, title: c.title })),
        ]);
        return {
          found: true as const,
          concept: { ...doc, content },
          learningPath: path === 'unavailable' || !path ? null : path.steps,
          graph: path === 'unavailable' ? ('unavailable' as const) : ('ok' as const),
          sources: cited,
        };
      },
    }),
  } satisfies Record<ChatToolName, ToolSet[string]>;

  return { tools, sources };
}

/**
 * Runs a store read; a failure becomes a ToolFailure with a public message, logged with its cause (an
 * outage of the graph is expected, so a warning; anything else is an error).
 */
async function storeRead<T>(work: () => Promise<T>, message: string): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof GraphUnavailableError) log.warn('chat tool: graph unavailable', { err });
    else log.error('chat tool failed', { err });
    throw new ToolFailure(message, { cause: err });
  }
}

/** A search snippet (HTML-escaped, terms in `<mark>`) as plain text. */
function plainSnippet(html: string): string {
  return html
    .replace(/<\/?mark>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}
