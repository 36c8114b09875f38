import type { Publisher, Subscriber } from 'resumable-stream/generic';

/**
 * Pub/sub next to the cache store, for resumable chat answers (lib/chat/resume.ts): the Publisher and
 * Subscriber shapes Vercel's `resumable-stream` takes. The in-process one is here; Redis over TCP and
 * Upstash are in pubsub-redis.ts and pubsub-upstash.ts, loaded only when the cache runs there.
 */
export interface PubSub {
  publisher: Publisher;
  subscriber: Subscriber;
  close(): Promise<void>;
}

/** Callbacks by channel. */
export type Callback = (message: string) => void;

export class Channels {
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
