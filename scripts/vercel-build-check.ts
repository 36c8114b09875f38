/**
 * Vercel build check (`npm run check:vercel`): runs the real `vercel build` (CLI 58.10.0, a dev
 * dependency) offline and checks its output: every api/* file is a function with its declared runtime
 * (`nodejs24.x`, or `edge`), no function without a file, and vercel.json's crons and rewrites made it
 * into `.vercel/output/config.json` (a rewrite onto a static file, such as public/openapi.json, finds it
 * in `.vercel/output/static`).
 *
 * It builds a staged copy in out/vercel-check/ (node_modules hard-linked), so edits made while it runs
 * cannot mix into the build. By default the staged sources are the TypeScript files transpiled to
 * JavaScript with TypeScript's transpileModule (same paths, no type-check): @vercel/node otherwise type-checks every function
 * with a fresh TypeScript language service over the whole project, which took 5-10 minutes for ~25
 * functions on this 2-core machine, and CI already runs `tsc --noEmit`. `--ts` stages the .ts sources
 * as they are (what a real deployment compiles); `--in-place` builds the repo itself. Dependencies are
 * already installed, so VERCEL_INSTALL_COMPLETED=1 skips its `npm install`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { type ApiFunction, listApiFunctions } from './lib/bundles.js';

const root = process.cwd();
const inPlace = process.argv.includes('--in-place');
const keepTs = process.argv.includes('--ts');
const dir = inPlace ? root : resolve(root, 'out/vercel-check');
const started = performance.now();

if (!inPlace) await stage(dir);
mkdirSync(join(dir, '.vercel'), { recursive: true });
// What `vercel link` would write; nodeVersion 24.x is what Vercel builds with (DESIGN section 6).
writeFileSync(
  join(dir, '.vercel/project.json'),
  `${JSON.stringify({ projectId: 'prj_local', orgId: 'team_local', settings: { framework: null, nodeVersion: '24.x' } })}\n`,
);
rmSync(join(dir, '.vercel/output'), { recursive: true, force: true });

const buildStarted = performance.now();
const code = await run(
  process.execPath,
  [join(root, 'node_modules/vercel/dist/index.js'), 'build', '--yes'],
  dir,
);
const buildSeconds = (performance.now() - buildStarted) / 1000;
if (code !== 0) {
  console.error(`vercel build failed with exit code ${code} (log above)`);
  process.exit(1);
}

const fns = listApiFunctions(root);
const problems = checkOutput(dir, fns);
console.log(
  `\nvercel build: ${fns.length} functions in ${buildSeconds.toFixed(0)} s ` +
    `(total ${((performance.now() - started) / 1000).toFixed(0)} s)`,
);
for (const fn of fns) console.log(`  ${fn.runtime.padEnd(6)} ${fn.pattern}`);
if (problems.length) {
  console.error(`\n${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('vercel build check passed: every function has its runtime, crons and rewrites are present');

/** Copies what a deployment contains into `to`, with node_modules hard-linked (instant, no space). */
async function stage(to: string): Promise<void> {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  const sources: string[] = [];
  for (const name of ['api', 'lib', 'db', 'public', 'package.json', 'package-lock.json', 'vercel.json'])
    if (existsSync(join(root, name)))
      cpSync(join(root, name), join(to, name), {
        recursive: true,
        filter: (src) => {
          if (keepTs || !/\.ts$/.test(src) || src.endsWith('.d.ts')) return true;
          sources.push(src);
          return false;
        },
      });
  // Same paths with .js: relative imports already say `.js`. TypeScript's own transpiler (as @vercel/node
  // uses, minus the type-check) keeps `export const config = {...}` as written, which Vercel reads
  // statically to pick the edge runtime.
  for (const src of sources) {
    const out = join(to, relative(root, src)).replace(/\.ts$/, '.js');
    const { outputText } = ts.transpileModule(readFileSync(src, 'utf8'), {
      fileName: src,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
        sourceMap: false,
      },
    });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  if (!keepTs) {
    // vercel.json's `functions` globs name the sources; point them at the transpiled files.
    const vercelJson = JSON.parse(readFileSync(join(to, 'vercel.json'), 'utf8')) as {
      functions?: Record<string, unknown>;
    };
    if (vercelJson.functions)
      vercelJson.functions = Object.fromEntries(
        Object.entries(vercelJson.functions).map(([k, v]) => [k.replace(/\.ts$/, '.js'), v]),
      );
    writeFileSync(join(to, 'vercel.json'), JSON.stringify(vercelJson, null, 2));
  }
  const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(to, 'tsconfig.json'), JSON.stringify({ ...tsconfig, include: ['api', 'lib', 'db'] }));
  const linked = spawnSync('cp', ['-al', join(root, 'node_modules'), join(to, 'node_modules')]);
  if (linked.status !== 0) cpSync(join(root, 'node_modules'), join(to, 'node_modules'), { recursive: true });
}

