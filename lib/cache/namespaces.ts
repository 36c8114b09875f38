import { log } from '../log.js';
import type { Cache } from '../stores/cache/index.js';
import { timebox } from './timebox.js';

/**
 * Versioned keys: every cached response key embeds its namespace's current version token
 * (`v:<namespace>` in the cache store). A write replaces the token, so every older key is unreachable
 * at once and ages out by TTL; nothing is scanned or deleted. Tokens are random, never counters, so
 * a version key lost to eviction or a cache flush can never bring back an old key.
 */

export const NAMESPACES = {
  /** Content, courses and concepts: every catalogue read (they embed each other's titles). */
  content: 'content',
  /** Graph answers (paths): moved by every sync that changed a projection (`publishIndexVersion`). */
  graph: 'graph',
} as const;
export type Namespace = (typeof NAMESPACES)[keyof typeof NAMESPACES];

/** A version token outlives any entry keyed by it (entries live minutes). */
const VERSION_TTL_SECONDS = 30 * 24 * 3600;

export const versionKey = (ns: string) => `v:${ns}`;

export function newVersionToken(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** Replaces the namespaces' version tokens after a write. Best effort: a failure is logged, not thrown. */
export async function bumpNamespaces(
  cache: Cache,
  namespaces: readonly string[],
  timeoutMs = 500,
): Promise<void> {
  await Promise.all(
    namespaces.map(async (ns) => {
      try {
        await timebox(
          cache.set(versionKey(ns), newVersionToken(), { ttlSeconds: VERSION_TTL_SECONDS }),
          timeoutMs,
        );
      } catch (err) {
        log.warn('cache invalidation failed; entries expire by TTL', { namespace: ns, err });
      }
    }),
  );
}

export { VERSION_TTL_SECONDS };
