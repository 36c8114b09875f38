/** npm run seed: migrates, then imports the sample content in db/seed (idempotent). */
import { migrate } from '../db/migrate.js';
import { printImportReport } from '../lib/content/import/report.js';
import { seedSampleContent } from '../lib/content/seed.js';
import { getConfigStore } from '../lib/stores/config/index.js';
import { getSql } from '../lib/stores/sql/index.js';
import { createProgress } from './lib/progress.js';

async function main(): Promise<void> {
  const sql = await getSql();
  try {
    await migrate(sql);
    const bar = createProgress('seed');
    const report = await seedSampleContent({ sql, config: await getConfigStore(), progress: bar.update });
    bar.stop();
    printImportReport(report, process.stdout);
  } finally {
    await sql.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`seed failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
