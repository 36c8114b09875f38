import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { embedderIdentity, getEmbedder, resetUsage, setEmbedder } from '../../lib/ai/embedder.js';
import { LocalHashEmbedder } from '../../lib/ai/local-embedder.js';
import { createProviderEmbedder } from '../../lib/ai/provider-embedder.js';
import { stem, terms } from '../../lib/ai/text-features.js';
import { resetEnv } from '../../lib/env.js';

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

describe('local hashing embedder', () => {
  const e = new LocalHashEmbedder();

  it('happy: is deterministic, L2-normalised and names its dimension in its id', async () => {
    const [a, b] = await e.embed(['Partial indexes in Postgres', 'Partial indexes in Postgres']);
    expect(a).toEqual(b);
    expect(a).toHaveLength(2000);
    expect(dot(a ?? [], a ?? [])).toBeCloseTo(1, 10);
    expect(e.id).toBe('local-hash-v1-2000');
    expect(embedderIdentity(e)).toEqual({ model: 'local-hash-v1-2000', dimension: 2000 });
    expect(new LocalHashEmbedder({ dimension: 512 }).id).toBe('local-hash-v1-512');
  });

  it('happy: texts sharing words (and word forms) are closer than unrelated ones', async () => {
    const [q, near, variant, far] = await e.embed([
      'how do partial indexes work',
      'A partial index covers only the rows matching its WHERE clause.',
      'Indexing partially: the partial-indexing trick',
      'Cooking pasta al dente takes about ten minutes.',
    ]);
    expect(dot(q ?? [], near ?? [])).toBeGreaterThan(0.2);
    expect(dot(q ?? [], variant ?? [])).toBeGreaterThan(0.2);
    // Character 3-grams give unrelated texts a little overlap ("<pa" of partial and pasta), no more.
    expect(dot(q ?? [], far ?? [])).toBeLessThan(dot(q ?? [], near ?? []) / 2);
    expect(dot(q ?? [], far ?? [])).toBeLessThan(dot(q ?? [], variant ?? []) / 2);
  });

  it('edge: an empty or stop-word-only text still gets a unit vector (cosine stays defined)', async () => {
    const [empty, stop] = await e.embed(['', 'the of and']);
    expect(dot(empty ?? [], empty ?? [])).toBeCloseTo(1, 10);
    expect(dot(stop ?? [], stop ?? [])).toBeCloseTo(1, 10);
  });

  it('happy: counts calls and texts, and honours an aborted signal', async () => {
    const local = new LocalHashEmbedder({ dimension: 64 });
    await local.embed(['a', 'b', 'c']);
    await local.embed([]);
    expect(local.usage).toEqual({ calls: 1, texts: 3, tokens: 0 });
    resetUsage(local);
    expect(local.usage.calls).toBe(0);
    await expect(local.embed(['x'], { signal: AbortSignal.abort() })).rejects.toThrow();
  });

  it('happy: stems like Porter and drops stop words', () => {
    expect(['connections', 'connected', 'connecting'].map(stem)).toEqual(['connect', 'connect', 'connect']);
    expect(stem('generalizations')).toBe('gener');
    expect(terms('What are the Indexes of 2024?')).toEqual(['index', '2024']);
  });
});

