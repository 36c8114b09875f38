import { publishIndexVersion } from '../search/version.js';
import { getSql } from '../stores/sql/index.js';
import { type RunSyncOptions, runSync, type SyncStats } from './engine.js';
import { defaultProjectors } from './projectors.js';

/** Runs the sync on the process's stores with every projector (cron, CLI, post-write kick). */
export async function syncNow(
  options: Omit<RunSyncOptions, 'sql' | 'projectors'> &
    Partial<Pick<RunSyncOptions, 'sql' | 'projectors'>> = {},
): Promise<SyncStats> {
  return runSync({
    ...options,
    sql: options.sql ?? (await getSql()),
    projectors: options.projectors ?? defaultProjectors(),
    onIndexChanged: options.onIndexChanged ?? publishIndexVersion,
  });
}
