/**
 * The cache port's contract, run on every adapter available: memory always; Redis over TCP with
 * TEST_REDIS_URL; Upstash's REST API through the local stand-in that forwards to that same Redis.
 * Keys carry a per-run prefix, so runs sharing a Redis never see each other's data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCache } from '../../lib/stores/cache/memory.js';
import { RedisCache } from '../../lib/stores/cache/redis.js';
import type { Cache } from '../../lib/stores/cache/types.js';
import { UpstashCache } from '../../lib/stores/cache/upstash.js';
import { startUpstashStandin, type UpstashStandin } from '../standins/upstash.js';

const redisUrl = process.env.TEST_REDIS_URL;
const prefix = `polyfolio-test:${process.pid}:${Date.now().toString(36)}:`;

/** A clock tests move by hand, for the memory adapter. */
const clock = { now: 1_700_000_000_000 };

interface Target {
  name: string;
  skip?: string;
  /** A cache, and how to dispose of it and anything started for it. */
  create(): Promise<{ cache: Cache; dispose(): Promise<void> }>;
  /** Lets `seconds` of cache time pass: moves the clock in memory, waits for real on Redis. */
  elapse(seconds: number): Promise<void>;
  /** Makes the server forget its cached scripts (SCRIPT FLUSH), for the NOSCRIPT fallback; Redis only. */
  flushScripts?(): Promise<void>;
}

/** SCRIPT FLUSH on the test Redis: as after a restart or failover, EVALSHA now answers NOSCRIPT. */
async function flushRedisScripts(): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl ?? '');
  try {
    await redis.script('FLUSH');
  } finally {
    redis.disconnect();
  }
}

const withClose = (cache: Cache) => ({ cache, dispose: () => cache.close() });
const realTime = (seconds: number) => new Promise<void>((r) => setTimeout(r, seconds * 1000));
const noRedis = 'TEST_REDIS_URL is not set';

const targets: Target[] = [
  {
    name: 'memory',
    create: async () => withClose(new MemoryCache(() => clock.now)),
    elapse: async (seconds) => {
      clock.now += seconds * 1000;
    },
  },
  {
    name: 'redis',
    ...(redisUrl ? {} : { skip: noRedis }),
    create: async () => withClose(new RedisCache(redisUrl ?? '', { keyPrefix: prefix })),
    elapse: realTime,
    flushScripts: flushRedisScripts,
  },
  {
    name: 'upstash (REST stand-in over the real Redis)',
    ...(redisUrl ? {} : { skip: `${noRedis} (the Upstash stand-in forwards to it)` }),
    async create() {
      const standin = await startUpstashStandin({ redisUrl: redisUrl ?? '' });
      const cache = new UpstashCache({ url: standin.url, token: standin.token, keyPrefix: prefix });
      return { cache, dispose: () => standin.close() };
    },
    elapse: realTime,
    flushScripts: flushRedisScripts,
  },
];

for (const t of targets) if (t.skip) console.warn(`skipped: cache contract on ${t.name}: ${t.skip}`);

let n = 0;
const key = (label: string) => `${label}:${++n}`;

