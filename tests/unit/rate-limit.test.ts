import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, deleteSession, IDLE_TTL_SECONDS, readSession } from '../../lib/auth/sessions.js';
import { hashSessionToken } from '../../lib/auth/tokens.js';
import { ApiError } from '../../lib/http/errors.js';
import { enforceRateLimit, rateLimit } from '../../lib/http/rate-limit.js';
import { MemoryCache } from '../../lib/stores/cache/memory.js';
import { RedisCache } from '../../lib/stores/cache/redis.js';

class DownCache extends MemoryCache {
  override incr(): Promise<number> {
    return Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379'));
  }
}

/** A clock pinned 10 s into a 60 s window. */
function setup(start = Date.UTC(2025, 0, 1, 12, 0, 10)) {
  let now = start;
  const cache = new MemoryCache(() => now);
  return { cache, now: () => now, advance: (s: number) => (now += s * 1000) };
}

describe('rateLimit (fixed window on the cache)', () => {
  it('happy: allows `limit` requests, counts down `remaining`, then refuses', async () => {
    const { cache, now } = setup();
    const opts = { key: 'k', limit: 3, windowSeconds: 60, cache, now };
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await rateLimit(opts));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0]);
  });

  it('happy: resetSeconds is the time left in the clock-aligned window, and a new window starts fresh', async () => {
    const { cache, now, advance } = setup();
    const opts = { key: 'k', limit: 1, windowSeconds: 60, cache, now };
    expect((await rateLimit(opts)).resetSeconds).toBe(50);
    const refused = await rateLimit(opts);
    expect(refused).toMatchObject({ ok: false, resetSeconds: 50 });
    advance(50);
    expect(await rateLimit(opts)).toMatchObject({ ok: true, resetSeconds: 60 });
  });

  it('happy: keys are independent, and `cost` spends several units at once', async () => {
    const { cache, now } = setup();
    expect((await rateLimit({ key: 'a', limit: 10, windowSeconds: 60, cost: 7, cache, now })).remaining).toBe(
      3,
    );
    expect((await rateLimit({ key: 'a', limit: 10, windowSeconds: 60, cost: 7, cache, now })).ok).toBe(false);
    expect((await rateLimit({ key: 'b', limit: 10, windowSeconds: 60, cache, now })).remaining).toBe(9);
  });

  it('happy: counters expire with their window, so the store does not fill with old keys', async () => {
    const { cache, now, advance } = setup();
    await rateLimit({ key: 'k', limit: 5, windowSeconds: 60, cache, now });
    const window = Math.floor(now() / 60_000);
    expect(await cache.ttl(`rl:k:${window}`)).toBe(51);
    advance(52);
    expect(await cache.get(`rl:k:${window}`)).toBeNull();
  });

  it('error: with the cache down it fails open by default (reads of public data stay up), marked degraded', async () => {
    const result = await rateLimit({ key: 'k', limit: 1, windowSeconds: 60, cache: new DownCache() });
    expect(result).toMatchObject({ ok: true, degraded: true });
  });

  it('security: with the cache down and onCacheError closed it refuses with 503', async () => {
    const err = await rateLimit({
      key: 'k',
      limit: 1,
      windowSeconds: 60,
      cache: new DownCache(),
      onCacheError: 'closed',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(503);
  });
});

describe('enforceRateLimit', () => {
  it('error: over the limit throws 429 rate_limited with Retry-After and RateLimit headers', async () => {
    const { cache, now } = setup();
    const opts = { key: 'k', limit: 1, windowSeconds: 60, cache, now };
    await expect(enforceRateLimit(opts)).resolves.toMatchObject({ ok: true, remaining: 0 });
    const err = (await enforceRateLimit(opts).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('rate_limited');
    expect(err.status).toBe(429);
    expect(err.options.headers).toMatchObject({ 'retry-after': '50', 'ratelimit-remaining': '0' });
  });
});

const redisUrl = process.env.TEST_REDIS_URL;

/** The limiter and sessions on a real Redis (the production adapter's semantics), when available. */
describe.skipIf(!redisUrl)('rate limits and sessions on the real Redis', () => {
  let cache: RedisCache;
  beforeAll(() => {
    cache = new RedisCache(redisUrl ?? '', {
      keyPrefix: `polyfolio-test:${process.pid}:${Date.now().toString(36)}:`,
    });
  });
  afterAll(() => cache?.close());

  it('happy: counts with one INCR per check, refuses past the limit, and the counter expires with its window', async () => {
    const now = () => Date.UTC(2025, 0, 1, 12, 0, 10);
    const opts = { key: 'redis-k', limit: 2, windowSeconds: 60, cache, now };
    expect((await rateLimit(opts)).ok).toBe(true);
    expect((await rateLimit(opts)).ok).toBe(true);
    expect(await rateLimit(opts)).toMatchObject({ ok: false, remaining: 0, resetSeconds: 50 });
    const ttl = await cache.ttl(`rl:redis-k:${Math.floor(now() / 60_000)}`);
    expect(ttl).toBeGreaterThan(45);
    expect(ttl).toBeLessThanOrEqual(51);
  });

  it('happy: a session is stored under its hash with the idle TTL, reads back, and logout deletes it', async () => {
    const user = {
      id: '00000000-0000-4000-8000-000000000009',
      email: 'r@example.dev',
      name: 'R',
      role: 'member' as const,
    };
    const { token } = await createSession({ cache, user });
    expect((await readSession({ cache, token }))?.user).toEqual(user);
    expect(await cache.ttl(`session:${await hashSessionToken(token)}`)).toBeGreaterThan(
      IDLE_TTL_SECONDS - 10,
    );
    await deleteSession({ cache, token });
    expect(await readSession({ cache, token })).toBeNull();
  });
});
