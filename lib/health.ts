import { z } from 'zod';
import { adapters, env } from './env.js';
import { modelInfo } from './model-info.js';
import { getCache } from './stores/cache/index.js';
import { getConfigStore } from './stores/config/index.js';
import { getGraphStore } from './stores/graph/index.js';
import { getSql } from './stores/sql/index.js';
import { getVectorStore } from './stores/vector/index.js';

export interface StoreHealth {
  store: string;
  adapter: string;
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

/** A store's health check: resolves when the store answers. */
export interface HealthCheck {
  store: string;
  adapter: string;
  ping(): Promise<void>;
}

/** The checks for every store, built from env without connecting. */
export function storeChecks(): HealthCheck[] {
  const a = adapters();
  return [
    { store: 'sql', adapter: a.sql, ping: async () => (await getSql()).ping() },
    { store: 'cache', adapter: a.cache, ping: async () => (await getCache()).ping() },
    { store: 'config', adapter: a.config, ping: async () => (await getConfigStore()).ping() },
    modelsCheck(),
    { store: 'graph', adapter: a.graph, ping: async () => (await getGraphStore()).ping() },
    { store: 'vector', adapter: a.vector, ping: async () => (await getVectorStore()).ping() },
  ];
}

/**
 * How long a ping may take: 1.5 s, but at most half the request deadline, so a hung store is reported
 * down by name instead of the whole health request running into the deadline.
 */
export function healthTimeoutMs(): number {
  return Math.min(1500, Math.floor(env().REQUEST_TIMEOUT_MS / 2));
}

/** Pings every check in parallel, each bounded by `timeoutMs`; never throws. */
export async function measureHealth(
  checks: HealthCheck[],
  timeoutMs = healthTimeoutMs(),
): Promise<StoreHealth[]> {
  return Promise.all(
    checks.map(async (c) => {
      const start = performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          c.ping(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return { store: c.store, adapter: c.adapter, status: 'up' as const, latencyMs: elapsed(start) };
      } catch (err) {
        return {
          store: c.store,
          adapter: c.adapter,
          status: 'down' as const,
          latencyMs: elapsed(start),
          error: err instanceof Error ? err.message.slice(0, 200) : 'unavailable',
        };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

function elapsed(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

/**
 * Names the models in use. The local models run in-process, so they are always up; a provider is
 * not called (a health probe must not spend tokens), so its entry says what is configured.
 */
function modelsCheck(): HealthCheck {
  const m = modelInfo();
  return {
    store: 'models',
    adapter: `${m.provider}: ${m.chatModel}, ${m.embeddingModel}`,
    ping: async () => {},
  };
}

/** The response shape of one store's health, shared by /api/health and /api/admin/status docs. */
export const storeHealthSchema = z.object({
  store: z.string(),
  adapter: z.string(),
  status: z.enum(['up', 'down']),
  latencyMs: z.number(),
  error: z.string().optional(),
});
