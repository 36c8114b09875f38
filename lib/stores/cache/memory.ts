import type { Cache, Lock, VersionedRead, VersionedValue } from './types.js';

interface Entry {
  value: string;
  /** The value itself when it is a string: immutable, so handed out as is, never parsed again. */
  text?: string;
  expiresAt: number | null;
}

/**
 * In-process cache: the embedded default. Values are stored serialised, so callers get copies, as they
 * would from Redis. `now` is a parameter so tests control time.
 */
export class MemoryCache implements Cache {
  readonly name = 'memory' as const;
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  async get<T = unknown>(key: string): Promise<T | null> {
    return this.value<T>(key);
  }

  async mget<T = unknown>(keys: readonly string[]): Promise<(T | null)[]> {
    return keys.map((k) => this.value<T>(k));
  }

  /** One synchronous step, so concurrent readers see one created token, as the Redis script is atomic. */
  async getVersioned<T = unknown>(read: VersionedRead): Promise<VersionedValue<T>> {
    const raw = this.read(read.versionKey);
    if (raw === null) {
      if (!read.init) return { version: null, value: null };
      this.write(read.versionKey, JSON.stringify(read.init.version), read.init.ttlSeconds);
      return { version: read.init.version, value: null };
    }
    const version = String(this.value(read.versionKey));
    return { version, value: this.value<T>(read.entryPrefix + version + read.entrySuffix) };
  }

  async set(key: string, value: unknown, options: { ttlSeconds?: number } = {}): Promise<void> {
    this.write(key, JSON.stringify(value), options.ttlSeconds);
    if (typeof value === 'string') {
      const entry = this.entries.get(key);
      if (entry) entry.text = value;
    }
  }

  async del(...keys: string[]): Promise<number> {
    let n = 0;
    for (const k of keys) if (this.read(k) !== null && this.entries.delete(k)) n++;
    return n;
  }

  async incr(key: string, options: { ttlSeconds: number; by?: number }): Promise<number> {
    const current = this.read(key);
    const next = (current === null ? 0 : Number(JSON.parse(current))) + (options.by ?? 1);
    const entry = this.entries.get(key);
    if (current !== null && entry)
      this.entries.set(key, { value: JSON.stringify(next), expiresAt: entry.expiresAt });
    else this.write(key, JSON.stringify(next), options.ttlSeconds);
    return next;
  }

  async ttl(key: string): Promise<number | null> {
    if (this.read(key) === null) return null;
    const entry = this.entries.get(key);
    if (!entry || entry.expiresAt === null) return null;
    return Math.max(0, Math.ceil((entry.expiresAt - this.now()) / 1000));
  }

  async acquireLock(key: string, ttlMs: number): Promise<Lock | null> {
    if (this.read(key) !== null) return null;
    const token = crypto.randomUUID();
    this.entries.set(key, { value: JSON.stringify(token), expiresAt: this.now() + ttlMs });
    return {
      key,
      token,
      release: async () => {
        if (this.read(key) === JSON.stringify(token)) this.entries.delete(key);
      },
    };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.entries.clear();
  }

  /** The stored value, a fresh copy (strings need none). */
  private value<T>(key: string): T | null {
    const entry = this.live(key);
    return entry === null ? null : ((entry.text ?? JSON.parse(entry.value)) as T);
  }

  private read(key: string): string | null {
    return this.live(key)?.value ?? null;
  }

  private live(key: string): Entry | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt !== null && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return null;
    }
    return entry;
  }

  private write(key: string, value: string, ttlSeconds?: number): void {
    this.entries.delete(key); // re-insert so Map order is least-recently-written first
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: ttlSeconds ? this.now() + ttlSeconds * 1000 : null });
  }
}
