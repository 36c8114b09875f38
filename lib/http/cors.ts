import { env } from '../env.js';

const ALLOWED_HEADERS = ['content-type', 'authorization', 'if-match', 'if-none-match'];

/** Origins allowed to call the API from a browser (`CORS_ORIGINS`, comma-separated). */
export function allowedOrigins(): Set<string> {
  const raw = env().CORS_ORIGINS ?? '';
  return new Set(
    raw
      .split(',')
      .map((o) => o.trim().replace(/\/+$/, ''))
      .filter(Boolean),
  );
}

/**
 * CORS headers for a request from an allowed origin; none otherwise, so the browser blocks it.
 * Credentials are allowed because sessions ride in a cookie; hence no wildcard origin, ever.
 */
export function corsHeaders(request: Request): Record<string, string> {
  const origin = request.headers.get('origin');
  if (!origin || !allowedOrigins().has(origin)) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': 'etag, retry-after, x-request-id',
    vary: 'Origin',
  };
}

/** The answer to a CORS preflight (OPTIONS with Access-Control-Request-Method). */
export function preflight(request: Request, allow: string): Response {
  const cors = corsHeaders(request);
  const headers: Record<string, string> = { allow, ...cors };
  if (cors['access-control-allow-origin']) {
    headers['access-control-allow-methods'] = allow;
    headers['access-control-allow-headers'] = ALLOWED_HEADERS.join(', ');
    headers['access-control-max-age'] = '600';
  }
  return new Response(null, { status: 204, headers });
}
