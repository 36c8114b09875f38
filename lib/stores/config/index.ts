import { adapters, env } from '../../env.js';
import { MemoryConfigStore } from './memory.js';
import type { ConfigStore } from './types.js';

export type { ConfigStore } from './types.js';

let current: ConfigStore | undefined;

/**
 * The process's config store: Vercel KV (Upstash Redis, `KV_REST_API_*`) read with `@upstash/redis`, or
 * memory. Edge-safe: this module and its adapters use only fetch, no Node built-ins.
 */
export async function getConfigStore(): Promise<ConfigStore> {
  if (current) return current;
  const e = env();
  if (adapters(e).config === 'upstash') {
    const { UpstashConfigStore } = await import('./upstash.js');
    current = new UpstashConfigStore({ url: e.KV_REST_API_URL ?? '', token: e.KV_REST_API_TOKEN ?? '' });
  } else {
    current = new MemoryConfigStore();
  }
  return current as ConfigStore;
}

/** Replaces the process's config store (tests, dev server); `undefined` resets to env selection. */
export function setConfigStore(store: ConfigStore | undefined): void {
  current = store;
}
