import { type BundleReport, isNodeBuiltin, storesReached, topLevelPackagesOf } from './bundles.js';

/**
 * The bundle-isolation rules (DESIGN section 5), as pure checks over bundle reports so the test can run
 * them on the real api/ and on a fixture that breaks each rule. Each returns a list of problems.
 */

/** Which store (or the model layer) owns each heavy client package. */
export const OWNER: Record<string, string[]> = {
  pg: ['sql'],
  '@neondatabase/serverless': ['sql'],
  '@electric-sql/pglite': ['sql'],
  '@electric-sql/pglite-pgvector': ['sql'],
  'drizzle-orm': ['sql'],
  '@pinecone-database/pinecone': ['vector'],
  'neo4j-driver': ['graph'],
  ioredis: ['cache'],
  '@upstash/redis': ['cache', 'config'],
  ai: ['ai'],
  '@ai-sdk/openai': ['ai'],
  '@ai-sdk/gateway': ['ai'],
};

/** Drivers only a store adapter may import (query builders such as drizzle-orm are shared). */
export const DRIVERS: Record<string, string> = {
  pg: 'lib/stores/sql/',
  '@neondatabase/serverless': 'lib/stores/sql/',
  '@electric-sql/pglite': 'lib/stores/',
  '@electric-sql/pglite-pgvector': 'lib/stores/',
  '@pinecone-database/pinecone': 'lib/stores/vector/',
  'neo4j-driver': 'lib/stores/graph/',
  ioredis: 'lib/stores/cache/',
  '@upstash/redis': 'lib/stores/',
};

/** What the edge config function must never contain (it answers with one KV round trip). */
export const NEVER_IN_CONFIG = [
  'pg',
  '@neondatabase/serverless',
  '@electric-sql/pglite',
  '@electric-sql/pglite-pgvector',
  'neo4j-driver',
  '@pinecone-database/pinecone',
  'ioredis',
  'drizzle-orm',
  'ai',
];

/** Stores a store "uses": the `lib/stores/<store>` modules its import graph reaches, plus `ai` for lib/ai. */
export function usedAreas(inputs: string[]): Set<string> {
  const used = new Set(storesReached(inputs));
  if (inputs.some((i) => i.startsWith('lib/ai/'))) used.add('ai');
  return used;
}

/** A client package in a bundle whose owning store the function never reaches. */
export function unusedClients(reports: BundleReport[]): string[] {
  const problems: string[] = [];
  for (const r of reports) {
    const used = usedAreas(r.inputs);
    for (const pkg of new Set([...r.packages, ...r.externals])) {
      const owners = OWNER[pkg];
      if (owners && !owners.some((o) => used.has(o)))
        problems.push(`${r.fn.rel} bundles ${pkg} but reaches none of: ${owners.join(', ')}`);
    }
  }
  return problems;
}

/** A driver imported from outside its store's adapters (handlers and domain code go through the port). */
export function driversOutsideStores(reports: BundleReport[]): string[] {
  const problems: string[] = [];
  for (const r of reports) {
    for (const { path, importer } of r.edges) {
      const spec = topLevelPackagesOf([path])[0] ?? path;
      const pkg = Object.keys(DRIVERS).find((d) => spec === d || spec.startsWith(`${d}/`));
      const prefix = pkg ? DRIVERS[pkg] : undefined;
      if (prefix && !importer.startsWith(prefix))
        problems.push(`${r.fn.rel}: ${importer} imports ${pkg} (only ${prefix}* may)`);
    }
  }
  return problems;
}

/** Heavy clients in the config function. */
export function heavyClientsInConfig(report: BundleReport): string[] {
  return [...new Set([...report.packages, ...report.externals])]
    .filter((p) => NEVER_IN_CONFIG.includes(p))
    .map((p) => `${report.fn.rel} contains ${p}`);
}

/** Node built-ins in edge functions. */
export function builtinsInEdge(reports: BundleReport[]): string[] {
  return reports
    .filter((r) => r.fn.runtime === 'edge')
    .flatMap((r) => r.externals.filter(isNodeBuiltin).map((b) => `${r.fn.rel} imports ${b}`));
}
