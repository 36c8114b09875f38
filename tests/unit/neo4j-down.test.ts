import { afterAll, describe, expect, it } from 'vitest';
import { Neo4jGraphStore } from '../../lib/stores/graph/neo4j.js';
import { blackHole, closedPort } from '../helpers/faults.js';

/**
 * A down Neo4j must fail fast: the adapter's short connect/acquire/retry budgets replace the driver's
 * default 30-60 s of retries. The per-test timeout is the bound; no timing is asserted.
 */
describe('Neo4j adapter against a down server', () => {
  const stores: Neo4jGraphStore[] = [];
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  it('error: nothing listening (connection refused) rejects reads and writes', {
    timeout: 10_000,
  }, async () => {
    const store = new Neo4jGraphStore({ uri: `neo4j://127.0.0.1:${await closedPort()}`, password: 'x' });
    stores.push(store);
    await expect(store.ping()).rejects.toThrow();
    await expect(
      store.neighbourhood({ start: { label: 'Concept', key: 'a' }, depth: 1, limit: 5 }),
    ).rejects.toThrow();
    await expect(
      store.upsertNodes([{ label: 'Concept', key: 'a', title: 'A', sourceId: '1' }]),
    ).rejects.toThrow();
  });

  it('error: a server that accepts and never answers rejects instead of hanging', {
    timeout: 10_000,
  }, async () => {
    const hole = await blackHole();
    try {
      const store = new Neo4jGraphStore({ uri: `bolt://127.0.0.1:${hole.port}`, password: 'x' });
      stores.push(store);
      await expect(store.prerequisiteClosure({ slugs: ['a'] })).rejects.toThrow();
    } finally {
      await hole.close();
    }
  });
});
