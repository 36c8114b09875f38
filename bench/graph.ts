/**
 * Graph endpoints on the imported Metacademy graph (../shared/data/metacademy, ~400 concepts), the
 * embedded SQL graph (PGlite, and the real PostgreSQL when TEST_DATABASE_URL is set) next to Neo4j,
 * through the real router and handlers, one request at a time. Prints one JSON object (`npm run
 * bench` renders its `table`):
 *  - per endpoint and store: p50/p99 over warm requests, cycling through sample concepts;
 *  - the first request of a fresh driver (new store object: connect, authenticate, plan), median of 5;
 *  - what a request costs when Neo4j has gone away (connection refused) or hangs (a port that accepts
 *    and never answers), with the production budgets.
 * Neo4j comes from NEO4J_URI, else .data/neo4j.env from `npm run neo4j:start`, else the launcher is
 * started for the run (needs Java and Maven) and stopped after. Run alone: `npx tsx bench/graph.ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import pg from 'pg';
import { migrate } from '../db/migrate.js';
import { importBundle } from '../lib/content/import/run.js';
import { readSource } from '../lib/content/import/sources.js';
import { type App, createApp } from '../lib/dev/router.js';
import { resetEnv } from '../lib/env.js';
import { createGraphProjector } from '../lib/graph/projector.js';
import { configureLog } from '../lib/log.js';
import { setCache } from '../lib/stores/cache/index.js';
import { MemoryCache } from '../lib/stores/cache/memory.js';
import { setConfigStore } from '../lib/stores/config/index.js';
import { MemoryConfigStore } from '../lib/stores/config/memory.js';
import { type GraphStore, setGraphStore } from '../lib/stores/graph/index.js';
import { Neo4jGraphStore } from '../lib/stores/graph/neo4j.js';
import { SqlGraphStore } from '../lib/stores/graph/sql.js';
import { type SqlStore, setSql } from '../lib/stores/sql/index.js';
import { openPglite } from '../lib/stores/sql/pglite.js';
import { openPostgres } from '../lib/stores/sql/postgres.js';
import { median, round } from './lib/machine.js';

configureLog({ level: 'silent' });
const FILE = resolve(process.cwd(), '../shared/data/metacademy/metacademy.json');
const ROUNDS = Number(process.env.BENCH_GRAPH_ROUNDS ?? 150);
const FRESH = 5;
const out = (result: unknown) => {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
};

if (!existsSync(FILE)) out({ skipped: `no Metacademy file at ${FILE}` });

// --- Neo4j: from env, a running `npm run neo4j:start`, or started for this run.
let startedNeo4j = false;
function neo4jEnv(): Record<string, string> | undefined {
  if (process.env.NEO4J_URI)
    return {
      uri: process.env.NEO4J_URI,
      username: process.env.NEO4J_USERNAME ?? 'neo4j',
      password: process.env.NEO4J_PASSWORD ?? '',
    };
  if (!existsSync('.data/neo4j.env')) return undefined;
  const lines = Object.fromEntries(
    readFileSync('.data/neo4j.env', 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return lines.NEO4J_URI
    ? {
        uri: lines.NEO4J_URI,
        username: lines.NEO4J_USERNAME ?? 'neo4j',
        password: lines.NEO4J_PASSWORD ?? '',
      }
    : undefined;
}
let conn = neo4jEnv();
const reachable = async (c: Record<string, string> | undefined) => {
  if (!c) return false;
  const probe = new Neo4jGraphStore({ uri: c.uri ?? '', username: c.username, password: c.password });
  try {
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    await probe.close();
  }
};
if (!(await reachable(conn))) {
  const start = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/neo4j-server.ts', 'start'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NEO4J_PORT: '0' },
  });
  startedNeo4j = start.status === 0;
  conn = startedNeo4j ? neo4jEnv() : undefined;
}
const stopNeo4j = () => {
  if (startedNeo4j)
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/neo4j-server.ts', 'stop'], { stdio: 'ignore' });
};

// --- Data: the Metacademy import in SQL, projected into each graph store.
process.env.REQUEST_TIMEOUT_MS = '10000';
resetEnv();
const pglite = await openPglite();
await migrate(pglite);
const report = await importBundle({ sql: pglite, bundle: readSource(FILE), actor: 'bench' });
const data = JSON.parse(readFileSync(FILE, 'utf8')) as {
  concepts: { slug: string }[];
  courses: { slug: string }[];
};
const slugs = data.concepts.map((c) => c.slug).sort();
const sample = slugs.filter((_, i) => i % 7 === 0);
const courses = data.courses.map((c) => c.slug).sort();

interface Target {
  name: string;
  sql: SqlStore;
  /** A new store object: a fresh driver for Neo4j. */
  open(): GraphStore;
  version?: string;
  close(): Promise<void>;
}
const targets: Target[] = [
  { name: 'embedded (PGlite)', sql: pglite, open: () => new SqlGraphStore(pglite), close: async () => {} },
];

