import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSampleContent } from '../../lib/content/seed.js';
import { BM25F, DEFAULT_LEXICAL, type LexicalHit, RM3, searchLexical } from '../../lib/search/lexical.js';
import { MemoryConfigStore } from '../../lib/stores/config/memory.js';
import type { SqlStore } from '../../lib/stores/sql/index.js';
import { defaultProjectors } from '../../lib/sync/projectors.js';
import { syncNow } from '../../lib/sync/run.js';
import { createPglite } from '../helpers/sql.js';

/**
 * RM3 feedback re-ranks documents with terms typical of the first pass's best matches. Those terms model
 * the topic, not the question: the section a result shows (and chat quotes) must still be the one that
 * best matches the words the visitor used. Checked on the sample content with the chat QA set's
 * questions, where feedback alone would pick another section for about one top-3 document in ten.
 */
let sql: SqlStore;
const questions = (
  JSON.parse(readFileSync('tests/fixtures/chat-qa.json', 'utf8')) as { questions: { turns: string[] }[] }
).questions.map((q) => q.turns[0] ?? '');

beforeAll(async () => {
  sql = await createPglite();
  await seedSampleContent({ sql, config: new MemoryConfigStore() });
  await syncNow({ sql, projectors: defaultProjectors().filter((p) => p.name === 'text') });
});

afterAll(async () => {
  await sql.close();
});

const search = (q: string, params = BM25F) => searchLexical({ db: sql.db, q, topK: 20, params });
const sectionOf = (hits: LexicalHit[]) => new Map(hits.map((h) => [h.slug, `${h.heading} (${h.chunkId})`]));

describe('full-text ranking with RM3 feedback', () => {
  it('ships on by default', () => {
    expect(DEFAULT_LEXICAL.rm3).toEqual(RM3);
  });

  it('shows each document by its section that best matches the words asked, not the expansion terms', async () => {
    const mismatches: string[] = [];
    let compared = 0;
    for (const q of questions) {
      const plain = await search(q);
      const expanded = sectionOf(await search(q, { ...BM25F, rm3: RM3 }));
      for (const hit of plain.slice(0, 3)) {
        const shown = expanded.get(hit.slug);
        if (shown === undefined) continue;
        compared++;
        const asked = `${hit.heading} (${hit.chunkId})`;
        if (shown !== asked) mismatches.push(`${q} | ${hit.slug}: ${shown} instead of ${asked}`);
      }
    }
    expect(compared).toBeGreaterThan(250);
    expect(mismatches).toEqual([]);
  });

  it('returns one row per document, ranked by its best chunk under the expanded query', async () => {
    const hits = await search('How do you avoid a cache stampede after invalidating many keys?', {
      ...BM25F,
      rm3: RM3,
    });
    const slugs = hits.map((h) => h.slug);
    expect(new Set(slugs).size).toBe(slugs.length);
    expect(slugs.length).toBeGreaterThan(3);
    const scores = hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('ranks the same first page whether documents come from the best chunks or from every match', async () => {
    // topK 10 ranks from the best 100 chunks (they hold 10 documents); topK 300 asks for more documents
    // than match, so every matching chunk is grouped: the first ten must agree, section and score.
    let compared = 0;
    for (const q of questions.filter((_, i) => i % 4 === 0)) {
      const page = (hits: LexicalHit[]) =>
        hits.slice(0, 10).map((h) => `${h.slug} ${h.chunkId} ${h.score.toFixed(9)}`);
      const few = await searchLexical({ db: sql.db, q, topK: 10, params: DEFAULT_LEXICAL });
      const all = await searchLexical({ db: sql.db, q, topK: 300, params: DEFAULT_LEXICAL });
      expect(all.length, q).toBeLessThan(300);
      expect(page(few), q).toEqual(page(all));
      compared += few.length;
    }
    expect(compared).toBeGreaterThan(200);
  });
});
