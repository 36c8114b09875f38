import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupAll, restoreAll } from '../../lib/backup/run.js';
import { CONFIG_KEYS } from '../../lib/config/keys.js';
import { seedSampleContent } from '../../lib/content/seed.js';
import { MemoryConfigStore } from '../../lib/stores/config/memory.js';
import { queryRows, type SqlStore } from '../../lib/stores/sql/index.js';
import { setVectorStore } from '../../lib/stores/vector/index.js';
import { defaultProjectors } from '../../lib/sync/projectors.js';
import { syncNow } from '../../lib/sync/run.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createPglite } from '../helpers/sql.js';

const TABLES = [
  'users',
  'concepts',
  'content',
  'concept_prerequisites',
  'content_concepts',
  'content_related',
  'audit_log',
];

async function snapshot(store: SqlStore): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES)
    out[t] = await queryRows(store.db, sql`select to_jsonb(x) as row from ${sql.raw(`"${t}"`)} x order by 1`);
  return out;
}

describe('backup and restore round trip with the sample content', () => {
  let source: TestApp;
  let dir: string;

  beforeAll(async () => {
    source = await createTestApp();
    await seedSampleContent({ sql: source.sql, config: source.config });
    await source.config.set(CONFIG_KEYS.flags, { 'search.enabled': true, 'chat.enabled': false });
    await syncNow({ sql: source.sql });
    dir = mkdtempSync(join(tmpdir(), 'polyfolio-roundtrip-'));
  }, 180_000);
  afterAll(async () => {
    await source.close();
    setVectorStore(undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('happy: restore gives identical data, config and a working search after the rebuild', async () => {
    const file = join(dir, 'site.jsonl.gz');
    const summary = await backupAll({ file, sql: source.sql, config: source.config });
    expect(summary.rows.content).toBeGreaterThanOrEqual(27);
    expect(summary.configKeys.sort()).toEqual([CONFIG_KEYS.flags, CONFIG_KEYS.site].sort());
    const before = await snapshot(source.sql);
    await source.close();
    setVectorStore(undefined);

    const fresh = await createPglite();
    const config = new MemoryConfigStore();
    const target = await createTestApp({ sql: fresh, config });
    try {
      const result = await restoreAll({ file, sql: fresh, config, projectors: defaultProjectors() });
      expect(result.rows.content).toBe(summary.rows.content);
      expect(await snapshot(fresh)).toEqual(before);
      expect(await config.getMany([CONFIG_KEYS.flags])).toEqual([
        { 'search.enabled': true, 'chat.enabled': false },
      ]);

      // Projections were rebuilt from the restored SQL: search and the graph answer.
      const res = await target.request('GET', '/api/search?q=reciprocal%20rank%20fusion');
      expect(res.status).toBe(200);
      const body = (await res.json()) as { results: { slug: string }[]; degraded: boolean };
      expect(body.degraded).toBe(false);
      expect(body.results.map((r) => r.slug)).toContain('hybrid-search-with-rrf');
      const path = await target.request('GET', '/api/graph/path?to=hybrid-search');
      expect(path.status).toBe(200);
    } finally {
      await target.close();
      setVectorStore(undefined);
    }
  }, 240_000);
});
