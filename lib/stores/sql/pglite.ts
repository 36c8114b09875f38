import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { drizzle } from 'drizzle-orm/pglite';
import * as schema from '../../../db/schema.js';
import type { Db, SqlStore } from './index.js';

/**
 * PGlite (Postgres in WASM, with pgvector): the embedded default. It allows a single connection and has
 * no cross-process lock, so a lock file next to the data directory keeps a second process out.
 */
export async function openPglite(options: { dataDir?: string; loadDataDir?: Blob } = {}): Promise<SqlStore> {
  const release = options.dataDir ? lockDataDir(options.dataDir) : () => {};
  try {
    const client = new PGlite({
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      extensions: { vector },
    });
    await client.waitReady;
    const db = drizzle({ client, schema }) as unknown as Db;
    return {
      adapter: 'pglite',
      db,
      interactiveTransactions: true,
      client,
      async ping() {
        await client.query('select 1');
      },
      async close() {
        try {
          if (!client.closed) await client.close();
        } finally {
          release();
        }
      },
    } as SqlStore & { client: PGlite };
  } catch (err) {
    release();
    throw err;
  }
}

/** Lock files this process holds: a second open of the same directory in-process must fail too. */
const heldLocks = new Set<string>();

/** Takes `<dataDir>.lock` for this process; a lock whose process is gone is taken over. */
function lockDataDir(dataDir: string): () => void {
  const lockPath = resolve(`${dataDir.replace(/\/+$/, '')}.lock`);
  if (heldLocks.has(lockPath)) {
    throw new Error(
      `The embedded database in ${join(dataDir)} is in use by this process (it is already open). ` +
        'PGlite allows one connection at a time: close the other store first.',
    );
  }
  mkdirSync(dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldLocks.add(lockPath);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        heldLocks.delete(lockPath);
        rmSync(lockPath, { force: true });
        process.off('exit', release);
      };
      process.on('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new Error(
          `The embedded database in ${join(dataDir)} is in use by process ${holder}. ` +
            'PGlite allows one process at a time: stop that process, or set DATA_DIR to another folder.',
        );
      }
      rmSync(lockPath, { force: true }); // stale lock from a process that died
    }
  }
  throw new Error(`Could not lock ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
