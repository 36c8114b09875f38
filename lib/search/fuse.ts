/** A ranking to fuse: ids best first, and how much this ranking counts. */
export interface RankedList {
  weight: number;
  ids: string[];
}

/**
 * Weighted reciprocal rank fusion: score(d) = sum over lists of weight / (k + rank), rank from 1.
 * Rank-based, so BM25 scores and cosine similarities need no common scale. Ties keep the order in which
 * ids were first seen (the first list's order wins), so results are deterministic.
 */
export function fuse(lists: RankedList[], k = 60): { id: string; score: number }[] {
  const scores = new Map<string, { score: number; seen: number }>();
  let seen = 0;
  for (const list of lists) {
    for (const [i, id] of list.ids.entries()) {
      const entry = scores.get(id) ?? { score: 0, seen: seen++ };
      entry.score += list.weight / (k + i + 1);
      scores.set(id, entry);
    }
  }
  return [...scores.entries()]
    .sort((a, b) => b[1].score - a[1].score || a[1].seen - b[1].seen)
    .map(([id, e]) => ({ id, score: e.score }));
}
