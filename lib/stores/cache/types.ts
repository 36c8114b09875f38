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
  /**
   * A versioned read in ONE round trip (a script on Redis): the version token at `versionKey`, then the
   * entry at `entryPrefix + token + entrySuffix`. A missing token with `init` given is set to
   * `init.version` (for `init.ttlSeconds`) atomically and returned, with no entry; without `init` a
   * missing token reads nothing.
   */
  getVersioned<T = unknown>(read: VersionedRead): Promise<VersionedValue<T>>;
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

/** What `getVersioned` reads: a version key and the template of the entry key around its token. */
export interface VersionedRead {
  versionKey: string;
  entryPrefix: string;
  entrySuffix: string;
  /** Token to create when the version key is missing (random, never a counter). */
  init?: { version: string; ttlSeconds: number };
}

export interface VersionedValue<T> {
  /** The version token as embedded in the entry key (a stored number comes back as its digits). */
  version: string | null;
  value: T | null;
}
