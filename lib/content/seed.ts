import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { CONFIG_KEYS } from '../config/keys.js';
import type { ConfigStore } from '../stores/config/index.js';
import { queryRows, type SqlStore } from '../stores/sql/index.js';
import type { Progress } from '../sync/types.js';
import { type ImportReport, importBundle } from './import/run.js';
import { readFolder } from './import/sources.js';

/** The sample catalogue shipped in db/seed: concepts.json, content/**.md and site.json. */
export const SEED_DIR = fileURLToPath(new URL('../../db/seed', import.meta.url));

/**
 * Imports the sample content through the write path (actor `cli:seed`), and stores site.json in the
 * config store unless a site document is already there. Idempotent, like every import.
 */
export async function seedSampleContent(options: {
  sql: SqlStore;
  config?: ConfigStore;
  progress?: Progress;
  now?: () => Date;
}): Promise<ImportReport> {
  const report = await importBundle({
    sql: options.sql,
    bundle: readFolder(SEED_DIR),
    actor: 'cli:seed',
    ...(options.progress ? { progress: options.progress } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  if (options.config) {
    const [site] = await options.config.getMany([CONFIG_KEYS.site]);
    if (site === null || site === undefined) {
      await options.config.set(
        CONFIG_KEYS.site,
        JSON.parse(readFileSync(join(SEED_DIR, 'site.json'), 'utf8')),
      );
    }
  }
  return report;
}

/** True when no content exists yet (first run of the dev server). */
export async function hasNoContent(store: SqlStore): Promise<boolean> {
  const rows = await queryRows<{ empty: boolean }>(
    store.db,
    sql`SELECT NOT EXISTS (SELECT 1 FROM content) AS empty`,
  );
  return rows[0]?.empty === true;
}
