import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BundleReport, bundleAll, listApiFunctions, storesReached } from '../../scripts/lib/bundles.js';
import {
  builtinsInEdge,
  driversOutsideStores,
  heavyClientsInConfig,
  unusedClients,
  usedAreas,
} from '../../scripts/lib/isolation.js';

/**
 * Bundle isolation (DESIGN section 5): each function bundles only the clients of the stores its own
 * import graph reaches, drivers are imported only by their store's adapters, and edge functions carry
 * no Node built-ins. One esbuild call per runtime bundles every function (about a second).
 */

/** Stores a function may reach, where the design fixes it (DESIGN sections 4-5). */
const DECLARED: Record<string, { only: string[]; runtime: 'edge' | 'nodejs' }> = {
  'api/config.ts': { only: ['config'], runtime: 'edge' },
};

const fns = listApiFunctions();
let reports: BundleReport[] = [];
let fixture: BundleReport[] = [];

beforeAll(async () => {
  const fixtureRoot = join(import.meta.dirname, '../fixtures/bundles');
  [reports, fixture] = await Promise.all([
    bundleAll(fns),
    bundleAll(listApiFunctions(fixtureRoot), { root: fixtureRoot }),
  ]);
}, 60_000);

describe('bundle isolation of api/*', () => {
  it('happy: finds every api function and bundles each of them', () => {
    expect(fns.map((f) => f.rel)).toContain('api/health.ts');
    expect(reports.map((r) => r.fn.rel).sort()).toEqual(fns.map((f) => f.rel).sort());
    for (const r of reports) expect(r.bytes).toBeGreaterThan(0);
  });

  it('security: no function bundles a store client whose store its import graph never reaches', () => {
    expect(unusedClients(reports)).toEqual([]);
  });

  it('security: drivers are imported only by their store adapters, never by handlers or domain code', () => {
    expect(driversOutsideStores(reports)).toEqual([]);
  });

  it('security: functions whose stores the design fixes reach nothing else and keep their runtime', () => {
    const problems: string[] = [];
    for (const r of reports) {
      const declared = DECLARED[r.fn.rel];
      if (!declared) continue;
      if (r.fn.runtime !== declared.runtime) problems.push(`${r.fn.rel} must run on ${declared.runtime}`);
      const extra = [...usedAreas(r.inputs)].filter((s) => !declared.only.includes(s));
      if (extra.length) problems.push(`${r.fn.rel} reaches ${extra.join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('security: the config function contains none of the heavy store clients', () => {
    const config = reports.find((r) => r.fn.rel === 'api/config.ts');
    // Until the config function exists there is nothing to check; the fixture below proves the check.
    expect(config ? heavyClientsInConfig(config) : []).toEqual([]);
  });

  it('security: edge functions contain no Node built-in', () => {
    expect(builtinsInEdge(reports)).toEqual([]);
  });

  it('happy: the health function reaches the stores it checks', () => {
    const health = reports.find((r) => r.fn.rel === 'api/health.ts');
    expect(storesReached(health?.inputs ?? [])).toEqual(expect.arrayContaining(['sql', 'cache', 'config']));
  });
});

describe('bundle isolation checks catch violations (fixture api/)', () => {
  it('error: a handler importing a driver directly is reported, with the importing file', () => {
    expect(driversOutsideStores(fixture)).toEqual([
      'api/leaky.ts: api/leaky.ts imports neo4j-driver (only lib/stores/graph/* may)',
    ]);
  });

  it('error: a client whose store is never reached is reported', () => {
    const problems = unusedClients(fixture);
    expect(problems).toContain('api/leaky.ts bundles neo4j-driver but reaches none of: graph');
    expect(problems).toContain('api/config.ts bundles drizzle-orm but reaches none of: sql');
  });

  it('error: a Node built-in in an edge function is reported', () => {
    expect(builtinsInEdge(fixture)).toEqual(['api/config.ts imports node:crypto']);
  });

  it('error: a heavy client in the config function is reported', () => {
    const config = fixture.find((r) => r.fn.rel === 'api/config.ts');
    expect(config && heavyClientsInConfig(config)).toEqual(['api/config.ts contains drizzle-orm']);
  });
});
