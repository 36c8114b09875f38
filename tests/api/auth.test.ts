import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { users } from '../../db/schema.js';
import { registerMember } from '../../lib/auth/accounts.js';
import { SESSION_COOKIE } from '../../lib/auth/cookies.js';
import { TEST_ONLY_HASH_PARAMS } from '../../lib/auth/password.js';
import { IDLE_TTL_SECONDS } from '../../lib/auth/sessions.js';
import { newSessionToken } from '../../lib/auth/tokens.js';
import { configureLog } from '../../lib/log.js';
import type { Cache } from '../../lib/stores/cache/index.js';
import { MemoryCache } from '../../lib/stores/cache/memory.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

const DAY = 24 * 3600 * 1000;
let ipCounter = 0;
/** A fresh client IP per call, so tests that are not about rate limits never share a bucket. */
const fromIp = () => ({ 'x-forwarded-for': `192.0.2.${++ipCounter}` });

interface ErrorBody {
  error: { code: string; message: string; issues?: { path: string; message: string }[] };
}

describe('auth endpoints', () => {
  let t: TestApp;
  /** A member with a cheap (test-only) hash, for tests about sessions rather than hashing. */
  const cheap = { email: 'cheap@example.test', password: 'a-long-test-passphrase' };

  async function login(email: string, password: string, headers: Record<string, string> = {}) {
    return t.request('POST', '/api/auth/login', {
      json: { email, password },
      headers: { ...fromIp(), ...headers },
    });
  }
  async function loginToken(): Promise<string> {
    const res = await login(cheap.email, cheap.password);
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  }
  const me = (headers: Record<string, string>) => t.request('GET', '/api/auth/me', { headers });

  beforeAll(async () => {
    // Reads Date.now on every call, so tests that fake Date move the cache's clock too.
    t = await createTestApp({ cache: new MemoryCache(() => Date.now()) });
    await registerMember({ db: t.sql.db, ...cheap, name: 'Cheap', hashParams: TEST_ONLY_HASH_PARAMS });
  });
  afterAll(() => t.close());
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('POST /api/auth/register', () => {
    it('happy: creates a member with a lowercased email and a production scrypt hash; no session issued', async () => {
      const res = await t.request('POST', '/api/auth/register', {
        json: {
          email: '  New.Person@Example.TEST ',
          password: 'correct horse battery staple',
          name: ' New Person ',
        },
        headers: fromIp(),
      });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ status: 'accepted', message: expect.any(String) });
      expect(res.headers.get('set-cookie')).toBeNull();
      const [row] = await t.sql.db.select().from(users).where(eq(users.email, 'new.person@example.test'));
      expect(row).toMatchObject({ name: 'New Person', role: 'member' });
      expect(row?.passwordHash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$/);

      const loggedIn = await login('new.person@example.test', 'correct horse battery staple');
      expect(loggedIn.status).toBe(200);
    });

    it('security: a taken email answers exactly like a new one and changes nothing', async () => {
      const [before] = await t.sql.db.select().from(users).where(eq(users.email, cheap.email));
      const res = await t.request('POST', '/api/auth/register', {
        json: { email: cheap.email.toUpperCase(), password: 'another long password', name: 'Intruder' },
        headers: fromIp(),
      });
      const fresh = await t.request('POST', '/api/auth/register', {
        json: { email: 'someone-else@example.test', password: 'another long password', name: 'Someone' },
        headers: fromIp(),
      });
      expect(res.status).toBe(fresh.status);
      expect(await res.json()).toEqual(await fresh.json());
      expect(res.headers.get('set-cookie')).toBeNull();
      const [after] = await t.sql.db.select().from(users).where(eq(users.email, cheap.email));
      expect(after).toEqual(before);
      expect(await login(cheap.email, 'another long password').then((r) => r.status)).toBe(401);
    });

    it('security: the role cannot be chosen (unknown fields are refused)', async () => {
      const res = await t.request('POST', '/api/auth/register', {
        json: { email: 'sneaky@example.test', password: 'correct horse battery', name: 'S', role: 'admin' },
        headers: fromIp(),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as ErrorBody).error.code).toBe('validation_failed');
      expect(await t.sql.db.select().from(users).where(eq(users.email, 'sneaky@example.test'))).toEqual([]);
    });

    it('error: short, overlong and common passwords are 400 naming the password field', async () => {
      for (const password of ['short', 'x'.repeat(257), 'password1234password']) {
        const res = await t.request('POST', '/api/auth/register', {
          json: { email: 'weak@example.test', password, name: 'Weak' },
          headers: fromIp(),
        });
        expect(res.status).toBe(400);
        const body = (await res.json()) as ErrorBody;
        expect(body.error.issues?.map((i) => i.path)).toContain('password');
      }
    });

    it('error: malformed bodies are 4xx with the error shape, never 5xx', async () => {
      const cases: [{ body: string; headers: Record<string, string> }, number, string][] = [
        [{ body: '{"email":', headers: { 'content-type': 'application/json' } }, 400, 'invalid_json'],
        [
          { body: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
          415,
          'unsupported_media_type',
        ],
        [{ body: '[]', headers: { 'content-type': 'application/json' } }, 400, 'validation_failed'],
        [
          {
            body: '{"email":5,"password":true,"name":null}',
            headers: { 'content-type': 'application/json' },
          },
          400,
          'validation_failed',
        ],
        [
          {
            body: '{"email":"not-an-email","password":"correct horse battery","name":"x"}',
            headers: { 'content-type': 'application/json' },
          },
          400,
          'validation_failed',
        ],
        [
          {
            body: JSON.stringify({ email: 'a@b.co', password: 'p'.repeat(5000), name: 'x' }),
            headers: { 'content-type': 'application/json' },
          },
          413,
          'payload_too_large',
        ],
      ];
      for (const [init, status, code] of cases) {
        const res = await t.request('POST', '/api/auth/register', {
          body: init.body,
          headers: { ...init.headers, ...fromIp() },
        });
        expect(res.status).toBe(status);
        expect(((await res.json()) as ErrorBody).error.code).toBe(code);
      }
    });
  });

  describe('POST /api/auth/login', () => {
    it('happy: returns the user and a token, and sets it as an HttpOnly, Secure, SameSite=Lax cookie', async () => {
      const res = await login(' CHEAP@example.test ', cheap.password);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { user: Record<string, unknown>; token: string; expiresAt: string };
      expect(body.user).toEqual({
        id: expect.any(String),
        email: cheap.email,
        name: 'Cheap',
        role: 'member',
      });
      expect(body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(new Date(body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * DAY);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const cookie = res.headers.get('set-cookie') ?? '';
      expect(cookie.startsWith(`${SESSION_COOKIE}=${body.token};`)).toBe(true);
      for (const attr of ['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/']) expect(cookie).toContain(attr);

      expect((await me({ authorization: `Bearer ${body.token}` })).status).toBe(200);
      const viaCookie = await me({ cookie: `${SESSION_COOKIE}=${body.token}` });
      expect(await viaCookie.json()).toEqual({ user: body.user });
    });

    it('security: a wrong password and an unknown email get the same status and body', async () => {
      const wrong = await login(cheap.email, 'not the right password');
      const unknown = await login('nobody-here@example.test', 'not the right password');
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(await wrong.json()).toEqual(await unknown.json());
      expect(wrong.headers.get('set-cookie')).toBeNull();
      expect(unknown.headers.get('set-cookie')).toBeNull();
    });

    it('security: every login issues a new token (two logins, two different live sessions)', async () => {
      const a = await loginToken();
      const b = await loginToken();
      expect(a).not.toBe(b);
      expect((await me({ authorization: `Bearer ${a}` })).status).toBe(200);
      expect((await me({ authorization: `Bearer ${b}` })).status).toBe(200);
    });

    it('security (fixation): a token planted before login is never the session afterwards', async () => {
      const planted = newSessionToken();
      const res = await login(cheap.email, cheap.password, { cookie: `${SESSION_COOKIE}=${planted}` });
      const { token } = (await res.json()) as { token: string };
      expect(token).not.toBe(planted);
      expect(res.headers.get('set-cookie')).not.toContain(planted);
      expect((await me({ cookie: `${SESSION_COOKIE}=${planted}` })).status).toBe(401);
      expect((await me({ cookie: `${SESSION_COOKIE}=${token}` })).status).toBe(200);
    });

    it('security: a live session carried into a login is ended and replaced (rotation)', async () => {
      const old = await loginToken();
      const res = await login(cheap.email, cheap.password, { authorization: `Bearer ${old}` });
      const { token } = (await res.json()) as { token: string };
      expect((await me({ authorization: `Bearer ${old}` })).status).toBe(401);
      expect((await me({ authorization: `Bearer ${token}` })).status).toBe(200);
    });

    it('error: malformed bodies are 4xx with the error shape', async () => {
      const bodies = [
        '',
        'null',
        '{"email":"a@b.co"}',
        '{"email":"a@b.co","password":""}',
        '{"email":"a@b.co","password":"x","extra":1}',
      ];
      for (const body of bodies) {
        const res = await t.request('POST', '/api/auth/login', {
          body,
          headers: { 'content-type': 'application/json', ...fromIp() },
        });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(((await res.json()) as ErrorBody).error.code).toMatch(/invalid_json|validation_failed/);
      }
      expect((await t.request('GET', '/api/auth/login')).status).toBe(405);
    });
  });

  describe('GET /api/auth/me and POST /api/auth/logout', () => {
    it('error: anonymous, garbage and unknown tokens are 401 with the error shape', async () => {
      const variants: Record<string, string>[] = [
        {},
        { authorization: 'Bearer garbage' },
        { authorization: `Bearer ${newSessionToken()}` },
      ];
      for (const headers of variants) {
        const res = await me(headers);
        expect(res.status).toBe(401);
        expect(((await res.json()) as ErrorBody).error.code).toBe('unauthorized');
      }
    });

    it('security: after logout the token is dead (401) and the cookie is cleared', async () => {
      const token = await loginToken();
      const out = await t.request('POST', '/api/auth/logout', {
        headers: { cookie: `${SESSION_COOKIE}=${token}` },
      });
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=; .*Max-Age=0`));
      expect((await me({ authorization: `Bearer ${token}` })).status).toBe(401);
      expect((await me({ cookie: `${SESSION_COOKIE}=${token}` })).status).toBe(401);
    });

    it('happy: logout without a session is a harmless 204', async () => {
      expect((await t.request('POST', '/api/auth/logout')).status).toBe(204);
    });

    it('security: a session idle longer than the idle TTL is 401; one used regularly lives on', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.UTC(2030, 0, 1));
      const idle = await loginToken();
      const active = await loginToken();
      for (let i = 0; i < 2; i++) {
        vi.setSystemTime(Date.now() + 5 * DAY);
        expect((await me({ authorization: `Bearer ${active}` })).status).toBe(200);
      }
      vi.setSystemTime(Date.now() + IDLE_TTL_SECONDS * 1000 - 10 * DAY + 1000); // idle is now 7 days + 1 s old
      expect((await me({ authorization: `Bearer ${idle}` })).status).toBe(401);
      expect((await me({ authorization: `Bearer ${active}` })).status).toBe(200);
    });

    it('security: the session token never appears in logs, nor in bodies other than the login answer', async () => {
      const lines: string[] = [];
      configureLog({ level: 'debug', sink: (line) => lines.push(line) });
      try {
        const res = await login(cheap.email, cheap.password);
        const { token } = (await res.json()) as { token: string };
        const auth = { authorization: `Bearer ${token}` };
        const bodies = [
          await me(auth).then((r) => r.text()),
          await login(cheap.email, 'wrong password!', auth).then((r) => r.text()),
          await t.request('POST', '/api/auth/logout', { headers: auth }).then((r) => r.text()),
          await me(auth).then((r) => r.text()),
        ];
        expect(lines.length).toBeGreaterThan(0);
        for (const text of [...lines, ...bodies]) expect(text).not.toContain(token);
      } finally {
        configureLog({ level: 'silent' });
      }
    });
  });
});

describe('auth with the cache store down', () => {
  let t: TestApp;
  beforeAll(async () => {
    const down = new MemoryCache();
    const fail = () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379'));
    down.get = fail;
    down.set = fail;
    down.incr = fail;
    down.del = fail;
    t = await createTestApp({ cache: down as Cache });
  });
  afterAll(() => t.close());

  it('error: login, register, me and logout answer 503 with Retry-After, never 500, and login fails closed', async () => {
    const calls: [string, string, Record<string, unknown>][] = [
      ['POST', '/api/auth/login', { json: { email: 'a@example.test', password: 'whatever pass' } }],
      [
        'POST',
        '/api/auth/register',
        { json: { email: 'a@example.test', password: 'correct horse battery', name: 'A' } },
      ],
      ['GET', '/api/auth/me', { headers: { authorization: `Bearer ${newSessionToken()}` } }],
      ['POST', '/api/auth/logout', { headers: { authorization: `Bearer ${newSessionToken()}` } }],
    ];
    for (const [method, path, init] of calls) {
      const res = await t.request(method, path, init);
      expect(res.status, path).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(((await res.json()) as ErrorBody).error.code).toBe('service_unavailable');
    }
  });
});
