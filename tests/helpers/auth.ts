import { randomBytes } from 'node:crypto';
import { ensureAdmin, registerMember } from '../../lib/auth/accounts.js';
import type { SessionUser } from '../../lib/auth/guard.js';
import { TEST_ONLY_HASH_PARAMS } from '../../lib/auth/password.js';
import type { TestApp } from './app.js';

export interface LoggedIn {
  /** The session token (Bearer). */
  token: string;
  /** `{ authorization: 'Bearer <token>' }`, to spread into request headers. */
  headers: Record<string, string>;
  user: SessionUser;
  password: string;
}

let counter = 0;

/**
 * Creates a user and logs in through the real `POST /api/auth/login`. Admins are created by the code
 * `npm run admin:create` runs (`ensureAdmin`), members by the code register runs (`registerMember`).
 * Passwords are hashed with TEST_ONLY_HASH_PARAMS (explicit and test-only: a production-cost hash
 * takes about 1 s here); login still runs the production verification path, which reads the
 * parameters from the stored hash. Each call logs in from its own IP so suites creating many users
 * do not hit the per-IP login limit.
 */
export async function createUserAndLogin(
  t: TestApp,
  options: { role: 'member' | 'admin'; email?: string; name?: string },
): Promise<LoggedIn> {
  counter++;
  const email =
    options.email ??
    `${options.role}-${process.pid}-${counter}-${randomBytes(3).toString('hex')}@example.test`;
  const name = options.name ?? `Test ${options.role} ${counter}`;
  const password = `t3st-${randomBytes(12).toString('base64url')}`;
  const db = t.sql.db;
  if (options.role === 'admin') {
    const result = await ensureAdmin({
      db,
      email,
      name,
      password,
      actor: 'test',
      hashParams: TEST_ONLY_HASH_PARAMS,
    });
    if (result.action !== 'created')
      throw new Error(`createUserAndLogin: ${email} already exists (${result.action})`);
  } else {
    const result = await registerMember({ db, email, name, password, hashParams: TEST_ONLY_HASH_PARAMS });
    if (!result.created) throw new Error(`createUserAndLogin: ${email} already exists`);
  }
  const res = await t.request('POST', '/api/auth/login', {
    json: { email, password },
    headers: { 'x-forwarded-for': `198.51.100.${counter % 250}` },
  });
  if (res.status !== 200)
    throw new Error(`createUserAndLogin: login answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { token: string; user: SessionUser };
  return { token: body.token, headers: { authorization: `Bearer ${body.token}` }, user: body.user, password };
}
