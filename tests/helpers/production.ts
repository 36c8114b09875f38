import type { Cache } from '../../lib/stores/cache/index.js';
import type { ConfigStore } from '../../lib/stores/config/index.js';
import { getGraphStore, setGraphStore } from '../../lib/stores/graph/index.js';
import type { SqlStore } from '../../lib/stores/sql/index.js';
import { setVectorStore } from '../../lib/stores/vector/index.js';
import { startNeonHttpStandin } from '../standins/neon-http.js';
import { startPineconeStandin } from '../standins/pinecone.js';
import { startUpstashStandin } from '../standins/upstash.js';
import { openNeo4j } from './neo4j.js';
import { createNeonHttp, createPostgres } from './sql.js';

/**
 * The production profile (`npm run test:production-profile`): with TEST_PROFILE=production, every
 * test app gets each store's production adapter instead of the embedded one. SQL is node-postgres
 * (TEST_PROFILE_SQL=postgres) or Neon's HTTP driver through its stand-in (neon-http), on a fresh clone
 * of the real PostgreSQL's template; the cache is ioredis (TEST_PROFILE_CACHE=redis) or
 * @upstash/redis through the Upstash stand-in (upstash), both on the real Redis under a key prefix of
 * their own; config (KV) is @upstash/redis through the stand-in; vectors are the Pinecone client
 * against the Pinecone stand-in; the graph is the live Neo4j, emptied for each app.
 */
export function productionProfile(): boolean {
  return process.env.TEST_PROFILE === 'production';
}

export interface ProductionStores {
  sql: SqlStore;
  cache: Cache;
  config: ConfigStore;
  /** Env the app runs with (selects Pinecone; Neo4j comes from NEO4J_*). */
  env: Record<string, string>;
  close(): Promise<void>;
}

let seq = 0;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`the production profile needs ${name} (see .ci/run)`);
  return value;
}

export async function productionStores(given: {
  sql?: SqlStore | undefined;
  cache?: Cache | undefined;
  config?: ConfigStore | undefined;
}): Promise<ProductionStores> {
  const redisUrl = required('TEST_REDIS_URL');
  required('TEST_DATABASE_URL');
  required('NEO4J_URI');
  const prefix = `polyfolio-profile:${process.pid}:${++seq}:${Date.now().toString(36)}:`;
  const closers: (() => Promise<unknown>)[] = [];
  const upstash = await startUpstashStandin({ redisUrl });
  closers.push(() => upstash.close());

  let sql = given.sql;
  if (!sql) {
    if (process.env.TEST_PROFILE_SQL === 'neon-http') {
      const neon = await startNeonHttpStandin();
      closers.push(() => neon.close());
      sql = await createNeonHttp(neon.endpoint);
    } else {
      sql = await createPostgres();
    }
    const owned = sql;
    closers.unshift(() => owned.close()); // before the stand-in it talks through
  }

  let cache = given.cache;
  if (!cache) {
    if (process.env.TEST_PROFILE_CACHE === 'upstash') {
      const { UpstashCache } = await import('../../lib/stores/cache/upstash.js');
      cache = new UpstashCache({ url: upstash.url, token: upstash.token, keyPrefix: `${prefix}cache:` });
    } else {
      const { RedisCache } = await import('../../lib/stores/cache/redis.js');
      cache = new RedisCache(redisUrl, { keyPrefix: `${prefix}cache:` });
    }
    const owned = cache;
    closers.unshift(() => owned.close());
  }

  let config = given.config;
  if (!config) {
    const { UpstashConfigStore } = await import('../../lib/stores/config/upstash.js');
    config = new UpstashConfigStore({ url: upstash.url, token: upstash.token, keyPrefix: `${prefix}kv:` });
  }

  // An app over another app's SQL (a second view of the same data) shares its projections too.
  const shared = given.sql !== undefined;
  const pinecone = shared ? undefined : await startPineconeStandin({ dimension: 'first-write' });
  if (pinecone) closers.push(() => pinecone.close());
  if (!shared) {
    // The live Neo4j, emptied; the app's getter builds its own driver from NEO4J_* as production does.
    await (await openNeo4j()).close();
    setGraphStore(undefined);
    setVectorStore(undefined);
  }

  return {
    sql,
    cache,
    config,
    env: pinecone
      ? {
          PINECONE_API_KEY: pinecone.apiKey,
          PINECONE_INDEX: 'polyfolio-profile',
          PINECONE_HOST: pinecone.host,
        }
      : {},
    async close() {
      if (!shared) {
        await (await getGraphStore().catch(() => undefined))?.close();
        setGraphStore(undefined);
        setVectorStore(undefined);
      }
      for (const close of closers) await close().catch(() => {});
      await deleteKeys(redisUrl, prefix);
    },
  };
}

/** Removes this app's keys from the shared Redis (never FLUSHALL: other runs use it too). */
async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
