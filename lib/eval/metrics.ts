/** Graded judgements of one query: doc id -> relevance (> 0 relevant). */
export type Judgements = Map<string, number>;

export interface Metrics {
  'nDCG@10': number;
  'MAP@100': number;
  'Recall@10': number;
  'Recall@100': number;
  'MRR@10': number;
}

/** nDCG@k with gain 2^rel - 1 and log2(rank + 1) discount; ideal from the judgements. */
export function ndcgAt(ranked: string[], judged: Judgements, k: number): number {
  let dcg = 0;
  for (const [i, id] of ranked.slice(0, k).entries()) dcg += gain(judged.get(id) ?? 0) / Math.log2(i + 2);
  const ideal = [...judged.values()].filter((r) => r > 0).sort((a, b) => b - a);
  let idcg = 0;
  for (const [i, rel] of ideal.slice(0, k).entries()) idcg += gain(rel) / Math.log2(i + 2);
  return idcg === 0 ? 0 : dcg / idcg;
}

function gain(rel: number): number {
  return rel > 0 ? 2 ** rel - 1 : 0;
}

/** Average precision over the top k, normalised by all relevant documents (as trec_eval's map_cut). */
export function apAt(ranked: string[], judged: Judgements, k: number): number {
  const relevant = [...judged.values()].filter((r) => r > 0).length;
  if (relevant === 0) return 0;
  let hits = 0;
  let sum = 0;
  for (const [i, id] of ranked.slice(0, k).entries()) {
    if ((judged.get(id) ?? 0) > 0) {
      hits++;
      sum += hits / (i + 1);
    }
  }
  return sum / relevant;
}

export function recallAt(ranked: string[], judged: Judgements, k: number): number {
  const relevant = [...judged.values()].filter((r) => r > 0).length;
  if (relevant === 0) return 0;
  return ranked.slice(0, k).filter((id) => (judged.get(id) ?? 0) > 0).length / relevant;
}

export function mrrAt(ranked: string[], judged: Judgements, k: number): number {
  const i = ranked.slice(0, k).findIndex((id) => (judged.get(id) ?? 0) > 0);
  return i < 0 ? 0 : 1 / (i + 1);
}

/** Every metric, averaged over the queries given (each must have at least one relevant document). */
export function evaluate(runs: { ranked: string[]; judged: Judgements }[]): Metrics {
  const mean = (f: (r: string[], j: Judgements) => number) =>
    runs.length ? round(runs.reduce((s, r) => s + f(r.ranked, r.judged), 0) / runs.length) : 0;
  return {
    'nDCG@10': mean((r, j) => ndcgAt(r, j, 10)),
    'MAP@100': mean((r, j) => apAt(r, j, 100)),
    'Recall@10': mean((r, j) => recallAt(r, j, 10)),
    'Recall@100': mean((r, j) => recallAt(r, j, 100)),
    'MRR@10': mean((r, j) => mrrAt(r, j, 10)),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