for (const target of targets) {
  const title = target.skip
    ? `cache contract on ${target.name} (skipped: ${target.skip})`
    : `cache contract on ${target.name}`;

  // Real servers wait out TTLs in real time: their tests (unique keys each) run concurrently.
  describe.skipIf(Boolean(target.skip))(title, { concurrent: target.elapse === realTime }, () => {
    let cache: Cache;
    let dispose: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      ({ cache, dispose } = await target.create());
    });

    afterAll(async () => {
      await dispose?.();
    });

    it('answers ping', async () => {
      await expect(cache.ping()).resolves.toBeUndefined();
    });

    it('round-trips JSON values of every shape, and strings that look like numbers stay strings', async () => {
      const values: unknown[] = [
        { a: 1, nested: { list: [1, 'two', null, true] }, text: 'héllo ✓' },
        [1, 2, 3],
        'plain text',
        '123',
        'OK',
        42,
        0,
        false,
        null,
      ];
      for (const value of values) {
        const k = key('json');
        await cache.set(k, value);
        expect(await cache.get(k)).toEqual(value);
      }
    });

    it('answers null for a missing key', async () => {
      expect(await cache.get(key('missing'))).toBeNull();
      expect(await cache.ttl(key('missing'))).toBeNull();
    });

    it('returns mget results in key order with null for missing keys', async () => {
      const [a, b, c] = [key('m'), key('m'), key('m')];
      await cache.set(a, { v: 'a' });
      await cache.set(c, 3);
      expect(await cache.mget([a, b, c, a])).toEqual([{ v: 'a' }, null, 3, { v: 'a' }]);
      expect(await cache.mget([])).toEqual([]);
    });

    it('expires a value after its TTL, and keeps one without a TTL', async () => {
      const [short, forever] = [key('ttl'), key('ttl')];
      await cache.set(short, 'soon gone', { ttlSeconds: 1 });
      await cache.set(forever, 'stays');
      expect(await cache.ttl(short)).toBe(1);
      expect(await cache.ttl(forever)).toBeNull();
      await target.elapse(1.1);
      expect(await cache.get(short)).toBeNull();
      expect(await cache.get(forever)).toBe('stays');
    });

    it('deletes keys and counts only the ones that existed', async () => {
      const [a, b] = [key('del'), key('del')];
      await cache.set(a, 1);
      await cache.set(b, 2);
      expect(await cache.del(a, b, key('del-missing'))).toBe(2);
      expect(await cache.mget([a, b])).toEqual([null, null]);
      expect(await cache.del()).toBe(0);
    });

    it('counts within a fixed window: the first increment sets the expiry, later ones keep it', async () => {
      const k = key('incr');
      expect(await cache.incr(k, { ttlSeconds: 1 })).toBe(1);
      expect(await cache.incr(k, { ttlSeconds: 60 })).toBe(2);
      expect(await cache.incr(k, { ttlSeconds: 60, by: 5 })).toBe(7);
      expect(await cache.ttl(k), 'later increments must not extend the window').toBe(1);
      expect(await cache.get(k)).toBe(7);
      await target.elapse(1.1);
      expect(await cache.incr(k, { ttlSeconds: 60 }), 'a new window starts from zero').toBe(1);
      expect(await cache.ttl(k)).toBe(60);
    });

    it('reads a version token and the entry keyed by it in one call', async () => {
      const vk = key('ver');
      const ns = key('ns');
      await cache.set(vk, 'tok1');
      await cache.set(`${ns}:tok1:item`, { body: 'hello', etag: '"e"' });
      expect(
        await cache.getVersioned({ versionKey: vk, entryPrefix: `${ns}:`, entrySuffix: ':item' }),
      ).toEqual({ version: 'tok1', value: { body: 'hello', etag: '"e"' } });
      expect(
        await cache.getVersioned({ versionKey: vk, entryPrefix: `${ns}:`, entrySuffix: ':other' }),
        'an entry not filled yet',
      ).toEqual({ version: 'tok1', value: null });
    });

    it('reads a numeric version as its digits, the way it is embedded in keys', async () => {
      const vk = key('ver-n');
      await cache.set(vk, 12);
      await cache.set(`${vk}:v12:q`, ['r']);
      expect(await cache.getVersioned({ versionKey: vk, entryPrefix: `${vk}:v`, entrySuffix: ':q' })).toEqual(
        { version: '12', value: ['r'] },
      );
    });

    it('without init, a missing version reads nothing and creates nothing', async () => {
      const vk = key('ver-missing');
      expect(await cache.getVersioned({ versionKey: vk, entryPrefix: 'x:', entrySuffix: '' })).toEqual({
        version: null,
        value: null,
      });
      expect(await cache.get(vk)).toBeNull();
    });

    it('creates a missing version once with its TTL: later and concurrent readers share it', async () => {
      const vk = key('ver-init');
      const read = (token: string) =>
        cache.getVersioned({
          versionKey: vk,
          entryPrefix: 'c:',
          entrySuffix: ':k',
          init: { version: token, ttlSeconds: 60 },
        });
      const first = await read('aaa1');
      expect(first).toEqual({ version: 'aaa1', value: null });
      expect(await cache.get(vk)).toBe('aaa1');
      expect(await cache.ttl(vk)).toBe(60);
      expect((await read('bbb2')).version, 'an existing token is kept').toBe('aaa1');
      const vk2 = key('ver-race');
      const racers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          cache.getVersioned({
            versionKey: vk2,
            entryPrefix: 'c:',
            entrySuffix: ':k',
            init: { version: `t${i}`, ttlSeconds: 60 },
          }),
        ),
      );
      expect(new Set(racers.map((r) => r.version)).size, 'one token wins').toBe(1);
    });

    it.skipIf(!target.flushScripts)(
      'still answers after the server forgot the script (NOSCRIPT)',
      async () => {
        const vk = key('ver-noscript');
        await cache.set(vk, 'tok');
        await cache.set(`n:tok:k`, 1);
        const read = () => cache.getVersioned({ versionKey: vk, entryPrefix: 'n:', entrySuffix: ':k' });
        expect(await read()).toEqual({ version: 'tok', value: 1 });
        await target.flushScripts?.();
        expect(await read()).toEqual({ version: 'tok', value: 1 });
        expect(await read()).toEqual({ version: 'tok', value: 1 });
      },
    );

    it('gives a lock to one holder at a time and frees it on release', async () => {
      const k = key('lock');
      const first = await cache.acquireLock(k, 10_000);
      expect(first).not.toBeNull();
      expect(await cache.acquireLock(k, 10_000)).toBeNull();
      await first?.release();
      const second = await cache.acquireLock(k, 10_000);
      expect(second).not.toBeNull();
      expect(second?.token).not.toBe(first?.token);
      await second?.release();
    });

    it('lets only one of many concurrent callers take a lock', async () => {
      const k = key('lock-race');
      const locks = await Promise.all(Array.from({ length: 8 }, () => cache.acquireLock(k, 10_000)));
      expect(locks.filter(Boolean)).toHaveLength(1);
      await locks.find(Boolean)?.release();
    });

    it('never releases a lock a later holder took after the first one expired', async () => {
      const k = key('lock-expiry');
      const stale = await cache.acquireLock(k, 1_000);
      expect(stale).not.toBeNull();
      await target.elapse(1.1);
      const current = await cache.acquireLock(k, 10_000);
      expect(current, 'an expired lock is free again').not.toBeNull();
      await stale?.release(); // late release by the old holder
      expect(await cache.acquireLock(k, 10_000), 'the current holder still owns it').toBeNull();
      await current?.release();
      expect(await cache.acquireLock(k, 10_000)).not.toBeNull();
    });
  });
}

