import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve, sep } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { scanApiRoutes } from '../../lib/dev/router.js';

/**
 * Bundles `api/*` functions the way production would load them, for the bundle-isolation test and the
 * benchmarks: everything is bundled except Node built-ins and the embedded-only modules below.
 */

/** One Vercel function: its file, route and declared runtime. */
export interface ApiFunction {
  /** Absolute path. */
  file: string;
  /** e.g. `api/content/[slug].ts` */
  rel: string;
  /** e.g. `/api/content/[slug]` */
  pattern: string;
  runtime: 'nodejs' | 'edge';
}

/**
 * Packages production never loads: PGlite (Postgres in WASM, ~10 MB with its data files) is the embedded
 * default, imported lazily only when no DATABASE_URL is set, which never happens on Vercel. Bundling it
 * would measure a dev-only dependency, so it stays external (an `import()` that is never reached).
 */
export const EMBEDDED_ONLY = ['@electric-sql/pglite', '@electric-sql/pglite-pgvector'];

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

export function isNodeBuiltin(path: string): boolean {
  return NODE_BUILTINS.has(path) || path.startsWith('node:');
}

/** Every function under `api/`, with the runtime its `config` export declares. */
export function listApiFunctions(root = process.cwd()): ApiFunction[] {
  return scanApiRoutes(join(root, 'api'))
    .map((r) => ({
      file: r.file,
      rel: relative(root, r.file).split(sep).join('/'),
      pattern: r.pattern,
      runtime: declaredRuntime(readFileSync(r.file, 'utf8')),
    }))
    .sort((a, b) => a.rel.localeCompare(b.rel));
}

/** `export const config = { runtime: 'edge' }` marks an edge function; anything else runs on Node. */
export function declaredRuntime(source: string): 'nodejs' | 'edge' {
  const config = /export\s+const\s+config\s*=\s*\{([^}]*)\}/.exec(source)?.[1] ?? '';
  return /runtime\s*:\s*['"]edge['"]/.test(config) ? 'edge' : 'nodejs';
}

/** What went into one function's bundle. */
export interface BundleReport {
  fn: ApiFunction;
  /** Repo-relative inputs (source files and node_modules files). */
  inputs: string[];
  /** Package names found in the bundle (every `node_modules/<pkg>` segment). */
  packages: string[];
  /** Imports left external: Node built-ins and embedded-only modules. */
  externals: string[];
  /** Imports made by the project's own files in this bundle (`importer` -> `path`), for ownership checks. */
  edges: { importer: string; path: string }[];
  /** Output bytes (entry plus every chunk it can load), before compression. */
  bytes: number;
  /** Output files, absolute, when written. */
  outputs: string[];
  /** The outputs Node loads when importing the entry: the entry and the chunks it imports statically. */
  importOutputs: string[];
}

export interface BundleOptions {
  root?: string;
  minify?: boolean;
  /** Where to write bundles; nothing is written when unset. */
  outdir?: string;
  /** Split dynamic imports into chunks (per-function builds), as Node loads them lazily. */
  splitting?: boolean;
  plugins?: BuildOptions['plugins'];
}

