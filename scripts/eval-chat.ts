import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { migrate } from '../db/migrate.js';
import { chatModelId, localChatModel, setChatModel } from '../lib/ai/models.js';
import { seedSampleContent } from '../lib/content/seed.js';
import { createApp } from '../lib/dev/router.js';
import { askThrough, formatReport, loadChatQa, runChatQa } from '../lib/eval/chat-qa.js';
import { configureLog } from '../lib/log.js';
import { setCache } from '../lib/stores/cache/index.js';
import { MemoryCache } from '../lib/stores/cache/memory.js';
import { setConfigStore } from '../lib/stores/config/index.js';
import { MemoryConfigStore } from '../lib/stores/config/memory.js';
import { setSql } from '../lib/stores/sql/index.js';
import { openPglite } from '../lib/stores/sql/pglite.js';
import { setVectorStore } from '../lib/stores/vector/index.js';
import { syncNow } from '../lib/sync/run.js';

/**
 * Chat QA evaluation: the sample content goes into a FRESH embedded store (temp PGlite, the normal seed
 * and sync), then every question of the QA set is sent through the real `POST /api/chat` handler in
 * process, the way `useChat` sends it. Prints cite@3, wrong refusals, off-topic refusals and first-token
 * time per category (and the failures with `--failures`); `--json` prints the whole report as JSON.
 * The chat model is the offline one that ships (the extractive answerer behind the local tool router)
 * unless `--env-model` asks for the env's model.
 *
 *   npm run eval:chat -- --failures
 */
const { values } = parseArgs({
  options: {
    set: { type: 'string', default: 'tests/fixtures/chat-qa.json' },
    json: { type: 'boolean', default: false },
    failures: { type: 'boolean', default: false },
    'env-model': { type: 'boolean', default: false },
  },
});

configureLog({ level: 'error', sink: (line) => process.stderr.write(`${line}\n`) });
const set = loadChatQa(resolve(values.set));
const dir = mkdtempSync(join(tmpdir(), 'polyfolio-eval-chat-'));
const store = await openPglite({ dataDir: join(dir, 'pglite') });
try {
  await migrate(store);
  setSql(store);
  setVectorStore(undefined);
  setCache(new MemoryCache());
  const config = new MemoryConfigStore();
  setConfigStore(config);
  if (!values['env-model']) setChatModel(localChatModel());
  await seedSampleContent({ sql: store, config });
  await syncNow({ sql: store });
  const app = createApp();
  let n = 0;
  const ips = new Map<string, string>();
  const ask = askThrough((request) => app.fetch(request), {
    // one documentation address (198.18.0.0/15) per question: per-IP limits never interfere
    ipFor: (chatId) => {
      let ip = ips.get(chatId);
      if (!ip) {
        n++;
        ip = `198.18.${Math.floor(n / 250)}.${(n % 250) + 1}`;
        ips.set(chatId, ip);
      }
      return ip;
    },
  });
  const report = await runChatQa(set, ask);
  await app.settle();
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ model: chatModelId(), ...report }, null, 2)}\n`);
  } else {
    process.stdout.write(`chat QA set ${values.set}, model ${chatModelId()}\n`);
    process.stdout.write(`${formatReport(report, { failures: values.failures })}\n`);
  }
} finally {
  setChatModel(undefined);
  await store.close();
  setSql(undefined);
  rmSync(dir, { recursive: true, force: true });
}
