import { waitUntil } from '@vercel/functions';
import { createResumableStreamContext, type ResumableStreamContext } from 'resumable-stream/generic';
import { timebox } from '../cache/timebox.js';
import { env } from '../env.js';
import { log } from '../log.js';
import { getCache } from '../stores/cache/index.js';
import { memoryPubSub, type PubSub } from '../stores/cache/pubsub.js';

export type { PubSub } from '../stores/cache/pubsub.js';

/** The headers of a UI message stream (the AI SDK's UI_MESSAGE_STREAM_HEADERS; a test keeps them equal). */
export const UI_STREAM_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-vercel-ai-ui-message-stream': 'v1',
  'x-accel-buffering': 'no',
} as const;

/**
 * Resumable chat streams (Vercel's `resumable-stream`): an answer's server-sent events are kept as
 * they are produced, so a client that reconnects mid-answer (a reload, a dropped network) gets the
 * whole message so far and then the rest live, from whichever instance it reaches.
 *
 * Pub/sub runs where the cache store runs: Redis over TCP (`REDIS_URL`, two ioredis connections, one
 * of them subscribed), Upstash (REST commands and its SSE subscribe), or in-process with the memory
 * cache. The conversation's active stream is a cache entry `{ streamId, ownerId }`, so the resume
 * endpoint can check the owner before the conversation is saved (it is saved when the answer ends).
 *
 * A resumable answer outlives its request (a reload must not stop it), so stopping is explicit: a
 * stop request is published on the stream's stop channel and the producing instance aborts the model.
 */

const KEY_PREFIX = 'polyfolio:chat';
/** Resuming is best effort: a cache that does not answer in this time means nothing to resume. */
const CACHE_BUDGET_MS = 300;
/** An active-stream record outlives the longest answer (maxDuration 60 s) with room to spare. */
const ACTIVE_TTL_SECONDS = 300;

type Shared = { pubsub: PubSub; context: ResumableStreamContext };
let current: Promise<Shared> | undefined;

function withContext(pubsub: PubSub): Shared {
  return {
    pubsub,
    context: createResumableStreamContext({
      keyPrefix: `${KEY_PREFIX}:rs`,
      waitUntil,
      publisher: pubsub.publisher,
      subscriber: pubsub.subscriber,
    }),
  };
}

/** The process's pub/sub and resumable-stream context, chosen like the cache store. */
function shared(): Promise<Shared> {
  current ??= createPubSub().then(withContext);
  current.catch(() => {
    current = undefined; // a failed connect is retried by the next request
  });
  return current;
}

/** Replaces the process's pub/sub (tests); `undefined` resets to the cache store's choice. */
export async function setChatPubSub(pubsub: PubSub | undefined): Promise<void> {
  const old = current;
  current = pubsub ? Promise.resolve(withContext(pubsub)) : undefined;
  if (old) await (await old.catch(() => undefined))?.pubsub.close();
}

async function createPubSub(): Promise<PubSub> {
  const cache = await getCache();
  const e = env();
  if (cache.name === 'redis' && e.REDIS_URL) {
    const { ioredisPubSub } = await import('../stores/cache/pubsub-redis.js');
    return ioredisPubSub(e.REDIS_URL);
  }
  if (cache.name === 'upstash' && e.UPSTASH_REDIS_REST_URL && e.UPSTASH_REDIS_REST_TOKEN) {
    const { upstashPubSub } = await import('../stores/cache/pubsub-upstash.js');
    return upstashPubSub(e.UPSTASH_REDIS_REST_URL, e.UPSTASH_REDIS_REST_TOKEN);
  }
  return memoryPubSub();
}

// ---------------------------------------------------------------------------------------------------
// The active stream of a conversation

export interface ActiveStream {
  streamId: string;
  ownerId: string;
}

const activeKey = (chatId: string) => `${KEY_PREFIX}:active:${chatId}`;
const stopChannel = (streamId: string) => `${KEY_PREFIX}:stop:${streamId}`;

/** The conversation's answer in progress, or null (also when the cache is down or slow: logged). */
export async function getActiveStream(chatId: string): Promise<ActiveStream | null> {
  try {
    return await timebox(
      getCache().then((c) => c.get<ActiveStream>(activeKey(chatId))),
      CACHE_BUDGET_MS,
    );
  } catch (err) {
    log.warn('chat: cannot read the answer in progress; nothing to resume', { err });
    return null;
  }
}

/** A resumable answer being produced by this instance. */
export interface ResumableAnswer {
  streamId: string;
  /** Aborted by a stop request (from any instance), never by the client disconnecting. */
  signal: AbortSignal;
  /** Keeps the answer's SSE text for resuming; give it the stream `consumeSseStream` receives. */
  persist(sse: ReadableStream<string>): Promise<void>;
  /** The answer ended (finished, failed or stopped): forget it as the conversation's active stream. */
  close(): Promise<void>;
}

/**
 * Registers a new resumable answer for a conversation, before the response starts: the stop channel
 * is subscribed and the conversation's active stream recorded, so a reconnect right away finds it.
 */
export async function openResumableAnswer(input: {
  chatId: string;
  ownerId: string;
  streamId?: string;
}): Promise<ResumableAnswer> {
  const { pubsub, context } = await shared();
  const streamId = input.streamId ?? crypto.randomUUID();
  const controller = new AbortController();
  const channel = stopChannel(streamId);
  // Time-boxed like every cache call on the request path: a slow cache means a plain answer instead.
  await timebox(
    pubsub.subscriber.subscribe(channel, () => controller.abort(new DOMException('Stopped', 'AbortError'))),
    CACHE_BUDGET_MS,
  );
  const cache = await getCache();
  try {
    const record = { streamId, ownerId: input.ownerId } satisfies ActiveStream;
    await timebox(
      cache.set(activeKey(input.chatId), record, { ttlSeconds: ACTIVE_TTL_SECONDS }),
      CACHE_BUDGET_MS,
    );
  } catch (err) {
    await pubsub.subscriber.unsubscribe(channel).catch(() => {});
    throw err;
  }
  let closed = false;
  return {
    streamId,
    signal: controller.signal,
    async persist(sse) {
      const kept = await context.createNewResumableStream(streamId, () => sse);
      // The producer reads `sse` to its end whoever listens; drain our copy so it is not buffered.
      if (kept) await kept.pipeTo(new WritableStream()).catch(() => {});
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([
        pubsub.subscriber.unsubscribe(channel),
        (async () => {
          // Only forget the record if it is still ours (a newer answer may have replaced it).
          const active = await cache.get<ActiveStream>(activeKey(input.chatId));
          if (active?.streamId === streamId) await cache.del(activeKey(input.chatId));
        })(),
      ]).then((results) => {
        for (const r of results)
          if (r.status === 'rejected') log.warn('resumable answer cleanup failed', { err: r.reason });
      });
    },
  };
}

/** The rest of an answer in progress, from its start; null when it has ended (or never existed). */
export async function resumeAnswer(streamId: string): Promise<ReadableStream<string> | null> {
  const { context } = await shared();
  return (await context.resumeExistingStream(streamId)) ?? null;
}

/** Asks whichever instance produces the answer to stop it. */
export async function stopAnswer(streamId: string): Promise<void> {
  const { pubsub } = await shared();
  await pubsub.publisher.publish(stopChannel(streamId), 'stop');
}