function run(cmd: string, args: string[], cwd: string): Promise<number> {
  return new Promise((done) => {
    const child = spawn(cmd, args, {
      cwd,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        VERCEL_INSTALL_COMPLETED: '1',
        VERCEL_TELEMETRY_DISABLED: '1',
        NO_UPDATE_NOTIFIER: '1',
        CI: '1',
      },
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), 10 * 60_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      done(c ?? 1);
    });
  });
}

interface VcConfig {
  runtime?: string;
  handler?: string;
  entrypoint?: string;
}

/** Compares `.vercel/output` with api/ and vercel.json. */
export function checkOutput(base: string, fns: ApiFunction[]): string[] {
  const problems: string[] = [];
  const out = join(base, '.vercel/output');
  const vercel = JSON.parse(readFileSync(join(base, 'vercel.json'), 'utf8')) as {
    crons?: { path: string; schedule: string }[];
    rewrites?: { source: string; destination: string }[];
  };
  const expected = new Set<string>();
  for (const fn of fns) {
    const funcDir = join(out, 'functions', `${fn.rel.replace(/\.(ts|js|mjs)$/, '')}.func`);
    expected.add(funcDir);
    const configPath = join(funcDir, '.vc-config.json');
    if (!existsSync(configPath)) {
      problems.push(`${fn.rel}: no function in .vercel/output (${configPath} missing)`);
      continue;
    }
    if (existsSync(join(funcDir, 'node_modules/@electric-sql')))
      problems.push(`${fn.rel}: ships the embedded-only PGlite (vercel.json excludeFiles should drop it)`);
    const vc = JSON.parse(readFileSync(configPath, 'utf8')) as VcConfig;
    const want = fn.runtime === 'edge' ? 'edge' : 'nodejs24.x';
    if (vc.runtime !== want) problems.push(`${fn.rel}: runtime ${vc.runtime ?? '(none)'}, declared ${want}`);
  }
  const found = spawnSync('find', [join(out, 'functions'), '-name', '*.func', '-type', 'd'], {
    encoding: 'utf8',
  });
  for (const f of found.stdout.split('\n').filter(Boolean))
    if (!expected.has(f)) problems.push(`unexpected function ${f.slice(out.length)}`);

  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
    crons?: { path: string; schedule: string }[];
    routes?: { src?: string; dest?: string }[];
  };
  for (const cron of vercel.crons ?? []) {
    if (!config.crons?.some((c) => c.path === cron.path && c.schedule === cron.schedule))
      problems.push(`cron ${cron.path} (${cron.schedule}) missing from .vercel/output/config.json`);
    const target = join(out, 'functions', `${cron.path.slice(1).split('?')[0]}.func`);
    if (!existsSync(target)) problems.push(`cron ${cron.path} has no function`);
  }
  for (const r of vercel.rewrites ?? []) {
    if (!config.routes?.some((route) => route.dest === r.destination))
      problems.push(`rewrite ${r.source} -> ${r.destination} missing from config.json routes`);
    // A rewrite onto a static file (public/openapi.json) needs the file on the CDN.
    if (!r.destination.startsWith('/api/') && !existsSync(join(out, 'static', r.destination)))
      problems.push(`rewrite ${r.source} -> ${r.destination}: no such file in .vercel/output/static`);
  }
  return problems;
}
