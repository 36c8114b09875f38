/**
 * The fault matrix: every endpoint x (store x down/slow) -> the behaviour the API defines. The test
 * (matrix.test.ts) asserts each cell against the running app; `markdownTable()` renders the README's
 * "Fault matrix" section from the same data (`npx tsx tests/faults/print-table.ts`), and a test checks
 * the README still matches.
 */

export const STORES = ['sql', 'vectors', 'graph', 'cache', 'config'] as const;
export type Store = (typeof STORES)[number];
export const MODES = ['down', 'slow'] as const;
export type Mode = (typeof MODES)[number];
/** A basic column is a store and a mode; scenario columns (below) add conditions to one. */
export type Cell = `${Store}:${Mode}` | 'sql:down-warm' | 'vectors:pgvector-missing';

/**
 * A column of the matrix: a fault (`store` in `mode`) and the conditions around it. Scenario columns
 * say what they add (`warmCache`) and which column an endpoint falls back to when it does not name
 * the scenario (`inherits`), so a new scenario only lists the endpoints that behave differently in it.
 */
export interface Column {
  id: Cell;
  store: Store;
  mode: Mode;
  /** README header. */
  label: string;
  /** Every GET endpoint is read once (filling the cache) and a write moves the namespace version. */
  warmCache?: boolean;
  /**
   * The whole app runs on the real PostgreSQL (TEST_DATABASE_URL), which has no pgvector here: the
   * vector store is pgvector on a server that cannot hold vectors, nothing is injected.
   */
  pgvectorMissing?: boolean;
  inherits?: Cell;
}

export const COLUMNS: Column[] = [
  ...STORES.flatMap((store) =>
    MODES.map((mode) => ({ id: `${store}:${mode}` as Cell, store, mode, label: `${store} ${mode}` })),
  ),
  {
    id: 'sql:down-warm',
    store: 'sql',
    mode: 'down',
    label: 'sql down, cache warm',
    warmCache: true,
    inherits: 'sql:down',
  },
  {
    id: 'vectors:pgvector-missing',
    store: 'vectors',
    mode: 'down',
    label: 'PostgreSQL without pgvector',
    pgvectorMissing: true,
    inherits: 'vectors:down',
  },
];

/** What /api/health calls each store. */
export const HEALTH_NAME: Record<Store, string> = {
  sql: 'sql',
  vectors: 'vector',
  graph: 'graph',
  cache: 'cache',
  config: 'config',
};

/**
 * - `ok`: the endpoint's usual 2xx, unaffected.
 * - `degraded`: 2xx with the endpoint's degrade marker (see `degraded` on the endpoint).
 * - `unavailable`: 503 `service_unavailable`, fast (the failure or a time-box), with Retry-After.
 * - `timeout`: 503 `timeout` at the request deadline (REQUEST_TIMEOUT_MS), with Retry-After.
 * - `reports`: /api/health answers 503 naming the store as down.
 * - `stale`: the usual 2xx from the last good answer kept in the cache, marked `x-cache: STALE`.
 */
export type Outcome = 'ok' | 'degraded' | 'unavailable' | 'timeout' | 'reports' | 'stale';

export interface RequestSpec {
  path: string;
  json?: unknown;
  headers?: Record<string, string>;
}

/** What a cell's requests may refer to: sessions and fixtures created while every store was up. */
export interface CellContext {
  cell: string;
  admin: Record<string, string>;
  member: Record<string, string>;
  /** A second session of the member, ended by the logout request. */
  logoutSession: Record<string, string>;
  memberLogin: { email: string; password: string };
  cron: Record<string, string>;
  conversationId: string;
  /** Per-cell fixtures (slug -> version) for PATCH/DELETE targets. */
  versions: Record<string, number>;
}

