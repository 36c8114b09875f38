/** Keys of the documents in the config store (Vercel KV): read together with one `getMany`. */
export const CONFIG_KEYS = {
  /** Site config overrides (owner, headline, links...), merged over the defaults in code. */
  site: 'config:site',
  /** Flag overrides, keyed by flag name, merged over the defaults in code. */
  flags: 'config:flags',
} as const;