let pgDrop: (() => Promise<void>) | undefined;
if (process.env.TEST_DATABASE_URL) {
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  const name = `polyfolio_bench_graph_${process.pid}`;
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(process.env.TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const store = openPostgres(url.toString(), { max: 4 });
  await migrate(store);
  await importBundle({ sql: store, bundle: readSource(FILE), actor: 'bench' });
  pgDrop = async () => {
    await store.close();
    const a = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await a.connect();
    await a.query(`drop database if exists ${name} with (force)`);
    await a.end();
  };
  targets.push({
    name: 'embedded (PostgreSQL, node-postgres)',
    sql: store,
    open: () => new SqlGraphStore(store),
    close: async () => {},
  });
}

if (conn) {
  const c = conn;
  const open = () => new Neo4jGraphStore({ uri: c.uri ?? '', username: c.username, password: c.password });
  targets.push({ name: 'Neo4j', sql: pglite, open, close: async () => {} });
}

const now = () => new Date();
for (const t of targets) {
  const store = t.open();
  await store.setup();
  await store.clear();
  await createGraphProjector({ graph: async () => store }).rebuild({ sql: t.sql, now });
  if (store instanceof Neo4jGraphStore) t.version = await neo4jVersion(store);
  await store.close();
}

// --- Requests through the real router.
setCache(new MemoryCache());
setConfigStore(new MemoryConfigStore());
const app: App = createApp();
const ENDPOINTS: { name: string; path: (i: number) => string }[] = [
  { name: 'concept neighbourhood (depth 2)', path: (i) => `/api/graph/concepts/${pick(sample, i)}?depth=2` },
  { name: 'learning path', path: (i) => `/api/graph/path?to=${pick(sample, i)}` },
  { name: 'related (course)', path: (i) => `/api/graph/related/${pick(courses, i)}` },
  {
    name: 'shortest chain',
    path: (i) => `/api/graph/shortest?from=${pick(sample, i)}&to=${pick(sample, i * 7 + 3)}`,
  },
];

async function timed(path: string): Promise<number> {
  const t0 = performance.now();
  const res = await app.fetch(new Request(`http://localhost${path}`));
  await res.arrayBuffer();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  return ms;
}

const rows: {
  endpoint: string;
  store: string;
  p50Ms: number;
  p99Ms: number;
  firstRequestMs: number;
}[] = [];
for (const t of targets) {
  setSql(t.sql);
  // First request on a fresh store object (Neo4j: new driver, connect + auth + query), median of 5.
  const first: Record<string, number[]> = {};
  for (let k = 0; k < FRESH; k++) {
    for (const [e, endpoint] of ENDPOINTS.entries()) {
      const store = t.open();
      setGraphStore(store);
      const list = first[endpoint.name] ?? [];
      first[endpoint.name] = list;
      list.push(await timed(endpoint.path(k + e)));
      await store.close();
    }
  }
  const store = t.open();
  setGraphStore(store);
  for (let i = 0; i < 20; i++) for (const e of ENDPOINTS) await timed(e.path(i)); // warm-up
  for (const e of ENDPOINTS) {
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i++) times.push(await timed(e.path(i)));
    rows.push({
      endpoint: e.name,
      store: t.name,
      p50Ms: round(pct(times, 50), 2),
      p99Ms: round(pct(times, 99), 2),
      firstRequestMs: round(median(first[e.name] ?? []), 1),
    });
  }
  await store.close();
}

