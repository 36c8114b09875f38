/**
 * Writes lib/http/openapi.generated.ts, the OpenAPI 3.1 document served by GET /api/openapi.json, from the
 * `docs` export of every api/* file. A Vercel function cannot reliably read other functions' files at
 * runtime, and importing every handler would bundle every store into it, so the document is generated
 * here and committed; a test fails when it is stale. `--check` exits 1 instead of writing.
 *
 *   npm run gen:openapi            # after changing an endpoint's schemas or docs
 *   npm run gen:openapi -- --check
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { configureLog } from '../lib/log.js';
import { GENERATED_OPENAPI_PATH, renderOpenApiModule } from './lib/openapi-module.js';

configureLog({ level: 'silent' });
const check = process.argv.includes('--check');
const text = await renderOpenApiModule();
const current = (() => {
  try {
    return readFileSync(GENERATED_OPENAPI_PATH, 'utf8');
  } catch {
    return '';
  }
})();
if (current === text) {
  console.log(`${GENERATED_OPENAPI_PATH} is up to date`);
} else if (check) {
  console.error(`${GENERATED_OPENAPI_PATH} is stale: run npm run gen:openapi`);
  process.exit(1);
} else {
  writeFileSync(GENERATED_OPENAPI_PATH, text);
  console.log(`wrote ${GENERATED_OPENAPI_PATH}`);
}
