import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type ApiFunction, bundleOne, topLevelPackagesOf } from '../../scripts/lib/bundles.js';
import { median, round } from './machine.js';

export interface BundleFigure {
  function: string;
  runtime: 'nodejs' | 'edge';
  /** Minified bytes of the entry and every chunk it can load. */
  minBytes: number;
  gzipBytes: number;
  /** Minified bytes loaded at import: the entry and the chunks it imports statically (dynamic imports load later). */
  importMinBytes: number;
  packages: string[];
  externals: string[];
  /** Median ms to import the built bundle in a fresh node process (Node functions only). */
  coldImportMs: number | null;
  coldImportRuns: number[];
}

/** Bundles each function on its own (production adapters, minified, dynamic imports split). */
export async function measureBundles(fns: ApiFunction[], outdir: string, runs = 3): Promise<BundleFigure[]> {
  rmSync(outdir, { recursive: true, force: true });
  const figures: BundleFigure[] = [];
  for (const fn of fns) {
    const dir = join(outdir, fn.rel.replace(/\.ts$/, '').replace(/[/[\]]/g, '_'));
    const report = await bundleOne(fn, { outdir: dir, minify: true });
    let gzip = 0;
    let importBytes = 0;
    const atImport = new Set(report.importOutputs);
    for (const file of report.outputs) {
      const bytes = readFileSync(file);
      gzip += gzipSync(bytes, { level: 9 }).byteLength;
      if (atImport.has(file)) importBytes += bytes.byteLength;
    }
    const entry = report.outputs[0] ?? '';
    const times = fn.runtime === 'nodejs' ? coldImports(entry, runs) : [];
    figures.push({
      function: fn.pattern,
      runtime: fn.runtime,
      minBytes: report.bytes,
      gzipBytes: gzip,
      importMinBytes: importBytes,
      packages: topLevelPackagesOf(report.inputs),
      externals: report.externals.filter((e) => !e.startsWith('node:')),
      coldImportMs: times.length ? round(median(times), 1) : null,
      coldImportRuns: times.map((t) => round(t, 1)),
    });
  }
  return figures;
}

/** Imports a bundle in `runs` fresh node processes; each reports the ms its import took. */
function coldImports(file: string, runs: number): number[] {
  const url = pathToFileURL(file).href;
  const script = `const t = performance.now(); await import(${JSON.stringify(url)}); console.log(performance.now() - t);`;
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', LOG_LEVEL: 'silent' },
      timeout: 30_000,
    });
    const ms = Number(res.stdout.trim().split('\n').pop());
    if (res.status !== 0 || !Number.isFinite(ms))
      throw new Error(`importing ${relative(process.cwd(), file)} failed: ${res.stderr.slice(0, 500)}`);
    out.push(ms);
  }
  return out;
}
