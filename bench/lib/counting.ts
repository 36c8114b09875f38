import { AsyncLocalStorage } from 'node:async_hooks';
import { getEmbedder } from '../../lib/ai/embedder.js';
import { type Cache, getCache, setCache } from '../../lib/stores/cache/index.js';
import { MemoryCache } from '../../lib/stores/cache/memory.js';
import { type ConfigStore, getConfigStore, setConfigStore } from '../../lib/stores/config/index.js';
import { getGraphStore, setGraphStore } from '../../lib/stores/graph/index.js';
import { getSql, type SqlStore } from '../../lib/stores/sql/index.js';
import { getVectorStore, setVectorStore } from '../../lib/stores/vector/index.js';

/**
 * Round trips counted at the adapter boundary: every store the handlers reach is replaced (through its
 * setter) by a proxy that counts method calls, and the SQL driver client's query methods are counted.
 * SQL issued inside a vector or graph call (the embedded pgvector/SQL-graph adapters) is attributed to
 * that store, as it would be one Pinecone or Neo4j round trip in production.
 */

export type StoreName = 'sql' | 'cache' | 'config' | 'vector' | 'graph' | 'embed';
export type Counts = Record<StoreName, number>;

const inside = new AsyncLocalStorage<StoreName>();

export function zero(): Counts {
  return { sql: 0, cache: 0, config: 0, vector: 0, graph: 0, embed: 0 };
}

export interface Counter {
  counts: Counts;
  /** Operation names per store (e.g. `cache.get`), for the report. */
  ops: string[];
  /** Cache writes (`set`): fills scheduled off the critical path with `waitUntil`. */
  fills: number;
  reset(): void;
  /** Empties the cache (a new counted memory cache), so the next read is a miss. */
  emptyCache(): void;
}

/** Installs the counting proxies on the process's stores; returns the live counter. */
export async function installCounters(): Promise<Counter> {
  const counter: Counter = {
    counts: zero(),
    ops: [],
    fills: 0,
    reset() {
      this.counts = zero();
      this.ops = [];
      this.fills = 0;
    },
    emptyCache() {
      setCache(proxy<Cache>('cache', new MemoryCache(), ['close']));
    },
  };
  const hit = (store: StoreName, op: string) => {
    counter.counts[store]++;
    if (store === 'cache' && op === 'set') counter.fills++;
    counter.ops.push(`${store}.${op}`);
  };
  const proxy = <T extends object>(store: StoreName, target: T, skip: string[] = []): T =>
    new Proxy(target, {
      get(obj, prop, receiver) {
        const value = Reflect.get(obj, prop, receiver);
        if (typeof value !== 'function' || typeof prop !== 'string' || skip.includes(prop)) return value;
        return (...args: unknown[]) => {
          if (inside.getStore()) return value.apply(obj, args); // nested call of the same adapter
          hit(store, prop);
          return inside.run(store, () => value.apply(obj, args));
        };
      },
    });

  const sql = (await getSql()) as SqlStore & { client?: Record<string, unknown> };
  const client = sql.client;
  if (client) {
    for (const method of ['query', 'exec', 'transaction']) {
      const original = client[method];
      if (typeof original !== 'function') continue;
      client[method] = (...args: unknown[]) => {
        if (!inside.getStore()) hit('sql', method);
        return inside.run(inside.getStore() ?? 'sql', () => original.apply(client, args));
      };
    }
  }
  setCache(proxy<Cache>('cache', await getCache(), ['close']));
  setConfigStore(proxy<ConfigStore>('config', await getConfigStore()));
  setVectorStore(proxy('vector', await getVectorStore()));
  setGraphStore(proxy('graph', await getGraphStore()));
  const embedder = await getEmbedder();
  const embed = embedder.embed.bind(embedder);
  (embedder as { embed: typeof embed }).embed = (texts, options) => {
    hit('embed', `embed(${texts.length})`);
    return inside.run('embed', () => embed(texts, options));
  };
  return counter;
}
