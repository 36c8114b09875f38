/**
 * Site config defaults: the content of db/seed/site.json, as code so the edge bundle needs no file
 * system (a test keeps the two equal). The config store's `config:site` document overrides top-level
 * keys.
 */
export const SITE_DEFAULTS = {
  owner: {
    name: 'Maya Okafor',
    headline:
      'Backend and search engineer. I write about databases, retrieval and the boring parts of distributed systems.',
    bio: "I'm Maya, a backend engineer based in Rotterdam. I spent four years at Harbourline Freight keeping a shipment-tracking Postgres cluster upright, then four years on the search team at Quillbook, a note-taking app, where I rebuilt search over roughly 40 million notes. Since 2023 I work independently, helping small teams with Postgres performance, search relevance and retrieval-augmented generation, and I teach what I learn. My rule of thumb: measure before you tune, and write the evaluation set before you write the feature. Most of my open-source tools started as a scratch file I was too stubborn to delete.",
    location: 'Rotterdam, Netherlands',
    links: [
      { label: 'Website', url: 'https://maya-okafor.example.dev' },
      { label: 'GitHub', url: 'https://github.example.dev/mokafor' },
      { label: 'Mastodon', url: 'https://social.example.com/@mokafor' },
      { label: 'Email', url: 'mailto:maya@example.dev' },
    ],
  },
};

export type SiteConfig = Record<string, unknown>;

/** Stored overrides win per top-level key; anything that is not an object is ignored. */
export function mergeSite(stored: unknown): SiteConfig {
  if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return { ...SITE_DEFAULTS };
  return { ...SITE_DEFAULTS, ...(stored as Record<string, unknown>) };
}
