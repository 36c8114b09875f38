import { env } from '../env.js';
import { configureLog } from '../log.js';
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
    else if (method === 'OPTIONS')
      out.OPTIONS = withErrors(() => new Response(null, { status: 204, headers: { allow } }));
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
    try {
      response = await handler(request);
    } catch (err) {
      response = toErrorResponse(err, requestId);
    }
    return finalize(response, requestId);
  };
}

/** Headers every API response carries. */
export function finalize(response: Response, requestId: string): Response {
  const h = response.headers;
  try {
    if (!h.has('x-request-id')) h.set('x-request-id', requestId);
    if (!h.has('x-content-type-options')) h.set('x-content-type-options', 'nosniff');
  } catch {
    // Some responses (e.g. from fetch) have immutable headers; copy them.
    const copy = new Response(response.body, response);
    copy.headers.set('x-request-id', requestId);
    copy.headers.set('x-content-type-options', 'nosniff');
    return copy;
  }
  return response;
}

function headFromGet(get: Handler): Handler {
  return async (request) => {
    const res = await get(new Request(request.url, { method: 'GET', headers: request.headers }));
    return new Response(null, { status: res.status, headers: res.headers });
  };
}
