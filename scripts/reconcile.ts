/**
 * `npm run reconcile`: compares SQL (the truth) with each projection by ids and hashes and repairs
 * drift: missing, stale and orphaned records. `-- --dry-run` reports without repairing.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { migrate } from '../db/migrate.js';
import { configureLog } from '../lib/log.js';
import { publishIndexVersion } from '../lib/search/version.js';
import { getGraphStore } from '../lib/stores/graph/index.js';
import { getSql } from '../lib/stores/sql/index.js';
import { isStoreUnavailable, ProjectionUnavailableError } from '../lib/stores/unavailable.js';
import { defaultProjectors } from '../lib/sync/projectors.js';
import { bumpIndexVersion } from '../lib/sync/state.js';
import { createProgress } from './lib/progress.js';

if (existsSync('.env')) process.loadEnvFile('.env');
const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean', default: false } } });
configureLog({ level: 'warn', sink: (line) => process.stderr.write(`${line}\n`) });

const started = performance.now();
const sql = await getSql();
const out = (line: string) => process.stdout.write(`${line}\n`);
let exitCode = 0;
try {
  await migrate(sql);
  let repaired = false;
  for (const projector of defaultProjectors()) {
    const bar = createProgress(projector.name);
    let report: Awaited<ReturnType<typeof projector.reconcile>>;
    try {
      report = await projector.reconcile({
        sql,
        now: () => new Date(),
        dryRun: values['dry-run'],
        progress: bar.update,
      });
    } catch (err) {
      bar.stop();
      // A projection that cannot work here (pgvector missing) or whose store is down: one clear line,
      // and the other projections are still reconciled.
      if (!(err instanceof ProjectionUnavailableError) && !isStoreUnavailable(err)) throw err;
      const hint = err instanceof ProjectionUnavailableError ? ` ${err.hint}` : '';
      process.stderr.write(`reconcile: ${projector.name}: ${(err as Error).message}${hint}\n`);
      exitCode = 1;
      continue;
    }
    bar.stop();
    const drift = report.missing + report.stale + report.orphaned;
    out(
      `${report.projector}: ${report.missing} missing, ${report.stale} stale, ${report.orphaned} orphaned` +
        (drift === 0
          ? ' (in sync)'
          : report.repaired
            ? ' (repaired)'
            : values['dry-run']
              ? ' (dry run)'
              : ''),
    );
    for (const ex of report.examples) out(`  ${ex}`);
    if (report.repaired) repaired = true;
    if (drift > 0 && values['dry-run']) exitCode = 1;
  }
  if (repaired) await publishIndexVersion(await bumpIndexVersion(sql.db));
  out(`time ${((performance.now() - started) / 1000).toFixed(1)} s`);
} finally {
  // The Neo4j driver keeps its pool open: close it, or the process never exits.
  await (await getGraphStore().catch(() => undefined))?.close();
  await sql.close();
}
process.exitCode = exitCode;
