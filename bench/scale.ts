/**
 * Search and indexing as the corpus grows: one embedded store (a temp on-disk PGlite with pgvector and
 * the local embedder, the embedded defaults) grown to about 1k, 10k and 50k chunks. At each size: the
 * index rate of the sync that indexed the new items (text projection, embedding, vectors; chunks/s)
 * and the latency of uncached hybrid search over a fixed query set (p50/p99). Documents are
 * Cranfield abstracts from ../shared/eval/cranfield, read at run time (recombined past its 1,400
 * documents), or the seeded synthetic corpus when that folder is absent. Items go straight into SQL
 * with their outbox rows (what the admin write path writes), so the time goes to indexing.
 * Writes bench/scale.svg; prints one JSON object with a `table` for bench/results.md.
 * Run alone with `npx tsx bench/scale.ts` (SCALE_SIZES=1000,10000 to choose sizes); `npm run bench`
 * runs it. A size whose indexing would not fit the time budget is measured full text only, and says so.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { migrate } from '../db/migrate.js';
import { getEmbedder } from '../lib/ai/embedder.js';
import { readCollection } from '../lib/eval/beir.js';
import { seededRandom, syntheticCorpus } from '../lib/eval/synthetic.js';
import { configureLog } from '../lib/log.js';
import { searchContent } from '../lib/search/search.js';
import { setCache } from '../lib/stores/cache/index.js';
import { MemoryCache } from '../lib/stores/cache/memory.js';
import { queryRows, setSql } from '../lib/stores/sql/index.js';
import { openPglite } from '../lib/stores/sql/pglite.js';
import { setVectorStore } from '../lib/stores/vector/index.js';
import { defaultProjectors } from '../lib/sync/projectors.js';
import { syncNow } from '../lib/sync/run.js';

configureLog({ level: 'silent' });
const SIZES = (process.env.SCALE_SIZES ?? '1000,10000,50000').split(',').map(Number);
/** Seconds of indexing the whole run may spend; bench/run.ts gives this script 600 s. */
const INDEX_BUDGET_S = Number(process.env.SCALE_BUDGET_SECONDS ?? 330);
const QUERIES = 40;
const ROUNDS = 2;
const CRANFIELD = '../shared/eval/cranfield';

interface Doc {
  title: string;
  body: string;
}

