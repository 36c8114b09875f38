import { waitUntil } from '@vercel/functions';
import { SECURITY_HEADER_LIST, withSecurityHeaders } from '../http/handler.js';
import { type CachePolicy, cacheControl } from '../http/json.js';
import { log } from '../log.js';
import { type Cache, cacheIfReady, getCache } from '../stores/cache/index.js';
import { isStoreUnavailable } from '../stores/unavailable.js';
import { etagOf, ifNoneMatchHits } from './etag.js';
import { newVersionToken, VERSION_TTL_SECONDS, versionKey } from './namespaces.js';
import { SingleFlight } from './single-flight.js';
import { timebox } from './timebox.js';

/**
 * Cache-aside for JSON reads. Key = `c:<namespace>:<version token>:<key>`; a miss computes once per
 * key per instance (single flight), answers at once and fills the cache after the response
 * (`waitUntil`). Every cache call is time-boxed and any cache failure falls through to `compute`:
 * a cache that is down or slow costs at most `timeoutMs` per call and never fails a read.
 * Responses carry an ETag (hash of the body), answer `If-None-Match` with 304, and a CDN-friendly
 * Cache-Control.
 *
 * Stale-if-error: every fill also keeps the body under an unversioned key (`s:<namespace>:<key>`)
 * for a day. When `compute` fails because SQL cannot be reached, that last good body is served with
 * `x-cache: STALE` (and a short CDN lifetime) instead of a 503, so pages read before an outage stay
 * up through it, however many writes moved the namespace version since. A cache that is down too,
 * or a key never read before, still answers 503. A 4xx from `compute` is never served stale.
 */

/** What catalogue reads send: CDN-fresh for a minute, then served stale while it revalidates. */
export const READ_POLICY: CachePolicy = { sMaxAge: 60, staleWhileRevalidate: 300 };

/** A stale body is kept this long after its last fill. */
export const STALE_TTL_SECONDS = 24 * 3600;
/** What a stale answer may be kept for by the CDN: briefly, so recovery shows within seconds. */
const STALE_POLICY: CachePolicy = { sMaxAge: 5 };

export const staleKey = (namespace: string, key: string) => `s:${namespace}:${key}`;

interface Entry {
  body: string;
  etag: string;
}

/**
 * How an entry is stored: one string, the ETag, a newline, then the body as it is sent. A hit reads it
 * back without parsing the body (the memory adapter hands strings over as they are; Redis parses one
 * JSON string) and never hashes it again.
 */
const pack = (e: Entry): string => `${e.etag}\n${e.body}`;

function unpack(stored: unknown): Entry | null {
  if (typeof stored !== 'string') return null;
  const nl = stored.indexOf('\n');
  if (nl < 1 || stored[0] !== '"') return null;
  return { etag: stored.slice(0, nl), body: stored.slice(nl + 1) };
}

export interface CachedJsonOptions {
  request: Request;
  namespace: string;
  /** The key within the namespace: the route and its normalised parameters. */
  key: string;
  /** Produces the response body on a miss (one SQL query). Throw ApiError for 4xx; those are not cached. */
  compute: () => Promise<unknown>;
  policy?: CachePolicy;
  /** How long an entry lives in the cache store (default 300 s). */
  ttlSeconds?: number;
  /** Budget for each cache call on the request path (default 150 ms). */
  timeoutMs?: number;
  /** The cache store (default: the process's). */
  cache?: Cache;
}

const flights = new SingleFlight<Entry>();

/**
 * The token a missing namespace version is created with. Reused until a read shows it became the
 * version (then a fresh one is drawn), so a token is never the version twice and a hit draws none.
 */
let initToken = newVersionToken();

