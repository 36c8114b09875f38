import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setEmbedder } from '../../lib/ai/embedder.js';
import { LocalHashEmbedder } from '../../lib/ai/local-embedder.js';
import { bumpNamespaces, NAMESPACES } from '../../lib/cache/namespaces.js';
import { resetConfigMemo } from '../../lib/config/load.js';
import { createConcept } from '../../lib/content/concept-writes.js';
import { createContent } from '../../lib/content/content-writes.js';
import { toConceptDoc, toContentDoc } from '../../lib/content/schemas.js';
import { seedSampleContent } from '../../lib/content/seed.js';
import { resetEnv } from '../../lib/env.js';
import { HTTP_METHODS } from '../../lib/http/handler.js';
import { setCache } from '../../lib/stores/cache/index.js';
import { MemoryCache } from '../../lib/stores/cache/memory.js';
import { setConfigStore } from '../../lib/stores/config/index.js';
import { type GraphStore, getGraphStore, setGraphStore } from '../../lib/stores/graph/index.js';
import { queryRows, type SqlStore, setSql } from '../../lib/stores/sql/index.js';
import { openPostgres } from '../../lib/stores/sql/postgres.js';
import { getVectorStore, setVectorStore, type VectorStore } from '../../lib/stores/vector/index.js';
import { REINDEX_LEASE_KEY } from '../../lib/sync/job.js';
import { syncNow } from '../../lib/sync/run.js';
import { acquireJobLease, releaseJobLease } from '../../lib/sync/state.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createUserAndLogin } from '../helpers/auth.js';
import { blackHole, closedPort, faulty } from '../helpers/faults.js';
import { createPostgres } from '../helpers/sql.js';
import {
  type Cell,
  type CellContext,
  COLUMNS,
  type Column,
  ENDPOINTS,
  type EndpointCase,
  fixtureSlugs,
  HEALTH_NAME,
  type Mode,
  markdownTable,
  type Outcome,
  outcomeOf,
  type Store,
} from './table.js';

/**
 * The fault matrix (tests/faults/table.ts) against the real router and handlers: for each store and
 * each mode (down, slow) the fault is injected at the adapter boundary through the store setters, then
 * every endpoint is called at once and must answer its defined behaviour: never a 500, never a hang.
 * SQL faults use the real node-postgres driver against a refused port (down) or a port that accepts
 * and never answers (slow); the other stores are wrapped with `faulty()`. Slow delays sit just above
 * the request deadline, which is shortened for this file.
 */

const DEADLINE_MS = 3000;
const SLOW_MS = 3500;
/** A request that has not finished (body included) by then is a hang. */
const HANG_MS = DEADLINE_MS + 4000;
/** Requests in flight at once within a cell. */
const CONCURRENCY = 6;
const CRON_SECRET = 'fault-matrix-cron-secret-0123456789';

let t: TestApp;
let realVectors: VectorStore;
let realGraph: GraphStore;
const accounts = {
  admin: { email: 'fault-admin@example.test', password: '' },
  member: { email: 'fault-member@example.test', password: '' },
};
const CONVERSATION_ID = 'fault-conversation';
let loginSeq = 0;

beforeAll(async () => {
  setEmbedder(new LocalHashEmbedder({ dimension: 256 }));
  await setUpApp(await createTestApp({ env: { REQUEST_TIMEOUT_MS: String(DEADLINE_MS), CRON_SECRET } }));
  realVectors = await getVectorStore();
  realGraph = await getGraphStore();
}, 120_000);

afterAll(async () => {
  setEmbedder(undefined);
  setVectorStore(undefined);
  setGraphStore(undefined);
  await t.close();
});

