import { writeFileSync } from 'node:fs';
import { migrate } from '../db/migrate.js';
import { rankingSnapshot } from '../lib/eval/ranking-snapshot.js';
import { configureLog } from '../lib/log.js';
import { openPglite } from '../lib/stores/sql/pglite.js';

/**
 * Records the search rankings on the synthetic corpus into tests/fixtures/search-rankings.json, which
 * tests/search/ranking-fixture.test.ts compares against. Regenerate it only when a ranking change is
 * intended (and measured with `npm run eval`):  npx tsx scripts/gen-search-fixture.ts
 */
configureLog({ level: 'error' });
const store = await openPglite();
try {
  await migrate(store);
  const snapshot = await rankingSnapshot(store);
  writeFileSync('tests/fixtures/search-rankings.json', `${JSON.stringify(snapshot, null, 2)}\n`);
  process.stdout.write(`${Object.keys(snapshot).length} rankings written\n`);
} finally {
  await store.close();
}
