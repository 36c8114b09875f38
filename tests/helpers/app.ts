import { type App, createApp } from '../../lib/dev/router.js';
import { resetEnv } from '../../lib/env.js';
import { type Cache, setCache } from '../../lib/stores/cache/index.js';
import { MemoryCache } from '../../lib/stores/cache/memory.js';
import { type ConfigStore, setConfigStore } from '../../lib/stores/config/index.js';
import { MemoryConfigStore } from '../../lib/stores/config/memory.js';
import { type SqlStore, setSql } from '../../lib/stores/sql/index.js';
import { productionProfile, productionStores } from './production.js';
import { createPglite } from './sql.js';

export interface TestApp {
  app: App;
  sql: SqlStore;
  cache: Cache;
  config: ConfigStore;
  /** Sends a request through the real router and handlers, as the dev server would. */
  request(method: string, path: string, init?: RequestOptions): Promise<Response>;
  /** Waits for background (`waitUntil`) work, such as post-write syncs. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface RequestOptions {
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * The whole API in-process on fresh embedded stores (or the ones given). Stores are installed as the
 * process's stores, so handlers get them through their usual getters.
 */
export async function createTestApp(
  options: { sql?: SqlStore; cache?: Cache; config?: ConfigStore; env?: Record<string, string> } = {},
): Promise<TestApp> {
  // The production profile (tests/helpers/production.ts) swaps in every production adapter.
  const prod = productionProfile() ? await productionStores(options) : undefined;
  // A generous deadline by default: tests share two cores, and PGlite serialises every query.
  const testEnv = { REQUEST_TIMEOUT_MS: '30000', ...prod?.env, ...options.env };
  for (const [k, v] of Object.entries(testEnv)) process.env[k] = v;
  resetEnv();
  const sql = options.sql ?? prod?.sql ?? (await createPglite());
  const cache = options.cache ?? prod?.cache ?? new MemoryCache();
  const config = options.config ?? prod?.config ?? new MemoryConfigStore();
  setSql(sql);
  setCache(cache);
  setConfigStore(config);
  const app = createApp();
  return {
    app,
    sql,
    cache,
    config,
    request(method, path, init = {}) {
      const headers = new Headers(init.headers);
      let body = init.body;
      if (init.json !== undefined) {
        body = JSON.stringify(init.json);
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      }
      if (!headers.has('x-forwarded-for')) headers.set('x-forwarded-for', '203.0.113.7');
      return app.fetch(
        new Request(`http://localhost${path}`, {
          method,
          headers,
          ...(body !== undefined ? { body } : {}),
          ...(init.signal ? { signal: init.signal } : {}),
        }),
      );
    },
    settle: () => app.settle(),
    async close() {
      await app.settle();
      if (prod) await prod.close();
      else await sql.close();
      setSql(undefined);
      setCache(undefined);
      setConfigStore(undefined);
      for (const k of Object.keys(testEnv)) delete process.env[k];
      resetEnv();
    },
  };
}
