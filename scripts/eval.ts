import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { migrate } from '../db/migrate.js';
import { getEmbedder } from '../lib/ai/embedder.js';
import { importBundle } from '../lib/content/import/run.js';
import type { RawBundle } from '../lib/content/import/sources.js';
import { readCollection, trecLine } from '../lib/eval/beir.js';
import { evaluate, type Judgements } from '../lib/eval/metrics.js';
import { configureLog } from '../lib/log.js';
import { searchContent } from '../lib/search/search.js';
import { setCache } from '../lib/stores/cache/index.js';
import { MemoryCache } from '../lib/stores/cache/memory.js';
import { setSql } from '../lib/stores/sql/index.js';
import { openPglite } from '../lib/stores/sql/pglite.js';
import { getVectorStore, setVectorStore } from '../lib/stores/vector/index.js';
import { syncNow } from '../lib/sync/run.js';
import { createProgress } from './lib/progress.js';

/**
 * Retrieval evaluation on a BEIR-style folder. The corpus goes into a FRESH embedded store (a temp
 * PGlite with pgvector) through the normal import (the admin write path: content rows + outbox), the
 * normal outbox sync (chunking, embedding, vectors, chunk rows) and the normal `searchContent`; nothing
 * takes a shortcut. Prints the metrics as one JSON line; `--run` writes a TREC run file.
 *
 *   npm run eval -- --dataset ../shared/eval/cranfield --run /tmp/cranfield.run
 */
const { values } = parseArgs({
  options: {
    dataset: { type: 'string' },
    run: { type: 'string' },
    tag: { type: 'string', default: 'polyfolio' },
    /** Evaluate only the first N judged queries (a quick look while tuning). */
    queries: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
if (!values.dataset) {
  process.stderr.write('usage: npm run eval -- --dataset <dir> [--run <file>] [--tag name]\n');
  process.exit(2);
}

configureLog({ level: 'error', sink: (line) => process.stderr.write(`${line}\n`) });
const started = performance.now();
const collection = readCollection(resolve(values.dataset));
const dir = mkdtempSync(join(tmpdir(), 'polyfolio-eval-'));
const store = await openPglite({ dataDir: join(dir, 'pglite') });
try {
  await migrate(store);
  setSql(store);
  setVectorStore(undefined); // the env's vector store on this fresh SQL store: pgvector by default
  setCache(new MemoryCache());
  const embedder = await getEmbedder();
  const vectors = await getVectorStore();

  // Document ids become slugs (the write path's slug rules), mapped back for the run file.
  const slugToDoc = new Map<string, string>();
  const bundle: RawBundle = { concepts: [], content: [], problems: [] };
  for (const d of collection.docs) {
    const slug = `doc-${d.id.toLowerCase().replace(/[^a-z0-9_-]+/g, '-')}`;
    slugToDoc.set(slug, d.id);
    const title = d.title.trim().slice(0, 300) || `Document ${d.id}`;
    bundle.content.push({
      source: `corpus.jsonl#${d.id}`,
      data: { slug, kind: 'post', title, body: d.text },
    });
  }
  const importBar = createProgress('import');
  const report = await importBundle({ sql: store, bundle, actor: 'cli:eval', progress: importBar.update });
  importBar.stop();
  if (report.problems.length) process.stderr.write(`import problems: ${report.problems.length}\n`);
  const indexStarted = performance.now();
  const syncBar = createProgress('index');
  const sync = await syncNow({ sql: store, batchSize: 200, progress: syncBar.update });
  syncBar.stop();
  const indexMs = performance.now() - indexStarted;

  const judged = collection.queries.filter((q) => (collection.qrels.get(q.id)?.size ?? 0) > 0);
  const queries = values.queries ? judged.slice(0, Number(values.queries)) : judged;
  const runs: { ranked: string[]; judged: Judgements }[] = [];
  const lines: string[] = [];
  const searchBar = createProgress('search');
  const searchStarted = performance.now();
  let degraded = 0;
  for (const [i, q] of queries.entries()) {
    const res = await searchContent({ q: q.text.slice(0, 500), limit: 100 }, { noCache: true });
    if (res.degraded) degraded++;
    const ranked = res.results.map((r) => slugToDoc.get(r.slug) ?? r.slug);
    runs.push({ ranked, judged: collection.qrels.get(q.id) ?? new Map() });
    res.results.forEach((r, rank) => {
      lines.push(
        trecLine(q.id, slugToDoc.get(r.slug) ?? r.slug, rank + 1, r.score, values.tag ?? 'polyfolio'),
      );
    });
    searchBar.update(i + 1, queries.length);
  }
  searchBar.stop();
  const searchMs = performance.now() - searchStarted;
  if (values.run) writeFileSync(values.run, `${lines.join('\n')}\n`);
  const metrics = evaluate(runs);
  process.stdout.write(
    `${JSON.stringify({
      dataset: values.dataset,
      queries: queries.length,
      docs: collection.docs.length,
      ...metrics,
      embedder: embedder.id,
      vectors: vectors.name,
      degraded,
      chunks: (sync.projectors.vectors?.chunksEmbedded ?? 0) + (sync.projectors.vectors?.chunksSkipped ?? 0),
      indexSeconds: Math.round(indexMs / 100) / 10,
      searchMsPerQuery: Math.round((searchMs / Math.max(1, queries.length)) * 10) / 10,
      totalSeconds: Math.round((performance.now() - started) / 100) / 10,
    })}\n`,
  );
} finally {
  await store.close();
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  else process.stderr.write(`kept ${dir}\n`);
}
