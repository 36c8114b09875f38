import { waitUntil } from '@vercel/functions';
import {
  createResumableStreamContext,
  type Publisher,
  type ResumableStreamContext,
  type Subscriber,
} from 'resumable-stream/generic';
import { env } from '../env.js';
import { log } from '../log.js';
import { getCache } from '../stores/cache/index.js';

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

export interface PubSub {
  publisher: Publisher;
  subscriber: Subscriber;
  close(): Promise<void>;
}

const KEY_PREFIX = 'polyfolio:chat';
/** An active-stream record outlives the longest answer (maxDuration 60 s) with room to spare. */
const ACTIVE_TTL_SECONDS = 300;

let current: Promise<{ pubsub: PubSub; context: ResumableStreamContext }> | undefined;

/** The process's pub/sub and resumable-stream context, chosen like the cache store. */
function shared(): Promise<{ pubsub: PubSub; context: ResumableStreamContext }> {
  current ??= createPubSub().then((pubsub) => ({
    pubsub,
    context: createResumableStreamContext({
      keyPrefix: `${KEY_PREFIX}:rs`,
      waitUntil,
      publisher: pubsub.publisher,
      subscriber: pubsub.subscriber,
    }),
  }));
  current.catch(() => {
    current = undefined; // a failed connect is retried by the next request
  });
  return current;
}

/** Replaces the process's pub/sub (tests); `undefined` resets to the cache store's choice. */
export async function setChatPubSub(pubsub: PubSub | undefined): Promise<void> {
  const old = current;
  current = pubsub
    ? Promise.resolve({
        pubsub,
        context: createResumableStreamContext({
          keyPrefix: `${KEY_PREFIX}:rs`,
          waitUntil,
          publisher: pubsub.publisher,
          subscriber: pubsub.subscriber,
        }),
      })
    : undefined;
  if (old) await (await old.catch(() => undefined))?.pubsub.close();
}

