import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cache } from '../../lib/stores/cache/index.js';
import { MemoryCache } from '../../lib/stores/cache/memory.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { captureLogs } from '../helpers/logs.js';

describe('GET /api/health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('happy: reports every store up with its adapter and latency', async () => {
    const res = await t.request('GET', '/api/health');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      stores: { store: string; adapter: string; status: string; latencyMs: number }[];
    };
    expect(body.status).toBe('ok');
    const byStore = Object.fromEntries(body.stores.map((s) => [s.store, s]));
    expect(byStore.sql).toMatchObject({ adapter: 'pglite', status: 'up' });
    expect(byStore.cache).toMatchObject({ adapter: 'memory', status: 'up' });
    expect(byStore.config).toMatchObject({ adapter: 'memory', status: 'up' });
    for (const s of body.stores) expect(s.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('error: a store that is down gives 503 naming it, and the others still report', async () => {
    const broken = new MemoryCache();
    broken.ping = () => Promise.reject(new Error('connection refused'));
    const t2 = await createTestApp({ sql: t.sql, cache: broken as Cache });
    const res = await t2.request('GET', '/api/health');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { down: string[]; stores: { store: string; status: string }[] };
    expect(body.down).toEqual(['cache']);
    expect(body.stores.find((s) => s.store === 'sql')?.status).toBe('up');
  });

  it('error: a store that hangs is reported down after the timeout instead of hanging the request', async () => {
    const slow = new MemoryCache();
    slow.ping = () => new Promise(() => {});
    const t3 = await createTestApp({ sql: t.sql, cache: slow as Cache });
    const res = await t3.request('GET', '/api/health');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { stores: { store: string; status: string; reason?: string }[] };
    expect(body.stores.find((s) => s.store === 'cache')).toMatchObject({ status: 'down', reason: 'timeout' });
  });

  it('security: a down store is named with its state but no error text; the details go to the logs', async () => {
    const broken = new MemoryCache();
    broken.ping = () =>
      Promise.reject(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5441'), { code: 'ECONNREFUSED' }),
      );
    const logs = captureLogs();
    try {
      const t4 = await createTestApp({ sql: t.sql, cache: broken as Cache });
      const res = await t4.request('GET', '/api/health');
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|5441|select/i);
      const body = JSON.parse(text) as { stores: Record<string, unknown>[] };
      expect(body.stores.find((s) => s.store === 'cache')).toEqual({
        store: 'cache',
        adapter: 'memory',
        status: 'down',
        reason: 'unreachable',
        latencyMs: expect.any(Number),
      });
      for (const s of body.stores) expect(s).not.toHaveProperty('error');
      expect(logs.lines.some((l) => l.includes('ECONNREFUSED 127.0.0.1:5441'))).toBe(true);
    } finally {
      logs.restore();
    }
  });
});

describe('routing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('error: an unknown API route is a JSON 404 with the error shape', async () => {
    const res = await t.request('GET', '/api/nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('error: a malformed percent-encoding in the path is a 400 with the error shape', async () => {
    for (const path of ['/api/content/%ff', '/api/concepts/%e0%a4', '/api/chat/%', '/api/%zz']) {
      const res = await t.request('GET', path);
      expect(res.status, path).toBe(400);
      expect(await res.json()).toEqual({ error: { code: 'bad_request', message: expect.any(String) } });
    }
  });

  it('error: a handler called as Vercel calls it (segment in the query) answers 400 to bad encodings', async () => {
    const { GET } = await import('../../api/content/[slug].js');
    for (const slug of ['%ff', '%00', '%ed%a0%80', '%']) {
      const res = await GET(new Request(`http://localhost/api/content/x?slug=${slug}`));
      expect(res.status, slug).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(
        /bad_request|validation_failed/,
      );
    }
  });

  it('error: a wrong method is 405 with Allow and the error shape', async () => {
    const res = await t.request('DELETE', '/api/health');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe('method_not_allowed');
  });

  it('happy: vercel.json headers apply to API responses', async () => {
    const res = await t.request('GET', '/api/health');
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
  });
});