describe.skipIf(!redisUrl)(
  redisUrl ? 'upstash adapter errors' : `upstash adapter errors (skipped: ${noRedis})`,
  () => {
    let standin: UpstashStandin;

    beforeAll(async () => {
      standin = await startUpstashStandin({ redisUrl: redisUrl ?? '' });
    });

    afterAll(async () => {
      await standin?.close();
    });

    it('rejects (does not hang) when the token is wrong', async () => {
      const cache = new UpstashCache({ url: standin.url, token: 'not-the-token', keyPrefix: prefix });
      await expect(cache.get('anything')).rejects.toThrow(/Unauthorized/);
      await expect(cache.ping()).rejects.toThrow();
      expect(standin.requests.at(-1)?.headers.authorization).toBe('Bearer not-the-token');
    });

    it('answers a versioned read in one REST request (EVALSHA once the script is known)', async () => {
      const cache = new UpstashCache({ url: standin.url, token: standin.token, keyPrefix: prefix });
      const vk = key('ver-rt');
      await cache.set(vk, 'tok');
      await cache.set('r:tok:k', { n: 1 });
      const read = () => cache.getVersioned({ versionKey: vk, entryPrefix: 'r:', entrySuffix: ':k' });
      await read(); // may load the script (NOSCRIPT, then EVAL)
      const before = standin.requests.length;
      expect(await read()).toEqual({ version: 'tok', value: { n: 1 } });
      expect(standin.requests.length - before).toBe(1);
      expect(JSON.stringify(standin.requests.at(-1)?.body)).toMatch(/^\[?\["evalsha"/i);
    });

    it('sends the base64 encoding header and decodes base64 results, bytes intact', async () => {
      const cache = new UpstashCache({ url: standin.url, token: standin.token, keyPrefix: prefix });
      const k = key('b64');
      await cache.set(k, { text: 'ünïcødé ✓ 日本' });
      expect(await cache.get(k)).toEqual({ text: 'ünïcødé ✓ 日本' });
      expect(standin.requests.at(-1)?.headers['upstash-encoding']).toBe('base64');
    });
  },
);

describe('cache adapters when their server is unreachable', () => {
  it('redis rejects (does not hang) when nothing listens', async () => {
    const cache = new RedisCache('redis://127.0.0.1:9', { connectTimeoutMs: 300 });
    try {
      await expect(cache.get('anything')).rejects.toThrow();
      await expect(cache.ping()).rejects.toThrow();
    } finally {
      await cache.close();
    }
  });

  it('upstash rejects (does not hang) when nothing listens', async () => {
    const cache = new UpstashCache({ url: 'http://127.0.0.1:9', token: 't', timeoutMs: 1_000 });
    await expect(cache.get('anything')).rejects.toThrow();
  });
});

describe.skipIf(!redisUrl)(
  redisUrl ? 'redis and upstash share data' : `redis and upstash share data (skipped: ${noRedis})`,
  () => {
    it('reads what the Upstash adapter wrote: both store JSON text', async () => {
      const standin = await startUpstashStandin({ redisUrl: redisUrl ?? '' });
      const viaRest = new UpstashCache({ url: standin.url, token: standin.token, keyPrefix: prefix });
      const viaTcp = new RedisCache(redisUrl ?? '', { keyPrefix: prefix });
      try {
        const k = key('shared');
        await viaRest.set(k, { from: 'upstash', n: '1' });
        expect(await viaTcp.get(k)).toEqual({ from: 'upstash', n: '1' });
      } finally {
        await viaTcp.close();
        await standin.close();
      }
    });
  },
);

afterAll(async () => {
  if (!redisUrl) return;
  // Leave the shared Redis as we found it.
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
});
