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
import { BM25F, DEFAULT_LEXICAL, type LexicalParams, PROXIMITY, RM3 } from '../lib/search/lexical.js';
import { type FusionProfile, LOCAL_FUSION, searchContent } from '../lib/search/search.js';
import { setCache } from '../lib/stores/cache/index.js';
import { MemoryCache } from '../lib/stores/cache/memory.js';
import { setSql } from '../lib/stores/sql/index.js';
import { openPglite } from '../lib/stores/sql/pglite.js';
import { getVectorStore, setVectorStore } from '../lib/stores/vector/index.js';
import { defaultProjectors } from '../lib/sync/projectors.js';
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
    /** `tune` (even positions of the judged queries), `test` (odd: held back) or `all` (default). */
    split: { type: 'string', default: 'all' },
    /** Configurations to compare (comma-separated names of CONFIGS below), default: the shipped one. */
    configs: { type: 'string' },
    /** JSON of extra lexical parameters to try as a configuration named `custom` (tuning). */
    params: { type: 'string' },
    /** JSON fusion profile override for `custom`. */
    fusion: { type: 'string' },
    /** Skip the vector index (full-text configurations only: much faster). */
    'lexical-only': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
if (!values.dataset) {
  process.stderr.write(
    'usage: npm run eval -- --dataset <dir> [--split all|tune|test] [--configs a,b] [--run <file>] [--tag name]\n',
  );
  process.exit(2);
}

