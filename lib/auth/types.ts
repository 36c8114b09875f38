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
