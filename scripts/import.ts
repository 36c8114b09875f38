/**
 * npm run import -- <path>
 *   <path>: a folder of Markdown with YAML front matter (plus an optional concepts.json), or a JSON
 *   file in the Metacademy format. Idempotent: a second run writes nothing. Bad records and dangling
 *   references are reported and skipped; the exit code is 0 unless the stores fail (2 for bad usage).
 */
import { migrate } from '../db/migrate.js';
import { printImportReport } from '../lib/content/import/report.js';
import { importBundle } from '../lib/content/import/run.js';
import { readSource } from '../lib/content/import/sources.js';
import { getSql } from '../lib/stores/sql/index.js';
import { createProgress } from './lib/progress.js';

async function main(): Promise<number> {
  const path = process.argv.slice(2).find((a) => !a.startsWith('-'));
  if (!path) {
    process.stderr.write('usage: npm run import -- <folder-of-markdown | file.json>\n');
    return 2;
  }
  const bundle = readSource(path);
  const sql = await getSql();
  try {
    await migrate(sql);
    const bar = createProgress('import');
    const report = await importBundle({ sql, bundle, actor: 'cli:import', progress: bar.update });
    bar.stop();
    printImportReport(report, process.stdout);
    return 0;
  } finally {
    await sql.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`import failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