export interface EndpointCase {
  id: string;
  /** Row of the README table. */
  group: string;
  method: string;
  /** The route pattern as the router lists it (`/api/content/[slug]`). */
  route: string;
  request(ctx: CellContext): RequestSpec;
  /** Status when every store is up. */
  status: number;
  /** For `degraded`: returns a problem, or null when the body shows the defined degradation. */
  degraded?(body: unknown): string | null;
  /** Cells whose outcome is not `ok`. */
  expect: Partial<Record<Cell, Outcome>>;
}

const SQL_DOWN: Partial<Record<Cell, Outcome>> = { 'sql:down': 'unavailable', 'sql:slow': 'timeout' };
const AUTH_CACHE: Partial<Record<Cell, Outcome>> = {
  'cache:down': 'unavailable',
  'cache:slow': 'unavailable',
};

const field = (body: unknown, key: string): unknown =>
  body && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined;

const contentRead = (id: string, route: string, path: string): EndpointCase => ({
  id,
  group: 'Catalogue reads (content, courses, concepts)',
  method: 'GET',
  route,
  request: () => ({ path }),
  status: 200,
  // Stale-if-error: a page read before the outage is served from the cache's last good copy.
  expect: { ...SQL_DOWN, 'sql:down-warm': 'stale' },
});

const graphRead = (
  id: string,
  route: string,
  path: string,
  more: Partial<Record<Cell, Outcome>> = {},
): EndpointCase => ({
  id,
  group: 'Graph views (/api/graph/*)',
  method: 'GET',
  route,
  request: () => ({ path }),
  status: 200,
  // The embedded graph lives in SQL, so an SQL outage is a graph outage too.
  expect: {
    'sql:down': 'unavailable',
    'sql:slow': 'unavailable',
    'graph:down': 'unavailable',
    'graph:slow': 'unavailable',
    ...more,
  },
});

const adminWrite = (
  id: string,
  method: string,
  route: string,
  status: number,
  request: (ctx: CellContext) => RequestSpec,
): EndpointCase => ({
  id,
  group: 'Admin writes (content, concepts, relations)',
  method,
  route,
  request,
  status,
  // Vectors and graph are projections: the write commits in SQL and is projected after recovery.
  expect: { ...SQL_DOWN, ...AUTH_CACHE },
});

const ifMatch = (ctx: CellContext, slug: string) => ({
  ...ctx.admin,
  'if-match': `"${ctx.versions[slug] ?? 0}"`,
});

