import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serveApp } from '../../lib/dev/node-server.js';
import type { App } from '../../lib/dev/router.js';

/** An App that answers with the client-address headers the handlers would see. */
const echo: App = {
  routes: [],
  crons: [],
  settle: async () => {},
  fetch: async (req) =>
    Response.json({ xff: req.headers.get('x-forwarded-for'), real: req.headers.get('x-real-ip') }),
};

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function start(trustProxy: boolean): Promise<number> {
  const server = serveApp(echo, { trustProxy });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return (server.address() as AddressInfo).port;
}

function get(port: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('dev server client address', () => {
  it('security: the socket address wins over a client-sent X-Forwarded-For / X-Real-IP', async () => {
    const port = await start(false);
    for (const spoof of ['203.0.113.1', '203.0.113.2, 10.0.0.1']) {
      const res = await get(port, { 'x-forwarded-for': spoof, 'x-real-ip': spoof });
      expect(JSON.parse(res.body)).toEqual({ xff: '127.0.0.1', real: '127.0.0.1' });
    }
  });

  it('happy: with TRUST_PROXY the proxy-set X-Forwarded-For is believed; without one, the socket', async () => {
    const port = await start(true);
    expect(JSON.parse((await get(port, { 'x-forwarded-for': '198.51.100.7' })).body).xff).toBe(
      '198.51.100.7',
    );
    expect(JSON.parse((await get(port, {})).body).xff).toBe('127.0.0.1');
  });

  it('error: a Host header no URL can be built from is a 400, and the server keeps serving', async () => {
    const port = await start(false);
    const bad = await get(port, { host: 'exa mple:bad' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({ error: { code: 'bad_request', message: expect.any(String) } });
    expect((await get(port, {})).status).toBe(200);
  });
});
