/**
 * `npm run backup -- <file>`: one archive of everything durable (SQL tables and config documents),
 * streamed and gzip'd, with per-table and whole-archive checksums (HMAC under BACKUP_KEY when set).
 * Creates missing parent folders, writes the file 0600, refuses to overwrite one.
 */
import { existsSync } from 'node:fs';
import { backupAll } from '../lib/backup/run.js';
import { configureLog } from '../lib/log.js';
import { getConfigStore } from '../lib/stores/config/index.js';
import { getSql } from '../lib/stores/sql/index.js';
import { createProgress } from './lib/progress.js';

if (existsSync('.env')) process.loadEnvFile('.env');
configureLog({ level: 'warn', sink: (line) => process.stderr.write(`${line}\n`) });

const file = process.argv[2];
if (!file || file.startsWith('-')) {
  console.error('usage: npm run backup -- <file.jsonl.gz>');
  process.exit(2);
}
if (existsSync(file)) {
  console.error(`${file} exists; choose a new file name (backups never overwrite).`);
  process.exit(2);
}
const started = performance.now();
const sql = await getSql();
const bar = createProgress('backup');
try {
  const summary = await backupAll({
    file,
    sql,
    config: await getConfigStore(),
    onProgress: (table, rows) => bar.update(rows, rows, table),
  });
  bar.stop();
  const total = Object.values(summary.rows).reduce((a, b) => a + b, 0);
  console.log(`backup written to ${file}`);
  for (const [table, n] of Object.entries(summary.rows)) console.log(`  ${table.padEnd(22)} ${n}`);
  console.log(`  config documents       ${summary.configKeys.length}`);
  console.log(
    `  rows ${total}, ${(summary.bytes / 1024).toFixed(1)} KiB, ${summary.keyed ? 'hmac-sha256 (BACKUP_KEY)' : 'sha256 (unkeyed: set BACKUP_KEY to detect edits)'} ${summary.sha256}`,
  );
  console.log(`  time ${((performance.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  bar.stop();
  console.error(`backup failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await sql.close();
}