export const ENDPOINTS: EndpointCase[] = [
  {
    id: 'health',
    group: 'Health (/api/health)',
    method: 'GET',
    route: '/api/health',
    request: () => ({ path: '/api/health' }),
    status: 200,
    expect: Object.fromEntries(
      STORES.flatMap((s) => [`${s}:down`, `${s}:slow`].map((c) => [c, 'reports'])),
    ) as Record<Cell, Outcome>,
  },
  {
    id: 'config',
    group: 'Site config and flags (/api/config)',
    method: 'GET',
    route: '/api/config',
    request: () => ({ path: '/api/config?uid=fault-visitor' }),
    status: 200,
    degraded: (body) =>
      field(body, 'source') === 'defaults' ? null : `source is ${String(field(body, 'source'))}`,
    expect: { 'config:down': 'degraded', 'config:slow': 'degraded' },
  },
  contentRead('content.list', '/api/content', '/api/content?limit=5'),
  contentRead('content.item', '/api/content/[slug]', '/api/content/tinyindex'),
  contentRead('courses.list', '/api/courses', '/api/courses'),
  contentRead('courses.item', '/api/courses/[slug]', '/api/courses/search-from-scratch'),
  contentRead('concepts.list', '/api/concepts', '/api/concepts'),
  contentRead('concepts.item', '/api/concepts/[slug]', '/api/concepts/hash-tables'),
  {
    id: 'search',
    group: 'Search (/api/search)',
    method: 'GET',
    route: '/api/search',
    request: () => ({ path: '/api/search?q=bm25+ranking&limit=5' }),
    status: 200,
    degraded: (body) => {
      if (field(body, 'degraded') !== true) return 'degraded is not true';
      const results = field(body, 'results');
      return Array.isArray(results) && results.length > 0 ? null : 'no full-text results';
    },
    // pgvector lives in SQL: with SQL gone both sides are gone.
    expect: { ...SQL_DOWN, 'vectors:down': 'degraded', 'vectors:slow': 'degraded' },
  },
  graphRead('graph.concept', '/api/graph/concepts/[slug]', '/api/graph/concepts/hash-tables?depth=1'),
  graphRead('graph.related', '/api/graph/related/[slug]', '/api/graph/related/tinyindex'),
  // Learning paths are cached (graph namespace): one read before the outage is answered from the cache.
  graphRead('graph.path', '/api/graph/path', '/api/graph/path?to=hash-tables', { 'sql:down-warm': 'ok' }),
  graphRead('graph.shortest', '/api/graph/shortest', '/api/graph/shortest?from=tinyindex&to=hash-tables'),
  {
    id: 'chat',
    group: 'Chat (POST /api/chat)',
    method: 'POST',
    route: '/api/chat',
    request: (ctx) => ({
      path: '/api/chat',
      json: {
        id: `fault-${slug(ctx)}`,
        messages: [
          { id: 'u1', role: 'user', parts: [{ type: 'text', text: 'How does BM25 rank documents?' }] },
        ],
        trigger: 'submit-message',
      },
    }),
    status: 200,
    // Vectors down: retrieval answers from full text; graph down: no related reading; cache down: the
    // rate limiter fails open; config down: default flags (chat on).
    expect: { ...SQL_DOWN },
  },
  {
    id: 'chat.history',
    group: "Chat history (the caller's conversations)",
    method: 'GET',
    route: '/api/chat/history',
    request: (ctx) => ({ path: '/api/chat/history', headers: ctx.member }),
    status: 200,
    // A signed-in caller whose session cannot be checked is not served as anonymous: 503.
    expect: { ...SQL_DOWN, ...AUTH_CACHE },
  },
  {
    id: 'chat.conversation',
    group: "Chat history (the caller's conversations)",
    method: 'GET',
    route: '/api/chat/[id]',
    request: (ctx) => ({ path: `/api/chat/${ctx.conversationId}`, headers: ctx.member }),
    status: 200,
    expect: { ...SQL_DOWN, ...AUTH_CACHE },
  },
  {
    id: 'chat.resume',
    group: 'Chat resume and stop (/api/chat/[id]/stream)',
    method: 'GET',
    route: '/api/chat/[id]/stream',
    request: (ctx) => ({ path: `/api/chat/${ctx.conversationId}/stream`, headers: ctx.member }),
    // No answer in progress: 204. Resuming is best effort, so a cache (where answers in progress are
    // recorded) that is down or slow also means nothing to resume; nothing else is read.
    status: 204,
    expect: {},
  },
  {
    id: 'chat.stop',
    group: 'Chat resume and stop (/api/chat/[id]/stream)',
    method: 'DELETE',
    route: '/api/chat/[id]/stream',
    request: (ctx) => ({ path: `/api/chat/${ctx.conversationId}/stream`, headers: ctx.member }),
    status: 204,
    expect: {},
  },
  {
    id: 'auth.login',
    group: 'Sign-in (login, register)',
    method: 'POST',
    route: '/api/auth/login',
    request: (ctx) => ({
      path: '/api/auth/login',
      json: ctx.memberLogin,
      headers: { 'x-forwarded-for': '192.0.2.10' },
    }),
    status: 200,
    // The login limiter fails closed, and sessions live in the cache.
    expect: { ...SQL_DOWN, ...AUTH_CACHE },
  },
  {
    id: 'auth.register',
    group: 'Sign-in (login, register)',
    method: 'POST',
    route: '/api/auth/register',
    request: (ctx) => ({
      path: '/api/auth/register',
      json: {
        email: `fault-${ctx.cell.replace(':', '-')}-${Date.now()}@example.test`,
        name: 'Fault',
        password: 'correct-horse-battery-staple-42',
      },
      headers: { 'x-forwarded-for': '192.0.2.11' },
    }),
    status: 202,
    expect: { ...SQL_DOWN, ...AUTH_CACHE },
  },
  {
    id: 'auth.me',
    group: 'Session (me, logout)',
    method: 'GET',
    route: '/api/auth/me',
    request: (ctx) => ({ path: '/api/auth/me', headers: ctx.member }),
    status: 200,
    // The session record holds the user: no SQL on this path.
    expect: { ...AUTH_CACHE },
  },
  {
    id: 'auth.logout',
    group: 'Session (me, logout)',
    method: 'POST',
    route: '/api/auth/logout',
    request: (ctx) => ({ path: '/api/auth/logout', headers: ctx.logoutSession }),
    status: 204,
    expect: { ...AUTH_CACHE },
  },
  adminWrite('admin.content.create', 'POST', '/api/admin/content', 201, (ctx) => ({
    path: '/api/admin/content',
    headers: ctx.admin,
    json: {
      slug: `fault-${slug(ctx)}-new`,
      kind: 'post',
      title: `Written during ${ctx.cell}`,
      body: `A post written while ${ctx.cell} was injected.`,
      concepts: ['hash-tables'],
    },
  })),
  adminWrite('admin.content.update', 'PATCH', '/api/admin/content', 200, (ctx) => ({
    path: `/api/admin/content?slug=fault-${slug(ctx)}-edit`,
    headers: ifMatch(ctx, `fault-${slug(ctx)}-edit`),
    json: { title: `Edited during ${ctx.cell}` },
  })),
  adminWrite('admin.content.delete', 'DELETE', '/api/admin/content', 200, (ctx) => ({
    path: `/api/admin/content?slug=fault-${slug(ctx)}-gone`,
    headers: ifMatch(ctx, `fault-${slug(ctx)}-gone`),
  })),
  adminWrite('admin.concepts.create', 'POST', '/api/admin/concepts', 201, (ctx) => ({
    path: '/api/admin/concepts',
    headers: ctx.admin,
    json: { slug: `fault-${slug(ctx)}-c-new`, title: `Concept written during ${ctx.cell}` },
  })),
  adminWrite('admin.concepts.update', 'PATCH', '/api/admin/concepts', 200, (ctx) => ({
    path: `/api/admin/concepts?slug=fault-${slug(ctx)}-c-edit`,
    headers: ifMatch(ctx, `fault-${slug(ctx)}-c-edit`),
    json: { title: `Concept edited during ${ctx.cell}` },
  })),
  adminWrite('admin.concepts.delete', 'DELETE', '/api/admin/concepts', 200, (ctx) => ({
    path: `/api/admin/concepts?slug=fault-${slug(ctx)}-c-gone`,
    headers: ifMatch(ctx, `fault-${slug(ctx)}-c-gone`),
  })),
  adminWrite('admin.relations.add', 'POST', '/api/admin/relations', 201, (ctx) => ({
    path: '/api/admin/relations',
    headers: ctx.admin,
    json: { type: 'REQUIRES', from: `fault-${slug(ctx)}-c-rel`, to: 'hash-tables', reason: 'fault matrix' },
  })),
  adminWrite('admin.relations.remove', 'DELETE', '/api/admin/relations', 200, (ctx) => ({
    path: `/api/admin/relations?type=MENTIONS&from=fault-${slug(ctx)}-rel&to=hash-tables`,
    headers: ctx.admin,
  })),
  {
    id: 'admin.flags.get',
    group: 'Admin flags',
    method: 'GET',
    route: '/api/admin/flags',
    request: (ctx) => ({ path: '/api/admin/flags', headers: ctx.admin }),
    status: 200,
    expect: { ...AUTH_CACHE, 'config:down': 'unavailable', 'config:slow': 'unavailable' },
  },
  {
    id: 'admin.flags.put',
    group: 'Admin flags',
    method: 'PUT',
    route: '/api/admin/flags',
    // The defaults, so concurrent requests of the cell see the same flags either way.
    request: (ctx) => ({ path: '/api/admin/flags', headers: ctx.admin, json: { flags: {} } }),
    status: 200,
    // The audit row is written first, time-boxed to half the deadline: without it nothing changes.
    expect: {
      'sql:down': 'unavailable',
      'sql:slow': 'unavailable',
      ...AUTH_CACHE,
      'config:down': 'unavailable',
      'config:slow': 'unavailable',
    },
  },
  {
    id: 'admin.status',
    group: 'Admin status',
    method: 'GET',
    route: '/api/admin/status',
    request: (ctx) => ({ path: '/api/admin/status', headers: ctx.admin }),
    status: 200,
    // It answers with what it can reach: no outbox report, the sql entry says why.
    degraded: (body) => {
      const stores = field(body, 'stores');
      const sqlEntry = Array.isArray(stores)
        ? (stores as { store?: string; status?: string; error?: unknown }[]).find((s) => s.store === 'sql')
        : undefined;
      if (field(body, 'outbox') !== null) return 'outbox is not null';
      if (sqlEntry?.status !== 'down') return 'the sql store is not reported down';
      // The admin sees the error text that the public health answer leaves out.
      return typeof sqlEntry.error === 'string' ? null : 'no error text for the admin';
    },
    expect: { 'sql:down': 'degraded', 'sql:slow': 'degraded', ...AUTH_CACHE },
  },
  {
    id: 'cron.reindex',
    group: 'Cron reindex (sync)',
    method: 'GET',
    route: '/api/cron/reindex',
    request: (ctx) => ({ path: '/api/cron/reindex', headers: ctx.cron }),
    status: 200,
    // A projection that fails backs its rows off (200, retried later); one that hangs holds the run
    // past the deadline (the rows' leases expire and the next run retries them).
    expect: { ...SQL_DOWN, 'vectors:slow': 'timeout', 'graph:slow': 'timeout' },
  },
];

