import type { Role } from '../../db/schema.js';

export type { Role } from '../../db/schema.js';

/** The caller behind a valid session, as handlers see it. */
export interface SessionUser {
  id: string;
  /** Lowercased. */
  email: string;
  name: string;
  role: Role;
}

/**
 * The roles, repeated here so modules on the request path need not import db/schema.ts (and with it
 * drizzle-orm) at runtime; the `satisfies` checks keep the two lists equal.
 */
export const ROLE_NAMES = ['member', 'admin'] as const satisfies readonly Role[];
const _everyRoleListed: Role extends (typeof ROLE_NAMES)[number] ? true : never = true;
void _everyRoleListed;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;
