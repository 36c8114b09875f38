import { CONFIG_KEYS } from '../config/keys.js';
import { env } from '../env.js';
import type { ConfigStore } from '../stores/config/index.js';
import type { SqlStore } from '../stores/sql/index.js';
import { rebuildAll } from '../sync/engine.js';
import type { Projector } from '../sync/types.js';
import { type BackupSummary, restoreBackup, writeBackupFile } from './archive.js';

/**
 * Backs up SQL and the config documents (flags, site config) into one archive, its digests keyed
 * with `key` (default: BACKUP_KEY) when there is one.
 */
export async function backupAll(options: {
  file: string;
  sql: SqlStore;
  config: ConfigStore;
  key?: string;
  onProgress?: (table: string, rows: number) => void;
}): Promise<BackupSummary> {
  const key = options.key ?? env().BACKUP_KEY;
  const keys = Object.values(CONFIG_KEYS);
  const values = await options.config.getMany(keys);
  const config: Record<string, unknown> = {};
  keys.forEach((k, i) => {
    const v = values[i];
    if (v !== null && v !== undefined) config[k] = v;
  });
  return writeBackupFile(options.file, {
    store: options.sql,
    config,
    ...(key ? { key } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}

/**
 * Restores an archive into an empty database and config store, then rebuilds the projections
 * (vectors and graph) from the restored SQL: a backup is SQL + config, everything else is derived.
 * The SQL part is all or nothing (see `restoreBackup`); the config store is checked to answer before
 * it and written after the SQL commit.
 */
export async function restoreAll(options: {
  file: string;
  sql: SqlStore;
  config: ConfigStore;
  projectors: Projector[];
  key?: string;
  onProgress?: (table: string, rows: number) => void;
  rebuildProgress?: (done: number, total: number, label?: string) => void;
}): Promise<{
  rows: Record<string, number>;
  configKeys: string[];
  rebuild: Awaited<ReturnType<typeof rebuildAll>>;
}> {
  const key = options.key ?? env().BACKUP_KEY;
  await options.config.ping();
  const restored = await restoreBackup({
    file: options.file,
    store: options.sql,
    ...(key ? { key } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  for (const [key, value] of Object.entries(restored.config)) await options.config.set(key, value);
  const rebuild = await rebuildAll({
    sql: options.sql,
    projectors: options.projectors,
    ...(options.rebuildProgress ? { progress: options.rebuildProgress } : {}),
  });
  return { rows: restored.rows, configKeys: Object.keys(restored.config), rebuild };
}
