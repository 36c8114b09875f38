import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../db/migrate.js';
import { openPglite } from '../lib/stores/sql/pglite.js';
import { openPostgres } from '../lib/stores/sql/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated PGlite data dir (tar) that each test file loads instead of initialising its own. */
    pgliteTemplate: string;
    /** Name of a migrated template database on TEST_DATABASE_URL's server, or '' when not set. */
    postgresTemplate: string;
  }
}

export const POSTGRES_TEMPLATE = 'polyfolio_test_template';

/** Builds the migrated templates once per run: tests then clone them in well under a second. */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'polyfolio-test-'));
  const store = await openPglite();
  await migrate(store);
  const blob = await (
    store as unknown as { client: { dumpDataDir(c: 'none'): Promise<Blob> } }
  ).client.dumpDataDir('none');
  const file = join(dir, 'pglite-template.tar');
  writeFileSync(file, Buffer.from(await blob.arrayBuffer()));
  await store.close();
  project.provide('pgliteTemplate', file);

  let postgresTemplate = '';
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // Leftovers from a crashed run would block the template drop.
      const { rows } = await admin.query<{ datname: string }>(
        "select datname from pg_database where datname like 'polyfolio_t_%'",
      );
      for (const r of rows) await admin.query(`drop database if exists "${r.datname}" with (force)`);
      await admin.query(`drop database if exists ${POSTGRES_TEMPLATE} with (force)`);
      await admin.query(`create database ${POSTGRES_TEMPLATE}`);
    } finally {
      await admin.end();
    }
    const templateUrl = new URL(url);
    templateUrl.pathname = `/${POSTGRES_TEMPLATE}`;
    const tmpl = openPostgres(templateUrl.toString(), { max: 1 });
    await migrate(tmpl);
    await tmpl.close();
    postgresTemplate = POSTGRES_TEMPLATE;
  }
  project.provide('postgresTemplate', postgresTemplate);

  return () => rmSync(dir, { recursive: true, force: true });
}
