/**
 * Local dev server: `npm run dev`. Routes api/** as Vercel does, serves public/, uses embedded stores
 * unless env selects production ones, migrates and seeds on first run. No accounts, no network.
 */
import { existsSync } from 'node:fs';
import { prepareLocalStores } from '../lib/dev/bootstrap.js';
import { serveApp } from '../lib/dev/node-server.js';
import { createApp } from '../lib/dev/router.js';
import { adapters, env } from '../lib/env.js';
import { log } from '../lib/log.js';
import { getSql } from '../lib/stores/sql/index.js';

if (existsSync('.env')) process.loadEnvFile('.env');

const started = performance.now();
const e = env();
const a = adapters(e);
await prepareLocalStores();
const app = createApp();
const server = serveApp(app);
server.listen(e.PORT, () => {
  const url = `http://localhost:${e.PORT}`;
  const lines = [
    `polyfolio dev server ready in ${Math.round(performance.now() - started)} ms`,
    `  ${url}   (try ${url}/api/health)`,
    `  routes: ${app.routes.length} functions from api/`,
    '  stores:',
    `    sql     ${a.sql}${a.sql === 'pglite' ? ` (${e.DATA_DIR}/pglite)` : ''}`,
    `    vector  ${a.vector}`,
    `    graph   ${a.graph}`,
    `    cache   ${a.cache}`,
    `    config  ${a.config}`,
    `    models  ${a.models}`,
  ];
  console.log(lines.join('\n'));
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info('shutting down', { signal });
  server.close();
  await app.settle();
  await (await getSql()).close();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