export async function cachedJson(o: CachedJsonOptions): Promise<Response> {
  const timeoutMs = o.timeoutMs ?? 150;
  const policy = o.policy ?? READ_POLICY;
  const cache = o.cache ?? cacheIfReady() ?? (await timebox(getCache(), timeoutMs).catch(() => null));
  let fullKey: string | null = null;
  if (cache) {
    try {
      // One round trip: the namespace's version token (created if missing) and the entry keyed by it.
      const prefix = `c:${o.namespace}:`;
      const suffix = `:${o.key}`;
      const read = await timebox(
        cache.getVersioned<string>({
          versionKey: versionKey(o.namespace),
          entryPrefix: prefix,
          entrySuffix: suffix,
          init: { version: initToken, ttlSeconds: VERSION_TTL_SECONDS },
        }),
        timeoutMs,
      );
      if (read.version === null) throw new Error('the cache returned no namespace version');
      if (read.version === initToken) initToken = newVersionToken();
      fullKey = prefix + read.version + suffix;
      const hit = unpack(read.value);
      if (hit) return respond(o.request, hit, policy, 'HIT');
    } catch (err) {
      log.warn('cache unavailable; reading from the database', { namespace: o.namespace, err });
      fullKey = null;
    }
  }
  const key = fullKey;
  let entry: Entry;
  try {
    entry = await flights.run(key ?? `bypass:${o.namespace}:${o.key}`, async () => {
      const body = JSON.stringify(await o.compute());
      const computed = { body, etag: await etagOf(body) };
      if (cache && key)
        background(
          Promise.all([
            cache.set(key, pack(computed), { ttlSeconds: o.ttlSeconds ?? 300 }),
            cache.set(staleKey(o.namespace, o.key), pack(computed), { ttlSeconds: STALE_TTL_SECONDS }),
          ]),
        );
      return computed;
    });
  } catch (err) {
    if (cache && key && isStoreUnavailable(err)) {
      const stale = unpack(
        await timebox(cache.get<string>(staleKey(o.namespace, o.key)), timeoutMs).catch(() => null),
      );
      if (stale) {
        log.warn('the database is unreachable; serving the last good answer', {
          namespace: o.namespace,
          key: o.key,
          err,
        });
        return respond(o.request, stale, STALE_POLICY, 'STALE');
      }
    }
    throw err;
  }
  return respond(o.request, entry, policy, key ? 'MISS' : 'BYPASS');
}

/** What answering one entry takes, built once: the body's bytes and the header lists (200 and 304). */
interface Prepared {
  bytes: Uint8Array<ArrayBuffer>;
  ok: [string, string][];
  notModified: [string, string][];
}

/**
 * Prepared answers per entry, keyed by ETag, answer kind and policy: a hit only copies them into a
 * Response. Bounded: the ETags this instance answered recently (entries live minutes; this is a memo).
 */
const prepared = new Map<string, Prepared>();
const PREPARED_MAX = 500;
const encoder = new TextEncoder();

function prepare(entry: Entry, policy: CachePolicy, status: string): Prepared {
  const memoKey = `${entry.etag}|${status}|${policy.private ? 'p' : ''}${policy.maxAge ?? 0}/${policy.sMaxAge}/${policy.staleWhileRevalidate ?? 0}`;
  let p = prepared.get(memoKey);
  if (!p) {
    const headers: [string, string][] = [
      ['etag', entry.etag],
      ['cache-control', cacheControl(policy)],
      ['x-cache', status],
    ];
    p = {
      bytes: encoder.encode(entry.body),
      ok: [...headers, ['content-type', 'application/json; charset=utf-8'], ...SECURITY_HEADER_LIST],
      notModified: [...headers, ...SECURITY_HEADER_LIST],
    };
    if (prepared.size >= PREPARED_MAX) prepared.clear();
    prepared.set(memoKey, p);
  }
  return p;
}

function respond(request: Request, entry: Entry, policy: CachePolicy, status: string): Response {
  const p = prepare(entry, policy, status);
  if (ifNoneMatchHits(request.headers.get('if-none-match'), entry.etag))
    return withSecurityHeaders(new Response(null, { status: 304, headers: p.notModified }));
  return withSecurityHeaders(new Response(p.bytes, { status: 200, headers: p.ok }));
}

/** Work kept alive after the response; failures are logged, never surfaced. */
function background(promise: Promise<unknown>): void {
  waitUntil(promise.catch((err: unknown) => log.warn('cache fill failed', { err })));
}