async function createPubSub(): Promise<PubSub> {
  const cache = await getCache();
  const e = env();
  if (cache.name === 'redis' && e.REDIS_URL) return ioredisPubSub(e.REDIS_URL);
  if (cache.name === 'upstash' && e.UPSTASH_REDIS_REST_URL && e.UPSTASH_REDIS_REST_TOKEN)
    return upstashPubSub(e.UPSTASH_REDIS_REST_URL, e.UPSTASH_REDIS_REST_TOKEN);
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

/** The conversation's answer in progress, or null. */
export async function getActiveStream(chatId: string): Promise<ActiveStream | null> {
  return (await getCache()).get<ActiveStream>(activeKey(chatId));
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
  await pubsub.subscriber.subscribe(channel, () =>
    controller.abort(new DOMException('Stopped', 'AbortError')),
  );
  const cache = await getCache();
  await cache.set(activeKey(input.chatId), { streamId, ownerId: input.ownerId } satisfies ActiveStream, {
    ttlSeconds: ACTIVE_TTL_SECONDS,
  });
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

// ---------------------------------------------------------------------------------------------------
// Pub/sub adapters

type Callback = (message: string) => void;

class Channels {
  private readonly byChannel = new Map<string, Set<Callback>>();
  add(channel: string, cb: Callback): boolean {
    const set = this.byChannel.get(channel) ?? new Set();
    const first = set.size === 0;
    set.add(cb);
    this.byChannel.set(channel, set);
    return first;
  }
  remove(channel: string): void {
    this.byChannel.delete(channel);
  }
  deliver(channel: string, message: string): number {
    const set = this.byChannel.get(channel);
    for (const cb of set ?? []) cb(message);
    return set?.size ?? 0;
  }
}

/** In-process pub/sub and keys, for the memory cache (one instance: `npm run dev`, tests). */
export function memoryPubSub(now: () => number = Date.now): PubSub {
  const keys = new Map<string, { value: string; expiresAt: number | null }>();
  const channels = new Channels();
  const read = (key: string) => {
    const e = keys.get(key);
    if (e?.expiresAt != null && e.expiresAt <= now()) {
      keys.delete(key);
      return null;
    }
    return e?.value ?? null;
  };
  return {
    publisher: {
      connect: async () => {},
      async publish(channel, message) {
        // Delivered after the publisher's await, as a Redis server would, in publish order.
        await Promise.resolve();
        return channels.deliver(channel, message);
      },
      async set(key, value, options) {
        keys.set(key, { value, expiresAt: options?.EX ? now() + options.EX * 1000 : null });
        return 'OK';
      },
      get: async (key) => read(key),
      async incr(key) {
        const value = read(key);
        const n = value === null ? 1 : Number(value) + 1;
        if (!Number.isInteger(n)) throw new Error('ERR value is not an integer or out of range');
        keys.set(key, { value: String(n), expiresAt: keys.get(key)?.expiresAt ?? null });
        return n;
      },
    },
    subscriber: {
      connect: async () => {},
      async subscribe(channel, cb) {
        channels.add(channel, cb);
      },
      async unsubscribe(channel) {
        channels.remove(channel);
      },
    },
    close: async () => {},
  };
}

/** Redis over TCP: one connection for commands, one in subscriber mode. */
export async function ioredisPubSub(url: string, options: { keyPrefix?: string } = {}): Promise<PubSub> {
  const { Redis } = await import('ioredis');
  const common = {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
  };
  const pub = new Redis(url, { ...common, enableOfflineQueue: false, commandTimeout: 2_000 });
  const sub = new Redis(url, common);
  pub.on('error', () => {});
  sub.on('error', () => {});
  const channels = new Channels();
  // ioredis prefixes keys, not channels: channels get the same prefix here.
  const prefix = options.keyPrefix ?? '';
  sub.on('message', (channel: string, message: string) => {
    if (channel.startsWith(prefix)) channels.deliver(channel.slice(prefix.length), message);
  });
  let connecting: Promise<void> | undefined;
  const connect = () => {
    connecting ??= Promise.all([pub.connect(), sub.connect()]).then(() => {});
    connecting.catch(() => {
      connecting = undefined;
    });
    return connecting;
  };
  await connect();
  return {
    publisher: {
      connect,
      publish: (channel, message) => pub.publish(prefix + channel, message),
      set: (key, value, o) => (o?.EX ? pub.set(key, value, 'EX', o.EX) : pub.set(key, value)),
      get: (key) => pub.get(key),
      incr: (key) => pub.incr(key),
    },
    subscriber: {
      connect,
      async subscribe(channel, cb) {
        if (channels.add(channel, cb)) await sub.subscribe(prefix + channel);
      },
      async unsubscribe(channel) {
        channels.remove(channel);
        await sub.unsubscribe(prefix + channel);
      },
    },
    async close() {
      pub.disconnect();
      sub.disconnect();
    },
  };
}

/** Upstash over REST: commands as usual, subscriptions over its server-sent events endpoint. */
export async function upstashPubSub(url: string, token: string): Promise<PubSub> {
  const { Redis } = await import('@upstash/redis');
  const redis = new Redis({ url, token, automaticDeserialization: false, enableTelemetry: false });
  const subs = new Map<string, { unsubscribe(): Promise<void> }>();
  return {
    publisher: {
      connect: async () => {},
      publish: (channel, message) => redis.publish(channel, message),
      set: (key, value, o) => (o?.EX ? redis.set(key, value, { ex: o.EX }) : redis.set(key, value)),
      get: (key) => redis.get<string>(key),
      incr: (key) => redis.incr(key),
    },
    subscriber: {
      connect: async () => {},
      async subscribe(channel, cb) {
        const s = redis.subscribe<string>(channel);
        s.on('message', ({ message }) => cb(typeof message === 'string' ? message : JSON.stringify(message)));
        subs.set(channel, s);
      },
      async unsubscribe(channel) {
        const s = subs.get(channel);
        subs.delete(channel);
        await s?.unsubscribe();
      },
    },
    async close() {
      await Promise.allSettled([...subs.values()].map((s) => s.unsubscribe()));
      subs.clear();
    },
  };
}
