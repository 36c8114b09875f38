import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

describe('security headers and CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { CORS_ORIGINS: 'https://maya.example.dev, https://preview.example.dev/' },
    });
  });
  afterAll(() => t.close());

  it('security: every API response carries the security headers', async () => {
    for (const path of ['/api/health', '/api/nope']) {
      const res = await t.request('GET', path);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      if (path === '/api/health') {
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
        expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
        expect(res.headers.get('x-request-id')).toBeTruthy();
      }
    }
  });

  it('happy: an allowed origin gets credentialed CORS headers, never a wildcard', async () => {
    const res = await t.request('GET', '/api/health', { headers: { origin: 'https://maya.example.dev' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://maya.example.dev');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('security: an origin not on the allowlist gets no CORS headers', async () => {
    const res = await t.request('GET', '/api/health', { headers: { origin: 'https://evil.example.com' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await t.request('OPTIONS', '/api/health', {
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('happy: a preflight from an allowed origin lists the methods and headers', async () => {
    const res = await t.request('OPTIONS', '/api/health', {
      headers: { origin: 'https://preview.example.dev', 'access-control-request-method': 'GET' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://preview.example.dev');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
  });
});
