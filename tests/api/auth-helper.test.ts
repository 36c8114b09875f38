import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createUserAndLogin } from '../helpers/auth.js';

describe('tests/helpers/auth createUserAndLogin', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('happy: a member logs in and the Bearer header authenticates as that member', async () => {
    const member = await createUserAndLogin(t, { role: 'member' });
    expect(member.user.role).toBe('member');
    const res = await t.request('GET', '/api/auth/me', { headers: member.headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: member.user });
  });

  it('happy: an admin is created through ensureAdmin and logs in as admin, with the email given', async () => {
    const admin = await createUserAndLogin(t, { role: 'admin', email: 'Owner@Example.test' });
    expect(admin.user).toMatchObject({ role: 'admin', email: 'owner@example.test' });
    const res = await t.request('GET', '/api/auth/me', { headers: admin.headers });
    expect(((await res.json()) as { user: { role: string } }).user.role).toBe('admin');
  });

  it('error: an email that already exists is refused loudly rather than logging in as someone else', async () => {
    await createUserAndLogin(t, { role: 'member', email: 'twice@example.test' });
    await expect(createUserAndLogin(t, { role: 'member', email: 'twice@example.test' })).rejects.toThrow(
      /already exists/,
    );
  });
});
