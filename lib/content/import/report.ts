import type { ImportReport } from './run.js';

/** The import summary for a terminal: counts, then every bad record and dangling reference. */
export function printImportReport(report: ImportReport, out: { write(s: string): unknown }): void {
  const { created, updated, unchanged, problems, dangling } = report;
  out.write(
    `concepts: ${created.concepts} created, ${updated.concepts} updated, ${unchanged.concepts} unchanged\n` +
      `content:  ${created.content} created, ${updated.content} updated, ${unchanged.content} unchanged\n`,
  );
  if (problems.length > 0) {
    out.write(`\n${problems.length} bad record(s), skipped:\n`);
    for (const p of problems) out.write(`  ${p.source}: ${p.message}\n`);
  }
  if (dangling.length > 0) {
    out.write(`\n${dangling.length} dangling reference(s), dropped:\n`);
    for (const d of dangling) out.write(`  ${d.from} -> ${d.field} -> ${d.to} (${d.source})\n`);
  }
  if (problems.length === 0 && dangling.length === 0) out.write('no problems\n');
}
