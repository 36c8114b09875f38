import { readFileSync } from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import type { SqlStore } from '../../lib/stores/sql/index.js';
import { openPglite } from '../../lib/stores/sql/pglite.js';
import { openPostgres } from '../../lib/stores/sql/postgres.js';

/** A SQL target a suite can run against; `skip` says why it is unavailable here. */
export interface SqlTarget {
  name: 'pglite' | 'postgres';
  skip?: string;
  /** A fresh, migrated, isolated database. Close it when done. */
  create(): Promise<SqlStore>;
}

let templateBlob: Blob | undefined;

/** A fresh PGlite with every migration applied, loaded from the run's template (about 0.5 s). */
export async function createPglite(): Promise<SqlStore> {
  templateBlob ??= new Blob([readFileSync(inject('pgliteTemplate'))]);
  return openPglite({ loadDataDir: templateBlob });
}

/** A fresh, migrated database on TEST_DATABASE_URL's server (a clone of the run's template). */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const url = process.env.TEST_DATABASE_URL;
  const template = inject('postgresTemplate');
  if (!url || !template) throw new Error('TEST_DATABASE_URL is not set');
  const name = `polyfolio_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${template}`);
  } finally {
    await admin.end();
  }
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  return {
    url: dbUrl.toString(),
    async drop() {
      const drop = new pg.Client({ connectionString: url });
      await drop.connect();
      try {
        await drop.query(`drop database if exists ${name} with (force)`);
      } finally {
        await drop.end();
      }
    },
  };
}

/** A fresh database on TEST_DATABASE_URL's server, cloned from the migrated template; dropped on close. */
export async function createPostgres(): Promise<SqlStore> {
  const database = await createPostgresDatabase();
  const store = openPostgres(database.url, { max: 4 });
  return {
    ...store,
    async close() {
      await store.close();
      await database.drop();
    },
  };
}

/**
 * A fresh database on TEST_DATABASE_URL's server reached through Neon's serverless HTTP driver, via the
 * local stand-in for Neon's HTTP SQL endpoint (tests/standins/neon-http.ts). Dropped on close.
 */
export async function createNeonHttp(endpoint: string): Promise<SqlStore> {
  const database = await createPostgresDatabase();
  const { openNeonHttp } = await import('../../lib/stores/sql/neon.js');
  const store = openNeonHttp(database.url, endpoint);
  return {
    ...store,
    async close() {
      await store.close();
      await database.drop();
    },
  };
}

/** Every SQL target: PGlite always, the real PostgreSQL when TEST_DATABASE_URL is set. */
export function sqlTargets(): SqlTarget[] {
  const hasPg = Boolean(process.env.TEST_DATABASE_URL);
  return [
    { name: 'pglite', create: createPglite },
    {
      name: 'postgres',
      ...(hasPg ? {} : { skip: 'TEST_DATABASE_URL is not set: skipping the real PostgreSQL run' }),
      create: createPostgres,
    },
  ];
}
