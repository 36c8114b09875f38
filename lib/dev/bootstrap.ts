import { migrate } from '../../db/migrate.js';
import { hasNoContent, seedSampleContent } from '../content/seed.js';
import { log } from '../log.js';
import { getConfigStore } from '../stores/config/index.js';
import { getSql } from '../stores/sql/index.js';
import { syncNow } from '../sync/run.js';

/**
 * Prepares the stores for local use: migrations, then sample content on first run.
 * The dev server calls this before it listens; `npm run seed` calls the seeding part alone.
 */
export async function prepareLocalStores(options: { seed?: boolean } = {}): Promise<void> {
  const sql = await getSql();
  const started = performance.now();
  await migrate(sql);
  log.debug('migrated', { ms: Math.round(performance.now() - started) });
  if (options.seed !== false && (await hasNoContent(sql))) {
    const report = await seedSampleContent({ sql, config: await getConfigStore() });
    log.info('seeded sample content', {
      concepts: report.created.concepts,
      content: report.created.content,
      problems: report.problems.length + report.dangling.length,
    });
  }
  // Drain the outbox (the seed's rows on first run, anything a crash left behind later): search and the
  // graph then answer from the first request. Nothing pending is one quick query.
  const synced = await syncNow({ sql });
  if (synced.claimed) log.info('indexed pending changes', { entities: synced.entities, ms: synced.ms });
}
