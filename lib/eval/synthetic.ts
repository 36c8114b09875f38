import type { RawBundle } from '../content/import/sources.js';

/**
 * A deterministic synthetic corpus for ranking-stability tests and scale benchmarks: pseudo-words drawn
 * from a Zipf distribution (like natural text: a few very common words, a long tail of rare ones),
 * items of every kind with titles, summaries, tags, bodies with sections, and concepts they link to.
 * The same seed always gives the same bundle and queries.
 */
export interface SyntheticCorpus {
  bundle: RawBundle;
  queries: string[];
  concepts: string[];
}

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'ta',
  'vo',
  'zi',
  'pe',
  'sa',
  'do',
  'fu',
  'gri',
  'ban',
  'tor',
];
const KINDS = ['post', 'project', 'lesson', 'page'] as const;

/** mulberry32: a small seeded PRNG. */
export function seededRandom(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticCorpus(options: {
  items: number;
  seed?: number;
  vocabulary?: number;
  queries?: number;
}): SyntheticCorpus {
  const rnd = seededRandom(options.seed ?? 7);
  const vocab: string[] = [];
  const seen = new Set<string>();
  while (vocab.length < (options.vocabulary ?? 3000)) {
    const n = 2 + Math.floor(rnd() * 3);
    let w = '';
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rnd() * SYLLABLES.length)];
    if (!seen.has(w)) {
      seen.add(w);
      vocab.push(w);
    }
  }
  // Zipf (s = 1) by inverse CDF over the cumulative harmonic weights.
  const cdf: number[] = [];
  let total = 0;
  for (let r = 1; r <= vocab.length; r++) {
    total += 1 / r;
    cdf.push(total);
  }
  const word = () => {
    const x = rnd() * total;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] ?? 0) < x) lo = mid + 1;
      else hi = mid;
    }
    return vocab[lo] ?? 'ka';
  };
  const words = (n: number) => Array.from({ length: n }, word).join(' ');
  const sentence = () => `${words(6 + Math.floor(rnd() * 12))}.`;
  const paragraph = () => Array.from({ length: 2 + Math.floor(rnd() * 4) }, sentence).join(' ');

  const concepts = Array.from({ length: 12 }, (_, i) => `concept-${i}`);
  const bundle: RawBundle = { concepts: [], content: [], problems: [] };
  for (const [i, slug] of concepts.entries()) {
    bundle.concepts.push({
      source: `synthetic#${slug}`,
      data: { slug, title: `${words(2)} ${i}`, summary: sentence(), goals: [sentence(), sentence()] },
    });
  }
  for (let i = 0; i < options.items; i++) {
    const sections = Math.floor(rnd() * 3);
    const body = [
      paragraph(),
      ...Array.from({ length: sections }, () => `## ${words(3)}\n\n${paragraph()}\n\n${paragraph()}`),
    ].join('\n\n');
    bundle.content.push({
      source: `synthetic#${i}`,
      data: {
        slug: `item-${i}`,
        kind: KINDS[i % KINDS.length],
        title: words(3 + Math.floor(rnd() * 5)),
        summary: rnd() < 0.6 ? sentence() : '',
        tags: rnd() < 0.5 ? [...new Set([word(), word()])] : [],
        body,
        concepts: concepts.filter(() => rnd() < 0.08),
      },
    });
  }
  const queries = Array.from({ length: options.queries ?? 40 }, (_, i) => words(1 + (i % 6)));
  return { bundle, queries, concepts };
}