/** esbuild options for a function's runtime. */
export function buildOptions(runtime: 'nodejs' | 'edge', o: BundleOptions): BuildOptions {
  const common: BuildOptions = {
    absWorkingDir: resolve(o.root ?? process.cwd()),
    bundle: true,
    format: 'esm',
    metafile: true,
    minify: o.minify ?? true,
    write: Boolean(o.outdir),
    outdir: o.outdir ?? 'out/bundles',
    splitting: o.splitting ?? false,
    logLevel: 'silent',
    legalComments: 'none',
    target: 'es2022',
    external: [...EMBEDDED_ONLY, ...EMBEDDED_ONLY.map((p) => `${p}/*`)],
    ...(o.plugins ? { plugins: o.plugins } : {}),
  };
  if (runtime === 'edge') {
    // Vercel's edge runtime: Web APIs only. Built-ins stay external so the check can see them.
    return {
      ...common,
      platform: 'browser',
      conditions: ['edge-light', 'worker', 'browser'],
      external: [...(common.external ?? []), ...NODE_BUILTINS],
    };
  }
  return {
    ...common,
    platform: 'node',
    outExtension: { '.js': '.mjs' },
    // Bundled CommonJS packages call require(); give ESM output one.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  };
}

/**
 * Bundles many functions in one esbuild call per runtime (fast: used by the isolation test), without
 * splitting, so each entry's output lists everything it can ever load.
 */
export async function bundleAll(fns: ApiFunction[], o: BundleOptions = {}): Promise<BundleReport[]> {
  const root = resolve(o.root ?? process.cwd());
  const groups = (['nodejs', 'edge'] as const).map((rt) => fns.filter((f) => f.runtime === rt));
  const results = await Promise.all(
    groups.map(async (group, i) => {
      if (group.length === 0) return [];
      const runtime = i === 0 ? 'nodejs' : 'edge';
      const result = await build({
        ...buildOptions(runtime, { ...o, splitting: false }),
        entryPoints: group.map((f) => f.file),
        outbase: join(root, 'api'),
      });
      const meta = result.metafile;
      if (!meta) throw new Error('esbuild returned no metafile');
      return group.map((fn) => reportFor(fn, meta, root));
    }),
  );
  return results.flat();
}

/** Bundles one function on its own, with dynamic imports split into chunks (the benchmarks). */
export async function bundleOne(
  fn: ApiFunction,
  o: BundleOptions & { outdir: string },
): Promise<BundleReport> {
  const root = resolve(o.root ?? process.cwd());
  const result = await build({
    ...buildOptions(fn.runtime, { ...o, splitting: o.splitting ?? true }),
    entryPoints: [fn.file],
    outbase: join(root, 'api'),
  });
  if (!result.metafile) throw new Error('esbuild returned no metafile');
  return reportFor(fn, result.metafile, root);
}

function reportFor(fn: ApiFunction, meta: Metafile, root: string): BundleReport {
  const entryRel = relative(root, fn.file).split(sep).join('/');
  const outputs = Object.entries(meta.outputs);
  const entry = outputs.find(([, out]) => out.entryPoint === entryRel);
  if (!entry) throw new Error(`no esbuild output for ${entryRel}`);
  // Follow the entry's chunks (static and dynamic imports between outputs).
  const seen = new Set<string>([entry[0]]);
  const queue = [entry[0]];
  while (queue.length) {
    const path = queue.pop() ?? '';
    for (const imp of meta.outputs[path]?.imports ?? []) {
      if (!imp.external && meta.outputs[imp.path] && !seen.has(imp.path)) {
        seen.add(imp.path);
        queue.push(imp.path);
      }
    }
  }
  // What importing the entry loads: static imports only (dynamic ones load on first use).
  const atImport = new Set<string>([entry[0]]);
  const staticQueue = [entry[0]];
  while (staticQueue.length) {
    const path = staticQueue.pop() ?? '';
    for (const imp of meta.outputs[path]?.imports ?? []) {
      if (
        imp.kind === 'import-statement' &&
        !imp.external &&
        meta.outputs[imp.path] &&
        !atImport.has(imp.path)
      ) {
        atImport.add(imp.path);
        staticQueue.push(imp.path);
      }
    }
  }
  const inputs = new Set<string>();
  const externals = new Set<string>();
  let bytes = 0;
  for (const path of seen) {
    const out = meta.outputs[path];
    if (!out) continue;
    bytes += out.bytes;
    for (const input of Object.keys(out.inputs)) inputs.add(input);
    for (const imp of out.imports) if (imp.external) externals.add(imp.path);
  }
  const sorted = [...inputs].sort();
  const edges = sorted
    .filter((i) => !i.includes('node_modules/'))
    .flatMap((importer) =>
      (meta.inputs[importer]?.imports ?? []).map((imp) => ({ importer, path: imp.path })),
    );
  return {
    edges,
    fn,
    inputs: sorted,
    packages: packagesOf(sorted),
    externals: [...externals].sort(),
    bytes,
    outputs: [...seen].map((p) => resolve(root, p)),
    importOutputs: [...atImport].map((p) => resolve(root, p)),
  };
}

/** Package names in bundle inputs: every `node_modules/<name>` (scoped names kept whole). */
export function packagesOf(inputs: string[]): string[] {
  const names = new Set<string>();
  for (const input of inputs) {
    const re = /node_modules\/((?:@[^/]+\/)?[^/]+)/g;
    for (const m of input.matchAll(re)) if (m[1]) names.add(m[1]);
  }
  return [...names].sort();
}

/** Top-level packages only (the first `node_modules/<name>` of each input). */
export function topLevelPackagesOf(inputs: string[]): string[] {
  const names = new Set<string>();
  for (const input of inputs) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    if (m?.[1]) names.add(m[1]);
  }
  return [...names].sort();
}

/** The `lib/stores/<store>` modules a bundle reaches. */
export function storesReached(inputs: string[]): string[] {
  const stores = new Set<string>();
  for (const input of inputs) {
    const m = /^lib\/stores\/([^/]+)\//.exec(input);
    if (m?.[1]) stores.add(m[1]);
  }
  return [...stores].sort();
}
