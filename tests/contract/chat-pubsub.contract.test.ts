/**
 * The pub/sub behind resumable chat answers (lib/chat/resume.ts), run on each adapter available:
 * in-process always, Redis over TCP with TEST_REDIS_URL (keys and channels under a per-run prefix).
 * Each runs Vercel's resumable-stream on top: a stream resumed mid-way gets everything so far and
 * then the rest live; a finished one is not replayed.
 */
import { createResumableStreamContext } from 'resumable-stream/generic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryPubSub, type PubSub } from '../../lib/stores/cache/pubsub.js';
import { ioredisPubSub } from '../../lib/stores/cache/pubsub-redis.js';

const redisUrl = process.env.TEST_REDIS_URL;
const prefix = `polyfolio-test:${process.pid}:${Date.now().toString(36)}:`;

const targets: { name: string; skip?: string; create(): Promise<PubSub> }[] = [
  { name: 'memory', create: async () => memoryPubSub() },
  {
    name: 'redis',
    ...(redisUrl ? {} : { skip: 'TEST_REDIS_URL is not set' }),
    create: () => ioredisPubSub(redisUrl ?? '', { keyPrefix: prefix }),
  },
];
for (const t of targets) if (t.skip) console.warn(`skipped: chat pub/sub contract on ${t.name}: ${t.skip}`);

/** A stream of strings released one at a time by hand. */
function gated() {
  let controller!: ReadableStreamDefaultController<string>;
  const stream = new ReadableStream<string>({
    start(c) {
      controller = c;
    },
  });
  return { stream, push: (s: string) => controller.enqueue(s), end: () => controller.close() };
}

async function readAll(stream: ReadableStream<string>): Promise<string> {
  let out = '';
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) out += r.value;
  return out;
}

const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

for (const target of targets) {
  describe.skipIf(Boolean(target.skip))(`chat pub/sub: ${target.name}`, () => {
    let pubsub: PubSub;
    beforeAll(async () => {
      pubsub = await target.create();
    });
    afterAll(() => pubsub?.close());

    it('happy: messages reach the channel they were published on until it is unsubscribed', async () => {
      const got: string[] = [];
      await pubsub.subscriber.subscribe('ch-a', (m) => got.push(`a:${m}`));
      await pubsub.subscriber.subscribe('ch-b', (m) => got.push(`b:${m}`));
      await pubsub.publisher.publish('ch-a', '1');
      await pubsub.publisher.publish('ch-b', '2');
      await pubsub.publisher.publish('ch-a', '3');
      await tick();
      expect(got).toEqual(['a:1', 'b:2', 'a:3']);
      await pubsub.subscriber.unsubscribe('ch-a');
      await pubsub.publisher.publish('ch-a', '4');
      await pubsub.publisher.publish('ch-b', '5');
      await tick();
      expect(got).toEqual(['a:1', 'b:2', 'a:3', 'b:5']);
      await pubsub.subscriber.unsubscribe('ch-b');
    });

    it('happy: keys expire, and incr refuses a non-number (how resumable-stream detects a finished stream)', async () => {
      await pubsub.publisher.set('k-exp', 'v', { EX: 1 });
      expect(await pubsub.publisher.get('k-exp')).toBe('v');
      expect(await pubsub.publisher.incr('k-n')).toBe(1);
      expect(await pubsub.publisher.incr('k-n')).toBe(2);
      await pubsub.publisher.set('k-done', 'DONE');
      await expect(pubsub.publisher.incr('k-done')).rejects.toThrow(/not an integer/);
      await tick(1100);
      expect(await pubsub.publisher.get('k-exp')).toBeNull();
    });

    it('happy: resumable-stream resumes mid-way with everything so far, then live; a finished stream is not replayed', async () => {
      const ctx = createResumableStreamContext({
        keyPrefix: `${prefix}rs`,
        waitUntil: null,
        publisher: pubsub.publisher,
        subscriber: pubsub.subscriber,
      });
      const id = `s-${target.name}`;
      const source = gated();
      const first = await ctx.createNewResumableStream(id, () => source.stream);
      if (!first) throw new Error('no stream');
      const firstText = readAll(first);
      source.push('data: one\n\n');
      source.push('data: two\n\n');
      await tick();
      const resumed = await ctx.resumeExistingStream(id);
      if (!resumed) throw new Error('nothing resumed');
      const resumedText = readAll(resumed);
      await tick();
      source.push('data: three\n\n');
      source.end();
      const all = 'data: one\n\ndata: two\n\ndata: three\n\n';
      expect(await firstText).toBe(all);
      expect(await resumedText).toBe(all);
      await tick();
      expect(await ctx.resumeExistingStream(id)).toBeNull(); // done
      expect(await ctx.resumeExistingStream(`${id}-never`)).toBeUndefined();
    });
  });
}
