import { auditLog, type User } from '../../db/schema.js';
import type { Db } from '../stores/sql/index.js';
import { hashPassword, PASSWORD_HASH_PARAMS, passwordProblem, type ScryptParams } from './password.js';
import { getUserByEmail, insertUser, normalizeEmail, setUserRole } from './users.js';

/** Account creation shared by `POST /api/auth/register`, `npm run admin:create` and the test helper. */

export class WeakPasswordError extends Error {
  override readonly name = 'WeakPasswordError';
}

/**
 * Creates a member. Hashes the password even when the email is taken, so both outcomes take the same
 * time; `created: false` tells the caller (never the client) that nothing happened.
 * `hashParams` exists for the test helper only; production callers leave it unset.
 */
export async function registerMember(input: {
  db: Db;
  email: string;
  name: string;
  password: string;
  hashParams?: ScryptParams;
}): Promise<{ created: true; user: User } | { created: false }> {
  const problem = passwordProblem(input.password, input);
  if (problem) throw new WeakPasswordError(problem);
  const passwordHash = await hashPassword(input.password, input.hashParams ?? PASSWORD_HASH_PARAMS);
  const user = await insertUser({ ...input, passwordHash, role: 'member' });
  return user ? { created: true, user } : { created: false };
}

export type EnsureAdminResult =
  | { action: 'created'; user: User }
  | { action: 'promoted'; user: User }
  | { action: 'already_admin'; user: User };

/**
 * Makes `email` an admin: promotes the account if it exists (its name and password are left as they
 * are), otherwise creates it with `password` (refused if weak). Every change is written to the audit log.
 */
export async function ensureAdmin(input: {
  db: Db;
  email: string;
  name: string;
  /** Needed only when the account does not exist yet. */
  password?: string;
  actor?: string;
  hashParams?: ScryptParams;
}): Promise<EnsureAdminResult> {
  const { db } = input;
  const actor = input.actor ?? 'cli:admin-create';
  const existing = await getUserByEmail({ db, email: input.email });
  if (existing) {
    if (existing.role === 'admin') return { action: 'already_admin', user: existing };
    const user = (await setUserRole({ db, id: existing.id, role: 'admin' })) ?? existing;
    await audit(db, actor, 'user.promote', user.id, { from: existing.role, to: 'admin' });
    return { action: 'promoted', user };
  }
  if (input.password === undefined)
    throw new WeakPasswordError('A password is required to create the account.');
  const problem = passwordProblem(input.password, input);
  if (problem) throw new WeakPasswordError(problem);
  const passwordHash = await hashPassword(input.password, input.hashParams ?? PASSWORD_HASH_PARAMS);
  const user = await insertUser({
    db,
    email: normalizeEmail(input.email),
    name: input.name,
    passwordHash,
    role: 'admin',
  });
  // Lost a race with a concurrent creation of the same email: promote that one instead.
  if (!user) return ensureAdmin({ ...input, password: undefined });
  await audit(db, actor, 'user.create', user.id, { role: 'admin' });
  return { action: 'created', user };
}

async function audit(db: Db, actor: string, action: string, entityId: string, data: Record<string, unknown>) {
  await db.insert(auditLog).values({ actor, action, entity: 'user', entityId, data });
}
