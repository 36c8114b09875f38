import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Judgements } from './metrics.js';

/** A BEIR-style test collection folder: corpus.jsonl, queries.jsonl, qrels/test.tsv. */
export interface Collection {
  docs: { id: string; title: string; text: string }[];
  queries: { id: string; text: string }[];
  qrels: Map<string, Judgements>;
}

export function readCollection(dir: string): Collection {
  const jsonl = (file: string) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const docs = jsonl('corpus.jsonl').map((d) => ({
    id: String(d._id),
    title: String(d.title ?? ''),
    text: String(d.text ?? ''),
  }));
  const queries = jsonl('queries.jsonl').map((q) => ({ id: String(q._id), text: String(q.text ?? '') }));
  const qrels = new Map<string, Judgements>();
  const lines = readFileSync(join(dir, 'qrels', 'test.tsv'), 'utf8')
    .split('\n')
    .slice(1);
  for (const line of lines) {
    const [qid, docId, score] = line.trim().split('\t');
    if (!qid || !docId || score === undefined) continue;
    const judged = qrels.get(qid) ?? new Map<string, number>();
    judged.set(docId, Number(score));
    qrels.set(qid, judged);
  }
  return { docs, queries, qrels };
}

/** A TREC run line: `qid Q0 docid rank score tag`. */
export function trecLine(qid: string, docId: string, rank: number, score: number, tag: string): string {
  return `${qid} Q0 ${docId} ${rank} ${score.toFixed(6)} ${tag}`;
}
