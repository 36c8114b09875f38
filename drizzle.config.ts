import { defineConfig } from 'drizzle-kit';

// Generates SQL migrations offline from db/schema.ts; they are applied from code (db/migrate.ts),
// which works on PGlite, node-postgres and Neon alike.
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './db/migrations',
});
