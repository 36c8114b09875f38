import { timebox } from '../cache/timebox.js';
import { log } from '../log.js';
import { getCache } from '../stores/cache/index.js';
import type { Cache } from '../stores/cache/types.js';
import { ApiError } from './errors.js';

/**
 * Fixed-window rate limiting on the cache store: one `INCR` (with the expiry set on the first hit, in
 * the same round trip) per check. Windows are aligned to the clock (`floor(now / window)`), so the
 * reset time is known without asking the store for a TTL. A burst across a window edge can reach
 * twice the limit; that is the price of one round trip, and fine for abuse control.
 *
 * When the cache is down: `onCacheError: 'open'` (the default) lets the request through and logs it,
 * the right choice for reads of public data (a cache outage must not take the site down);
 * `'closed'` answers 503, for endpoints where an unlimited caller is the danger (login, register).
 */

const RATE_LIMIT_TIMEOUT_MS = 500;

export interface RateLimitOptions {
  /** What is limited, e.g. `login:ip:203.0.113.7`. Namespaced under `rl:` in the store. */
  key: string;
  /** Requests allowed per window. */
  limit: number;
  windowSeconds: number;
  /** Cost of this request (default 1), e.g. tokens used. */
  cost?: number;
  onCacheError?: 'open' | 'closed';
  /** Budget for the cache round trip (default 500 ms); past it the cache counts as down. */
  timeoutMs?: number;
  /** Defaults to the process's cache store. */
  cache?: Cache;
  now?: () => number;
}

export interface RateLimitResult {
  /** False when this request is over the limit. */
  ok: boolean;
  /** Requests left in this window after this one. */
  remaining: number;
  /** Seconds until the window resets (at least 1). */
  resetSeconds: number;
  limit: number;
  /** True when the cache could not be reached and the limiter failed open. */
  degraded?: boolean;
}

export async function rateLimit(options: RateLimitOptions): Promise<RateLimitResult> {
  const { limit, windowSeconds } = options;
  const nowMs = (options.now ?? Date.now)();
  const windowMs = windowSeconds * 1000;
  const window = Math.floor(nowMs / windowMs);
  const resetSeconds = Math.max(1, Math.ceil(((window + 1) * windowMs - nowMs) / 1000));
  let count: number;
  try {
    const cache = options.cache ?? (await getCache());
    // Expire a second after the window ends: the key never dies while its window is live.
    // Time-boxed: a slow cache is a down cache here (fail open or closed), never a request that hangs.
    count = await timebox(
      cache.incr(`rl:${options.key}:${window}`, { ttlSeconds: resetSeconds + 1, by: options.cost ?? 1 }),
      options.timeoutMs ?? RATE_LIMIT_TIMEOUT_MS,
    );
  } catch (err) {
    if (options.onCacheError === 'closed') {
      log.error('rate limiter unavailable; refusing (fail closed)', { key: options.key, err });
      throw new ApiError(
        'service_unavailable',
        'This is temporarily unavailable. Please try again shortly.',
        {
          headers: { 'retry-after': '5' },
          cause: err,
        },
      );
    }
    log.warn('rate limiter unavailable; allowing (fail open)', { key: options.key, err });
    return { ok: true, remaining: limit, resetSeconds, limit, degraded: true };
  }
  return { ok: count <= limit, remaining: Math.max(0, limit - count), resetSeconds, limit };
}

/**
 * Checks a limit and throws ApiError 429 `rate_limited` with `Retry-After` when it is exceeded.
 * Returns the result otherwise, for `rateLimitHeaders`.
 */
export async function enforceRateLimit(
  options: RateLimitOptions & { message?: string },
): Promise<RateLimitResult> {
  const result = await rateLimit(options);
  if (!result.ok) {
    throw new ApiError('rate_limited', options.message ?? 'Too many requests. Please wait and try again.', {
      headers: { 'retry-after': String(result.resetSeconds), ...rateLimitHeaders(result) },
    });
  }
  return result;
}

/** `RateLimit-*` headers (IETF draft) describing a result, for successful responses too. */
export function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  return {
    'ratelimit-limit': String(result.limit),
    'ratelimit-remaining': String(result.remaining),
    'ratelimit-reset': String(result.resetSeconds),
  };
}
