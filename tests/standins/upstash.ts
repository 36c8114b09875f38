/**
 * A local stand-in for Upstash Redis's REST API, forwarding every command to a real Redis (ioredis).
 * It speaks what `@upstash/redis` sends and expects:
 * - `POST /` with a JSON command array -> `{ "result" }`, or 400 `{ "error" }` when Redis refuses it;
 * - `POST /pipeline` with an array of commands -> 200 with one `{ "result" }` or `{ "error" }` each;
 * - `POST /multi-exec` -> the same, run in MULTI/EXEC; a transaction Redis aborts is a 400;
 * - `Authorization: Bearer <token>`, anything else is 401;
 * - `Upstash-Encoding: base64` -> every string in a result base64-encoded, except the status "OK".
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { readBody, send } from './http.js';

export interface UpstashStandin {
  /** Base URL to give `@upstash/redis` as `url`. */
  url: string;
  token: string;
  /** Every request received, for tests that assert round trips. */
  requests: { path: string; body: unknown; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

type Reply = { result: unknown } | { error: string };

export async function startUpstashStandin(options: {
  redisUrl: string;
  token?: string;
}): Promise<UpstashStandin> {
  const token = options.token ?? 'standin-token';
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  redis.on('error', () => {});
  const requests: UpstashStandin['requests'] = [];

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => send(res, 500, { error: String(err) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://standin').pathname;
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    requests.push({ path, body, headers: req.headers });
    if (req.headers.authorization !== `Bearer ${token}`) {
      return send(res, 401, { error: 'Unauthorized' });
    }
    if (req.method !== 'POST') return send(res, 405, { error: 'Method not allowed' });
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    const encode = (reply: Reply): Reply =>
      'result' in reply ? { result: encodeResult(reply.result, base64) } : reply;

    if (path === '/') {
      if (!isCommand(body)) return send(res, 400, { error: 'ERR failed to parse command' });
      const reply = await run(body);
      return send(res, 'error' in reply ? 400 : 200, encode(reply));
    }
    if (path === '/pipeline' || path === '/multi-exec') {
      if (!Array.isArray(body) || body.length === 0 || !body.every(isCommand)) {
        return send(res, 400, { error: 'ERR failed to parse pipeline request' });
      }
      if (path === '/pipeline') {
        const replies: Reply[] = [];
        for (const cmd of body) replies.push(await run(cmd)); // in order, as Upstash does
        return send(res, 200, replies.map(encode));
      }
      try {
        const multi = redis.multi();
        for (const [c, ...a] of body) multi.callBuffer(String(c), ...a);
        const results = (await multi.exec()) ?? [];
        const replies: Reply[] = results.map(([err, value]) =>
          err ? { error: err.message } : { result: value },
        );
        return send(res, 200, replies.map(encode));
      } catch (err) {
        return send(res, 400, { error: (err as Error).message });
      }
    }
    return send(res, 404, { error: 'Not found' });
  }

  async function run([command, ...args]: string[]): Promise<Reply> {
    try {
      return { result: await redis.callBuffer(String(command), ...args) };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
    },
  };
}

/** Commands arrive as arrays of strings and numbers (the client stringifies objects). */
function isCommand(value: unknown): value is string[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
  );
}

/** Bulk replies arrive as Buffers (bytes kept intact until encoded); integers as numbers. */
function encodeResult(value: unknown, base64: boolean): unknown {
  if (Buffer.isBuffer(value)) {
    const text = value.toString('utf8');
    if (!base64 || text === 'OK') return text;
    return value.toString('base64');
  }
  if (typeof value === 'string')
    return !base64 || value === 'OK' ? value : Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map((v) => encodeResult(v, base64));
  return value ?? null;
}