describe('provider embedder through the ai SDK (OpenAI faked at the HTTP boundary)', () => {
  const bodies: { model: string; input: string[]; dimensions?: number; encoding_format?: string }[] = [];
  const auth: (string | null)[] = [];
  let failNext = 0;
  const server = setupServer(
    http.post('https://api.openai.com/v1/embeddings', async ({ request }) => {
      const body = (await request.json()) as (typeof bodies)[number];
      bodies.push(body);
      auth.push(request.headers.get('authorization'));
      if (failNext > 0) {
        failNext--;
        return HttpResponse.json(
          { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } },
          { status: 429, headers: { 'retry-after-ms': '5' } },
        );
      }
      const dim = body.dimensions ?? 1536;
      return HttpResponse.json({
        object: 'list',
        model: body.model,
        data: body.input.map((text, index) => ({
          object: 'embedding',
          index,
          embedding: Array.from({ length: dim }, (_, i) => (i === text.length % dim ? 1 : 0)),
        })),
        usage: { prompt_tokens: body.input.length * 3, total_tokens: body.input.length * 3 },
      });
    }),
  );
  beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
  afterEach(() => {
    bodies.length = 0;
    auth.length = 0;
  });
  afterAll(() => server.close());

  it('happy: splits large inputs into calls of at most 2,048 texts and counts usage', async () => {
    const e = createProviderEmbedder({ provider: 'openai', apiKey: 'sk-test', dimensions: 16 });
    expect(e.id).toBe('openai/text-embedding-3-small');
    expect(e.dimension).toBe(16);
    const texts = Array.from({ length: 2100 }, (_, i) => `text number ${i}`);
    const vectors = await e.embed(texts);
    expect(vectors).toHaveLength(2100);
    expect(vectors[5]?.[`text number 5`.length % 16]).toBe(1);
    expect(bodies.map((b) => b.input.length).sort((a, b) => b - a)).toEqual([2048, 52]);
    expect(bodies.every((b) => b.model === 'text-embedding-3-small' && b.dimensions === 16)).toBe(true);
    expect(bodies.flatMap((b) => b.input).sort()).toEqual([...texts].sort());
    expect(auth.every((a) => a === 'Bearer sk-test')).toBe(true);
    expect(e.usage).toEqual({ calls: 1, texts: 2100, tokens: 6300 });
  });

  it('happy: retries a rate-limited call', async () => {
    const e = createProviderEmbedder({ provider: 'openai', apiKey: 'sk-test', maxRetries: 2 });
    failNext = 1;
    const [v] = await e.embed(['hello']);
    expect(v).toHaveLength(1536);
    expect(bodies).toHaveLength(2);
    expect(e.usage.tokens).toBe(3);
  });

  it('error: gives up after maxRetries and counts nothing', async () => {
    const e = createProviderEmbedder({ provider: 'openai', apiKey: 'sk-test', maxRetries: 1 });
    failNext = 5;
    await expect(e.embed(['hello'])).rejects.toThrow(/Rate limit/);
    expect(bodies).toHaveLength(2);
    expect(e.usage).toEqual({ calls: 0, texts: 0, tokens: 0 });
    failNext = 0;
  });

  it('error: a model whose dimension is unknown needs EMBEDDING_DIMENSIONS', () => {
    expect(() => createProviderEmbedder({ provider: 'openai', apiKey: 'k', modelId: 'my-embedder' })).toThrow(
      /EMBEDDING_DIMENSIONS/,
    );
  });

  it('error: a provider answering with another size is refused, not stored', async () => {
    const e = createProviderEmbedder({ provider: 'openai', apiKey: 'k', modelId: 'text-embedding-3-large' });
    // The fake answers 1536 when no dimensions are requested; the model's size is 3072.
    await expect(e.embed(['x'])).rejects.toThrow(/returned 1536 dimensions, expected 3072/);
  });

  it('happy: getEmbedder picks the provider from env, lazily, and setEmbedder overrides it', async () => {
    process.env.OPENAI_API_KEY = 'sk-env';
    process.env.EMBEDDING_DIMENSIONS = '32';
    resetEnv();
    setEmbedder(undefined);
    try {
      const e = await getEmbedder();
      expect(e.provider).toBe('openai');
      expect(e.dimension).toBe(32);
      await e.embed(['x']);
      expect(auth).toEqual(['Bearer sk-env']);
      const local = new LocalHashEmbedder({ dimension: 64 });
      setEmbedder(local);
      expect(await getEmbedder()).toBe(local);
    } finally {
      delete process.env.OPENAI_API_KEY;
      delete process.env.EMBEDDING_DIMENSIONS;
      resetEnv();
      setEmbedder(undefined);
    }
    expect((await getEmbedder()).id).toBe('local-hash-v1-2000');
  });
});
