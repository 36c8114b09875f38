/**
 * Lua scripts shared by the Redis and Upstash cache adapters. Plain scripts without shebang flags:
 * Redis 7.0 rejects some flags that newer servers accept (DESIGN section 6).
 */
import type { VersionedRead, VersionedValue } from './types.js';

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

/**
 * The versioned read (`Cache.getVersioned`): GET the version, create it if missing and asked to, then
 * GET the entry whose key embeds it. KEYS[1] = version key; ARGV = entry prefix, entry suffix, the
 * JSON of a token to create ('' for none), its TTL in ms. Tokens are stored as JSON: a string's quotes
 * are dropped for the key (tokens are [0-9a-z], nothing to unescape). The entry key is built in the
 * script, so it is not declared in KEYS: fine on one Redis and on Upstash, not on Redis Cluster.
 */
export const GET_VERSIONED = `
local raw = redis.call('GET', KEYS[1])
if not raw then
  if ARGV[3] == '' then return {false, false} end
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
  return {ARGV[3], false}
end
local token = raw
if string.sub(raw, 1, 1) == '"' then token = string.sub(raw, 2, -2) end
return {raw, redis.call('GET', ARGV[1] .. token .. ARGV[2])}
`;

/** The script's arguments for a read (entry prefix and version key with the adapter's key prefix). */
export function versionedArgs(read: VersionedRead, keyPrefix: string): (string | number)[] {
  return [
    keyPrefix + read.entryPrefix,
    read.entrySuffix,
    read.init ? JSON.stringify(read.init.version) : '',
    read.init ? read.init.ttlSeconds * 1000 : 0,
  ];
}

/** The script's reply as the port's answer: the version token as text, the entry parsed. */
export function versionedReply<T>(reply: unknown): VersionedValue<T> {
  const [rawVersion, rawValue] = Array.isArray(reply) ? reply : [];
  const version = parseStored<unknown>(typeof rawVersion === 'string' ? rawVersion : null);
  return {
    version: version === null ? null : String(version),
    value: parseStored<T>(typeof rawValue === 'string' ? rawValue : null),
  };
}

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
