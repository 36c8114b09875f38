/**
 * `npm run reindex`: brings the vector and graph projections up to date with SQL.
 *   (no flag)      incremental: drain the outbox (only chunks whose hash changed are embedded)
 *   --full         rebuild both projections from SQL (also the cure for an embedding model change)
 *   --dry-run      list what would change, write nothing
 *   --retry-dead   put dead-lettered outbox rows back in the queue first
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { migrate } from '../db/migrate.js';
import { getEmbedder } from '../lib/ai/embedder.js';
import { configureLog } from '../lib/log.js';
import { publishIndexVersion } from '../lib/search/version.js';
import { getGraphStore } from '../lib/stores/graph/index.js';
import { getSql } from '../lib/stores/sql/index.js';
import { listPendingEvents, rebuildAll } from '../lib/sync/engine.js';
import { getOutboxStatus, requeueDead } from '../lib/sync/outbox.js';
import { defaultProjectors } from '../lib/sync/projectors.js';
import { syncNow } from '../lib/sync/run.js';
import { createVectorProjector } from '../lib/sync/vector-projector.js';
import { createProgress } from './lib/progress.js';

if (existsSync('.env')) process.loadEnvFile('.env');
const { values } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    'retry-dead': { type: 'boolean', default: false },
  },
});
configureLog({ level: 'warn', sink: (line) => process.stderr.write(`${line}\n`) });

const started = performance.now();
const sql = await getSql();
const out = (line: string) => process.stdout.write(`${line}\n`);
try {
  await migrate(sql);
  const embedder = await getEmbedder();
  const callsBefore = embedder.usage.calls;
  const now = () => new Date();
  if (values['dry-run']) {
    if (values.full) {
      const stats = await createVectorProjector().rebuild({ sql, now, dryRun: true });
      out(`dry run: a full rebuild would embed ${stats.chunksEmbedded ?? 0} chunks with ${embedder.id}`);
    } else {
      const events = await listPendingEvents(sql, now());
      out(`dry run: ${events.length} pending entities in the outbox`);
      for (const e of events.slice(0, 50))
        out(`  ${e.op.padEnd(6)} ${e.entity} ${e.entityId} (v${e.version})`);
      if (events.length > 50) out(`  … and ${events.length - 50} more`);
      const vectors = createVectorProjector();
      const stats = await vectors.apply(events, { sql, now, dryRun: true });
      out(
        `vectors: would embed ${stats.chunksEmbedded ?? 0} chunks, keep ${stats.chunksSkipped ?? 0}, ` +
          `delete ${stats.chunksDeleted ?? 0}`,
      );
      for (const id of vectors.lastPlan?.write.slice(0, 20) ?? []) out(`  embed  ${id}`);
      for (const id of vectors.lastPlan?.remove.slice(0, 20) ?? []) out(`  delete ${id}`);
    }
  } else {
    if (values['retry-dead'])
      out(`requeued ${await requeueDead({ db: sql.db, now: now() })} dead outbox rows`);
    const bar = createProgress(values.full ? 'rebuild' : 'reindex');
    const projectors = defaultProjectors();
    const summary: Record<string, unknown> = {};
    if (values.full) {
      const r = await rebuildAll({
        sql,
        projectors,
        now,
        progress: bar.update,
        onIndexChanged: publishIndexVersion,
      });
      Object.assign(summary, { mode: 'full', ...r });
    } else {
      const r = await syncNow({ sql, projectors, now, progress: bar.update, batchSize: 100 });
      Object.assign(summary, { mode: 'incremental', ...r });
    }
    bar.stop();
    const v = (summary.projectors as Record<string, Record<string, number>> | undefined)?.vectors ?? {};
    const status = await getOutboxStatus({ db: sql.db, now: now() });
    out(`${summary.mode} reindex with ${embedder.id}`);
    out(`  embed calls      ${embedder.usage.calls - callsBefore}`);
    out(`  chunks embedded  ${v.chunksEmbedded ?? 0}`);
    out(`  chunks skipped   ${v.chunksSkipped ?? 0} (hash unchanged)`);
    out(`  chunks deleted   ${v.chunksDeleted ?? 0}`);
    for (const [name, stats] of Object.entries((summary.projectors as Record<string, object>) ?? {}))
      if (name !== 'vectors') out(`  ${name.padEnd(16)} ${JSON.stringify(stats)}`);
    out(`  outbox           ${status.pending} pending, ${status.dead} dead`);
    out(`  time             ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (status.dead > 0)
      out('  dead letters need attention: fix the cause, then `npm run reindex -- --retry-dead`');
    const failed = (summary.failed as { projector: string; error: string }[] | undefined) ?? [];
    for (const f of failed)
      process.stderr.write(`reindex: the ${f.projector} projection was not rebuilt: ${f.error}\n`);
    if (failed.length) process.exitCode = 1;
  }
} finally {
  // The Neo4j driver keeps its pool open: close it, or the process never exits.
  await (await getGraphStore().catch(() => undefined))?.close();
  await sql.close();
}
