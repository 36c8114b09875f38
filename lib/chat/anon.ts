import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readCookie } from '../auth/cookies.js';
import { env } from '../env.js';
import { log } from '../log.js';

/**
 * Anonymous visitor ids: a random id signed with HMAC-SHA256 under SESSION_SECRET, in an HttpOnly
 * cookie, so a visitor keeps their chat history without an account and cannot claim another
 * visitor's id. Without SESSION_SECRET a random per-process secret is used (ids then last as long as
 * the process): fine for development, logged loudly in production.
 */

export const ANON_COOKIE = '__Host-polyfolio_anon';
const MAX_AGE_SECONDS = 365 * 24 * 3600;

let fallbackSecret: Buffer | undefined;

function secret(): Buffer {
  const configured = env().SESSION_SECRET;
  if (configured) return Buffer.from(configured, 'utf8');
  if (!fallbackSecret) {
    fallbackSecret = randomBytes(32);
    const message =
      'SESSION_SECRET is not set: anonymous chat ids are signed with a random per-process secret and will not survive a restart';
    if (env().NODE_ENV === 'production') log.error(message);
    else log.warn(message);
  }
  return fallbackSecret;
}

function sign(id: string): string {
  return createHmac('sha256', secret()).update(`anon:${id}`).digest('base64url');
}

/** A new signed anonymous id and the cookie value carrying it. */
export function newAnonymousId(random: () => Buffer = () => randomBytes(16)): { id: string; cookie: string } {
  const id = random().toString('base64url');
  return { id, cookie: anonCookie(`${id}.${sign(id)}`) };
}

/** The verified anonymous id from a request's cookie, or null (missing, malformed or forged). */
export function readAnonymousId(request: Request): string | null {
  const value = readCookie(request.headers.get('cookie'), ANON_COOKIE);
  if (!value) return null;
  const dot = value.indexOf('.');
  if (dot <= 0) return null;
  const id = value.slice(0, dot);
  if (!/^[\w-]{16,64}$/.test(id)) return null;
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(sign(id));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return id;
}

function anonCookie(value: string): string {
  return `${ANON_COOKIE}=${value}; Path=/; Max-Age=${MAX_AGE_SECONDS}; HttpOnly; Secure; SameSite=Lax`;
}

/** Who owns a conversation: a user id, or `anon:<id>`. */
export type Owner = { ownerId: string; userId: string | null; setCookie?: string };

/**
 * The caller as a conversation owner. `issue` creates an anonymous id when there is none (chat);
 * reads (history) pass false and get null instead.
 */
export function ownerFor(
  request: Request,
  user: { id: string } | null,
  options: { issue: boolean },
): Owner | null {
  if (user) return { ownerId: user.id, userId: user.id };
  const existing = readAnonymousId(request);
  if (existing) return { ownerId: `anon:${existing}`, userId: null };
  if (!options.issue) return null;
  const fresh = newAnonymousId();
  return { ownerId: `anon:${fresh.id}`, userId: null, setCookie: fresh.cookie };
}
