import { Redis } from '@upstash/redis';
import type { PubSub } from './pubsub.js';

/** Upstash over REST: commands as usual, subscriptions over its server-sent events endpoint. */
export async function upstashPubSub(url: string, token: string): Promise<PubSub> {
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
