import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSampleContent } from '../../lib/content/seed.js';
import { ADMIN_ROUTES } from '../helpers/admin-routes.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createUserAndLogin } from '../helpers/auth.js';

describe('admin authorization matrix', () => {
  let t: TestApp;
  let admin: Record<string, string>;
  let member: Record<string, string>;
  beforeAll(async () => {
    t = await createTestApp();
    await seedSampleContent({ sql: t.sql });
    admin = (await createUserAndLogin(t, { role: 'admin' })).headers;
    member = (await createUserAndLogin(t, { role: 'member' })).headers;
  });
  afterAll(() => t.close());

  ADMIN_ROUTES.forEach((route, n) => {
    const label = `${route.method} ${route.path(n)}`;
    const send = (headers: Record<string, string>) =>
      t.request(route.method, route.path(n), {
        headers: { ...route.headers, ...headers },
        ...(route.body ? { json: route.body(n) } : {}),
      });

    it(`security: ${label} is 401 for anonymous callers`, async () => {
      const res = await send({});
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    });

    it(`security: ${label} is 403 for members`, async () => {
      const res = await send(member);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    });

    it(`happy: ${label} succeeds for admins`, async () => {
      await route.prepare?.(t, admin, n);
      const res = await send(admin);
      expect(res.status, await res.clone().text()).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(300);
    });
  });

  it('security: a forged bearer token is 401 everywhere', async () => {
    for (const [n, route] of ADMIN_ROUTES.entries()) {
      const res = await t.request(route.method, route.path(n), {
        headers: { authorization: 'Bearer forged-token-value', ...route.headers },
        ...(route.body ? { json: route.body(n) } : {}),
      });
      expect(res.status).toBe(401);
    }
  });
});
