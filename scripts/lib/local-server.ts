import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { prepareLocalStores } from '../../lib/dev/bootstrap.js';
import { serveApp } from '../../lib/dev/node-server.js';
import { type App, createApp } from '../../lib/dev/router.js';
import { resetEnv } from '../../lib/env.js';
import { type SqlStore, setSql } from '../../lib/stores/sql/index.js';
import { syncNow } from '../../lib/sync/run.js';

/** A running local server on a loopback port, as `npm run dev` serves it. */
export interface LocalServer {
  url: string;
  app: App;
  server: Server;
  close(): Promise<void>;
}

/**
 * Starts the dev server in-process (the e2e test and the benchmarks): `DATA_DIR` isolated, the given
 * SQL store (or the env's, i.e. PGlite in DATA_DIR), migrated, seeded with the sample content and
 * indexed (outbox drained into vectors and graph), listening on 127.0.0.1 on a free port.
 */
export async function startLocalServer(options: { dataDir: string; sql?: SqlStore }): Promise<LocalServer> {
  process.env.DATA_DIR = options.dataDir;
  resetEnv();
  if (options.sql) setSql(options.sql);
  await prepareLocalStores();
  await syncNow();
  const app = createApp();
  const server = serveApp(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.settle();
    },
  };
}
