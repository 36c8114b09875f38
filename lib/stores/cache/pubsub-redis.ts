import { Redis } from 'ioredis';
import { Channels, type PubSub } from './pubsub.js';

/** Redis over TCP: one connection for commands, one in subscriber mode. */
export async function ioredisPubSub(url: string, options: { keyPrefix?: string } = {}): Promise<PubSub> {
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
