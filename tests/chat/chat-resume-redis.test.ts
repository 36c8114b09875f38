import { DefaultChatTransport, readUIMessageStream, type UIMessage } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalToolModel } from '../../lib/ai/local-tool-model.js';
import { setChatModel } from '../../lib/ai/models.js';
import { detectIntent } from '../../lib/chat/intent.js';
import { getActiveStream, setChatPubSub } from '../../lib/chat/resume.js';
import { seedSampleContent } from '../../lib/content/seed.js';
import { RedisCache } from '../../lib/stores/cache/redis.js';
import { syncNow } from '../../lib/sync/run.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { cookieFrom, textOf, userMessage } from './helpers.js';

/**
 * Resuming with the cache store on the real Redis (REDIS_URL), as in production: the pub/sub is chosen
 * from the cache store, the active-stream record lives in Redis, and the answer is resumed through it.
 */

const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl) console.warn('skipped: resumable chat on Redis: TEST_REDIS_URL is not set');

describe.skipIf(!redisUrl)('resumable answers on Redis', () => {
  let t: TestApp;
  beforeAll(async () => {
    const cache = new RedisCache(redisUrl ?? '', {
      keyPrefix: `polyfolio-test:${process.pid}:${Date.now()}:`,
    });
    t = await createTestApp({ cache, env: { REDIS_URL: redisUrl ?? '' } });
    await seedSampleContent({ sql: t.sql, config: t.config });
    await syncNow({ sql: t.sql });
    await setChatPubSub(undefined); // chosen from the cache store: Redis
    setChatModel(new LocalToolModel({ intent: detectIntent, delayMs: 25, wordsPerDelta: 1 }));
  }, 120_000);
  afterAll(async () => {
    setChatModel(undefined);
    await t?.close();
    await setChatPubSub(undefined);
    await t?.cache.close();
  });

  it('happy: an answer dropped mid-way is resumed through Redis, then is no longer active', async () => {
    const controller = new AbortController();
    const res = await t.request('POST', '/api/chat', {
      json: {
        id: 'c-redis-resume',
        trigger: 'submit-message',
        resumable: true,
        messages: [userMessage('What should I learn before HNSW?')],
      },
      headers: { 'x-forwarded-for': '203.0.113.99' },
      signal: controller.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let seen = '';
    while (!seen.includes('"text-delta"')) seen += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    await reader.cancel().catch(() => {});
    expect((await getActiveStream('c-redis-resume'))?.streamId).toEqual(expect.any(String));

    const cookie = cookieFrom(res);
    const transport = new DefaultChatTransport<UIMessage>({
      api: 'http://localhost/api/chat',
      headers: { cookie },
      fetch: (url, init) => t.app.fetch(new Request(String(url), init)),
    });
    const stream = await transport.reconnectToStream({ chatId: 'c-redis-resume' });
    if (!stream) throw new Error('nothing to resume');
    let message: UIMessage | undefined;
    for await (const m of readUIMessageStream<UIMessage>({ stream, terminateOnError: true })) message = m;
    expect(message?.id).toBe(/"messageId":"([^"]+)"/.exec(seen)?.[1]);
    expect(textOf(message as UIMessage)).toMatch(/^Before HNSW \[\d+\], learn these/);
    await t.settle();
    expect(await getActiveStream('c-redis-resume')).toBeNull();
    expect((await t.request('GET', '/api/chat/c-redis-resume/stream', { headers: { cookie } })).status).toBe(
      204,
    );
  });
});
