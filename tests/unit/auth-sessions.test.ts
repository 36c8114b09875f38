import { describe, expect, it } from 'vitest';
import { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from '../../lib/auth/cookies.js';
import {
  ABSOLUTE_TTL_SECONDS,
  createSession,
  deleteSession,
  IDLE_TTL_SECONDS,
  readSession,
  sessionTokenFrom,
} from '../../lib/auth/sessions.js';
import { hashSessionToken, isSessionToken, newSessionToken } from '../../lib/auth/tokens.js';
import type { SessionUser } from '../../lib/auth/types.js';
import { clientIp } from '../../lib/http/client-ip.js';
import { MemoryCache } from '../../lib/stores/cache/memory.js';

const user: SessionUser = {
  id: '7d3c1c9e-0000-4000-8000-000000000001',
  email: 'ada@example.dev',
  name: 'Ada',
  role: 'member',
};
const DAY = 24 * 3600 * 1000;

function clock(start = Date.UTC(2025, 0, 1)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('session tokens', () => {
  it('happy: tokens are 32 random bytes in base64url (43 characters) and never repeat', () => {
    const tokens = new Set(Array.from({ length: 200 }, () => newSessionToken()));
    expect(tokens.size).toBe(200);
    for (const t of tokens) expect(isSessionToken(t)).toBe(true);
    expect(Buffer.from([...tokens][0] ?? '', 'base64url')).toHaveLength(32);
  });

  it('security: malformed tokens are recognised as such (no store lookup for them)', () => {
    for (const bad of [
      '',
      'abc',
      `${newSessionToken()}x`,
      'a'.repeat(42),
      `${'a'.repeat(42)}=`,
      '../../etc/passwd',
    ])
      expect(isSessionToken(bad)).toBe(false);
  });

  it('happy: the stored form is the SHA-256 of the token, in hex', async () => {
    expect(await hashSessionToken('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('sessions in the cache', () => {
  it('happy: a created session reads back with its user, and only the token hash is a key', async () => {
    const c = clock();
    const cache = new MemoryCache(c.now);
    const s = await createSession({ cache, user, now: c.now });
    expect(s.expiresAt.getTime()).toBe(c.now() + ABSOLUTE_TTL_SECONDS * 1000);
    expect((await readSession({ cache, token: s.token, now: c.now }))?.user).toEqual(user);
    expect(await cache.get(`session:${s.token}`)).toBeNull();
    expect(await cache.get(`session:${await hashSessionToken(s.token)}`)).not.toBeNull();
    expect(JSON.stringify(await cache.get(`session:${await hashSessionToken(s.token)}`))).not.toContain(
      s.token,
    );
  });

  it('error: unknown and malformed tokens read as no session', async () => {
    const cache = new MemoryCache();
    expect(await readSession({ cache, token: newSessionToken() })).toBeNull();
    expect(await readSession({ cache, token: 'not a token' })).toBeNull();
  });

  it('security: a session unused for longer than the idle TTL is gone', async () => {
    const c = clock();
    const cache = new MemoryCache(c.now);
    const s = await createSession({ cache, user, now: c.now });
    c.advance(IDLE_TTL_SECONDS * 1000 + 1000);
    expect(await readSession({ cache, token: s.token, now: c.now })).toBeNull();
  });

  it('happy: using a session pushes its idle expiry forward', async () => {
    const c = clock();
    const cache = new MemoryCache(c.now);
    const s = await createSession({ cache, user, now: c.now });
    for (let i = 0; i < 3; i++) {
      c.advance(6 * DAY);
      expect(await readSession({ cache, token: s.token, now: c.now })).not.toBeNull();
    }
  });

  it('security: the absolute expiry ends a session even when it is used every day', async () => {
    const c = clock();
    const cache = new MemoryCache(c.now);
    const s = await createSession({ cache, user, now: c.now });
    let alive = 0;
    for (let day = 1; day <= 31; day++) {
      c.advance(DAY);
      if (await readSession({ cache, token: s.token, now: c.now })) alive = day;
    }
    expect(alive).toBe(29);
  });

  it('security: the record clocks end a session even if the store kept it past its TTL', async () => {
    const storeClock = clock();
    const cache = new MemoryCache(storeClock.now); // the store's clock never moves: it never expires keys
    const app = clock();
    const s = await createSession({ cache, user, now: app.now });
    app.advance(IDLE_TTL_SECONDS * 1000 + 1);
    expect(await readSession({ cache, token: s.token, now: app.now })).toBeNull();
  });

  it('happy: deleting a session ends it; deleting again or an unknown token is fine', async () => {
    const cache = new MemoryCache();
    const s = await createSession({ cache, user });
    await deleteSession({ cache, token: s.token });
    expect(await readSession({ cache, token: s.token })).toBeNull();
    await expect(deleteSession({ cache, token: s.token })).resolves.toBeUndefined();
    await expect(deleteSession({ cache, token: 'junk' })).resolves.toBeUndefined();
  });
});

describe('reading the token from a request', () => {
  const req = (headers: Record<string, string>) => new Request('http://localhost/api/auth/me', { headers });

  it('happy: Bearer and the session cookie are both accepted; Bearer wins when both are sent', () => {
    expect(sessionTokenFrom(req({ authorization: 'Bearer abc' }))).toBe('abc');
    expect(sessionTokenFrom(req({ cookie: `theme=dark; ${SESSION_COOKIE}=xyz; other=1` }))).toBe('xyz');
    expect(sessionTokenFrom(req({ authorization: 'bearer abc', cookie: `${SESSION_COOKIE}=xyz` }))).toBe(
      'abc',
    );
  });

  it('error: other schemes and absent credentials give no token', () => {
    expect(sessionTokenFrom(req({ authorization: 'Basic dXNlcjpwYXNz' }))).toBeNull();
    expect(sessionTokenFrom(req({ cookie: 'polyfolio_session=xyz' }))).toBeNull();
    expect(sessionTokenFrom(req({}))).toBeNull();
  });

  it('security: the cookie is HttpOnly, Secure, SameSite=Lax, host-only on Path=/, and clearing expires it', () => {
    const set = sessionCookie('tok', 60);
    expect(set).toBe(`${SESSION_COOKIE}=tok; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax`);
    expect(SESSION_COOKIE.startsWith('__Host-')).toBe(true);
    expect(set).not.toMatch(/Domain=/i);
    expect(clearedSessionCookie()).toMatch(/Max-Age=0; HttpOnly; Secure; SameSite=Lax/);
    expect(readCookie('a=1; b=2', 'b')).toBe('2');
    expect(readCookie(null, 'b')).toBeNull();
  });
});

describe('clientIp', () => {
  const req = (headers: Record<string, string>) => new Request('http://localhost/', { headers });

  it('happy: the first x-forwarded-for hop, then x-real-ip, else unknown', () => {
    expect(clientIp(req({ 'x-forwarded-for': '203.0.113.9, 10.0.0.1', 'x-real-ip': '10.0.0.2' }))).toBe(
      '203.0.113.9',
    );
    expect(clientIp(req({ 'x-real-ip': '2001:db8::1' }))).toBe('2001:db8::1');
    expect(clientIp(req({ 'x-forwarded-for': ' , ' }))).toBe('unknown');
    expect(clientIp(req({}))).toBe('unknown');
  });

  it('security: an absurdly long header is cut, so it cannot bloat rate-limit keys', () => {
    expect(clientIp(req({ 'x-forwarded-for': 'a'.repeat(5000) }))).toHaveLength(64);
  });
});
