import * as z from 'zod';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, ROLE_NAMES } from './types.js';

/** Request and response schemas of the auth endpoints (validation and OpenAPI docs). */

export const emailSchema = z.string().trim().toLowerCase().max(254).pipe(z.email());

export const userSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  role: z.enum(ROLE_NAMES),
});

export const registerBody = z
  .object({
    email: emailSchema,
    password: z.string().min(PASSWORD_MIN_LENGTH).max(PASSWORD_MAX_LENGTH),
    name: z.string().trim().min(1).max(100),
  })
  .strict();

export const registerResponse = z.object({ status: z.literal('accepted'), message: z.string() });

export const loginBody = z
  .object({
    email: emailSchema,
    password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
  })
  .strict();

export const loginResponse = z.object({
  user: userSchema,
  /** The session token, also set as the cookie; send it as `Authorization: Bearer <token>`. */
  token: z.string(),
  /** Absolute expiry (ISO 8601); the session also ends after 7 idle days. */
  expiresAt: z.string(),
});

export const meResponse = z.object({ user: userSchema });