async function login(who: { email: string; password: string }): Promise<Record<string, string>> {
  const res = await t.request('POST', '/api/auth/login', {
    json: who,
    headers: { 'x-forwarded-for': `198.18.0.${++loginSeq % 250}` },
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  const { token } = (await res.json()) as { token: string };
  return { authorization: `Bearer ${token}` };
}

/**
 * Everything a cell needs, made while every store is up: a fresh cache (so no earlier cell's cached
 * answers or counters leak in), sessions in it, and fixtures for the PATCH/DELETE requests.
 */
/** Sets up an app on `t` with the sample content, the two accounts and the member's conversation. */
async function setUpApp(app: TestApp): Promise<void> {
  t = app;
  setVectorStore(undefined); // pgvector and the graph tables on this app's SQL database
  setGraphStore(undefined);
  await seedSampleContent({ sql: t.sql, config: t.config });
  await syncNow({ sql: t.sql });
  const admin = await createUserAndLogin(t, { role: 'admin', email: accounts.admin.email });
  const member = await createUserAndLogin(t, { role: 'member', email: accounts.member.email });
  accounts.admin.password = admin.password;
  accounts.member.password = member.password;
  // A conversation the member owns, for GET /api/chat/[id].
  const res = await t.request('POST', '/api/chat', {
    headers: member.headers,
    json: {
      id: CONVERSATION_ID,
      messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'What is a hash table?' }] }],
      trigger: 'submit-message',
    },
  });
  expect(res.status).toBe(200);
  await res.text();
  await t.settle();
}

/**
 * Runs `body` with the whole app on a fresh database on the real PostgreSQL (no pgvector there),
 * then puts the PGlite app back.
 */
async function onPostgresWithoutPgvector(body: () => Promise<void>): Promise<void> {
  const main = t;
  const saved = { ...accounts.admin, m: { ...accounts.member } };
  const pgApp = await createTestApp({
    sql: await createPostgres(),
    env: { REQUEST_TIMEOUT_MS: String(DEADLINE_MS), CRON_SECRET },
  });
  try {
    const available = await queryRows(
      pgApp.sql.db,
      sql`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`,
    );
    if (available.length)
      throw new Error('this PostgreSQL has pgvector: the column needs a server without it');
    await setUpApp(pgApp);
    await body();
  } finally {
    await pgApp.close();
    // Closing an app clears the env it set: the PGlite app's (the same values) goes back.
    process.env.REQUEST_TIMEOUT_MS = String(DEADLINE_MS);
    process.env.CRON_SECRET = CRON_SECRET;
    resetEnv();
    t = main;
    accounts.admin.password = saved.password;
    accounts.member.password = saved.m.password;
    setSql(main.sql);
    setCache(main.cache);
    setConfigStore(main.config);
    setVectorStore(realVectors);
    setGraphStore(realGraph);
  }
}

async function prepare(cell: string): Promise<{ ctx: CellContext; cache: MemoryCache }> {
  const cache = new MemoryCache();
  cellCache = cache;
  setCache(cache);
  resetConfigMemo();
  const [admin, member, logoutSession] = await Promise.all([
    login(accounts.admin),
    login(accounts.member),
    login(accounts.member),
  ]);
  // Earlier cells' writes that are backing off are projected now, so this cell's cron run sees only
  // its own fixtures (a backlog would make its duration depend on the cells before it).
  await syncNow({ sql: t.sql, now: () => new Date(Date.now() + 24 * 60 * 60_000) });
  const versions: Record<string, number> = {};
  const fixtures = fixtureSlugs(cell);
  for (const slug of fixtures.concepts) {
    const r = await createConcept({ sql: t.sql, actor: 'test', doc: toConceptDoc({ slug, title: slug }) });
    versions[slug] = r.version;
  }
  for (const slug of fixtures.content) {
    const r = await createContent({
      sql: t.sql,
      actor: 'test',
      doc: toContentDoc({
        slug,
        kind: 'post',
        title: slug,
        body: 'A fixture.',
        concepts: ['hash-tables'],
      }),
    });
    versions[slug] = r.version;
  }
  return {
    cache,
    ctx: {
      cell,
      admin,
      member,
      logoutSession,
      memberLogin: accounts.member,
      cron: { authorization: `Bearer ${CRON_SECRET}` },
      conversationId: CONVERSATION_ID,
      versions,
    },
  };
}

