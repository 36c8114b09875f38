import { sql } from 'drizzle-orm';
import { topicWords } from '../ai/standalone.js';
import { terms, words } from '../ai/text-features.js';
import { type Db, parseTextArray, queryRows } from '../stores/sql/index.js';

/**
 * Items a question names: "What is judgekit?", "Summarize the outbox that ate our disk", "What is a
 * B-tree?". A visitor who names an item expects that item first, whatever the ranking does with the
 * rest of the question, so chat looks titles up directly (one cheap SQL query over content and concept
 * titles, run beside the search) and puts the named items at the top of the context.
 *
 * Each named content item comes with its chunk that best matches the turn as asked.
 *
 * A title is named when the question contains (as stemmed words, stop words aside) the whole title,
 * the name before its colon ("judgekit" of "judgekit: offline evaluation ..."), or its first words
 * (at least two, and at least half the title: "the chunking strategies post"). A one-word title that is
 * not a name ("Caching", "MVCC") counts only when the question is about little else. The longest
 * match ranks first ("the connection pool math post" before the concept "Connection pooling").
 */

export interface NamedItem {
  /** A content kind, or 'concept'. */
  kind: string;
  slug: string;
  title: string;
  /** The content's id, or the concept's. */
  contentId: string;
  url?: string;
  concepts: string[];
  summary: string;
  /**
   * Content: its chunk that best matches the question as asked (full-text rank; the first chunk when
   * none matches), so a follow-up about one section of a named item gets that section.
   */
  chunk?: { chunkId: string; heading: string; text: string };
  /** Concepts: their learning goals. */
  goals: string[];
  match: TitleMatch;
}

export interface TitleMatch {
  /** The whole title or its name, rather than its first words. */
  exact: boolean;
  /** The name before a colon. */
  name: boolean;
  /** Title terms matched. */
  length: number;
}

type Row = {
  kind: string;
  id: string;
  slug: string;
  title: string;
  summary: string;
  url: string | null;
  chunk_id: string | null;
  heading: string | null;
  text: string | null;
  goals: unknown;
  concepts: string[] | string | null;
};

/** How `title` is named by a question whose terms are `q`, if it is. */
export function titleMatch(q: readonly string[], title: string, topicCount: number): TitleMatch | null {
  const clean = title.replace(/\s*\([^)]*\)\s*$/, '');
  const colon = clean.indexOf(':');
  const full = terms(clean);
  const name = colon > 0 ? terms(clean.slice(0, colon)) : [];
  if (name.length > 0 && contains(q, name)) return { exact: true, name: true, length: name.length };
  if (full.length > 0 && contains(q, full)) {
    // "Caching" in "How does caching interact with the outbox?" is a word, not a name
    if (full.length === 1 && topicCount > 3) return null;
    return { exact: true, name: false, length: full.length };
  }
  for (let k = full.length - 1; k >= 2; k--) {
    if (k * 2 < full.length) break;
    if (contains(q, full.slice(0, k))) return { exact: false, name: false, length: k };
  }
  return null;
}

function contains(haystack: readonly string[], needle: readonly string[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Longer matches first; a name counts double, a whole title a little more than its first words. */
function rank(m: TitleMatch, kind: string): number {
  return m.length + (m.exact ? 0.5 : 0) + (m.name ? 2 : 0) + (kind === 'concept' ? 0 : 0.25);
}

/**
 * The items `question` names, best first (at most `limit`). With `asked` (the turn as asked, when
 * `question` is a follow-up made standalone), items the turn itself names win over those named only
 * by the carried words.
 */
export async function findNamedItems(
  db: Db,
  question: string,
  options: { asked?: string; limit?: number } = {},
): Promise<NamedItem[]> {
  const limit = options.limit ?? 2;
  const patterns = [...new Set(words(question).filter((w) => w.length >= 3))]
    .slice(0, 40)
    .map((w) => `%${w.slice(0, 5)}%`);
  if (patterns.length === 0) return [];
  const any = sql`ANY (ARRAY[${sql.join(
    patterns.map((p) => sql`${p}`),
    sql`, `,
  )}]::text[])`;
  const asked = (options.asked ?? question).slice(0, 1000);
  const rows = await queryRows<Row>(
    db,
    sql`WITH q AS MATERIALIZED (
          SELECT string_agg(quote_literal(term), ' | ')::tsquery AS tq
          FROM (SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('english', ${asked}))) AS term) t
        )
        SELECT c.kind, c.id::text AS id, c.slug, c.title, c.summary, c.url,
               ch.id AS chunk_id, ch.heading, ch.text, NULL::jsonb AS goals,
               ARRAY(SELECT k.slug FROM content_concepts cc JOIN concepts k ON k.id = cc.concept_id
                     WHERE cc.content_id = c.id ORDER BY k.slug) AS concepts
        FROM content c
        LEFT JOIN LATERAL (
          SELECT ch.id, ch.heading, ch.text FROM chunks ch, q
          WHERE ch.content_id = c.id
          -- weights {D, C, B, A}: body text and headings count fully, the item-wide fields (title,
          -- summary) half, since every chunk (or the lead) carries them
          ORDER BY coalesce(ts_rank('{1, 0.5, 1, 0.5}'::float4[], ch.tsv, q.tq), 0) DESC, ch.position
          LIMIT 1
        ) ch ON true
        WHERE lower(c.title) LIKE ${any}
        UNION ALL
        SELECT 'concept', k.id::text, k.slug, k.title, k.summary, NULL,
               NULL, NULL, NULL, k.goals, ARRAY[k.slug]
        FROM concepts k
        WHERE lower(k.title) LIKE ${any}
        LIMIT 200`,
  );
  if (options.asked && options.asked !== question) {
    const own = pickNamed(options.asked, rows, limit);
    if (own.length) return own;
  }
  return pickNamed(question, rows, limit);
}

export function pickNamed(question: string, rows: Row[], limit: number): NamedItem[] {
  const q = terms(question);
  const topicCount = topicWords(question).length;
  const found: NamedItem[] = [];
  for (const r of rows) {
    const match = titleMatch(q, r.title, topicCount);
    if (!match) continue;
    found.push({
      kind: r.kind,
      slug: r.slug,
      title: r.title,
      contentId: r.id,
      ...(r.url ? { url: r.url } : {}),
      concepts: parseTextArray(r.concepts),
      summary: r.summary,
      ...(r.chunk_id ? { chunk: { chunkId: r.chunk_id, heading: r.heading ?? '', text: r.text ?? '' } } : {}),
      goals: Array.isArray(r.goals) ? r.goals.filter((g): g is string => typeof g === 'string') : [],
      match,
    });
  }
  return found
    .sort((a, b) => rank(b.match, b.kind) - rank(a.match, a.kind) || a.slug.localeCompare(b.slug))
    .slice(0, limit);
}
