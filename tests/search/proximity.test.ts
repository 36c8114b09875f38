import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../../lib/content/import/run.js';
import { BM25F, DEFAULT_LEXICAL, PROXIMITY, searchLexical } from '../../lib/search/lexical.js';
import type { SqlStore } from '../../lib/stores/sql/index.js';
import { syncNow } from '../../lib/sync/run.js';
import { createTextProjector } from '../../lib/sync/text-projector.js';
import { createPglite } from '../helpers/sql.js';

/**
 * The proximity bonus: of two documents with the same words in the same numbers and the same length,
 * the one where the query's words stand together (in either order, within the window) ranks first; the
 * bag-of-words score cannot tell them apart. The bonus is checked for the best `depth` chunks only.
 */
let store: SqlStore;
const filler = 'Notes about servers, queues, dashboards and deployments for the team.';
const items = [
  // "rate" and "limit" together.
  {
    slug: 'together',
    body: `${filler} The rate limit protects the public API from overload on every endpoint; it resets hourly.`,
  },
  // The same words, as often, kept apart.
  {
    slug: 'apart',
    body: `${filler} The rate protects the public API from overload on every endpoint; the limit resets hourly.`,
  },
  // Unrelated noise so document frequencies are not degenerate.
  ...Array.from({ length: 6 }, (_, i) => ({
    slug: `noise-${i}`,
    body: `${filler} Item ${i} of the archive.`,
  })),
];

beforeAll(async () => {
  store = await createPglite();
  await importBundle({
    sql: store,
    bundle: {
      concepts: [],
      problems: [],
      content: items.map((d) => ({
        source: d.slug,
        data: { slug: d.slug, kind: 'post', title: `Post ${d.slug.replace(/\W/g, ' ')}`, body: d.body },
      })),
    },
    actor: 'test',
  });
  await syncNow({ sql: store, projectors: [createTextProjector()], onIndexChanged: async () => {} });
});
afterAll(async () => {
  await store?.close();
});

const search = (q: string, params = DEFAULT_LEXICAL) => searchLexical({ db: store.db, q, topK: 10, params });

describe('full-text proximity bonus', () => {
  it('ships on by default', () => {
    expect(DEFAULT_LEXICAL.proximity).toEqual(PROXIMITY);
  });

  it('happy: words that stand together outrank the same words apart, in either order', async () => {
    for (const q of ['rate limit', 'limit rate', 'what is the rate limit?']) {
      const hits = await search(q, { ...BM25F, proximity: PROXIMITY });
      expect(hits.map((h) => h.slug).slice(0, 2), q).toEqual(['together', 'apart']);
      const [first, second] = hits;
      expect(first?.score ?? 0, q).toBeGreaterThan(second?.score ?? 0);
    }
  });

  it('edge: without the bonus the two score the same', async () => {
    const hits = await search('rate limit', BM25F);
    const scores = new Map(hits.map((h) => [h.slug, h.score]));
    expect(scores.get('together')).toBeCloseTo(scores.get('apart') ?? Number.NaN, 9);
  });

  it('edge: a one-word query gets no bonus, and chunks beyond the depth get none', async () => {
    const single = await search('rate', { ...BM25F, proximity: PROXIMITY });
    const plain = await search('rate', BM25F);
    expect(single.map((h) => [h.slug, h.score])).toEqual(plain.map((h) => [h.slug, h.score]));
    // Depth 0 checks no chunk: the plain scores. Depth 2 checks both candidates: the full bonus.
    const none = await search('rate limit', { ...BM25F, proximity: { ...PROXIMITY, depth: 0 } });
    const two = await search('rate limit', { ...BM25F, proximity: { ...PROXIMITY, depth: 2 } });
    const full = await search('rate limit', { ...BM25F, proximity: { ...PROXIMITY, depth: undefined } });
    const pairs = (hits: typeof none) => hits.map((h) => [h.slug, h.score.toFixed(9)]);
    expect(pairs(none)).toEqual(pairs(await search('rate limit', BM25F)));
    expect(pairs(two)).toEqual(pairs(full));
    expect(pairs(two)).not.toEqual(pairs(none));
  });
});
