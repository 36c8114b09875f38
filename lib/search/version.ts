import { sql } from 'drizzle-orm';
import type { DocumentKind } from '../../db/schema.js';
import { bumpNamespaces, NAMESPACES } from '../cache/namespaces.js';
import { timeboxed } from '../cache/timebox.js';
import { getCache } from '../stores/cache/index.js';
import { type Db, queryRows } from '../stores/sql/index.js';
import { INDEX_VERSION_KEY } from '../sync/state.js';
import {
  type LexicalHit,
  type LexicalParams,
  type LexicalRow,
  lexicalHits,
  lexicalQuery,
} from './lexical.js';

/** Cache key holding the search index version (the truth is in SQL app_state). */
export const VERSION_CACHE_KEY = 'search:index-version';
/**
 * Seconds the cached version is trusted. A shared cache (Redis) is updated by every sync at once; a
 * per-instance memory cache catches up within this time: the bound on a stale cached search.
 */
export const VERSION_TTL_SECONDS = 30;
const CACHE_TIMEOUT_MS = 150;

/**
 * Publishes a new index version to the cache, so cached search results keyed on the old one die, and
 * moves the graph namespace (graph answers are projections too, changed by the same syncs).
 */
export async function publishIndexVersion(version: number): Promise<void> {
  await Promise.all([
    rememberIndexVersion(version),
    timeboxed(
      async () => bumpNamespaces(await getCache(), [NAMESPACES.graph], CACHE_TIMEOUT_MS),
      CACHE_TIMEOUT_MS,
      undefined,
    ),
  ]);
}

/** Puts the index version in the cache (a search that read it from SQL); moves nothing else. */
export async function rememberIndexVersion(version: number): Promise<void> {
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

/**
 * The full-text search and the index version in ONE statement (DESIGN 4: one SQL round trip on a
 * search miss, index version included): the version comes from a one-row subquery joined to the
 * ranked rows, so it is there even when nothing matches; the rows keep `lexicalQuery`'s order.
 */
export async function searchLexicalWithVersion(options: {
  db: Db;
  q: string;
  kinds?: DocumentKind[] | undefined;
  concept?: string | undefined;
  topK: number;
  params: LexicalParams;
}): Promise<{ hits: LexicalHit[]; indexVersion: number }> {
  const { db, ...query } = options;
  const rows = await queryRows<{ index_version: string | null } & Partial<LexicalRow>>(
    db,
    sql`SELECT iv.index_version, l.*
        FROM (SELECT (SELECT value #>> '{}' FROM app_state WHERE key = ${INDEX_VERSION_KEY}) AS index_version) iv
        LEFT JOIN LATERAL (${lexicalQuery(query)}) l ON true
        ORDER BY l.rank`,
  );
  const indexVersion = Number(rows[0]?.index_version ?? 0) || 0;
  const matched = rows.filter((r): r is typeof r & LexicalRow => typeof r.chunk_id === 'string');
  return { hits: lexicalHits(matched), indexVersion };
}
