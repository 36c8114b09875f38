import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanApiRoutes } from '../../lib/dev/router.js';
import { API_END, API_START, renderApiReference } from '../../scripts/lib/api-docs.js';
import { loadRoutes } from '../../scripts/lib/openapi.js';
import { OPENAPI_PATH, readOpenApi, renderOpenApiJson } from '../../scripts/lib/openapi-document.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
};

const openapi = readOpenApi();

describe('GET /api/openapi.json', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('happy: serves public/openapi.json through the vercel.json rewrite, CDN-cacheable', async () => {
    const res = await t.request('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.headers.get('cache-control')).toMatch(/s-maxage=\d+/);
    const body = (await res.json()) as Doc;
    expect(body.openapi).toBe('3.1.0');
    expect(body).toEqual(openapi);
    const direct = await t.request('GET', '/openapi.json');
    expect(direct.status).toBe(200);
    expect(await direct.json()).toEqual(openapi);
  });

  it('error: writing to it is 405, as the CDN answers for a static file', async () => {
    const res = await t.request('POST', '/api/openapi.json', { json: {} });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('happy: no function serves it, so it loads no code and no store', () => {
    expect(scanApiRoutes('api').some((r) => r.pattern.includes('openapi'))).toBe(false);
  });
});

describe('the OpenAPI document', () => {
  const doc = openapi as Doc;

  it('happy: every api/* route file exports docs and appears in the document with an operation', async () => {
    const routes = await loadRoutes();
    expect(routes.map((r) => r.file).sort()).toEqual(
      scanApiRoutes('api')
        .map((r) => r.file)
        .sort(),
    );
    const problems: string[] = [];
    for (const r of routes) {
      if (!r.docs) problems.push(`${r.file} has no docs export`);
      const item = doc.paths[r.path];
      if (!item || Object.keys(item).length === 0)
        problems.push(`${r.file} (${r.path}) is not in the document`);
    }
    expect(problems).toEqual([]);
  });

  it('happy: dynamic segments become path templates with a path parameter', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path).not.toMatch(/\[|\]/);
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(item)) {
        const params = ((op as { parameters?: { name: string; in: string }[] }).parameters ?? [])
          .filter((p) => p.in === 'path')
          .map((p) => p.name);
        expect(params).toEqual(names);
      }
    }
  });

  it('happy: operation ids are unique and every error response uses the shared Error schema', () => {
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    for (const item of Object.values(doc.paths))
      for (const op of Object.values(item))
        for (const [status, res] of Object.entries(op.responses)) {
          if (status.startsWith('2')) continue;
          expect(res).toMatchObject({
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          });
        }
  });

  it('error: the committed document is regenerated from the current docs exports (run npm run gen:openapi)', async () => {
    expect(readFileSync(OPENAPI_PATH, 'utf8'), `${OPENAPI_PATH} is stale: run npm run gen:openapi`).toBe(
      await renderOpenApiJson(),
    );
  });

  it("error: the README's API reference matches the document (run npm run gen:api-docs)", () => {
    const readme = readFileSync('README.md', 'utf8');
    const start = readme.indexOf(API_START);
    const end = readme.indexOf(API_END);
    expect(start).toBeGreaterThan(-1);
    expect(
      readme.slice(start + API_START.length, end).trim(),
      "README.md's API reference is stale: run npm run gen:api-docs",
    ).toBe(renderApiReference(openapi).trim());
  });
});
