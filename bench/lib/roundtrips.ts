import { resetConfigMemo } from '../../lib/config/load.js';
import type { App } from '../../lib/dev/router.js';
import type { Counter, Counts, StoreName } from './counting.js';
import type { BenchResults } from './report.js';

/** A hot endpoint and the fewest round trips DESIGN section 4 allows on its request path. */
export interface HotEndpoint {
  path: string;
  label: string;
  hit: Partial<Counts>;
  miss: Partial<Counts>;
  note: string;
}

/** The hot endpoints, given a content slug and a concept slug that exist in the seeded data. */
export function hotEndpoints(slug: string, concept: string): HotEndpoint[] {
  return [
    {
      path: '/api/health',
      label: '/api/health',
      hit: { sql: 1, cache: 1, config: 1, vector: 1, graph: 1 },
      miss: { sql: 1, cache: 1, config: 1, vector: 1, graph: 1 },
      note: 'one ping per store, in parallel',
    },
    {
      path: '/api/content',
      label: '/api/content',
      hit: { cache: 1 },
      miss: { cache: 1, sql: 1 },
      note: 'cached read: 1 cache; miss: + 1 SQL query (fill off the critical path)',
    },
    {
      path: `/api/content/${slug}`,
      label: '/api/content/[slug]',
      hit: { cache: 1 },
      miss: { cache: 1, sql: 1 },
      note: 'cached read: 1 cache; miss: + 1 SQL query',
    },
    {
      path: '/api/search?q=hybrid+search+ranking',
      label: '/api/search?q=…',
      hit: { cache: 1 },
      // The kill switch (`search.enabled`) is read from the config store once per instance and
      // memoised (DESIGN 4: one KV round trip, memoised): a cold instance's first miss pays it.
      miss: { cache: 1, embed: 1, vector: 1, sql: 1, config: 1 },
      note: 'miss: 1 embed, then vector ∥ full-text SQL (index version in the same query); cold instance: + 1 config (flag, memoised); hit: 1 cache',
    },
    {
      path: '/api/config',
      label: '/api/config',
      hit: {},
      miss: { config: 1 },
      note: '1 KV round trip (MGET), memoised per instance',
    },
    {
      path: `/api/graph/path?to=${concept}`,
      label: '/api/graph/path?to=…',
      hit: { cache: 1 },
      miss: { cache: 1, graph: 1 },
      note: 'hit: 1 cache; miss: + 1 graph query',
    },
  ];
}

const STORES: StoreName[] = ['sql', 'cache', 'config', 'vector', 'graph', 'embed'];

/**
 * (e) of the bench: store round trips per request, on the in-process app (same handlers, no socket
 * noise). "miss" is a cold instance: an empty cache and a cleared config memo; "hit" follows it.
 */
export async function countRoundTrips(
  app: App,
  counter: Counter,
  hot: HotEndpoint[],
): Promise<BenchResults['roundTrips']> {
  const roundTrips: BenchResults['roundTrips'] = [];
  for (const h of hot) {
    counter.emptyCache();
    resetConfigMemo();
    for (const kind of ['miss', 'hit'] as const) {
      await app.settle();
      counter.reset();
      const res = await app.fetch(new Request(`http://localhost${h.path}`));
      await res.arrayBuffer();
      // Cache fills run through waitUntil; with the memory cache they finish before the body is read,
      // so they are told apart by operation (set) rather than by time.
      const fillsSoFar = counter.fills;
      const onRequest = { ...counter.counts, cache: counter.counts.cache - fillsSoFar };
      await app.settle();
      const ops = [...counter.ops];
      const background = Object.fromEntries(
        STORES.map((s) => [s, counter.counts[s] - onRequest[s]]),
      ) as unknown as Counts;
      const minimum = h[kind];
      roundTrips.push({
        endpoint: h.label,
        case: kind,
        status: res.status,
        onRequest,
        background,
        ops,
        minimum,
        withinMinimum: STORES.every((s) => onRequest[s] <= (minimum[s] ?? 0)),
        note: h.note,
      });
    }
  }
  return roundTrips;
}
