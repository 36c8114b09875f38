/**
 * The cache store port: response cache, session tokens, rate-limit counters and locks.
 * Values are JSON. Nothing in it is durable: losing it costs speed, never data.
 */
export interface Cache {
  /** Adapter name, shown by /api/health. */
  readonly name: 'memory' | 'redis' | 'upstash';
  get<T = unknown>(key: string): Promise<T | null>;
  /** One round trip for many keys; missing keys are null, in order. */
  mget<T = unknown>(keys: readonly string[]): Promise<(T | null)[]>;
  set(key: string, value: unknown, options?: { ttlSeconds?: number }): Promise<void>;
  /** Deletes keys; returns how many existed. */
  del(...keys: string[]): Promise<number>;
  /**
   * Increments a counter by `by` (default 1) and returns the new value; the first increment sets the
   * expiry (fixed window), in the same round trip.
   */
  incr(key: string, options: { ttlSeconds: number; by?: number }): Promise<number>;
  /** Seconds until the key expires; null when it is missing or has no expiry. */
  ttl(key: string): Promise<number | null>;
  /** Takes a lock if free; null when someone else holds it. */
  acquireLock(key: string, ttlMs: number): Promise<Lock | null>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface Lock {
  readonly key: string;
  readonly token: string;
  /** Releases the lock only if this holder still owns it. */
  release(): Promise<void>;
}
