import { fileURLToPath } from 'node:url';
import type { SqlStore } from '../lib/stores/sql/index.js';

/** The drizzle-kit migrations folder, resolved from this file so any working directory works. */
export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * Applies pending migrations from code, with the migrator matching the store's driver
 * (drizzle-kit cannot migrate PGlite with extensions; this works on all three drivers).
 */
export async function migrate(store: SqlStore, options: { migrationsSchema?: string } = {}): Promise<void> {
  const config = { migrationsFolder, ...options };
  switch (store.adapter) {
    case 'pglite': {
      const { migrate: run } = await import('drizzle-orm/pglite/migrator');
      await run(store.db as never, config);
      return;
    }
    case 'postgres': {
      const { migrate: run } = await import('drizzle-orm/node-postgres/migrator');
      await run(store.db as never, config);
      return;
    }
    case 'neon-http': {
      const { migrate: run } = await import('drizzle-orm/neon-http/migrator');
      await run(store.db as never, config);
      return;
    }
  }
}
