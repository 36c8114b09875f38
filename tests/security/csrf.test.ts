import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../lib/auth/cookies.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createUserAndLogin } from '../helpers/auth.js';

/**
 * Cross-site request forgery: a page on another site can make the browser send our cookies with a
 * form post or a no-cors fetch. State changes from another site are refused (Fetch Metadata, then
 * Origin, as OWASP's cheat sheet describes); reads are not, and every response says `Vary: Origin`.
 */
describe('origin checks on state changes', () => {
  let t: TestApp;
  let n = 0;
  beforeAll(async () => {
    t = await createTestApp({ env: { CORS_ORIGINS: 'https://maya.example.dev' } });
  });
  afterAll(() => t.close());

  /** A fresh admin session carried as the browser carries it: the session cookie. */
  async function cookieSession(): Promise<Record<string, string>> {
    const { token } = await createUserAndLogin(t, { role: 'admin' });
    return { cookie: `${SESSION_COOKIE}=${token}` };
  }
  const signedIn = async (cookie: Record<string, string>) =>
    (await t.request('GET', '/api/auth/me', { headers: cookie })).status;
  const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  it('security: logout with the session cookie from another site is refused and the session lives on', async () => {
    const cookie = await cookieSession();
    const crossSite: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      { 'sec-fetch-site': 'same-site', origin: 'https://sub.evil.example' },
      { origin: 'null' },
    ];
    for (const cross of crossSite) {
      const res = await t.request('POST', '/api/auth/logout', { headers: { ...cookie, ...cross } });
      expect(res.status, JSON.stringify(cross)).toBe(403);
      expect(await errorCode(res)).toBe('forbidden');
    }
    expect(await signedIn(cookie)).toBe(200);
    // The same request from the site itself works.
    const own = await t.request('POST', '/api/auth/logout', {
      headers: { ...cookie, 'sec-fetch-site': 'same-origin', origin: 'http://localhost' },
    });
    expect(own.status).toBe(204);
    expect(await signedIn(cookie)).toBe(401);
  });

  it('security: admin writes and chat from another site are refused; nothing is written', async () => {
    const cookie = await cookieSession();
    const slug = `csrf-${++n}`;
    const write = await t.request('POST', '/api/admin/concepts', {
      headers: { ...cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      json: { slug, title: 'Forged' },
    });
    expect(write.status).toBe(403);
    expect((await t.request('GET', `/api/concepts/${slug}`)).status).toBe(404);
    const chat = await t.request('POST', '/api/chat', {
      headers: { origin: 'https://evil.example' },
      json: {
        id: 'csrf-chat',
        trigger: 'submit-message',
        messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }],
      },
    });
    expect(chat.status).toBe(403);
  });

  it('happy: the site itself, an allowed CORS origin and non-browser clients may write', async () => {
    const cookie = await cookieSession();
    const cases: Record<string, string>[] = [
      { 'sec-fetch-site': 'same-origin' },
      { origin: 'http://localhost' },
      { origin: 'https://maya.example.dev', 'sec-fetch-site': 'cross-site' },
      {}, // curl, a server: no Origin, no Fetch Metadata
    ];
    for (const headers of cases) {
      const res = await t.request('POST', '/api/admin/concepts', {
        headers: { ...cookie, ...headers },
        json: { slug: `csrf-ok-${++n}`, title: 'Allowed' },
      });
      expect(res.status, JSON.stringify(headers)).toBe(201);
    }
  });

  it('happy: reads from another site are answered (without CORS headers), with Vary: Origin', async () => {
    const res = await t.request('GET', '/api/content?limit=1', {
      headers: { origin: 'https://evil.example' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('security: every response the CORS layer can change says Vary: Origin once, with or without an Origin', async () => {
    for (const [method, path, headers] of [
      ['GET', '/api/health', {}],
      ['GET', '/api/content?limit=1', {}],
      ['GET', '/api/content?limit=1', { origin: 'https://maya.example.dev' }],
      ['GET', '/api/concepts/does-not-exist', {}],
      ['OPTIONS', '/api/content', { origin: 'https://evil.example', 'access-control-request-method': 'GET' }],
      ['POST', '/api/auth/logout', { origin: 'https://evil.example' }],
    ] as const) {
      const res = await t.request(method, path, { headers });
      const vary = (res.headers.get('vary') ?? '').split(/\s*,\s*/).filter((v) => /^origin$/i.test(v));
      expect(vary, `${method} ${path}`).toEqual(['Origin']);
    }
  });
});
