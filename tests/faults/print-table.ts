/**
 * Prints the fault matrix table (tests/faults/table.ts) as Markdown; with `--write`, replaces the table
 * between the `faults:table` markers in README.md. Run: `npx tsx tests/faults/print-table.ts --write`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { markdownTable } from './table.js';

const START = '<!-- faults:table:start -->';
const END = '<!-- faults:table:end -->';

const table = markdownTable();
if (process.argv.includes('--write')) {
  const path = new URL('../../README.md', import.meta.url);
  const readme = readFileSync(path, 'utf8');
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) throw new Error(`README.md has no ${START} ... ${END} markers`);
  writeFileSync(path, `${readme.slice(0, from + START.length)}\n${table}\n${readme.slice(to)}`);
  console.log('README.md fault matrix updated');
} else {
  console.log(table);
}
