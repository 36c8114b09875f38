import * as z from 'zod';
import { adapters, env } from './env.js';
import { log } from './log.js';
import { modelInfo } from './model-info.js';
import { getCache } from './stores/cache/index.js';
import { getConfigStore } from './stores/config/index.js';
import { getGraphStore } from './stores/graph/index.js';
import { getSql } from './stores/sql/index.js';
import { isStoreUnavailable, ProjectionUnavailableError } from './stores/unavailable.js';
import { getVectorStore } from './stores/vector/index.js';

/**
 * Why a store is down, in a fixed vocabulary the public health answer may show: `timeout` (no answer
 * within the health budget), `unreachable` (connection refused, reset, DNS...), `failing` (it answered
 * with an error), `unsupported` (it cannot work in this deployment at all, e.g. PostgreSQL without
 * pgvector: `hint`, a fixed text from our code, says what is missing and how to fix it). The error text
 * itself goes only to the logs and the admin status endpoint.
 */
export type DownReason = 'timeout' | 'unreachable' | 'failing' | 'unsupported';

export interface StoreHealth {
  store: string;
  adapter: string;
  status: 'up' | 'down';
  latencyMs: number;
  reason?: DownReason;
  /** What is missing and how to fix it (reason `unsupported` only). */
  hint?: string;
  /** The error message (admin status only; `publicHealth` drops it). */
  error?: string;
}

class HealthTimeout extends Error {}

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
            timer = setTimeout(
              () => reject(new HealthTimeout(`no answer within ${timeoutMs} ms`)),
              timeoutMs,
            );
          }),
        ]);
        return { store: c.store, adapter: c.adapter, status: 'up' as const, latencyMs: elapsed(start) };
      } catch (err) {
        const reason: DownReason =
          err instanceof HealthTimeout
            ? 'timeout'
            : err instanceof ProjectionUnavailableError
              ? 'unsupported'
              : isStoreUnavailable(err)
                ? 'unreachable'
                : 'failing';
        log.warn('health check failed', { store: c.store, adapter: c.adapter, reason, err });
        return {
          store: c.store,
          adapter: c.adapter,
          status: 'down' as const,
          latencyMs: elapsed(start),
          reason,
          ...(err instanceof ProjectionUnavailableError ? { hint: `${err.message} ${err.hint}` } : {}),
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

/** What the public /api/health shows of a store: its name, adapter and state, never error text. */
export function publicHealth(s: StoreHealth): Omit<StoreHealth, 'error'> {
  const { error: _error, ...rest } = s;
  return rest;
}

/** The response shape of one store's public health (/api/health). */
export const storeHealthSchema = z.object({
  store: z.string(),
  adapter: z.string(),
  status: z.enum(['up', 'down']),
  latencyMs: z.number(),
  reason: z.enum(['timeout', 'unreachable', 'failing', 'unsupported']).optional(),
  hint: z.string().optional().describe('what is missing and how to fix it (reason unsupported)'),
});

/** One store's health with the error text, as /api/admin/status shows it to an admin. */
export const storeHealthDetailSchema = storeHealthSchema.extend({ error: z.string().optional() });
