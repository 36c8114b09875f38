import { readFileSync } from 'node:fs';
import { buildOpenApi, loadRoutes } from './openapi.js';

/** Where the generated document lives: a static file on the CDN, also at /api/openapi.json (vercel.json). */
export const OPENAPI_PATH = 'public/openapi.json';

/** The OpenAPI document built from the api/* files under `root`. */
export async function currentOpenApi(root = process.cwd()): Promise<Record<string, unknown>> {
  const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };
  return buildOpenApi(await loadRoutes(root), { version: pkg.version });
}

/** The file's text: the document as indented JSON (Biome skips it, so the generator owns its format). */
export async function renderOpenApiJson(root = process.cwd()): Promise<string> {
  return `${JSON.stringify(await currentOpenApi(root), null, 2)}\n`;
}

/** The committed document (what the CDN serves). */
export function readOpenApi(root = process.cwd()): Record<string, unknown> {
  return JSON.parse(readFileSync(`${root}/${OPENAPI_PATH}`, 'utf8')) as Record<string, unknown>;
}
