/** A JSON response; `cache` adds Cache-Control (CDN-friendly when `sMaxAge` is given). */
export function json(
  data: unknown,
  init: { status?: number; headers?: Record<string, string>; cache?: CachePolicy } = {},
): Response {
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': init.cache ? cacheControl(init.cache) : 'no-store',
    ...init.headers,
  };
  return new Response(JSON.stringify(data), { status: init.status ?? 200, headers });
}

/** How long browsers and Vercel's CDN may keep a response. */
export interface CachePolicy {
  /** Browser max-age in seconds (default 0: always revalidate with the ETag). */
  maxAge?: number;
  /** CDN freshness in seconds. */
  sMaxAge: number;
  /** CDN may serve stale for this long while it revalidates. */
  staleWhileRevalidate?: number;
  /** `private` responses (per user) are never stored by the CDN. */
  private?: boolean;
}

export function cacheControl(p: CachePolicy): string {
  if (p.private) return `private, max-age=${p.maxAge ?? 0}`;
  const parts = ['public', `max-age=${p.maxAge ?? 0}`, `s-maxage=${p.sMaxAge}`];
  if (p.staleWhileRevalidate) parts.push(`stale-while-revalidate=${p.staleWhileRevalidate}`);
  return parts.join(', ');
}
