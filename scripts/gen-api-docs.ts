/**
 * Regenerates the README's API reference (between `<!-- api:start -->` and `<!-- api:end -->`) from the
 * OpenAPI document in public/openapi.json. `--check` exits 1 when the README is stale.
 *
 *   npm run gen:openapi && npm run gen:api-docs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderApiReference, replaceApiSection } from './lib/api-docs.js';
import { readOpenApi } from './lib/openapi-document.js';

const readme = readFileSync('README.md', 'utf8');
const next = replaceApiSection(readme, renderApiReference(readOpenApi()));
if (next === readme) console.log('README.md API reference is up to date');
else if (process.argv.includes('--check')) {
  console.error('README.md API reference is stale: run npm run gen:api-docs');
  process.exit(1);
} else {
  writeFileSync('README.md', next);
  console.log('wrote the API reference in README.md');
}
