/**
 * Deterministic intent rules for the local model: a few question shapes the knowledge graph answers
 * exactly are mapped to one tool call each, so the local model emits the same `tool-*` parts a
 * provider model would. Anything else is left to retrieval (null).
 *
 *   "What should I learn before HNSW?"          -> learningPath   { concept: "HNSW" }
 *   "How do I get from tokenization to BM25?"  -> shortestPath   { from: "tokenization", to: "BM25" }
 *   "What else is like tinyindex?"             -> relatedContent { item: "tinyindex" }
 *   "What is MVCC?"                            -> explainConcept { concept: "MVCC" }
 *   "Find posts about caching"                 -> searchContent  { query: "caching" }
 *
 * Names are passed on as written; the tools resolve them to slugs (see names.ts).
 */

export type ToolIntent =
  | { tool: 'learningPath'; input: { concept: string } }
  | { tool: 'shortestPath'; input: { from: string; to: string } }
  | { tool: 'relatedContent'; input: { item: string } }
  | { tool: 'explainConcept'; input: { concept: string } }
  | { tool: 'searchContent'; input: { query: string } };

const LEARN_BEFORE = [
  /^what (?:should|do|must|would) i (?:need to )?(?:learn|know|study|read|understand) (?:before|first,? before|ahead of|prior to) (?:learning |studying |tackling )?(.+)$/i,
  /^what (?:should|do|must) i (?:learn|know|study) (?:first )?to (?:learn|understand|get to) (.+)$/i,
  /^what are the prerequisites (?:of|for|to) (.+)$/i,
  /^(?:give me |show me |what is )?(?:a |the )?learning path (?:to|for|towards) (.+)$/i,
  /^how (?:do|can|should) i (?:learn|get to|start (?:learning|with)) (.+)$/i,
];
const GET_FROM_TO = [
  /^how (?:do|can|would|should) (?:i|you|we) (?:get|go|move) from (.+?) to (.+)$/i,
  /^how (?:is|are|does) (.+?) (?:connected|related|linked) to (.+)$/i,
  /^what (?:connects|links) (.+?) (?:to|and|with) (.+)$/i,
];
const LIKE = [
  /^what else is (?:like|similar to) (.+)$/i,
  /^(?:what is|what's|is there) (?:anything|something) (?:else )?(?:like|similar to) (.+)$/i,
  /^(?:show me |find )?(?:more|other things|similar content) like (.+)$/i,
];
const WHAT_IS = [/^(?:what is|what's|what are|explain|define|tell me about) (.+)$/i];
const SEARCH = [
  /^(?:search|find|look up|show me)(?: for)? (?:posts|projects|lessons|courses|content|pages|articles)?\s*(?:about|on|for|mentioning)\s+(.+)$/i,
  /^search(?: for)? (.+)$/i,
];

/** The tool call a question asks for, or null when it is a plain question for retrieval. */
export function detectIntent(question: string): ToolIntent | null {
  const q = normalise(question);
  if (q === '' || q.length > 300) return null;
  for (const re of LEARN_BEFORE) {
    const m = re.exec(q);
    const concept = name(m?.[1]);
    if (concept) return { tool: 'learningPath', input: { concept } };
  }
  for (const re of GET_FROM_TO) {
    const m = re.exec(q);
    const from = name(m?.[1]);
    const to = name(m?.[2]);
    if (from && to) return { tool: 'shortestPath', input: { from, to } };
  }
  for (const re of LIKE) {
    const m = re.exec(q);
    const item = name(m?.[1]);
    if (item) return { tool: 'relatedContent', input: { item } };
  }
  for (const re of SEARCH) {
    const m = re.exec(q);
    const query = name(m?.[1]);
    if (query) return { tool: 'searchContent', input: { query } };
  }
  for (const re of WHAT_IS) {
    const m = re.exec(q);
    const concept = name(m?.[1]);
    // "What is the difference between A and B?" or a long clause is a question for retrieval.
    if (
      concept &&
      concept.split(' ').length <= 4 &&
      !/\b(difference|between|and|or|why|how)\b/i.test(concept)
    )
      return { tool: 'explainConcept', input: { concept } };
  }
  return null;
}

function normalise(question: string): string {
  return question
    .trim()
    .replace(/\s+/g, ' ')
    .replace(/[?!.]+$/, '')
    .trim();
}

/** A name from a question: without articles, quotes and a trailing "concept"/"project". */
function name(raw: string | undefined): string | null {
  if (!raw) return null;
  const cleaned = raw
    .replace(/^["'“‘]|["'”’]$/g, '')
    .replace(/^(?:the|a|an) /i, '')
    .replace(/ (?:concept|project|post|lesson|course|page)$/i, '')
    .replace(/^["'“‘]|["'”’]$/g, '')
    .trim();
  if (cleaned.length < 2 || cleaned.length > 120) return null;
  return cleaned;
}
