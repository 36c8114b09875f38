import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RankingSnapshot, rankingSnapshot } from '../../lib/eval/ranking-snapshot.js';
import type { SqlStore } from '../../lib/stores/sql/index.js';
import { createPglite } from '../helpers/sql.js';

/**
 * Speed work must not move results: the rankings recorded by scripts/gen-search-fixture.ts (from the
 * code before the change) must come out again, id for id and score for score, for the full-text side
 * (plain, filtered, deeper, RM3, proximity) and hybrid search (two pages, with snippets).
 */
const expected = JSON.parse(
  readFileSync(new URL('../fixtures/search-rankings.json', import.meta.url), 'utf8'),
) as RankingSnapshot;

let store: SqlStore;
let actual: RankingSnapshot;
beforeAll(async () => {
  store = await createPglite();
  actual = await rankingSnapshot(store);
}, 120_000);
afterAll(async () => {
  await store?.close();
});

describe('search rankings on a fixed corpus', () => {
  it('happy: the fixture covers every configuration with non-empty rankings', () => {
    const names = new Set(Object.keys(expected).map((k) => k.split(' | ')[0]));
    expect([...names].sort()).toEqual(
      [
        'bm25f',
        'bm25f concept',
        'bm25f kinds',
        'bm25f top200',
        'bm25f+prox',
        'bm25f+rm3',
        'hybrid',
        'hybrid page 2',
      ].sort(),
    );
    expect(Object.values(expected).filter((r) => r.length > 0).length).toBeGreaterThan(60);
  });

  it('happy: every ranking equals the recorded one', () => {
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    for (const [key, ranking] of Object.entries(expected)) expect(actual[key], key).toEqual(ranking);
  });
});