// --- Outages with the production budgets: refused port, and a port that accepts and never answers.
const outages: { case: string; status: number; ms: number }[] = [];
if (conn) {
  const refused = await closedPort();
  const hole = await blackHole();
  for (const [label, port] of [
    ['Neo4j gone (connection refused)', refused],
    ['Neo4j hung (accepts, never answers)', hole.port],
  ] as const) {
    const store = new Neo4jGraphStore({ uri: `bolt://127.0.0.1:${port}`, password: 'x' });
    setGraphStore(store);
    const times: number[] = [];
    let status = 0;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const res = await app.fetch(new Request(`http://localhost${ENDPOINTS[1]?.path(i)}`));
      await res.arrayBuffer();
      times.push(performance.now() - t0);
      status = res.status;
    }
    outages.push({ case: label, status, ms: round(median(times), 0) });
    await store.close().catch(() => {});
  }
  await hole.close();
}

const storesLine = targets.map((t) => (t.version ? `${t.name} ${t.version}` : t.name)).join(', ');
const table = [
  `Metacademy graph: ${report.created.concepts} concepts, ${courses.length} courses; ${ROUNDS} sequential`,
  `requests per endpoint and store after a warm-up, cycling through ${sample.length} concepts; stores: ${storesLine}.`,
  `Measured ${new Date().toISOString()} on Node ${process.version}; load average ${loadavg()[0]?.toFixed(1)} at the end (2 cores, shared).`,
  'Through the real router and handlers (no response cache on graph reads). "first" is the first request',
  `on a fresh store object (for Neo4j a new driver: connect, authenticate, run), median of ${FRESH}.`,
  '',
  `| endpoint | ${targets.map((t) => `${t.name} p50 / p99 ms`).join(' | ')} | ${targets.map((t) => `${t.name} first ms`).join(' | ')} |`,
  `|---|${targets.map(() => '---:').join('|')}|${targets.map(() => '---:').join('|')}|`,
  ...ENDPOINTS.map((e) => {
    const cells = targets.map((t) => rows.find((r) => r.endpoint === e.name && r.store === t.name));
    return `| ${e.name} | ${cells.map((c) => `${c?.p50Ms} / ${c?.p99Ms}`).join(' | ')} | ${cells.map((c) => c?.firstRequestMs).join(' | ')} |`;
  }),
  ...(outages.length
    ? [
        '',
        'Neo4j unreachable, production budgets (1 s driver budget, 10 s request deadline), `GET /api/graph/path`,',
        `median of 3: ${outages.map((o) => `${o.case}: ${o.status} in ${o.ms} ms`).join('; ')}.`,
      ]
    : [
        '',
        `Neo4j not measured: ${conn ? '' : 'no NEO4J_URI and the launcher could not start (Java/Maven)'}.`,
      ]),
];

await pgDrop?.();
await pglite.close();
stopNeo4j();
out({ stores: storesLine, rounds: ROUNDS, rows, outages, table });

function pick(list: string[], i: number): string {
  return list[((i % list.length) + list.length) % list.length] ?? '';
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

async function neo4jVersion(store: Neo4jGraphStore): Promise<string> {
  const driver = (store as unknown as { driver: import('neo4j-driver').Driver }).driver;
  const info = await driver.getServerInfo();
  return info.agent?.replace('Neo4j/', '') ?? 'unknown';
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  return address && typeof address !== 'string' ? address.port : 1;
}

async function blackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return {
    port: address && typeof address !== 'string' ? address.port : 1,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
