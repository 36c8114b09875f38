import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { env } from '../env.js';
import type { App } from './router.js';

/**
 * Serves an App over node:http: Web Requests in, streamed Web Responses out. A client that disconnects
 * aborts `request.signal`, so streaming handlers (chat) stop generating.
 * The client address is the socket's, written into `X-Forwarded-For` and `X-Real-IP` over whatever the
 * client sent, as Vercel's edge does; so per-IP limits cannot be dodged by rotating a header. Only with
 * `TRUST_PROXY=true` (the server runs behind a proxy that sets those headers itself) are they believed.
 */
export function serveApp(app: App, options: { trustProxy?: boolean } = {}): Server {
  const trustProxy = options.trustProxy ?? env().TRUST_PROXY;
  return createServer((req, res) => {
    void handle(app, req, res, trustProxy).catch(() => {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'bad_request', message: 'The request is not valid.' } }));
    });
  });
}

async function handle(
  app: App,
  req: IncomingMessage,
  res: ServerResponse,
  trustProxy: boolean,
): Promise<void> {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const host = req.headers.host ?? 'localhost';
  // Built once with the URL the handler sees (route parameters in the query), as Vercel passes it.
  const requested = new URL(req.url ?? '/', `http://${host}`);
  const url = app.resolve?.(requested) ?? requested;
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) for (const item of v) headers.append(k, item);
    else if (v !== undefined) headers.set(k, v);
  }
  const socketAddress = req.socket.remoteAddress ?? '127.0.0.1';
  if (!trustProxy) {
    headers.set('x-forwarded-for', socketAddress);
    headers.set('x-real-ip', socketAddress);
  } else if (!headers.has('x-forwarded-for')) headers.set('x-forwarded-for', socketAddress);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const request = new Request(url, {
    method: req.method,
    headers,
    signal: controller.signal,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit);

  let response: Response;
  try {
    response = await app.fetch(request);
  } catch {
    response = new Response(JSON.stringify({ error: { code: 'internal_error', message: 'Server error.' } }), {
      status: 500,
      headers: { 'content-type': 'application/json' },
    });
  }
  const outHeaders: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key === 'set-cookie') return;
    outHeaders[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) outHeaders['set-cookie'] = cookies;
  res.writeHead(response.status, outHeaders);
  if (!response.body || req.method === 'HEAD') {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((r) => res.once('drain', () => r()));
      if (controller.signal.aborted) break;
    }
  } catch {
    // client went away or the stream failed midway; nothing more to send
  } finally {
    if (controller.signal.aborted) await reader.cancel().catch(() => {});
    res.end();
  }
}