/** Installs the fault through the store's setter; returns what undoes it. */
async function inject(store: Store, mode: Mode, cache: MemoryCache): Promise<() => Promise<void>> {
  const opts = { delayMs: SLOW_MS };
  switch (store) {
    case 'sql': {
      const hole = mode === 'slow' ? await blackHole() : undefined;
      const port = hole ? hole.port : await closedPort();
      const broken: SqlStore = openPostgres(`postgres://postgres@127.0.0.1:${port}/none`);
      setSql(broken);
      return async () => {
        setSql(t.sql);
        await hole?.close();
        await within(broken.close(), 5000, 'closing the broken pool').catch(() => {});
      };
    }
    case 'vectors':
      setVectorStore(faulty(realVectors, mode, opts));
      return async () => setVectorStore(realVectors);
    case 'graph':
      setGraphStore(faulty(realGraph, mode, opts));
      return async () => setGraphStore(realGraph);
    case 'cache':
      setCache(faulty(cache, mode, opts));
      return async () => setCache(cache);
    case 'config':
      setConfigStore(faulty(t.config, mode, opts));
      resetConfigMemo();
      return async () => {
        setConfigStore(t.config);
        resetConfigMemo();
      };
  }
}

/** A production adapter of `store` aimed at a refused loopback port. */
async function productionDriverDown(
  store: Exclude<Store, 'sql'>,
): Promise<{ install(): void; close(): Promise<void> }> {
  const port = await closedPort();
  switch (store) {
    case 'vectors': {
      const { PineconeVectorStore } = await import('../../lib/stores/vector/pinecone.js');
      const v = new PineconeVectorStore({ apiKey: 'fault-matrix', host: `http://127.0.0.1:${port}` });
      return { install: () => setVectorStore(v), close: async () => {} };
    }
    case 'graph': {
      const { Neo4jGraphStore } = await import('../../lib/stores/graph/neo4j.js');
      // Half-second connect budget: the cron cell's run (vectors, then the failing graph batch) must end
      // inside this file's short 3 s deadline on a loaded 2-core machine; production uses 1 s in 10 s.
      const g = new Neo4jGraphStore({
        uri: `bolt://127.0.0.1:${port}`,
        password: 'fault-matrix',
        timeoutMs: 500,
      });
      return { install: () => setGraphStore(g), close: () => g.close() };
    }
    case 'cache': {
      const { RedisCache } = await import('../../lib/stores/cache/redis.js');
      const c = new RedisCache(`redis://127.0.0.1:${port}`);
      return { install: () => setCache(c), close: () => c.close().catch(() => {}) };
    }
    case 'config': {
      const { UpstashConfigStore } = await import('../../lib/stores/config/upstash.js');
      const c = new UpstashConfigStore({ url: `http://127.0.0.1:${port}`, token: 'fault-matrix' });
      return {
        install: () => {
          setConfigStore(c);
          resetConfigMemo();
        },
        close: async () => {},
      };
    }
  }
}

