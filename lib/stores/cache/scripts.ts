/**
 * Lua scripts shared by the Redis and Upstash cache adapters. Plain scripts without shebang flags:
 * Redis 7.0 rejects some flags that newer servers accept (DESIGN section 6).
 */

/** INCRBY, and set the expiry only when the key has none (the first increment of a window). */
export const INCR_WITH_EXPIRY = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n
`;

/** Deletes the lock only while it still holds this holder's token (a lock that expired and was retaken stays). */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Values are stored as JSON text; a value written by something else that is not JSON comes back as text. */
export function parseStored<T>(raw: string | null | undefined): T | null {
  if (raw === null || raw === undefined) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return raw as T;
  }
}

/** PTTL's answer as the port's seconds: -2 (missing) and -1 (no expiry) are null. */
export function ttlSeconds(pttl: number): number | null {
  return pttl < 0 ? null : Math.ceil(pttl / 1000);
}
