/**
 * `npm run bench`: every figure in bench/results.md (and .json), reproduced by this one command.
 *  (a) per-function bundle size and packages (esbuild, production adapters), (b) cold import time of each
 *  built function in a fresh process, (c) throughput and p50/p99 of the hot endpoints on the local server
 *  next to a bare node:http server serving the same bytes, (d) the other areas' bench scripts in bench/
 *  (search latency, reindex, chat overhead), (e) store round trips per request against DESIGN section 4,
 *  (f) our stack next to a trivial Web handler in the same server and bare node:http (cached read).
 * Bounded to a few minutes: LOAD_SECONDS per endpoint and server, 10 connections.
 * `--only-roundtrips` and `--only-stack` re-measure (e) or (f) alone and merge them into the last results.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configureLog } from '../lib/log.js';
import { listApiFunctions } from '../scripts/lib/bundles.js';
import { startLocalServer } from '../scripts/lib/local-server.js';
import { type BundleFigure, measureBundles } from './lib/bundles.js';
import { installCounters } from './lib/counting.js';
import { type EndpointComparison, load, startBareServer } from './lib/http.js';
import { machine, round } from './lib/machine.js';
import { type BenchResults, renderMarkdown, updateReadme } from './lib/report.js';
import { countRoundTrips, hotEndpoints } from './lib/roundtrips.js';
import { compareStack } from './lib/stack.js';

configureLog({ level: 'silent' });
const LOAD_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 10;
const started = performance.now();
const step = (msg: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${msg}`);

// `npm run bench -- --only graph`: re-runs one of the other bench scripts (bench/graph.ts) and merges
// its figures into the last full run's results, instead of re-measuring everything.
const onlyAt = process.argv.indexOf('--only');
if (onlyAt > 0) {
  const name = process.argv[onlyAt + 1] ?? '';
  const file = `${name.replace(/\.ts$/, '')}.ts`;
  if (!existsSync(join('bench', file)) || file === 'run.ts') {
    console.error(`bench --only: no bench/${file}`);
    process.exit(2);
  }
  if (!existsSync('bench/results.json')) {
    console.error('bench --only: no bench/results.json yet; run `npm run bench` first');
    process.exit(2);
  }
  const previous = JSON.parse(readFileSync('bench/results.json', 'utf8')) as BenchResults;
  step(`running bench/${file} alone`);
  const entry = await runOther(file);
  previous.others = [...previous.others.filter((o) => o.script !== entry.script), entry].sort((a, b) =>
    a.script.localeCompare(b.script),
  );
  writeResults(previous);
  process.exit(entry.ok ? 0 : 1);
}
const onlyRoundTrips = process.argv.includes('--only-roundtrips');
const onlyStack = process.argv.includes('--only-stack');
const partial = onlyRoundTrips || onlyStack;
if (partial && !existsSync('bench/results.json')) {
  console.error('bench --only-roundtrips/--only-stack: no bench/results.json yet; run `npm run bench` first');
  process.exit(2);
}
const STACK = { seconds: LOAD_SECONDS, connections: CONNECTIONS, rounds: 3 };

// (a) + (b): bundles and cold imports.
// BENCH_COLD_RUNS: fresh processes per function (default 3); more steady the median on a busy machine.
const coldRuns = Number(process.env.BENCH_COLD_RUNS ?? 3);
let bundles: BundleFigure[] = [];
if (!partial) {
  step('bundling every api function and importing each in fresh processes');
  bundles = await measureBundles(listApiFunctions(), 'out/bench/bundles', coldRuns);
}

// `npm run bench -- --only-bundles`: (a) + (b) alone, merged into the last full run's results.
if (process.argv.includes('--only-bundles')) {
  for (const b of bundles)
    console.log(`${b.function.padEnd(28)} ${String(b.coldImportMs ?? 'edge').padStart(6)}`);
  if (existsSync('bench/results.json')) {
    const previous = JSON.parse(readFileSync('bench/results.json', 'utf8')) as BenchResults;
    writeResults({ ...previous, bundles });
  }
  process.exit(0);
}

// (c): the local server, seeded, on an isolated DATA_DIR.
step('starting the local server on .data/bench (migrate, seed, index on first run)');
mkdirSync('.data/bench', { recursive: true });
const server = await startLocalServer({ dataDir: '.data/bench' });
const content = (await (await fetch(`${server.url}/api/content`)).json()) as { items?: { slug: string }[] };
const concepts = (await (await fetch(`${server.url}/api/concepts`)).json()) as { items?: { slug: string }[] };
const slug = content.items?.[0]?.slug ?? 'missing';
const conceptSlugs = (concepts.items ?? []).map((c) => c.slug);
const concept = conceptSlugs.includes('inverted-index') ? 'inverted-index' : (conceptSlugs[0] ?? 'missing');

const HOT = hotEndpoints(slug, concept);

// (f): a cached read through our stack next to a trivial handler in the same server, and bare node:http;
// before the counting proxies go in, so they cost nothing here.
const stackPath = `/api/content/${slug}`;
let stack: BenchResults['stack'];
if (!partial || onlyStack) {
  step(`stack: trivial handler / ours / bare node:http, ${STACK.rounds} rounds x ${STACK.seconds} s each`);
  stack = await compareStack(server.app, stackPath, '/api/content/[slug]', STACK);
  step(`  ours / trivial = ${stack.ratio} (${stack.ours.rps} vs ${stack.trivial.rps} req/s)`);
}

// (e): round trips, measured on the in-process app (same handlers, no socket noise).
const counter = await installCounters();
let roundTrips: BenchResults['roundTrips'] = [];
if (!partial || onlyRoundTrips) {
  step('counting store round trips per request');
  roundTrips = await countRoundTrips(server.app, counter, HOT);
}
if (partial) {
  const previous = JSON.parse(readFileSync('bench/results.json', 'utf8')) as BenchResults;
  if (onlyRoundTrips) previous.roundTrips = roundTrips;
  if (onlyStack) previous.stack = stack;
  await server.close();
  writeResults(previous);
  process.exit(0);
}

// (c): throughput against the bare server, endpoint by endpoint, back to back.
step(`load: ${HOT.length} endpoints x 2 servers x ${LOAD_SECONDS} s, ${CONNECTIONS} connections`);
const captured = new Map<string, { status: number; body: Buffer; headers: Record<string, string> }>();
for (const h of HOT) {
  const res = await fetch(`${server.url}${h.path}`);
  captured.set(h.path, {
    status: res.status,
    body: Buffer.from(await res.arrayBuffer()),
    headers: { 'content-type': res.headers.get('content-type') ?? 'application/json' },
  });
}
const bare = await startBareServer(captured);
const rssBefore = process.memoryUsage().rss;
let rssPeak = rssBefore;
const rssTimer = setInterval(() => {
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
}, 200);
const http: EndpointComparison[] = [];
for (const h of HOT) {
  const app = await load(`${server.url}${h.path}`, h.label, LOAD_SECONDS, CONNECTIONS);
  const floor = await load(`${bare.url}${h.path}`, h.label, LOAD_SECONDS, CONNECTIONS);
  const c = captured.get(h.path);
  http.push({
    endpoint: h.label,
    status: c?.status ?? 0,
    bytes: c?.body.byteLength ?? 0,
    app,
    bare: floor,
    ratio: round(app.rps / Math.max(1, floor.rps), 2),
  });
  step(`  ${h.label}: ${app.rps} req/s (bare ${floor.rps})`);
}
clearInterval(rssTimer);
const memory = {
  rssBeforeLoadMiB: round(rssBefore / 2 ** 20),
  rssPeakMiB: round(rssPeak / 2 ** 20),
  rssAfterMiB: round(process.memoryUsage().rss / 2 ** 20),
  note: 'one process: the app, PGlite, the bare server and autocannon',
};
bare.server.close();
await server.close();

// (d): the other areas' bench scripts, when present.
step('running the other bench scripts in bench/');
const scripts = readdirSync('bench')
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .sort();
const others: BenchResults['others'] = [];
for (const script of scripts) others.push(await runOther(script));

const results = {
  command: 'npm run bench',
  date: new Date().toISOString(),
  machine: machine(),
  durationSeconds: round((performance.now() - started) / 1000, 0),
  settings: { loadSecondsPerServer: LOAD_SECONDS, connections: CONNECTIONS, dataDir: '.data/bench' },
  bundles,
  http,
  memory,
  roundTrips,
  stack,
  others,
};
writeResults(results);
process.exit(0);

function writeResults(results: BenchResults): void {
  writeFileSync('bench/results.json', `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync('bench/results.md', renderMarkdown(results));
  if (existsSync('README.md'))
    writeFileSync('README.md', updateReadme(readFileSync('README.md', 'utf8'), results));
  step(`wrote bench/results.md, bench/results.json and the README's benchmarks section`);
}

async function runOther(script: string): Promise<BenchResults['others'][number]> {
  const t = performance.now();
  // bench/scale.ts indexes up to 50k chunks: it gets 600 s, the others 300 s.
  const { code, stdout, stderr } = await runScript(
    join('bench', script),
    script === 'scale.ts' ? 600_000 : 300_000,
  );
  const result = parseJsonOutput(stdout);
  step(`  bench/${script}: ${code === 0 ? 'ok' : `exit ${code}`}`);
  return {
    script: `bench/${script}`,
    ok: code === 0 && result !== undefined,
    seconds: round((performance.now() - t) / 1000),
    result: result ?? { error: (stderr || stdout).trim().split('\n').slice(-5).join('\n') },
  };
}

function runScript(
  file: string,
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** The script's JSON: its whole stdout, or else its last line that parses. */
function parseJsonOutput(stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    for (const line of stdout.trim().split('\n').reverse()) {
      try {
        return JSON.parse(line);
      } catch {
        // not this line
      }
    }
    return undefined;
  }
}