/** The configurations `--configs` can name, side by side in the report. */
const CONFIGS: Record<string, { lexical?: LexicalParams; fusion?: FusionProfile; lexicalOnly?: boolean }> = {
  /** Plain BM25: every field weighted like body text. */
  bm25: { lexical: { ...BM25F, weights: { title: 1, heading: 1, meta: 1, body: 1 } }, lexicalOnly: true },
  /** The fielded BM25 alone (no vectors). */
  bm25f: { lexical: BM25F, lexicalOnly: true },
  'bm25f+rm3': { lexical: { ...BM25F, rm3: RM3 }, lexicalOnly: true },
  'bm25f+prox': { lexical: { ...BM25F, proximity: PROXIMITY }, lexicalOnly: true },
  'bm25f+rm3+prox': { lexical: { ...BM25F, rm3: RM3, proximity: PROXIMITY }, lexicalOnly: true },
  /** Hybrid by equal-weight RRF (the first default). */
  'hybrid-rrf-equal': {
    lexical: BM25F,
    fusion: { ...LOCAL_FUSION, method: 'rrf', lexicalWeight: 1, vectorWeight: 1, minSimilarity: 0.05 },
  },
  /** Hybrid by RRF with the vector side at 0.2. */
  'hybrid-rrf-0.2': {
    lexical: BM25F,
    fusion: { ...LOCAL_FUSION, method: 'rrf', lexicalWeight: 1, vectorWeight: 0.2 },
  },
  /** Fielded BM25 and the local vectors by convex fusion at 0.7/0.3 (the previous default). */
  'hybrid-convex-0.3': {
    lexical: BM25F,
    fusion: { ...LOCAL_FUSION, method: 'convex', lexicalWeight: 0.7, vectorWeight: 0.3 },
  },
  /** The shipped feedback with the vectors at 0.3 instead of backfilling. */
  'bm25f+rm3+convex-0.3': {
    lexical: { ...BM25F, rm3: RM3 },
    fusion: { ...LOCAL_FUSION, method: 'convex', lexicalWeight: 0.7, vectorWeight: 0.3 },
  },
  /** What search ships with (DEFAULT_LEXICAL and the embedder's fusion profile). */
  shipped: {},
  /** The shipped search without RM3 feedback. */
  'shipped-rm3': { lexical: { ...DEFAULT_LEXICAL, rm3: undefined } },
  /** The shipped search without the proximity bonus. */
  'shipped-prox': { lexical: { ...DEFAULT_LEXICAL, proximity: undefined } },
  /** The proximity bonus on every matching chunk instead of the first 100 (what the depth costs). */
  'shipped+prox-all': { lexical: { ...DEFAULT_LEXICAL, proximity: { ...PROXIMITY, depth: undefined } } },
};

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
  const projectors = values['lexical-only']
    ? defaultProjectors().filter((p) => p.name === 'text')
    : defaultProjectors().filter((p) => p.name !== 'graph');
  const sync = await syncNow({ sql: store, batchSize: 200, progress: syncBar.update, projectors });
  syncBar.stop();
  const indexMs = performance.now() - indexStarted;

  const judged = collection.queries.filter((q) => (collection.qrels.get(q.id)?.size ?? 0) > 0);
  // The tuning half is the judged queries at even positions, the held-back half those at odd ones.
  const half = new Map(judged.map((q, i) => [q.id, i % 2 === 0 ? 'tune' : 'test']));
  const halves = judged.filter((q) => values.split === 'all' || half.get(q.id) === values.split);
  const queries = values.queries ? halves.slice(0, Number(values.queries)) : halves;
  const configs = { ...CONFIGS };
  // `--params` (and `--fusion`) take one JSON object or an array of them: custom0, custom1, ...
  const asList = (json: string | undefined): Record<string, unknown>[] =>
    json ? [JSON.parse(json)].flat() : [];
  const paramSets = asList(values.params);
  const fusionSets = asList(values.fusion);
  const customs: string[] = [];
  for (let i = 0; i < Math.max(paramSets.length, fusionSets.length); i++) {
    const name = `custom${i}`;
    customs.push(name);
    const fusion = fusionSets[i] ?? fusionSets[0];
    configs[name] = {
      lexical: { ...DEFAULT_LEXICAL, ...(paramSets[i] ?? paramSets[0] ?? {}) } as LexicalParams,
      ...(fusion ? { fusion: { ...LOCAL_FUSION, ...fusion } as FusionProfile } : {}),
      lexicalOnly: values['lexical-only'],
    };
  }
  const names = (values.configs ?? (customs.length ? customs.join(',') : 'shipped'))
    .split(',')
    .filter(Boolean);
  const results: Record<string, unknown>[] = [];
  for (const name of names) {
    const config = configs[name];
    if (!config) throw new Error(`unknown configuration ${name}: one of ${Object.keys(configs).join(', ')}`);
    if (values['lexical-only'] && !config.lexicalOnly)
      throw new Error(`${name} needs vectors: drop --lexical-only`);
    const runs: { ranked: string[]; judged: Judgements; half: string }[] = [];
    const lines: string[] = [];
    const searchBar = createProgress(`search ${name}`);
    const searchStarted = performance.now();
    let degraded = 0;
    for (const [i, q] of queries.entries()) {
      const res = await searchContent(
        { q: q.text.slice(0, 500), limit: 100 },
        {
          noCache: true,
          ...(config.lexical ? { lexical: config.lexical } : {}),
          ...(config.fusion ? { fusion: config.fusion } : {}),
          ...(config.lexicalOnly ? { lexicalOnly: true } : {}),
        },
      );
      if (res.degraded) degraded++;
      const ranked = res.results.map((r) => slugToDoc.get(r.slug) ?? r.slug);
      runs.push({ ranked, judged: collection.qrels.get(q.id) ?? new Map(), half: half.get(q.id) ?? 'tune' });
      res.results.forEach((r, rank) => {
        lines.push(trecLine(q.id, slugToDoc.get(r.slug) ?? r.slug, rank + 1, r.score, values.tag ?? name));
      });
      searchBar.update(i + 1, queries.length);
    }
    searchBar.stop();
    const searchMs = performance.now() - searchStarted;
    if (values.run)
      writeFileSync(names.length > 1 ? `${values.run}.${name}` : values.run, `${lines.join('\n')}\n`);
    const rounded = (m: ReturnType<typeof evaluate>) =>
      Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
    results.push({
      config: name,
      ...rounded(evaluate(runs)),
      ...(values.split === 'all'
        ? {
            tune: rounded(evaluate(runs.filter((r) => r.half === 'tune'))),
            test: rounded(evaluate(runs.filter((r) => r.half === 'test'))),
          }
        : {}),
      degraded,
      searchMsPerQuery: Math.round((searchMs / Math.max(1, queries.length)) * 10) / 10,
    });
  }
  const summary = {
    dataset: values.dataset,
    split: values.split,
    queries: queries.length,
    docs: collection.docs.length,
    embedder: embedder.id,
    vectors: values['lexical-only'] ? 'none' : vectors.name,
    chunks: sync.projectors.text?.chunksWritten ?? 0,
    indexSeconds: Math.round(indexMs / 100) / 10,
    totalSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
  if (names.length === 1) process.stdout.write(`${JSON.stringify({ ...summary, ...results[0] })}\n`);
  else {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
  }
} finally {
  await store.close();
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  else process.stderr.write(`kept ${dir}\n`);
}
