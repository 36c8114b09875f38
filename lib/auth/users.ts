import { eq } from 'drizzle-orm';
import { type Role, type User, users } from '../../db/schema.js';
import type { Db } from '../stores/sql/index.js';
import type { SessionUser } from './types.js';

/** User queries. Emails are stored and looked up lowercased and trimmed. */

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function toSessionUser(user: Pick<User, 'id' | 'email' | 'name' | 'role'>): SessionUser {
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

export async function getUserByEmail({ db, email }: { db: Db; email: string }): Promise<User | null> {
  const rows = await db
    .select()
    .from(users)
    .where(eq(users.email, normalizeEmail(email)))
    .limit(1);
  return rows[0] ?? null;
}

export async function getUserById({ db, id }: { db: Db; id: string }): Promise<User | null> {
  const rows = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return rows[0] ?? null;
}

/** Inserts a user; null when the email is taken (no error, so callers can answer uniformly). */
export async function insertUser({
  db,
  email,
  name,
  passwordHash,
  role,
}: {
  db: Db;
  email: string;
  name: string;
  passwordHash: string;
  role: Role;
}): Promise<User | null> {
  const rows = await db
    .insert(users)
    .values({ email: normalizeEmail(email), name, passwordHash, role })
    .onConflictDoNothing({ target: users.email })
    .returning();
  return rows[0] ?? null;
}

export async function setUserRole({
  db,
  id,
  role,
}: {
  db: Db;
  id: string;
  role: Role;
}): Promise<User | null> {
  const rows = await db
    .update(users)
    .set({ role, updatedAt: new Date() })
    .where(eq(users.id, id))
    .returning();
  return rows[0] ?? null;
}

export async function setUserPasswordHash({
  db,
  id,
  passwordHash,
}: {
  db: Db;
  id: string;
  passwordHash: string;
}): Promise<void> {
  await db.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, id));
}