/** Puts every store back (the cell's own cache stays; sessions are per cell anyway). */
let cellCache: MemoryCache | undefined;
async function restoreAll(): Promise<void> {
  setSql(t.sql);
  setVectorStore(realVectors);
  setGraphStore(realGraph);
  if (cellCache) setCache(cellCache);
  setConfigStore(t.config);
  resetConfigMemo();
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (a hang)`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

interface Answer {
  endpoint: EndpointCase;
  status: number;
  headers: Headers;
  body: unknown;
  ms: number;
}

async function call(endpoint: EndpointCase, ctx: CellContext): Promise<Answer> {
  const spec = endpoint.request(ctx);
  const started = performance.now();
  const label = `${endpoint.method} ${spec.path}`;
  const answer = await within(
    (async () => {
      const res = await t.request(endpoint.method, spec.path, {
        ...(spec.json !== undefined ? { json: spec.json } : {}),
        ...(spec.headers ? { headers: spec.headers } : {}),
      });
      const text = await res.text();
      let body: unknown = text;
      if ((res.headers.get('content-type') ?? '').includes('json') && text) body = JSON.parse(text);
      return { endpoint, status: res.status, headers: res.headers, body };
    })(),
    HANG_MS,
    label,
  );
  return { ...answer, ms: Math.round(performance.now() - started) };
}

const field = (body: unknown, key: string): unknown =>
  body && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined;

function errorCode(body: unknown): string | undefined {
  const error = field(body, 'error');
  if (!error || typeof error !== 'object') return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === 'string' && typeof message === 'string' ? code : undefined;
}

/** Problems with an answer, given the outcome the table defines; empty when it is right. */
function judge(a: Answer, outcome: Outcome, store: Store): string[] {
  const e = a.endpoint;
  const problems: string[] = [];
  const got = `${a.status}${errorCode(a.body) ? ` ${errorCode(a.body)}` : ''}`;
  if (a.status >= 500 && a.status !== 503) problems.push(`answered ${got}`);
  if (a.status >= 400 && e.id !== 'health' && !errorCode(a.body))
    problems.push(`${a.status} without the error shape`);
  const unavailable = (code: string) => {
    if (a.status !== 503 || errorCode(a.body) !== code) problems.push(`expected 503 ${code}, got ${got}`);
    else if (!a.headers.get('retry-after')) problems.push('503 without Retry-After');
  };
  switch (outcome) {
    case 'ok':
      if (a.status !== e.status) problems.push(`expected ${e.status}, got ${got}`);
      break;
    case 'degraded': {
      if (a.status !== e.status) problems.push(`expected degraded ${e.status}, got ${got}`);
      const why = e.degraded?.(a.body);
      if (why) problems.push(`not degraded as defined: ${why}`);
      break;
    }
    case 'unavailable':
      unavailable('service_unavailable');
      break;
    case 'timeout':
      unavailable('timeout');
      break;
    case 'stale':
      if (a.status !== e.status) problems.push(`expected a stale ${e.status}, got ${got}`);
      else if (a.headers.get('x-cache') !== 'STALE')
        problems.push(`expected x-cache STALE, got ${a.headers.get('x-cache')}`);
      break;
    case 'reports': {
      const down = field(a.body, 'down');
      if (a.status !== 503) problems.push(`health: expected 503, got ${got}`);
      if (!Array.isArray(down) || !down.includes(HEALTH_NAME[store]))
        problems.push(`health: down is ${JSON.stringify(down)}, expected it to name ${HEALTH_NAME[store]}`);
      break;
    }
  }
  const excerpt = typeof a.body === 'string' ? a.body.slice(0, 120) : JSON.stringify(a.body).slice(0, 160);
  return problems.map((p) => `${e.id} (${e.method} ${e.route}, ${a.ms} ms): ${p} -- ${excerpt}`);
}

/** Waits for background work (post-write syncs, a cron run past its deadline) to let go of the stores. */
async function untilIdle(): Promise<void> {
  await within(t.settle(), 30_000, 'background work').catch(() => {});
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const token = await acquireJobLease({
      db: t.sql.db,
      key: REINDEX_LEASE_KEY,
      leaseMs: 1000,
      now: new Date(),
    });
    if (token) {
      await releaseJobLease({ db: t.sql.db, key: REINDEX_LEASE_KEY, token });
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Writes that kick a sync (which would race the cron request for the pending outbox rows). */
const kicksSync = (e: EndpointCase) =>
  /^\/api\/admin\/(content|concepts|relations)$/.test(e.route) && e.method !== 'GET';

/**
 * Every endpoint, a few at a time (one PGlite connection serves them all, and a realistic load keeps
 * time-boxes meaningful): reads, auth, health and cron first, then the writes that kick a sync.
 */
async function callAll(ctx: CellContext): Promise<Answer[]> {
  const run = async (list: EndpointCase[]) => {
    const out: Answer[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < list.length; i = next++) {
        const e = list[i];
        if (e) out.push(await call(e, ctx));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return out;
  };
  return [
    ...(await run(ENDPOINTS.filter((e) => !kicksSync(e)))),
    ...(await run(ENDPOINTS.filter(kicksSync))),
  ];
}

describe('fault matrix', () => {
  it('covers every route and method the API serves', async () => {
    const missing: string[] = [];
    for (const route of t.app.routes) {
      const mod = (await import(pathToFileURL(route.file).href)) as { docs?: Record<string, unknown> };
      const served = Object.keys(mod.docs ?? { GET: {} }).filter((m) =>
        (HTTP_METHODS as readonly string[]).includes(m),
      );
      for (const method of served)
        if (!ENDPOINTS.some((e) => e.route === route.pattern && e.method === method))
          missing.push(`${method} ${route.pattern}`);
    }
    expect(missing).toEqual([]);
  });

  it('every endpoint answers its usual status while every store is up', async () => {
    const { ctx } = await prepare('healthy');
    const answers = await callAll(ctx);
    const wrong = answers
      .filter((a) => a.status !== a.endpoint.status)
      .map((a) => `${a.endpoint.id}: ${a.status} ${JSON.stringify(a.body).slice(0, 200)}`);
    expect(wrong).toEqual([]);
    await untilIdle();
  });

  it.each(COLUMNS)('$label: every endpoint answers as the table defines', async (column: Column) => {
    const { id: cell, store, mode } = column;
    if (column.pgvectorMissing) {
      if (!process.env.TEST_DATABASE_URL) {
        console.warn(`${column.label}: skipped (TEST_DATABASE_URL is not set; CI sets it)`);
        return;
      }
      await onPostgresWithoutPgvector(async () => {
        const { ctx } = await prepare(cell);
        const answers = await callAll(ctx);
        const problems = answers.flatMap((a) => judge(a, outcomeOf(a.endpoint, cell), store));
        expect(problems).toEqual([]);
        await untilIdle();
      });
      return;
    }
    const { ctx, cache } = await prepare(cell);
    if (column.warmCache) {
      // Every page read once while SQL is up, then a write moves the namespace version, as in the
      // outage the issue describes: the versioned entries are unreachable, only the stale copies help.
      for (const e of ENDPOINTS.filter((x) => x.method === 'GET')) await call(e, ctx);
      await t.settle();
      await bumpNamespaces(cache, [NAMESPACES.content]);
    }
    const restore = await inject(store, mode, cache);
    let answers: Answer[];
    try {
      answers = await callAll(ctx);
    } finally {
      await restore();
    }
    const problems = answers.flatMap((a) => judge(a, outcomeOf(a.endpoint, cell), store));
    expect(problems).toEqual([]);
    await untilIdle();
  });

  // The same `down` column again, with each store's production adapter (the real client) pointed at a
  // port that refuses connections, so the errors are the drivers' own, not injected ones.
  it.each(['vectors', 'graph', 'cache', 'config'] as const)(
    '%s down (production driver, refused port): every endpoint answers as the down column defines',
    async (store) => {
      const cell = `${store}:down` as Cell;
      const { ctx } = await prepare(`${store}:driver`);
      const { install, close } = await productionDriverDown(store);
      let answers: Answer[];
      try {
        install();
        answers = await callAll(ctx);
      } finally {
        await restoreAll();
        await close();
      }
      const problems = answers.flatMap((a) => judge(a, outcomeOf(a.endpoint, cell), store));
      expect(problems).toEqual([]);
      await untilIdle();
    },
  );

  it('the README fault matrix section matches this table', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(markdownTable());
  });
});
