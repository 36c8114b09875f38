import { afterAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../lib/auth/cookies.js';
import { getOptionalUser, requireUser } from '../../lib/auth/guard.js';
import { createSession } from '../../lib/auth/sessions.js';
import { newSessionToken } from '../../lib/auth/tokens.js';
import type { SessionUser } from '../../lib/auth/types.js';
import { ApiError } from '../../lib/http/errors.js';
import { setCache } from '../../lib/stores/cache/index.js';
import { MemoryCache } from '../../lib/stores/cache/memory.js';

class CountingCache extends MemoryCache {
  gets = 0;
  override get<T>(key: string): Promise<T | null> {
    this.gets++;
    return super.get<T>(key);
  }
}

class DownCache extends MemoryCache {
  override get<T>(): Promise<T | null> {
    return Promise.reject(new Error('ECONNREFUSED'));
  }
}

const member: SessionUser = {
  id: '00000000-0000-4000-8000-000000000001',
  email: 'm@example.dev',
  name: 'M',
  role: 'member',
};
const admin: SessionUser = {
  id: '00000000-0000-4000-8000-000000000002',
  email: 'a@example.dev',
  name: 'A',
  role: 'admin',
};

const cache = new CountingCache();
setCache(cache);
afterAll(() => setCache(undefined));

const bearer = (token: string) =>
  new Request('http://localhost/api/x', { headers: { authorization: `Bearer ${token}` } });

async function status(p: Promise<unknown>): Promise<number> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (err === null) return 200;
  if (err instanceof ApiError) return err.status;
  throw err;
}

describe('requireUser', () => {
  it('happy: a member session satisfies no role and the member role, and returns the user', async () => {
    const { token } = await createSession({ cache, user: member });
    expect(await requireUser(bearer(token))).toEqual(member);
    expect(await requireUser(bearer(token), { role: 'member' })).toEqual(member);
  });

  it('happy: an admin satisfies both member and admin', async () => {
    const { token } = await createSession({ cache, user: admin });
    expect(await requireUser(bearer(token), { role: 'member' })).toEqual(admin);
    expect(await requireUser(bearer(token), { role: 'admin' })).toEqual(admin);
  });

  it('security: a member asking for admin is 403 forbidden', async () => {
    const { token } = await createSession({ cache, user: member });
    const err = (await requireUser(bearer(token), { role: 'admin' }).catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('forbidden');
    expect(err.status).toBe(403);
  });

  it('security: no token, a malformed one, an unknown one and a Basic header are all 401 unauthorized', async () => {
    const cases = [
      new Request('http://localhost/api/x'),
      bearer('not-a-token'),
      bearer(newSessionToken()),
      new Request('http://localhost/api/x', { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }),
    ];
    for (const req of cases) {
      const err = (await requireUser(req, { role: 'member' }).catch((e: unknown) => e)) as ApiError;
      expect(err.code).toBe('unauthorized');
    }
  });

  it('happy: the session cookie works like the Bearer header', async () => {
    const { token } = await createSession({ cache, user: member });
    const req = new Request('http://localhost/api/x', { headers: { cookie: `${SESSION_COOKIE}=${token}` } });
    expect(await status(requireUser(req))).toBe(200);
  });

  it('happy: one cache lookup per request, however many times the guards run on it', async () => {
    const { token } = await createSession({ cache, user: admin });
    const req = bearer(token);
    const before = cache.gets;
    await requireUser(req);
    await requireUser(req, { role: 'admin' });
    await getOptionalUser(req);
    expect(cache.gets - before).toBe(1);
  });

  it('error: a cache outage is 503 for requireUser and anonymous for getOptionalUser', async () => {
    setCache(new DownCache());
    try {
      const token = newSessionToken();
      expect(await status(requireUser(bearer(token)))).toBe(503);
      expect(await getOptionalUser(bearer(token))).toBeNull();
    } finally {
      setCache(cache);
    }
  });
});

describe('getOptionalUser', () => {
  it('happy: the user with a valid session, null without or with a bad one', async () => {
    const { token } = await createSession({ cache, user: member });
    expect(await getOptionalUser(bearer(token))).toEqual(member);
    expect(await getOptionalUser(new Request('http://localhost/api/x'))).toBeNull();
    expect(await getOptionalUser(bearer(newSessionToken()))).toBeNull();
  });
});
