import { timebox } from '../cache/timebox.js';
import { ApiError } from '../http/errors.js';
import { log } from '../log.js';
import { getCache } from '../stores/cache/index.js';
import { readSession, sessionTokenFrom } from './sessions.js';
import type { Role, SessionUser } from './types.js';

export type { SessionUser } from './types.js';

/**
 * Auth guards for handlers. One cache round trip per request (memoised per Request object, so calling
 * both guards, or one twice, costs one lookup). No SQL: the session record holds the user.
 */

/** Budget for the session lookup; a cache slower than this counts as down. */
const SESSION_LOOKUP_TIMEOUT_MS = 500;

const RANK: Record<Role, number> = { member: 1, admin: 2 };
const resolved = new WeakMap<Request, Promise<SessionUser | null>>();

/**
 * The signed-in user, or ApiError 401 `unauthorized` (no valid session) / 403 `forbidden` (role too
 * low; admin satisfies member). A cache outage answers 503: we cannot tell who is calling.
 */
export async function requireUser(request: Request, options: { role?: Role } = {}): Promise<SessionUser> {
  let user: SessionUser | null;
  try {
    user = await resolve(request);
  } catch (err) {
    log.error('session lookup failed', { err });
    throw new ApiError('service_unavailable', 'Sign-in is temporarily unavailable. Please try again.', {
      headers: { 'retry-after': '5' },
    });
  }
  if (!user) throw new ApiError('unauthorized', 'Sign in to do this.');
  if (options.role && RANK[user.role] < RANK[options.role]) {
    throw new ApiError('forbidden', 'You do not have permission to do this.');
  }
  return user;
}

/**
 * The signed-in user or null. For public endpoints that personalise: an invalid token or a cache
 * outage is treated as anonymous (logged), never an error, so public reads stay up.
 * With `unavailable: 'throw'` (endpoints whose answer depends on who the caller is, such as chat
 * history), a caller who presents a session token that cannot be checked gets 503 instead of being
 * served as someone else; a caller without a token is anonymous either way.
 */
export async function getOptionalUser(
  request: Request,
  options: { unavailable?: 'anonymous' | 'throw' } = {},
): Promise<SessionUser | null> {
  try {
    return await resolve(request);
  } catch (err) {
    if (options.unavailable === 'throw') {
      log.error('session lookup failed', { err });
      throw new ApiError('service_unavailable', 'Sign-in is temporarily unavailable. Please try again.', {
        headers: { 'retry-after': '5' },
      });
    }
    log.warn('session lookup failed; treating the caller as anonymous', { err });
    return null;
  }
}

function resolve(request: Request): Promise<SessionUser | null> {
  let pending = resolved.get(request);
  if (!pending) {
    pending = lookup(request);
    resolved.set(request, pending);
  }
  return pending;
}

async function lookup(request: Request): Promise<SessionUser | null> {
  const token = sessionTokenFrom(request);
  if (!token) return null;
  // Time-boxed: a slow cache must not hold the request until its deadline (503 or anonymous at once).
  const session = await timebox(
    (async () => readSession({ cache: await getCache(), token }))(),
    SESSION_LOOKUP_TIMEOUT_MS,
  );
  return session?.user ?? null;
}
