import { env } from '../env.js';
import { configureLog } from '../log.js';
import { corsHeaders, crossSiteRefusal, preflight } from './cors.js';
import { ApiError, toErrorResponse } from './errors.js';

export type Handler = (request: Request) => Promise<Response> | Response;

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
type MethodHandlers = Partial<Record<HttpMethod, Handler>>;

let logConfigured = false;

/**
 * The exports of an `api/*` file: every HTTP method, so Vercel and the dev server behave the same.
 * Methods the file does not handle answer 405 with `Allow`; HEAD falls back to GET without a body.
 * Every handler runs inside `withErrors`, so nothing escapes as an HTML 500 or a stack trace.
 *
 *   export const { GET, POST, HEAD, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: list, POST: create });
 */
export function methods(handlers: MethodHandlers): Record<HttpMethod, Handler> {
  const allowed = new Set<string>(Object.keys(handlers));
  if (handlers.GET) allowed.add('HEAD');
  allowed.add('OPTIONS');
  const allow = HTTP_METHODS.filter((m) => allowed.has(m)).join(', ');
  const out = {} as Record<HttpMethod, Handler>;
  for (const method of HTTP_METHODS) {
    const own = handlers[method];
    if (own) out[method] = withErrors(own);
    else if (method === 'HEAD' && handlers.GET) out.HEAD = withErrors(headFromGet(handlers.GET));
    else if (method === 'OPTIONS') out.OPTIONS = withErrors((request) => preflight(request, allow));
    else
      out[method] = withErrors(() => {
        throw new ApiError('method_not_allowed', `${method} is not allowed here. Allowed: ${allow}.`, {
          headers: { allow },
        });
      });
  }
  return out;
}

/** Runs a handler, turning anything thrown into the JSON error shape and adding standard headers. */
export function withErrors(handler: Handler): Handler {
  return async (request) => {
    if (!logConfigured) {
      logConfigured = true;
      const level = env().LOG_LEVEL;
      if (level) configureLog({ level });
    }
    const requestId = request.headers.get('x-vercel-id') ?? crypto.randomUUID();
    let response: Response;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      // State changes a browser sends from another site are refused before any handler runs: cookies
      // (the session, the anonymous chat id) ride along on such requests without the user's say.
      const refusal = crossSiteRefusal(request);
      if (refusal)
        throw new ApiError('forbidden', `Cross-site request refused (${refusal}).`, {
          headers: { vary: 'Origin' },
        });
      // A deadline for producing the response (a stream may go on after it): a hung store becomes a
      // 503 the client can retry, never a request that hangs until the platform kills it.
      const deadlineMs = env().REQUEST_TIMEOUT_MS;
      response = await new Promise<Response>((resolve, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ApiError('timeout', 'The service took too long to answer. Please retry.', {
                headers: { 'retry-after': '5' },
              }),
            ),
          deadlineMs,
        );
        try {
          Promise.resolve(handler(request)).then(resolve, reject);
        } catch (err) {
          reject(err);
        }
      });
    } catch (err) {
      response = toErrorResponse(err, requestId);
    } finally {
      clearTimeout(timer);
    }
    return finalize(response, requestId, corsHeaders(request));
  };
}

/** Security headers for API responses (JSON and streams; nothing here is meant to render as a page). */
const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'cross-origin-opener-policy': 'same-origin',
};
const SECURITY_ENTRIES = Object.entries(SECURITY_HEADERS);
/** The security headers as a header list, for responses that carry them from the start. */
export const SECURITY_HEADER_LIST: readonly [string, string][] = SECURITY_ENTRIES.map(([k, v]) => [k, v]);

/** Responses built with every security header (SECURITY_HEADER_LIST): `finalize` skips checking them. */
const secured = new WeakSet<Response>();
/** Marks a response built with SECURITY_HEADER_LIST in its headers (a cached read's precomputed list). */
export function withSecurityHeaders(response: Response): Response {
  secured.add(response);
  return response;
}

/** Headers every API response carries: request id, security headers, CORS for allowed origins. */
export function finalize(
  response: Response,
  requestId: string,
  extra: Record<string, string> = {},
): Response {
  const hasSecurity = secured.has(response);
  const apply = (h: Headers) => {
    if (!h.has('x-request-id')) h.set('x-request-id', requestId);
    if (!hasSecurity) for (const [k, v] of SECURITY_ENTRIES) if (!h.has(k)) h.set(k, v);
    for (const k in extra) {
      const v = extra[k] as string;
      if (k === 'vary' && h.has('vary')) {
        const current = h.get('vary') ?? '';
        if (
          !current
            .toLowerCase()
            .split(/\s*,\s*/)
            .includes(v.toLowerCase())
        )
          h.set('vary', `${current}, ${v}`);
      } else h.set(k, v);
    }
  };
  try {
    apply(response.headers);
    return response;
  } catch {
    // Some responses (e.g. from fetch) have immutable headers; copy them.
    const copy = new Response(response.body, response);
    apply(copy.headers);
    return copy;
  }
}

function headFromGet(get: Handler): Handler {
  return async (request) => {
    const res = await get(new Request(request.url, { method: 'GET', headers: request.headers }));
    return new Response(null, { status: res.status, headers: res.headers });
  };
}
