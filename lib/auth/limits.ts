import { enforceRateLimit } from '../http/rate-limit.js';
import { sha256Hex } from './tokens.js';

/**
 * Rate limits for login and register, per client IP and per account (email). Both fail closed: when
 * the cache is down, sessions cannot be stored either, so login could not succeed anyway, and an
 * unlimited caller is exactly what these limits exist to stop (password guessing, email enumeration,
 * mass sign-ups). The per-account limit also lets anyone slow down one account's logins for a window;
 * short windows keep that cheap to sit out, and the per-IP limit stops one source doing it at scale.
 */
export const AUTH_LIMITS = {
  loginPerIp: { limit: 30, windowSeconds: 15 * 60 },
  loginPerAccount: { limit: 10, windowSeconds: 15 * 60 },
  registerPerIp: { limit: 10, windowSeconds: 60 * 60 },
  registerPerAccount: { limit: 3, windowSeconds: 60 * 60 },
} as const;

/** The cache keys the limiter counts under (emails hashed: the cache holds no addresses). */
export async function authLimitKeys(
  action: 'login' | 'register',
  ip: string,
  email: string,
): Promise<{ ip: string; account: string }> {
  const account = (await sha256Hex(email.trim().toLowerCase())).slice(0, 32);
  return { ip: `${action}:ip:${ip}`, account: `${action}:acct:${account}` };
}

const MESSAGE = 'Too many attempts. Please wait and try again.';

/** Throws 429 (or 503 if the cache is down) when either limit is exceeded; both count every attempt. */
export async function limitAuthAttempt(
  action: 'login' | 'register',
  ip: string,
  email: string,
): Promise<void> {
  const keys = await authLimitKeys(action, ip, email);
  const perIp = action === 'login' ? AUTH_LIMITS.loginPerIp : AUTH_LIMITS.registerPerIp;
  const perAccount = action === 'login' ? AUTH_LIMITS.loginPerAccount : AUTH_LIMITS.registerPerAccount;
  await Promise.all([
    enforceRateLimit({ key: keys.ip, ...perIp, onCacheError: 'closed', message: MESSAGE }),
    enforceRateLimit({ key: keys.account, ...perAccount, onCacheError: 'closed', message: MESSAGE }),
  ]);
}
