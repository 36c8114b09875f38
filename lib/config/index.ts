/** Flags and site config (edge-safe). */
export { evaluateFlag, evaluateFlags, FLAG_NAMES, FLAGS, type FlagName, type FlagState } from './flags.js';
export { fnv1a32, rolloutBucket } from './hash.js';
export { CONFIG_KEYS } from './keys.js';
export { isEnabled, type LoadedConfig, loadConfig, resetConfigMemo } from './load.js';
export { SITE_DEFAULTS, type SiteConfig } from './site.js';
