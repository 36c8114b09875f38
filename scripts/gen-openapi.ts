/**
 * Writes public/openapi.json, the OpenAPI 3.1 document, from the `docs` export of every api/* file. It is
 * a static file on the CDN (vercel.json rewrites /api/openapi.json to it), so no function loads it;
 * a test fails when the committed file is stale. `--check` exits 1 instead of writing.
 *
 *   npm run gen:openapi            # after changing an endpoint's schemas or docs
 *   npm run gen:openapi -- --check
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { configureLog } from '../lib/log.js';
import { OPENAPI_PATH, renderOpenApiJson } from './lib/openapi-document.js';

configureLog({ level: 'silent' });
const check = process.argv.includes('--check');
const text = await renderOpenApiJson();
const current = (() => {
  try {
    return readFileSync(OPENAPI_PATH, 'utf8');
  } catch {
    return '';
  }
})();
if (current === text) {
  console.log(`${OPENAPI_PATH} is up to date`);
} else if (check) {
  console.error(`${OPENAPI_PATH} is stale: run npm run gen:openapi`);
  process.exit(1);
} else {
  writeFileSync(OPENAPI_PATH, text);
  console.log(`wrote ${OPENAPI_PATH}`);
}
