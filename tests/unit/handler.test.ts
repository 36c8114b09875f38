import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { resetEnv } from '../../lib/env.js';
import { ApiError } from '../../lib/http/errors.js';
import { methods, withErrors } from '../../lib/http/handler.js';
import { parseJson } from '../../lib/http/validate.js';
import { captureLogs } from '../helpers/logs.js';

const req = (method = 'GET', init: RequestInit = {}) =>
  new Request('http://localhost/api/x', { method, ...init });

describe('withErrors and methods()', () => {
  afterEach(() => {
    delete process.env.REQUEST_TIMEOUT_MS;
    resetEnv();
  });

  it('error: a handler that never answers becomes a 503 timeout with Retry-After, not a hang', async () => {
    process.env.REQUEST_TIMEOUT_MS = '150';
    resetEnv();
    const res = await withErrors(() => new Promise<Response>(() => {}))(req());
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('timeout');
  });

  it('error: an unexpected exception is a generic 500 without internals, and is logged with redaction', async () => {
    const logs = captureLogs();
    try {
      const res = await withErrors(() => {
        throw new Error('connection to postgres://admin:hunter2@db failed; token=abc');
      })(req('GET', { headers: { authorization: 'Bearer supersecret' } }));
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).not.toMatch(/hunter2|postgres|stack|at /);
      expect(JSON.parse(text)).toMatchObject({
        error: { code: 'internal_error', requestId: expect.any(String) },
      });
      const logged = logs.lines.join('\n');
      expect(logged).toContain('unhandled error');
      expect(logged).not.toMatch(/hunter2|token=abc|supersecret/);
    } finally {
      logs.restore();
    }
  });

  it('error: ApiError keeps its code, status and headers', async () => {
    const res = await withErrors(() => {
      throw new ApiError('rate_limited', 'Slow down.', { headers: { 'retry-after': '30' } });
    })(req());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(await res.json()).toEqual({ error: { code: 'rate_limited', message: 'Slow down.' } });
  });

  it('error: validation failures are 400 with field paths', async () => {
    const schema = z.object({ title: z.string().min(1), tags: z.array(z.string()) }).strict();
    const h = methods({ POST: async (r) => Response.json(await parseJson(r, schema)) });
    const res = await h.POST(
      req('POST', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: '', tags: [1], x: 1 }),
      }),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.issues.map((i) => i.path).sort()).toEqual(['(root)', 'tags.0', 'title']);
  });

  it('error: malformed JSON, wrong content type and oversized bodies are 4xx with the error shape', async () => {
    const h = methods({
      POST: async (r) => Response.json(await parseJson(r, z.object({}).strict(), { maxBytes: 1024 })),
    });
    const bad = await h.POST(req('POST', { headers: { 'content-type': 'application/json' }, body: '{"a":' }));
    expect([bad.status, ((await bad.json()) as { error: { code: string } }).error.code]).toEqual([
      400,
      'invalid_json',
    ]);
    const type = await h.POST(req('POST', { headers: { 'content-type': 'text/plain' }, body: '{}' }));
    expect(type.status).toBe(415);
    const big = await h.POST(
      req('POST', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ a: 'x'.repeat(5000) }),
      }),
    );
    expect([big.status, ((await big.json()) as { error: { code: string } }).error.code]).toEqual([
      413,
      'payload_too_large',
    ]);
  });

  it('happy: HEAD answers like GET without a body; unknown methods are 405 with Allow', async () => {
    const h = methods({ GET: () => Response.json({ ok: true }) });
    const head = await h.HEAD(req('HEAD'));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const del = await h.DELETE(req('DELETE'));
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });
});
