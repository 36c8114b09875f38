import { Redis } from '@upstash/redis';
import type { ConfigStore } from './types.js';

export interface UpstashConfigOptions {
  /** `KV_REST_API_URL` (Vercel KV is an Upstash Redis database). */
  url: string;
  /** `KV_REST_API_TOKEN`. */
  token: string;
  /** Prepended to every key. */
  keyPrefix?: string;
  /** Per-request timeout (ms): config falls back to defaults rather than wait long. */
  timeoutMs?: number;
}

/**
 * Flags and site config in Vercel KV, read with `@upstash/redis` over REST. Edge-safe: fetch only, no
 * Node built-ins (do not import ioredis or node:* here). `getMany` is one MGET, one round trip.
 */
export class UpstashConfigStore implements ConfigStore {
  readonly name = 'upstash' as const;
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(options: UpstashConfigOptions) {
    this.prefix = options.keyPrefix ?? '';
    this.redis = new Redis({
      url: options.url,
      token: options.token,
      automaticDeserialization: false,
      enableTelemetry: false,
      retry: { retries: 1, backoff: () => 50 },
      signal: () => AbortSignal.timeout(options.timeoutMs ?? 2_000),
    });
  }

  async getMany(keys: readonly string[]): Promise<(unknown | null)[]> {
    if (keys.length === 0) return [];
    const raw = await this.redis.mget<(string | null)[]>(...keys.map((k) => this.prefix + k));
    return raw.map(parseDoc);
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.redis.set(this.prefix + key, JSON.stringify(value));
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }
}

/** Documents are JSON; a value someone typed into the console as plain text comes back as that text. */
function parseDoc(raw: string | null): unknown | null {
  if (raw === null || raw === undefined) return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}
