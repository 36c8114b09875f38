import { describe, expect, it } from 'vitest';
import { apAt, evaluate, mrrAt, ndcgAt, recallAt } from '../../lib/eval/metrics.js';
import { fuse } from '../../lib/search/fuse.js';
import { fuseConvex } from '../../lib/search/search.js';
import { escapeHtml, makeSnippet, queryStems } from '../../lib/search/snippet.js';
import { collapse } from '../../lib/sync/engine.js';
import { backoffMs, DEFAULT_RETRY } from '../../lib/sync/outbox.js';

describe('retrieval metrics', () => {
  const judged = new Map([
    ['a', 1],
    ['c', 2],
    ['z', 0],
  ]);
  const ranked = ['a', 'b', 'c'];

  it('happy: nDCG@k uses gain 2^rel - 1 and a log2 discount against the ideal order', () => {
    const dcg = 1 / Math.log2(2) + 3 / Math.log2(4);
    const idcg = 3 / Math.log2(2) + 1 / Math.log2(3);
    expect(ndcgAt(ranked, judged, 10)).toBeCloseTo(dcg / idcg, 10);
    expect(ndcgAt(['c', 'a'], judged, 10)).toBeCloseTo(1, 10);
  });

  it('happy: AP, recall and MRR count only judgements above zero', () => {
    expect(apAt(ranked, judged, 100)).toBeCloseTo((1 + 2 / 3) / 2, 10);
    expect(recallAt(ranked, judged, 2)).toBe(0.5);
    expect(mrrAt(['b', 'z', 'c'], judged, 10)).toBeCloseTo(1 / 3, 10);
    expect(mrrAt(['b'], judged, 10)).toBe(0);
  });

  it('happy: evaluate averages over queries and rounds to three decimals', () => {
    const m = evaluate([
      { ranked: ['a', 'c'], judged },
      { ranked: [], judged },
    ]);
    expect(m['Recall@10']).toBe(0.5);
    expect(m['MRR@10']).toBe(0.5);
  });
});

describe('reciprocal rank fusion', () => {
  it('happy: an item both lists rank well beats one only a single list ranks first', () => {
    const fused = fuse(
      [
        { weight: 1, ids: ['x', 'both'] },
        { weight: 1, ids: ['y', 'both'] },
      ],
      60,
    );
    expect(fused[0]?.id).toBe('both');
    expect(fused[0]?.score).toBeCloseTo(2 / 62, 10);
  });

  it('happy: ties keep first-seen order, so results are deterministic', () => {
    expect(
      fuse([
        { weight: 1, ids: ['a'] },
        { weight: 1, ids: ['b'] },
      ]).map((r) => r.id),
    ).toEqual(['a', 'b']);
  });
});

describe('snippets', () => {
  it('happy: marks words sharing a stem with the query, and only those', () => {
    const s = makeSnippet('Indexing indexes quickly; an index is not a table.', queryStems('index'));
    expect(s).toBe(
      '<mark>Indexing</mark> <mark>indexes</mark> quickly; an <mark>index</mark> is not a table.',
    );
  });

  it('security: HTML in the text is escaped, and the only tags are <mark>', () => {
    const s = makeSnippet('<img src=x onerror=alert(1)> & "quotes" about search', queryStems('search img'));
    expect(s).not.toMatch(/<(?!\/?mark>)/);
    expect(s).toContain('&lt;');
    expect(s).toContain('&amp;');
    expect(escapeHtml(`<a href="x">'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&lt;/a&gt;');
  });

  it('happy: a long text is windowed around the query terms', () => {
    const text = `${'filler words here. '.repeat(40)}The outbox pattern keeps writes atomic. ${'more filler. '.repeat(40)}`;
    const s = makeSnippet(text, queryStems('outbox'), 120);
    expect(s).toContain('<mark>outbox</mark>');
    expect(s.startsWith('…')).toBe(true);
    expect(s.endsWith('…')).toBe(true);
  });
});

describe('outbox mechanics', () => {
  it('happy: backoff doubles per attempt with jitter in [50%, 100%] and a cap', () => {
    const at = (attempts: number, r: number) => backoffMs(attempts, { ...DEFAULT_RETRY, random: () => r });
    expect(at(1, 0)).toBe(2_500);
    expect(at(1, 0.999)).toBeLessThanOrEqual(5_000);
    expect(at(3, 0)).toBe(10_000);
    expect(at(30, 0.999)).toBeLessThanOrEqual(DEFAULT_RETRY.maxDelayMs);
  });

  it('happy: events collapse per entity, the latest op wins, and every row is kept for marking', () => {
    const row = (id: number, entityId: string, op: 'upsert' | 'delete') => ({
      id,
      entity: 'content' as const,
      entityId,
      op,
      version: id,
      attempts: 1,
      projector: 'text',
    });
    const groups = collapse([row(1, 'a', 'upsert'), row(2, 'b', 'upsert'), row(3, 'a', 'delete')]);
    expect(groups.map((g) => [g.event.entityId, g.event.op, g.rows.length])).toEqual([
      ['a', 'delete', 2],
      ['b', 'upsert', 1],
    ]);
  });
});

describe('convex score fusion', () => {
  it("happy: scores are normalised by each side's best, weighted and summed; missing counts 0", () => {
    const fused = fuseConvex([
      {
        weight: 0.8,
        hits: [
          { contentId: 'a', score: 10 },
          { contentId: 'b', score: 5 },
        ],
      },
      {
        weight: 0.2,
        hits: [
          { contentId: 'b', score: 0.9 },
          { contentId: 'c', score: 0.45 },
        ],
      },
    ]);
    expect(fused.map((f) => f.id)).toEqual(['a', 'b', 'c']);
    expect(fused[0]?.score).toBeCloseTo(0.8, 10);
    expect(fused[1]?.score).toBeCloseTo(0.4 + 0.2, 10);
    expect(fused[2]?.score).toBeCloseTo(0.1, 10);
  });

  it('edge: an empty or all-zero side adds nothing; ties keep first-seen order', () => {
    expect(
      fuseConvex([
        { weight: 1, hits: [] },
        { weight: 1, hits: [{ contentId: 'x', score: 0 }] },
      ]),
    ).toEqual([]);
    const tie = fuseConvex([
      {
        weight: 1,
        hits: [
          { contentId: 'p', score: 1 },
          { contentId: 'q', score: 1 },
        ],
      },
    ]);
    expect(tie.map((f) => f.id)).toEqual(['p', 'q']);
  });
});