function slug(ctx: CellContext): string {
  return ctx.cell.replace(':', '-');
}

/** Fixture slugs a cell creates before injecting its fault. */
export function fixtureSlugs(cell: string): { content: string[]; concepts: string[] } {
  const s = cell.replace(':', '-');
  return {
    content: [`fault-${s}-edit`, `fault-${s}-gone`, `fault-${s}-rel`],
    concepts: [`fault-${s}-c-edit`, `fault-${s}-c-gone`, `fault-${s}-c-rel`],
  };
}

export function outcomeOf(endpoint: EndpointCase, cell: Cell): Outcome {
  const own = endpoint.expect[cell];
  if (own) return own;
  const inherits = COLUMNS.find((c) => c.id === cell)?.inherits;
  return inherits ? outcomeOf(endpoint, inherits) : 'ok';
}

const LABEL: Record<Outcome, string> = {
  ok: 'ok',
  degraded: '**degraded**',
  unavailable: '503',
  timeout: '503 (deadline)',
  reports: '503, names it',
  stale: 'ok, **stale**',
};

/** The README table: one row per endpoint group, one column per store and mode, then the scenarios. */
export function markdownTable(): string {
  const cells = COLUMNS.map((c) => c.id);
  const head = `| endpoint | ${COLUMNS.map((c) => c.label).join(' | ')} |`;
  const sep = `|---|${cells.map(() => '---').join('|')}|`;
  const groups = [...new Set(ENDPOINTS.map((e) => e.group))];
  const rows = groups.map((g) => {
    const members = ENDPOINTS.filter((e) => e.group === g);
    const cols = cells.map((c) => {
      const labels = [...new Set(members.map((e) => LABEL[outcomeOf(e, c)]))];
      return labels.join(' / ');
    });
    return `| ${g} | ${cols.join(' | ')} |`;
  });
  return [head, sep, ...rows].join('\n');
}
