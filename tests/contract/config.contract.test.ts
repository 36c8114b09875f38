/**
 * The config store's contract, run on every adapter available: memory always; Vercel KV (Upstash REST)
 * through the local stand-in over the real Redis when TEST_REDIS_URL is set.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryConfigStore } from '../../lib/stores/config/memory.js';
import type { ConfigStore } from '../../lib/stores/config/types.js';
import { UpstashConfigStore } from '../../lib/stores/config/upstash.js';
import { startUpstashStandin, type UpstashStandin } from '../standins/upstash.js';

const redisUrl = process.env.TEST_REDIS_URL;
const noRedis = 'TEST_REDIS_URL is not set (the Upstash stand-in forwards to it)';
const prefix = `polyfolio-test-config:${process.pid}:${Date.now().toString(36)}:`;

interface Target {
  name: string;
  skip?: string;
  create(): Promise<{ store: ConfigStore; standin?: UpstashStandin }>;
}

const targets: Target[] = [
  { name: 'memory', create: async () => ({ store: new MemoryConfigStore() }) },
  {
    name: 'upstash (REST stand-in over the real Redis)',
    ...(redisUrl ? {} : { skip: noRedis }),
    async create() {
      const standin = await startUpstashStandin({ redisUrl: redisUrl ?? '' });
      return {
        store: new UpstashConfigStore({ url: standin.url, token: standin.token, keyPrefix: prefix }),
        standin,
      };
    },
  },
];

for (const t of targets) if (t.skip) console.warn(`skipped: config contract on ${t.name}: ${t.skip}`);

let n = 0;
const key = (label: string) => `${label}:${++n}`;

for (const target of targets) {
  const title = target.skip
    ? `config contract on ${target.name} (skipped: ${target.skip})`
    : `config contract on ${target.name}`;

  describe.skipIf(Boolean(target.skip))(title, () => {
    let store: ConfigStore;
    let standin: UpstashStandin | undefined;

    beforeAll(async () => {
      ({ store, standin } = await target.create());
    });

    afterAll(async () => {
      await standin?.close();
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('reads documents back in key order, null for missing ones', async () => {
      const [flags, site, missing] = [key('flags'), key('site'), key('missing')];
      const flagsDoc = { chat: true, search: { hybrid: true, weights: [0.5, 0.5] } };
      const siteDoc = { title: 'Ada’s portfolio ✓', links: [], count: '3' };
      await store.set(flags, flagsDoc);
      await store.set(site, siteDoc);
      expect(await store.getMany([site, missing, flags])).toEqual([siteDoc, null, flagsDoc]);
      expect(await store.getMany([])).toEqual([]);
    });

    it('replaces a document on set', async () => {
      const k = key('replace');
      await store.set(k, { chat: true, extra: 1 });
      await store.set(k, { chat: false });
      expect(await store.getMany([k])).toEqual([{ chat: false }]);
    });

    it.runIf(target.name !== 'memory')('reads several documents in one round trip (one MGET)', async () => {
      const keys = [key('one'), key('two'), key('three')];
      const before = standin?.requests.length ?? 0;
      await store.getMany(keys);
      const sent = standin?.requests.slice(before) ?? [];
      expect(sent).toHaveLength(1);
      // Auto-pipelining sends a lone command to /pipeline as a one-element array.
      const body = sent[0]?.body;
      const commands = Array.isArray(body) && Array.isArray(body[0]) ? body : [body];
      expect(commands).toEqual([['mget', ...keys.map((k) => prefix + k)]]);
    });
  });
}

describe.skipIf(!redisUrl)(
  redisUrl ? 'upstash config store edge cases' : `upstash config store edge cases (skipped: ${noRedis})`,
  () => {
    let standin: UpstashStandin;
    let redis: Redis;

    beforeAll(async () => {
      standin = await startUpstashStandin({ redisUrl: redisUrl ?? '' });
      redis = new Redis(redisUrl ?? '');
    });

    afterAll(async () => {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      await standin?.close();
    });

    it('returns a value typed into the console as plain text as that text', async () => {
      const k = key('plain');
      await redis.set(prefix + k, 'maintenance');
      const store = new UpstashConfigStore({ url: standin.url, token: standin.token, keyPrefix: prefix });
      expect(await store.getMany([k])).toEqual(['maintenance']);
    });

    it('rejects (does not hang) when the token is wrong', async () => {
      const store = new UpstashConfigStore({ url: standin.url, token: 'wrong', keyPrefix: prefix });
      await expect(store.getMany(['flags'])).rejects.toThrow(/Unauthorized/);
    });
  },
);

describe('upstash config store at the edge', () => {
  it('bundles for an edge runtime without any Node built-in', async () => {
    const entry = fileURLToPath(new URL('../../lib/stores/config/upstash.ts', import.meta.url));
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: 'neutral',
      format: 'esm',
      mainFields: ['module', 'main'],
      conditions: ['edge-light', 'worker', 'import'],
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile?.inputs ?? {});
    expect(inputs.some((p) => p.includes('@upstash/redis'))).toBe(true);
    expect(inputs.filter((p) => p.startsWith('node:') || p.includes('ioredis'))).toEqual([]);
  });
});
