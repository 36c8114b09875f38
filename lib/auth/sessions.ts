import type { Cache } from '../stores/cache/types.js';
import { readCookie, SESSION_COOKIE } from './cookies.js';
import { hashSessionToken, isSessionToken, newSessionToken } from './tokens.js';
import type { SessionUser } from './types.js';

/**
 * Sessions live in the cache store under the SHA-256 of their token, so a leaked cache dump holds no
 * usable token. Each record carries an absolute expiry; the cache TTL is the idle timeout, refreshed
 * on use at most once per `REFRESH_AFTER_SECONDS` (one extra write an hour, not one per request).
 * The user is snapshotted in the record, so checking a session is one cache round trip and no SQL.
 * Losing the cache logs everyone out; it never lets anyone in.
 */

/** A session unused this long is gone. */
export const IDLE_TTL_SECONDS = 7 * 24 * 3600;
/** A session is gone this long after login, used or not. */
export const ABSOLUTE_TTL_SECONDS = 30 * 24 * 3600;
/** How stale `lastSeenAt` may get before a read pushes the idle expiry forward. */
export const REFRESH_AFTER_SECONDS = 3600;

export interface SessionRecord {
  user: SessionUser;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms: absolute expiry, never extended. */
  expiresAt: number;
  /** Epoch ms of the last idle-TTL refresh. */
  lastSeenAt: number;
}

export interface SessionDeps {
  cache: Cache;
  now?: () => number;
}

const sessionKey = (hash: string) => `session:${hash}`;

/** Starts a session for `user`: a new random token, stored only as its hash. */
export async function createSession(
  deps: SessionDeps & { user: SessionUser },
): Promise<{ token: string; expiresAt: Date; maxAgeSeconds: number }> {
  const now = (deps.now ?? Date.now)();
  const token = newSessionToken();
  const record: SessionRecord = {
    user: deps.user,
    createdAt: now,
    expiresAt: now + ABSOLUTE_TTL_SECONDS * 1000,
    lastSeenAt: now,
  };
  await deps.cache.set(sessionKey(await hashSessionToken(token)), record, {
    ttlSeconds: IDLE_TTL_SECONDS,
  });
  return { token, expiresAt: new Date(record.expiresAt), maxAgeSeconds: ABSOLUTE_TTL_SECONDS };
}

/** The live session for a token, or null (unknown, idle too long, past its absolute expiry). */
export async function readSession(deps: SessionDeps & { token: string }): Promise<SessionRecord | null> {
  if (!isSessionToken(deps.token)) return null;
  const now = (deps.now ?? Date.now)();
  const key = sessionKey(await hashSessionToken(deps.token));
  const record = await deps.cache.get<SessionRecord>(key);
  if (!record || typeof record !== 'object' || !record.user) return null;
  // The record's own clocks back up the cache TTL (a store without expiry must still end sessions).
  if (now >= record.expiresAt || now >= record.lastSeenAt + IDLE_TTL_SECONDS * 1000) {
    await deps.cache.del(key);
    return null;
  }
  if (now - record.lastSeenAt >= REFRESH_AFTER_SECONDS * 1000) {
    const refreshed: SessionRecord = { ...record, lastSeenAt: now };
    const left = Math.ceil((record.expiresAt - now) / 1000);
    await deps.cache.set(key, refreshed, { ttlSeconds: Math.min(IDLE_TTL_SECONDS, left) });
    return refreshed;
  }
  return record;
}

/** Ends a session; unknown tokens are fine (logout is idempotent). */
export async function deleteSession(deps: SessionDeps & { token: string }): Promise<void> {
  if (!isSessionToken(deps.token)) return;
  await deps.cache.del(sessionKey(await hashSessionToken(deps.token)));
}

/**
 * The session token a request carries: `Authorization: Bearer <token>` first, then the session
 * cookie. Null when neither is present.
 */
export function sessionTokenFrom(request: Request): string | null {
  const auth = request.headers.get('authorization');
  if (auth) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match?.[1]) return match[1];
  }
  return readCookie(request.headers.get('cookie'), SESSION_COOKIE);
}
