import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerMember } from '../../lib/auth/accounts.js';
import { AUTH_LIMITS, authLimitKeys } from '../../lib/auth/limits.js';
import { TEST_ONLY_HASH_PARAMS } from '../../lib/auth/password.js';
import { rateLimit } from '../../lib/http/rate-limit.js';
import { MemoryCache } from '../../lib/stores/cache/memory.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * Login and register limits per IP and per account. Date is pinned to the start of a window so a
 * window edge cannot fall inside a test. Where a test pre-fills a counter, it does so through the
 * same limiter and key function the endpoints use, then shows the endpoint's own attempt counting.
 */
describe('auth rate limits', () => {
  let t: TestApp;
  const account = { email: 'limited@example.test', password: 'a-long-test-passphrase' };
  let ipCounter = 0;
  const fromIp = () => ({ 'x-forwarded-for': `198.18.0.${++ipCounter}` });
  let windowStart = Date.UTC(2031, 0, 1, 0, 0, 0);

  beforeAll(async () => {
    t = await createTestApp({ cache: new MemoryCache(() => Date.now()) });
    await registerMember({ db: t.sql.db, ...account, name: 'Limited', hashParams: TEST_ONLY_HASH_PARAMS });
  });
  afterAll(() => t.close());
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    windowStart += 24 * 3600 * 1000; // a fresh window (for every limit) per test
    vi.setSystemTime(windowStart);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const login = (email: string, password: string, headers: Record<string, string>) =>
    t.request('POST', '/api/auth/login', { json: { email, password }, headers });

  it('security: per account, the 11th login in 15 minutes is 429 with Retry-After, even from new IPs and with the right password', async () => {
    for (let i = 0; i < AUTH_LIMITS.loginPerAccount.limit; i++) {
      expect((await login(account.email, `wrong guess ${i}!`, fromIp())).status).toBe(401);
    }
    vi.setSystemTime(windowStart + 60_000);
    const res = await login(account.email, account.password, fromIp());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe(String(15 * 60 - 60));
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
    // Case and spaces do not make a new account bucket.
    expect((await login(' LIMITED@Example.test', account.password, fromIp())).status).toBe(429);
    // Other accounts are unaffected.
    expect((await login('someone-else@example.test', 'whatever it is', fromIp())).status).toBe(401);
  });

  it('security: an unknown email is limited like a real one, so a 429 does not reveal that an account exists', async () => {
    const keys = await authLimitKeys('login', 'x', 'ghost@example.test');
    for (let i = 0; i < AUTH_LIMITS.loginPerAccount.limit; i++)
      await rateLimit({ key: keys.account, ...AUTH_LIMITS.loginPerAccount });
    const ghost = await login('ghost@example.test', 'whatever it is', fromIp());
    expect(ghost.status).toBe(429);
  });

  it('security: per IP, login attempts for many accounts are cut off at the limit', async () => {
    const ip = { 'x-forwarded-for': '198.51.100.200, 10.0.0.1' };
    const keys = await authLimitKeys('login', '198.51.100.200', 'unused@example.test');
    for (let i = 0; i < AUTH_LIMITS.loginPerIp.limit - 1; i++)
      await rateLimit({ key: keys.ip, ...AUTH_LIMITS.loginPerIp });
    // The endpoint's own attempt uses the last unit, and the next one is refused.
    expect((await login('spray-1@example.test', 'whatever it is', ip)).status).toBe(401);
    const res = await login('spray-2@example.test', 'whatever it is', ip);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBe(15 * 60);
    // A different IP still gets through.
    expect((await login(account.email, account.password, fromIp())).status).toBe(200);
  });

  it('security: register is limited per email (3 an hour) and per IP (10 an hour)', async () => {
    const email = 'new-signup@example.test';
    const keys = await authLimitKeys('register', 'x', email);
    for (let i = 0; i < AUTH_LIMITS.registerPerAccount.limit - 1; i++)
      await rateLimit({ key: keys.account, ...AUTH_LIMITS.registerPerAccount });
    const body = { email, password: 'correct horse battery', name: 'New' };
    expect((await t.request('POST', '/api/auth/register', { json: body, headers: fromIp() })).status).toBe(
      202,
    );
    const limited = await t.request('POST', '/api/auth/register', { json: body, headers: fromIp() });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBe(3600);

    const ipKeys = await authLimitKeys('register', '198.51.100.201', 'unused@example.test');
    for (let i = 0; i < AUTH_LIMITS.registerPerIp.limit; i++)
      await rateLimit({ key: ipKeys.ip, ...AUTH_LIMITS.registerPerIp });
    const res = await t.request('POST', '/api/auth/register', {
      json: { email: 'other-signup@example.test', password: 'correct horse battery', name: 'Other' },
      headers: { 'x-real-ip': '198.51.100.201', 'x-forwarded-for': '198.51.100.201' },
    });
    expect(res.status).toBe(429);
  });

  it('happy: limits reset when the window ends', async () => {
    const keys = await authLimitKeys('login', 'x', account.email);
    for (let i = 0; i < AUTH_LIMITS.loginPerAccount.limit; i++)
      await rateLimit({ key: keys.account, ...AUTH_LIMITS.loginPerAccount });
    expect((await login(account.email, account.password, fromIp())).status).toBe(429);
    vi.setSystemTime(windowStart + AUTH_LIMITS.loginPerAccount.windowSeconds * 1000);
    expect((await login(account.email, account.password, fromIp())).status).toBe(200);
  });
});
