import { adapters, env } from '../../env.js';
import { MemoryCache } from './memory.js';
import type { Cache } from './types.js';

export type { Cache, Lock, VersionedRead, VersionedValue } from './types.js';

let current: Promise<Cache> | undefined;
/** The cache `current` resolved to, once it has: what the hot path uses without awaiting. */
let ready: Cache | undefined;

/** The process's cache store, chosen from env: Upstash REST, Redis over TCP, or memory. */
export function getCache(): Promise<Cache> {
  if (!current) {
    const created = createCache();
    current = created;
    void created.then(
      (cache) => {
        if (current === created) ready = cache;
      },
      () => {},
    );
  }
  return current;
}

/** The process's cache if it has been created already, else undefined (then await `getCache`). */
export function cacheIfReady(): Cache | undefined {
  return ready;
}

/** Replaces the process's cache (tests, dev server); `undefined` resets to env selection. */
export function setCache(cache: Cache | undefined): void {
  current = cache ? Promise.resolve(cache) : undefined;
  ready = cache;
}

async function createCache(): Promise<Cache> {
  const e = env();
  switch (adapters(e).cache) {
    case 'upstash': {
      const { UpstashCache } = await import('./upstash.js');
      return new UpstashCache({
        url: e.UPSTASH_REDIS_REST_URL ?? '',
        token: e.UPSTASH_REDIS_REST_TOKEN ?? '',
      });
    }
    case 'redis': {
      const { RedisCache } = await import('./redis.js');
      return new RedisCache(e.REDIS_URL ?? '');
    }
    case 'memory':
      return new MemoryCache();
  }
}
