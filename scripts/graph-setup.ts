/**
 * npm run graph:setup: creates the graph store's constraints and indexes (idempotent). Neo4j gets a
 * unique `uid` constraint and lookup indexes; the embedded graph's tables come with the migrations.
 * `npm run reindex -- --full` runs the same step before rebuilding the graph.
 */
import { existsSync } from 'node:fs';
import { migrate } from '../db/migrate.js';
import { adapters } from '../lib/env.js';
import { getGraphStore } from '../lib/stores/graph/index.js';
import { getSql } from '../lib/stores/sql/index.js';

if (existsSync('.env')) process.loadEnvFile('.env');

async function main(): Promise<void> {
  const adapter = adapters().graph;
  const sql = adapter === 'sql' ? await getSql() : undefined;
  try {
    if (sql) await migrate(sql);
    const graph = await getGraphStore();
    try {
      await graph.setup();
      process.stdout.write(`graph store (${graph.name}): constraints and indexes in place\n`);
    } finally {
      await graph.close();
    }
  } finally {
    await sql?.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`graph setup failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
