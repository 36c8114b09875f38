import type { TestApp } from './app.js';

/**
 * Authorization matrix: every admin route and method, as anonymous (401), member (403) and admin (2xx).
 * Other areas append their admin and cron routes to ADMIN_ROUTES (tests/api/admin-authz.test.ts runs it).
 */
export interface AdminCase {
  method: string;
  /** A path; may depend on a fresh slug so admin calls do not collide. */
  path: (n: number) => string;
  body?: (n: number) => unknown;
  headers?: Record<string, string>;
  /** Runs before the admin call (e.g. create the thing a DELETE removes). */
  prepare?: (t: TestApp, admin: Record<string, string>, n: number) => Promise<void>;
}

export const ADMIN_ROUTES: AdminCase[] = [
  {
    method: 'POST',
    path: () => '/api/admin/content',
    body: (n) => ({ slug: `authz-post-${n}`, kind: 'post', title: 'Authz' }),
  },
  {
    method: 'PATCH',
    path: (n) => `/api/admin/content?slug=authz-patch-${n}`,
    headers: { 'if-match': '"1"' },
    body: () => ({ title: 'Changed' }),
    prepare: (t, admin, n) =>
      create(t, admin, '/api/admin/content', { slug: `authz-patch-${n}`, kind: 'post', title: 'P' }),
  },
  {
    method: 'DELETE',
    path: (n) => `/api/admin/content?slug=authz-del-${n}`,
    headers: { 'if-match': '"1"' },
    prepare: (t, admin, n) =>
      create(t, admin, '/api/admin/content', { slug: `authz-del-${n}`, kind: 'post', title: 'D' }),
  },
  {
    method: 'POST',
    path: () => '/api/admin/concepts',
    body: (n) => ({ slug: `authz-concept-${n}`, title: 'Authz' }),
  },
  {
    method: 'PATCH',
    path: (n) => `/api/admin/concepts?slug=authz-cpatch-${n}`,
    headers: { 'if-match': '"1"' },
    body: () => ({ title: 'Changed' }),
    prepare: (t, admin, n) =>
      create(t, admin, '/api/admin/concepts', { slug: `authz-cpatch-${n}`, title: 'C' }),
  },
  {
    method: 'DELETE',
    path: (n) => `/api/admin/concepts?slug=authz-cdel-${n}`,
    headers: { 'if-match': '"1"' },
    prepare: (t, admin, n) =>
      create(t, admin, '/api/admin/concepts', { slug: `authz-cdel-${n}`, title: 'C' }),
  },
  {
    method: 'POST',
    path: () => '/api/admin/relations',
    body: () => ({ type: 'MENTIONS', from: 'judgekit', to: 'tokenization' }),
  },
  { method: 'DELETE', path: () => '/api/admin/relations?type=MENTIONS&from=judgekit&to=tokenization' },
  { method: 'GET', path: () => '/api/admin/flags' },
  { method: 'PUT', path: () => '/api/admin/flags', body: () => ({ flags: {} }) },
  { method: 'GET', path: () => '/api/admin/status' },
];

async function create(t: TestApp, admin: Record<string, string>, path: string, json: unknown): Promise<void> {
  const res = await t.request('POST', path, { json, headers: admin });
  if (res.status !== 201) throw new Error(`prepare failed: ${res.status} ${await res.text()}`);
}
