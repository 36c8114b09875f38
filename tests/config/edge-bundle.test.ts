import { builtinModules } from 'node:module';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

/** The packages an edge function must never bundle: SQL, vector, graph, AI clients and TCP Redis. */
const FORBIDDEN = [
  'pg',
  '@electric-sql',
  'neo4j-driver',
  '@pinecone-database',
  'ai',
  '@ai-sdk',
  'ioredis',
  'drizzle-orm',
];
const BUILTINS = new Set(builtinModules);

function packageOf(input: string): string | null {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return m?.[1] ?? null;
}

describe('api/config.ts edge bundle', () => {
  let meta: Metafile;
  beforeAll(async () => {
    // 'neutral' has no Node built-ins: importing one (node:fs, crypto, ...) fails the build outright.
    const result = await build({
      entryPoints: ['api/config.ts'],
      bundle: true,
      platform: 'neutral',
      format: 'esm',
      mainFields: ['module', 'main'],
      conditions: ['edge-light', 'worker', 'browser'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    meta = result.metafile;
  });

  it('security: imports no Node built-in', () => {
    const imports = Object.values(meta.inputs).flatMap((i) => i.imports.map((x) => x.path));
    const external = Object.values(meta.outputs).flatMap((o) => o.imports.map((x) => x.path));
    for (const path of [...imports, ...external]) {
      expect(path.startsWith('node:'), path).toBe(false);
      expect(BUILTINS.has(path), path).toBe(false);
    }
  });

  it('security: contains no SQL, vector, graph or AI client', () => {
    const packages = new Set(
      Object.keys(meta.inputs)
        .map(packageOf)
        .filter((p): p is string => p !== null),
    );
    for (const p of packages)
      for (const f of FORBIDDEN) expect(p === f || p.startsWith(`${f}/`), `${p} is bundled`).toBe(false);
    expect(packages.has('@upstash/redis')).toBe(true); // the config store client is the one store it reaches
    const own = Object.keys(meta.inputs).filter((k) => !k.includes('node_modules'));
    expect(own.some((k) => k.startsWith('lib/stores/sql') || k.startsWith('lib/stores/cache'))).toBe(false);
  });
});
