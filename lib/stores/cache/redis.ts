import { Redis } from 'ioredis';
import {
  GET_VERSIONED,
  INCR_WITH_EXPIRY,
  parseStored,
  RELEASE_LOCK,
  ttlSeconds,
  versionedArgs,
  versionedReply,
} from './scripts.js';
import type { Cache, Lock, VersionedRead, VersionedValue } from './types.js';

/** The client with our script commands (`defineCommand`: EVALSHA, EVAL again on NOSCRIPT). */
type ScriptedRedis = Redis & {
  getVersioned(versionKey: string, ...args: (string | number)[]): Promise<unknown>;
};

export interface RedisCacheOptions {
  /** Prepended to every key, so several apps or test runs can share one database. */
  keyPrefix?: string;
  /** How long to wait for a connection before a command fails (ms). */
  connectTimeoutMs?: number;
  /** How long a command may take before it fails (ms). */
  commandTimeoutMs?: number;
}

/**
 * Any Redis over TCP (`REDIS_URL`), with ioredis. Tuned to fail fast: no offline queue, one retry per
 * command and short timeouts, so a down Redis costs a request a second at most, never a hang. The cache
 * holds nothing durable, so callers treat its errors as misses.
 */
export class RedisCache implements Cache {
  readonly name = 'redis' as const;
  private readonly client: ScriptedRedis;
  private readonly prefix: string;
  private readonly connectTimeoutMs: number;
  private connecting: Promise<void> | undefined;

  constructor(url: string, options: RedisCacheOptions = {}) {
    this.prefix = options.keyPrefix ?? '';
    this.connectTimeoutMs = options.connectTimeoutMs ?? 1_000;
    const client = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: this.connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs ?? 2_000,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    // ioredis sends EVALSHA and, when the server answers NOSCRIPT (restart, SCRIPT FLUSH, failover),
    // the script itself with EVAL, then EVALSHA again.
    client.defineCommand('getVersioned', { numberOfKeys: 1, lua: GET_VERSIONED });
    this.client = client as ScriptedRedis;
    // Connection errors surface as rejected commands; without a listener ioredis logs each one.
    this.client.on('error', () => {});
  }

  async get<T = unknown>(key: string): Promise<T | null> {
    const c = await this.ready();
    return parseStored<T>(await c.get(this.k(key)));
  }

  async mget<T = unknown>(keys: readonly string[]): Promise<(T | null)[]> {
    if (keys.length === 0) return [];
    const c = await this.ready();
    const raw = await c.mget(keys.map((k) => this.k(k)));
    return raw.map((v) => parseStored<T>(v));
  }

  async getVersioned<T = unknown>(read: VersionedRead): Promise<VersionedValue<T>> {
    const c = await this.ready();
    return versionedReply<T>(
      await c.getVersioned(this.k(read.versionKey), ...versionedArgs(read, this.prefix)),
    );
  }

  async set(key: string, value: unknown, options: { ttlSeconds?: number } = {}): Promise<void> {
    const c = await this.ready();
    const json = JSON.stringify(value);
    if (options.ttlSeconds) await c.set(this.k(key), json, 'EX', options.ttlSeconds);
    else await c.set(this.k(key), json);
  }

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const c = await this.ready();
    return c.del(...keys.map((k) => this.k(k)));
  }

  async incr(key: string, options: { ttlSeconds: number; by?: number }): Promise<number> {
    const c = await this.ready();
    const n = await c.eval(INCR_WITH_EXPIRY, 1, this.k(key), options.by ?? 1, options.ttlSeconds * 1000);
    return Number(n);
  }

  async ttl(key: string): Promise<number | null> {
    const c = await this.ready();
    return ttlSeconds(await c.pttl(this.k(key)));
  }

  async acquireLock(key: string, ttlMs: number): Promise<Lock | null> {
    const c = await this.ready();
    const token = crypto.randomUUID();
    const stored = JSON.stringify(token);
    const ok = await c.set(this.k(key), stored, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return null;
    return {
      key,
      token,
      release: async () => {
        const client = await this.ready();
        await client.eval(RELEASE_LOCK, 1, this.k(key), stored);
      },
    };
  }

  async ping(): Promise<void> {
    const c = await this.ready();
    await c.ping();
  }

  async close(): Promise<void> {
    if (this.client.status === 'end' || this.client.status === 'wait') {
      this.client.disconnect();
      return;
    }
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private k(key: string): string {
    return this.prefix + key;
  }

  /** Connects on first use; while reconnecting, waits up to the connect timeout instead of queueing. */
  private async ready(): Promise<ScriptedRedis> {
    const c = this.client;
    if (c.status === 'ready') return c;
    if (c.status === 'wait') {
      this.connecting ??= c.connect().finally(() => {
        this.connecting = undefined;
      });
      await this.connecting;
      return c;
    }
    if (c.status === 'end') throw new Error('Redis cache is closed');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        c.off('ready', onReady);
        reject(new Error(`Redis is not reachable (still ${c.status} after ${this.connectTimeoutMs} ms)`));
      }, this.connectTimeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      c.once('ready', onReady);
    });
    return c;
  }
}
