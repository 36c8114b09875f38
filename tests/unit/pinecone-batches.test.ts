import { describe, expect, it } from 'vitest';
import { MAX_UPSERT_BYTES, upsertBatches } from '../../lib/stores/vector/pinecone.js';
import type { VectorRecord } from '../../lib/stores/vector/types.js';

const record = (i: number, dimension: number, excerpt = ''): VectorRecord => ({
  id: `content-${i}:0`,
  // Long decimals, as real embeddings have: about 20 bytes per value in JSON.
  values: Array.from({ length: dimension }, (_, j) => Math.sin(i * 7919 + j) / 3),
  metadata: {
    contentId: `content-${i}`,
    kind: 'post',
    slug: `slug-${i}`,
    title: `Title ${i}`,
    heading: '',
    position: 0,
    concepts: ['a', 'b'],
    hash: 'f'.repeat(64),
    excerpt,
  },
});

const bytes = (batch: VectorRecord[]) =>
  Buffer.byteLength(JSON.stringify({ vectors: batch, namespace: 'ns' }));

describe('Pinecone upsert batching', () => {
  it('happy: small records split at 1,000 per request, in order', () => {
    const batches = upsertBatches(Array.from({ length: 2500 }, (_, i) => record(i, 4)));
    expect(batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(batches.flat().map((r) => r.id)).toEqual(Array.from({ length: 2500 }, (_, i) => `content-${i}:0`));
  });

  it('happy: large vectors split by the 2 MB request limit before the count limit', () => {
    const batches = upsertBatches(Array.from({ length: 300 }, (_, i) => record(i, 1536, 'x'.repeat(500))));
    expect(batches.length).toBeGreaterThan(3);
    for (const b of batches) expect(bytes(b)).toBeLessThanOrEqual(MAX_UPSERT_BYTES);
    expect(batches.flat()).toHaveLength(300);
  });

  it('edge: no records, no requests', () => {
    expect(upsertBatches([])).toEqual([]);
  });

  it('error: a single record over 2 MB is refused with its id', () => {
    expect(() => upsertBatches([record(1, 120_000)])).toThrow(/content-1:0 is larger than/);
  });
});
