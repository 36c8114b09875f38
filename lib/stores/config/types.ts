/**
 * The config store port: feature flags, site config and kill switches, as JSON documents under a few
 * keys. Defaults live in code (lib/config), so an empty or unreachable store means defaults.
 */
export interface ConfigStore {
  readonly name: 'memory' | 'upstash';
  /** Reads several documents in one round trip; missing keys are null, in order. */
  getMany(keys: readonly string[]): Promise<(unknown | null)[]>;
  set(key: string, value: unknown): Promise<void>;
  ping(): Promise<void>;
}
