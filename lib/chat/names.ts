import { type Db, schema } from '../stores/sql/index.js';

/**
 * Names to slugs for the chat tools: a model (or the local intent rules) names things as people do
 * ("HNSW", "vector embeddings", "tinyindex"), the graph functions take slugs. Matching is exact after
 * normalising case, punctuation, articles and a plural "s"; then a title's part before a colon
 * ("tinyindex: a teaching search engine"); then a unique candidate whose title contains every word of
 * the name. Ambiguous or unknown names resolve to nothing, never to a guess.
 */

export interface Named {
  slug: string;
  title: string;
  kind: string;
}

export function normaliseName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[-_]+/g, ' ')
    .replace(/[^\p{L}\p{N} ]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^(the|a|an) /, '');
}

/** A word and its possible singulars ("indexes" -> index, indexe; "caches" -> cache, cach). */
const forms = (w: string) => [w, w.replace(/(?<=\w{2})s$/, ''), w.replace(/(?<=\w{2})es$/, '')];
const singular = (s: string) => s.replace(/(?<=\w{3})s$/, '');
const words = (s: string) => normaliseName(s).split(' ').filter(Boolean);
const sameWord = (a: string, b: string) => forms(a).some((f) => forms(b).includes(f));

/** The candidate a name means, or null when none or several match equally well. */
export function matchName<T extends Named>(name: string, candidates: readonly T[]): T | null {
  const n = normaliseName(name);
  if (n === '') return null;
  const ns = singular(n);
  const tiers: ((c: T) => boolean)[] = [
    (c) => normaliseName(c.slug) === n || normaliseName(c.title) === n,
    (c) => singular(normaliseName(c.slug)) === ns || singular(normaliseName(c.title)) === ns,
    (c) => {
      const head = c.title.split(':')[0] ?? '';
      return head !== c.title && singular(normaliseName(head)) === ns;
    },
    (c) => {
      const title = [...words(c.title), ...words(c.slug)];
      return words(name).every((w) => title.some((t) => sameWord(w, t)));
    },
  ];
  for (const test of tiers) {
    const hits = candidates.filter(test);
    if (hits.length === 1) return hits[0] ?? null;
    if (hits.length > 1) return null;
  }
  return null;
}

/** Every concept's slug and title: one query (a few hundred rows at most). */
export async function loadConceptNames(db: Db): Promise<Named[]> {
  const rows = await db
    .select({ slug: schema.concepts.slug, title: schema.concepts.title })
    .from(schema.concepts);
  return rows.map((r) => ({ ...r, kind: 'concept' }));
}

/** Every content item's slug, title and kind: one query. */
export async function loadContentNames(db: Db): Promise<Named[]> {
  return db
    .select({ slug: schema.content.slug, title: schema.content.title, kind: schema.content.kind })
    .from(schema.content);
}
