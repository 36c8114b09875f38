import { log } from '../log.js';
import { type ConfigStore, getConfigStore } from '../stores/config/index.js';
import { evaluateFlag, type FlagName, type FlagOverrides, flagStates, readOverrides } from './flags.js';
import { CONFIG_KEYS } from './keys.js';
import { mergeSite, type SiteConfig } from './site.js';

/**
 * Site config and flag overrides from the config store: ONE round trip (`getMany`), memoised per
 * instance for a few seconds, time-boxed, and defaults when the store is empty, slow or down.
 * Edge-safe: no Node built-ins, no SQL or other store clients.
 */

export interface LoadedConfig {
  site: SiteConfig;
  overrides: FlagOverrides;
  /** `store` when read from the config store, `defaults` when it could not be reached. */
  source: 'store' | 'defaults';
}

const MEMO_MS = 5_000;
const TIMEOUT_MS = 300;
let memo: { at: number; value: Promise<LoadedConfig> } | undefined;

export function loadConfig(
  options: { store?: ConfigStore; now?: () => number; memoMs?: number } = {},
): Promise<LoadedConfig> {
  const now = options.now ?? Date.now;
  if (memo && now() - memo.at < (options.memoMs ?? MEMO_MS)) return memo.value;
  const value = read(options.store);
  memo = { at: now(), value };
  return value;
}

/** Forgets the memo (after a flags write in this instance, and in tests). */
export function resetConfigMemo(): void {
  memo = undefined;
}

async function read(given?: ConfigStore): Promise<LoadedConfig> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const store = given ?? (await getConfigStore());
    const [site, flags] = await Promise.race([
      store.getMany([CONFIG_KEYS.site, CONFIG_KEYS.flags]),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`config store: no answer within ${TIMEOUT_MS} ms`)),
          TIMEOUT_MS,
        );
      }),
    ]);
    return { site: mergeSite(site), overrides: readOverrides(flags), source: 'store' };
  } catch (err) {
    log.warn('config store unavailable; using defaults', { err });
    return { site: mergeSite(null), overrides: {}, source: 'defaults' };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Is a flag on for this caller? Search and chat check their kill switches with
 * `isEnabled('chat.enabled')`; rollouts take the user or anonymous id.
 */
export async function isEnabled(
  flag: FlagName,
  options: { id?: string | null; store?: ConfigStore } = {},
): Promise<boolean> {
  const { overrides } = await loadConfig(options.store ? { store: options.store } : {});
  return evaluateFlag(flag, flagStates(overrides)[flag], options.id);
}
