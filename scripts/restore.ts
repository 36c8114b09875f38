/**
 * `npm run restore -- <file>`: verifies the archive completely (a damaged one is refused before anything
 * is written), restores it into an EMPTY database and config store, then rebuilds vectors and graph.
 */
import { existsSync } from 'node:fs';
import { migrate } from '../db/migrate.js';
import { BackupError } from '../lib/backup/archive.js';
import { restoreAll } from '../lib/backup/run.js';
import { configureLog } from '../lib/log.js';
import { getConfigStore } from '../lib/stores/config/index.js';
import { getSql } from '../lib/stores/sql/index.js';
import { defaultProjectors } from '../lib/sync/projectors.js';
import { createProgress } from './lib/progress.js';

if (existsSync('.env')) process.loadEnvFile('.env');
configureLog({ level: 'warn', sink: (line) => process.stderr.write(`${line}\n`) });

const file = process.argv[2];
if (!file || file.startsWith('-') || !existsSync(file)) {
  console.error('usage: npm run restore -- <existing backup file>');
  process.exit(2);
}
const started = performance.now();
const sql = await getSql();
const bar = createProgress('restore');
const rebuildBar = createProgress('rebuild');
try {
  await migrate(sql);
  const result = await restoreAll({
    file,
    sql,
    config: await getConfigStore(),
    projectors: defaultProjectors(),
    onProgress: (table, rows) => bar.update(rows, rows, table),
    rebuildProgress: rebuildBar.update,
  });
  bar.stop();
  rebuildBar.stop();
  console.log(`restored ${file}`);
  for (const [table, n] of Object.entries(result.rows)) console.log(`  ${table.padEnd(22)} ${n}`);
  console.log(`  config documents       ${result.configKeys.length}`);
  console.log(`  projections rebuilt    ${Object.keys(result.rebuild.projectors).join(', ')}`);
  console.log(`  time ${((performance.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  bar.stop();
  rebuildBar.stop();
  const message = err instanceof Error ? err.message : String(err);
  console.error(err instanceof BackupError ? `restore refused: ${message}` : `restore failed: ${message}`);
  process.exitCode = 1;
} finally {
  await sql.close();
}
