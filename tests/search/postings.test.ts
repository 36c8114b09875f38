import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteContent, updateContent } from '../../lib/content/content-writes.js';
import { importBundle } from '../../lib/content/import/run.js';
import { syntheticCorpus } from '../../lib/eval/synthetic.js';
import { queryRows, type SqlStore } from '../../lib/stores/sql/index.js';
import { syncNow } from '../../lib/sync/run.js';
import { createTextProjector } from '../../lib/sync/text-projector.js';
import { createPglite } from '../helpers/sql.js';

/**
 * BM25's statistics (chunk_stats, chunk_terms, term_df) are kept by triggers on chunks: whatever the writes
 * (inserts, re-chunked edits, deletions by cascade, embedded_hash updates), they equal what a scan of
 * chunks computes.
 */
let store: SqlStore;
const sync = () =>
  syncNow({ sql: store, projectors: [createTextProjector()], onIndexChanged: async () => {} });

async function drift(): Promise<{ stats: unknown; missing: number; extra: number; df: number }> {
  const [stats] = await queryRows<{ same: boolean }>(
    store.db,
    sql`SELECT s.n = c.n AND s.total_dl = c.dl AS same FROM chunk_stats s,
          (SELECT count(*) AS n, coalesce(sum(dl), 0) AS dl FROM chunks) c`,
  );
  const expected = sql`SELECT t.* FROM chunks ch CROSS JOIN LATERAL chunk_terms_of(ch.tsv, ch.id, ch.dl) t`;
  const [missing] = await queryRows<{ n: string }>(
    store.db,
    sql`SELECT count(*) AS n FROM (${expected} EXCEPT ALL SELECT * FROM chunk_terms) x`,
  );
  const [extra] = await queryRows<{ n: string }>(
    store.db,
    sql`SELECT count(*) AS n FROM (SELECT * FROM chunk_terms EXCEPT ALL ${expected}) x`,
  );
  // Document frequencies: every lexeme's row equals its postings' count (0 once its chunks are gone).
  const [df] = await queryRows<{ n: string }>(
    store.db,
    sql`SELECT count(*) AS n FROM (SELECT lexeme, count(*) AS n FROM (${expected}) e GROUP BY lexeme) e
          FULL JOIN term_df t USING (lexeme) WHERE coalesce(e.n, 0) <> coalesce(t.n, -1)`,
  );
  return { stats: stats?.same, missing: Number(missing?.n), extra: Number(extra?.n), df: Number(df?.n) };
}

beforeAll(async () => {
  store = await createPglite();
  await importBundle({ sql: store, bundle: syntheticCorpus({ items: 40, seed: 3 }).bundle, actor: 'test' });
  await sync();
});
afterAll(async () => {
  await store?.close();
});

describe('full-text statistics kept by triggers', () => {
  it('happy: after the first sync they equal a scan of chunks', async () => {
    const [n] = await queryRows<{ n: string }>(store.db, sql`SELECT count(*) AS n FROM chunk_terms`);
    expect(Number(n?.n)).toBeGreaterThan(1000);
    expect(await drift()).toEqual({ stats: true, missing: 0, extra: 0, df: 0 });
  });

  it('happy: edits that re-chunk an item, and the vector projector marking chunks embedded, keep them exact', async () => {
    const [row] = await queryRows<{ id: string; version: number }>(
      store.db,
      sql`SELECT id::text AS id, version FROM content WHERE slug = 'item-1'`,
    );
    if (!row) throw new Error('no item-1');
    await updateContent({
      sql: store,
      actor: 'test',
      target: { id: row.id },
      patch: {
        title: 'A new title',
        body: 'One short paragraph now.\n\n## Added\n\nAnd a section with other words.',
      },
      expectedVersion: row.version,
    });
    await sync();
    await store.db.execute(sql`UPDATE chunks SET embedded_hash = hash WHERE true`);
    expect(await drift()).toEqual({ stats: true, missing: 0, extra: 0, df: 0 });
  });

  it('happy: deleting an item (its chunks go by cascade) keeps them exact', async () => {
    const [row] = await queryRows<{ id: string; version: number }>(
      store.db,
      sql`SELECT id::text AS id, version FROM content WHERE slug = 'item-2'`,
    );
    if (!row) throw new Error('no item-2');
    await deleteContent({ sql: store, actor: 'test', target: { id: row.id }, expectedVersion: row.version });
    await sync();
    expect(await drift()).toEqual({ stats: true, missing: 0, extra: 0, df: 0 });
  });
});
