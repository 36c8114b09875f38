import type { ConfigStore } from './types.js';

/** In-process config store: the embedded default, optionally seeded. */
export class MemoryConfigStore implements ConfigStore {
  readonly name = 'memory' as const;
  private readonly docs = new Map<string, string>();

  constructor(seed: Record<string, unknown> = {}) {
    for (const [k, v] of Object.entries(seed)) this.docs.set(k, JSON.stringify(v));
  }

  async getMany(keys: readonly string[]): Promise<(unknown | null)[]> {
    return keys.map((k) => {
      const raw = this.docs.get(k);
      return raw === undefined ? null : (JSON.parse(raw) as unknown);
    });
  }

  async set(key: string, value: unknown): Promise<void> {
    this.docs.set(key, JSON.stringify(value));
  }

  async ping(): Promise<void> {}
}
