import { migrate } from '../../db/migrate.js';
import { log } from '../log.js';
import { getSql } from '../stores/sql/index.js';

/**
 * Prepares the stores for local use: migrations, then sample content on first run.
 * The dev server calls this before it listens; `npm run seed` calls the seeding part alone.
 */
export async function prepareLocalStores(options: { seed?: boolean } = {}): Promise<void> {
  const sql = await getSql();
  const started = performance.now();
  await migrate(sql);
  log.debug('migrated', { ms: Math.round(performance.now() - started) });
  if (options.seed !== false) {
    // Sample content and the first sync are added by the content and sync modules.
  }
}
