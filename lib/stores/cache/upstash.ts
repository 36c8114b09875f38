import { Redis } from '@upstash/redis';
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

export interface UpstashCacheOptions {
  /** `UPSTASH_REDIS_REST_URL`. */
  url: string;
  /** `UPSTASH_REDIS_REST_TOKEN`. */
  token: string;
  /** Prepended to every key, so several apps or test runs can share one database. */
  keyPrefix?: string;
  /** Per-request timeout (ms): a slow or unreachable Upstash fails the call instead of hanging it. */
  timeoutMs?: number;
}

/**
 * Upstash Redis over REST with `@upstash/redis` (fetch only, so it also runs at the edge). Commands
 * issued in the same tick are sent as one `/pipeline` request by the client's auto-pipelining.
 * Values are written as JSON text and parsed here (the client's own deserialisation is off: it would
 * turn the string "123" into a number), so the Redis and Upstash adapters read each other's data.
 */
export class UpstashCache implements Cache {
  readonly name = 'upstash' as const;
  private readonly redis: Redis;
  private readonly prefix: string;
  /** EVALSHA first; on NOSCRIPT the client sends the script with EVAL (`Script.exec`). */
  private readonly versioned: ReturnType<Redis['createScript']>;

  constructor(options: UpstashCacheOptions) {
    this.prefix = options.keyPrefix ?? '';
    this.redis = createUpstashClient(options);
    this.versioned = this.redis.createScript<unknown>(GET_VERSIONED);
  }

  async get<T = unknown>(key: string): Promise<T | null> {
    return parseStored<T>(await this.redis.get<string>(this.k(key)));
  }

  async mget<T = unknown>(keys: readonly string[]): Promise<(T | null)[]> {
    if (keys.length === 0) return [];
    const raw = await this.redis.mget<(string | null)[]>(...keys.map((k) => this.k(k)));
    return raw.map((v) => parseStored<T>(v));
  }

  async getVersioned<T = unknown>(read: VersionedRead): Promise<VersionedValue<T>> {
    const args = versionedArgs(read, this.prefix).map(String);
    return versionedReply<T>(await this.versioned.exec([this.k(read.versionKey)], args));
  }

  async set(key: string, value: unknown, options: { ttlSeconds?: number } = {}): Promise<void> {
    const json = JSON.stringify(value);
    if (options.ttlSeconds) await this.redis.set(this.k(key), json, { ex: options.ttlSeconds });
    else await this.redis.set(this.k(key), json);
  }

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return this.redis.del(...keys.map((k) => this.k(k)));
  }

  async incr(key: string, options: { ttlSeconds: number; by?: number }): Promise<number> {
    const n = await this.redis.eval<[number, number], number | string>(
      INCR_WITH_EXPIRY,
      [this.k(key)],
      [options.by ?? 1, options.ttlSeconds * 1000],
    );
    return Number(n);
  }

  async ttl(key: string): Promise<number | null> {
    return ttlSeconds(await this.redis.pttl(this.k(key)));
  }

  async acquireLock(key: string, ttlMs: number): Promise<Lock | null> {
    const token = crypto.randomUUID();
    const stored = JSON.stringify(token);
    const ok = await this.redis.set(this.k(key), stored, { nx: true, px: ttlMs });
    if (ok !== 'OK') return null;
    return {
      key,
      token,
      release: async () => {
        await this.redis.eval<[string], number>(RELEASE_LOCK, [this.k(key)], [stored]);
      },
    };
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {}

  private k(key: string): string {
    return this.prefix + key;
  }
}

/**
 * An `@upstash/redis` client tuned for request paths: raw strings (we parse JSON ourselves), one retry
 * on network errors instead of five with exponential backoff, and a per-request timeout.
 */
export function createUpstashClient(options: { url: string; token: string; timeoutMs?: number }): Redis {
  const timeoutMs = options.timeoutMs ?? 3_000;
  return new Redis({
    url: options.url,
    token: options.token,
    automaticDeserialization: false,
    enableTelemetry: false,
    retry: { retries: 1, backoff: () => 50 },
    signal: () => AbortSignal.timeout(timeoutMs),
  });
}
