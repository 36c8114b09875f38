import { env } from '../env.js';

const ALLOWED_HEADERS = ['content-type', 'authorization', 'if-match', 'if-none-match'];

let parsedOrigins: { raw: string; set: Set<string> } | undefined;

/** Origins allowed to call the API from a browser (`CORS_ORIGINS`, comma-separated); parsed once per value. */
export function allowedOrigins(): Set<string> {
  const raw = env().CORS_ORIGINS ?? '';
  if (parsedOrigins?.raw !== raw) {
    const set = new Set(
      raw
        .split(',')
        .map((o) => o.trim().replace(/\/+$/, ''))
        .filter(Boolean),
    );
    parsedOrigins = { raw, set };
  }
  return parsedOrigins.set;
}

/**
 * CORS headers for a request from an allowed origin; none otherwise, so the browser blocks it.
 * Credentials are allowed because sessions ride in a cookie; hence no wildcard origin, ever.
 * With an allowlist configured every response can differ by `Origin`, so every response says
 * `Vary: Origin` (a shared cache must not hand one origin's answer to another).
 */
export function corsHeaders(request: Request): Record<string, string> {
  const allowed = allowedOrigins();
  if (allowed.size === 0) return {};
  const origin = request.headers.get('origin');
  if (!origin || !allowed.has(origin)) return { vary: 'Origin' };
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': 'etag, retry-after, x-request-id',
    vary: 'Origin',
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The site's own origins: the one the request was addressed to (on Vercel the platform sets the host; a
 * forged request from another site still addresses ours) and SITE_URL's, when set and different (a
 * preview deployment, a custom domain).
 */
function siteOrigins(request: Request): string[] {
  const own = [new URL(request.url).origin];
  const site = env().SITE_URL;
  if (site) own.push(new URL(site).origin);
  return own;
}

/**
 * Why a state-changing request must be refused as cross-site, or null when it may go on (OWASP CSRF
 * cheat sheet: Fetch Metadata, then Origin verification). Only POST/PUT/PATCH/DELETE are checked.
 * A browser says where a request comes from: `Sec-Fetch-Site` (`same-origin` and `none`, a user's own
 * navigation, pass; `same-site`/`cross-site` pass only from an allowed origin), or, in browsers
 * without Fetch Metadata, `Origin` (the site's own, SITE_URL's or one in CORS_ORIGINS; `null` never). A request
 * with neither header is not from a browser page (curl, a server) and carries no ambient credentials
 * it did not choose to send, so it passes; bearer-token clients are unaffected either way.
 */
export function crossSiteRefusal(request: Request): string | null {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return null;
  const origin = request.headers.get('origin')?.slice(0, 200) ?? null;
  const trusted = (o: string | null) =>
    o !== null && o !== 'null' && (siteOrigins(request).includes(o) || allowedOrigins().has(o));
  const fetchSite = request.headers.get('sec-fetch-site')?.toLowerCase();
  if (fetchSite === 'same-origin' || fetchSite === 'none') return null;
  if (fetchSite === 'same-site' || fetchSite === 'cross-site')
    return trusted(origin) ? null : `a ${fetchSite} request from ${origin ?? 'an unknown origin'}`;
  if (origin !== null) return trusted(origin) ? null : `a request from origin ${origin}`;
  return null;
}

/** The answer to a CORS preflight (OPTIONS with Access-Control-Request-Method). */
export function preflight(request: Request, allow: string): Response {
  const cors = corsHeaders(request);
  // What a preflight answers depends on the origin whatever the allowlist says.
  cors.vary = 'Origin';
  const headers: Record<string, string> = { allow, ...cors };
  if (cors['access-control-allow-origin']) {
    headers['access-control-allow-methods'] = allow;
    headers['access-control-allow-headers'] = ALLOWED_HEADERS.join(', ');
    headers['access-control-max-age'] = '600';
  }
  return new Response(null, { status: 204, headers });
}
