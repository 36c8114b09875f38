import { timeboxed } from '../cache/timebox.js';
import { log } from '../log.js';
import { getCache } from '../stores/cache/index.js';
import type { Db } from '../stores/sql/index.js';
import { getIndexVersion } from '../sync/state.js';

/** Cache key holding the search index version (the truth is in SQL app_state). */
export const VERSION_CACHE_KEY = 'search:index-version';
/**
 * Seconds the cached version is trusted. A shared cache (Redis) is updated by every sync at once; a
 * per-instance memory cache catches up within this time.
 */
const VERSION_TTL_SECONDS = 30;
const CACHE_TIMEOUT_MS = 150;

/** Publishes a new index version to the cache, so cached search results keyed on the old one die. */
export async function publishIndexVersion(version: number): Promise<void> {
  await timeboxed(
    async () => {
      const cache = await getCache();
      await cache.set(VERSION_CACHE_KEY, version, { ttlSeconds: VERSION_TTL_SECONDS });
      return true;
    },
    CACHE_TIMEOUT_MS,
    false,
  );
}

/** The current index version: from the cache, else from SQL (and put back in the cache). */
export async function currentIndexVersion(db: () => Promise<Db>): Promise<number> {
  const cached = await timeboxed(
    async () => (await getCache()).get<number>(VERSION_CACHE_KEY),
    CACHE_TIMEOUT_MS,
    null,
  );
  if (typeof cached === 'number') return cached;
  const version = await getIndexVersion(await db());
  publishIndexVersion(version).catch((err: unknown) => log.debug('publish index version failed', { err }));
  return version;
}