/** Document i of the corpus: the collection's own documents first, then recombinations of them. */
function corpus(): { doc: (i: number) => Doc; queries: string[]; source: string } {
  if (existsSync(CRANFIELD)) {
    const col = readCollection(CRANFIELD);
    const rnd = seededRandom(42);
    const sentences = (t: string) => t.split(' . ').filter(Boolean);
    return {
      source: 'Cranfield abstracts (../shared/eval/cranfield), recombined past 1,400',
      queries: col.queries.slice(0, QUERIES).map((q) => q.text),
      doc: (i) => {
        const d = col.docs[i % col.docs.length];
        const o = col.docs[Math.floor(rnd() * col.docs.length)];
        const title = (d?.title.trim() || `Document ${i}`).slice(0, 300);
        if (i < col.docs.length || !o) return { title, body: d?.text ?? '' };
        return {
          title,
          body: `${sentences(d?.text ?? '')
            .slice(0, 3)
            .join(' . ')} . ${sentences(o.text).slice(1, 4).join(' . ')}`,
        };
      },
    };
  }
  const synthetic = syntheticCorpus({ items: Math.max(...SIZES), seed: 1, queries: QUERIES });
  return {
    source: 'seeded synthetic corpus (lib/eval/synthetic.ts)',
    queries: synthetic.queries,
    doc: (i) => {
      const data = synthetic.bundle.content[i]?.data as { title: string; body: string };
      return { title: data.title, body: data.body };
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'polyfolio-scale-'));
const store = await openPglite({ dataDir: join(dir, 'pglite') });
const started = performance.now();
const rows: {
  chunks: number;
  items: number;
  vectors: boolean;
  indexedChunks: number;
  indexSeconds: number;
  chunksPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  lexicalP50Ms: number;
}[] = [];
let indexSpent = 0;
try {
  await migrate(store);
  setSql(store);
  setVectorStore(undefined);
  setCache(new MemoryCache());
  await getEmbedder();
  const { doc, queries, source } = corpus();
  let items = 0;
  let chunks = 0;
  let rate = 0;
  for (const target of SIZES) {
    // Items until the target chunk count (about 1.05 chunks per Cranfield item; estimated, then topped up).
    const withVectors =
      rows.every((r) => r.vectors) && (rate === 0 || indexSpent + (target - chunks) / rate <= INDEX_BUDGET_S);
    let indexed = 0;
    let seconds = 0;
    while (chunks < target) {
      const add = Math.max(50, Math.ceil((target - chunks) / 1.1));
      await insertItems(items, add, doc);
      items += add;
      const t = performance.now();
      const projectors = defaultProjectors().filter((p) =>
        withVectors ? p.name !== 'graph' : p.name === 'text',
      );
      await syncNow({ sql: store, batchSize: 200, projectors });
      seconds += (performance.now() - t) / 1000;
      const now = await count();
      indexed += now - chunks;
      chunks = now;
    }
    indexSpent += seconds;
    rate = indexed / seconds;
    const hybrid = await latencies(queries, !withVectors);
    const lexical = withVectors ? await latencies(queries, true) : hybrid;
    rows.push({
      chunks,
      items,
      vectors: withVectors,
      indexedChunks: indexed,
      indexSeconds: round(seconds, 1),
      chunksPerSecond: Math.round(rate),
      p50Ms: pct(hybrid, 50),
      p99Ms: pct(hybrid, 99),
      lexicalP50Ms: pct(lexical, 50),
    });
    process.stderr.write(`scale: ${JSON.stringify(rows.at(-1))}\n`);
  }
  writeFileSync('bench/scale.svg', chart(rows));
  const first = rows[0];
  const tenK = rows.find((r) => r.chunks >= 10_000 && r.vectors);
  process.stdout.write(
    `${JSON.stringify({
      name: 'scale',
      source,
      embedder: (await getEmbedder()).id,
      queries: queries.length * ROUNDS,
      seconds: round((performance.now() - started) / 1000, 0),
      sizes: rows,
      growth1kTo10k: first && tenK ? round(tenK.p50Ms / first.p50Ms, 2) : null,
      chart: 'bench/scale.svg',
      table: [
        `Corpus: ${source}; ${queries.length} queries x ${ROUNDS} rounds, uncached \`searchContent\` (limit 10).`,
        'Index rate: the sync (chunking, full-text postings, embedding, vectors) of the items added for that size.',
        '',
        '| chunks | search p50 ms | search p99 ms | full text alone p50 ms | indexed chunks | index s | chunks/s |',
        '|---:|---:|---:|---:|---:|---:|---:|',
        ...rows.map(
          (r) =>
            `| ${r.chunks} | ${r.p50Ms} | ${r.p99Ms} | ${r.lexicalP50Ms} | ${r.indexedChunks} | ${r.indexSeconds} | ${r.chunksPerSecond}${
              r.vectors ? '' : ' (full text only: vectors over the time budget)'
            } |`,
        ),
        '',
        '![search latency against corpus size](scale.svg)',
      ],
    })}\n`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

/** Content rows and their outbox rows (as the admin write path writes them), one statement a batch. */
async function insertItems(from: number, n: number, doc: (i: number) => Doc): Promise<void> {
  for (let i = from; i < from + n; i += 500) {
    const batch = Array.from({ length: Math.min(500, from + n - i) }, (_, j) => ({
      i: i + j,
      ...doc(i + j),
    }));
    await store.db.execute(sql`
      WITH ins AS (
        INSERT INTO content (slug, kind, title, body)
        SELECT x->>'slug', 'post', x->>'title', x->>'body' FROM jsonb_array_elements(${JSON.stringify(
          batch.map((d) => ({ slug: `doc-${d.i}`, title: d.title, body: d.body })),
        )}::jsonb) x
        RETURNING id, version
      )
      INSERT INTO outbox (entity, entity_id, op, version) SELECT 'content', id::text, 'upsert', version FROM ins`);
  }
}

async function count(): Promise<number> {
  const [r] = await queryRows<{ n: string }>(store.db, sql`SELECT count(*) AS n FROM chunks`);
  return Number(r?.n ?? 0);
}

async function latencies(queries: string[], lexicalOnly: boolean): Promise<number[]> {
  const out: number[] = [];
  for (const q of queries.slice(0, 5)) await searchContent({ q, limit: 10 }, { noCache: true, lexicalOnly });
  for (let r = 0; r < ROUNDS; r++) {
    for (const q of queries) {
      const t = performance.now();
      await searchContent({ q, limit: 10 }, { noCache: true, lexicalOnly });
      out.push(performance.now() - t);
    }
  }
  return out;
}

/** Latency (p50, p99) against corpus size, log-scaled x, as a small standalone SVG. */
function chart(points: typeof rows): string {
  const W = 560;
  const H = 320;
  const L = 60;
  const R = 20;
  const T = 30;
  const B = 50;
  const xs = points.map((p) => Math.log10(p.chunks));
  const x0 = Math.floor(Math.min(...xs));
  const x1 = Math.ceil(Math.max(...xs));
  const yMax = Math.max(60, ...points.map((p) => p.p99Ms)) * 1.1;
  const X = (c: number) => L + ((Math.log10(c) - x0) / Math.max(1, x1 - x0)) * (W - L - R);
  const Y = (ms: number) => T + (1 - ms / yMax) * (H - T - B);
  const line = (key: 'p50Ms' | 'p99Ms', color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points
      .map((p) => `${X(p.chunks).toFixed(1)},${Y(p[key]).toFixed(1)}`)
      .join(' ')}"/>${points
      .map(
        (p) =>
          `<circle cx="${X(p.chunks).toFixed(1)}" cy="${Y(p[key]).toFixed(1)}" r="3" fill="${color}"/><text x="${(X(p.chunks) + 5).toFixed(1)}" y="${(Y(p[key]) - 5).toFixed(1)}" font-size="11" fill="${color}">${p[key]}</text>`,
      )
      .join('')}`;
  const ticks = [];
  for (let e = x0; e <= x1; e++) {
    const x = X(10 ** e).toFixed(1);
    ticks.push(
      `<line x1="${x}" y1="${H - B}" x2="${x}" y2="${H - B + 5}" stroke="#333"/><text x="${x}" y="${H - B + 18}" font-size="11" text-anchor="middle">${(10 ** e).toLocaleString('en')}</text>`,
    );
  }
  const targets = [25, 60].map(
    (ms) =>
      `<line x1="${L}" y1="${Y(ms).toFixed(1)}" x2="${W - R}" y2="${Y(ms).toFixed(1)}" stroke="#999" stroke-dasharray="4 3"/><text x="${W - R}" y="${(Y(ms) - 3).toFixed(1)}" font-size="10" text-anchor="end" fill="#666">target ${ms === 25 ? 'p50' : 'p99'} ${ms} ms</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" role="img" aria-label="Search latency against corpus size">
<title>Uncached hybrid search latency (p50, p99) against corpus size</title>
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="18" font-size="13" text-anchor="middle">Uncached hybrid search latency against corpus size (embedded defaults)</text>
<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/><line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/>
<text x="${(L + W - R) / 2}" y="${H - 12}" font-size="12" text-anchor="middle">chunks (log scale)</text>
<text x="16" y="${(T + H - B) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">ms</text>
${ticks.join('\n')}
${targets.join('\n')}
${line('p50Ms', '#1f77b4')}
${line('p99Ms', '#d62728')}
<text x="${L + 10}" y="${T + 12}" font-size="11" fill="#1f77b4">p50</text><text x="${L + 40}" y="${T + 12}" font-size="11" fill="#d62728">p99</text>
</svg>
`;
}

function pct(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0, 1);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
