import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The suites that use the live Neo4j when NEO4J_URI is set (tests/helpers/neo4j.ts). The server has
 * one database, so they run one file at a time, after the rest (which run two at a time).
 */
const NEO4J_SUITES = [
  'tests/contract/graph.contract.test.ts',
  'tests/api/graph.test.ts',
  'tests/api/graph-metacademy.test.ts',
  'tests/faults/recovery.test.ts',
  'tests/faults/neo4j-live.test.ts',
];

/**
 * `npm run test:production-profile` (TEST_PROFILE=production): the API suite with every store on its
 * production adapter (tests/helpers/production.ts), one file at a time, since the live Neo4j has one
 * database.
 */
const productionProfile = process.env.TEST_PROFILE === 'production';

export default defineConfig({
  test: {
    globalSetup: ['tests/global-setup.ts'],
    setupFiles: ['tests/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: productionProfile
      ? [
          {
            extends: true,
            test: {
              name: `production (sql ${process.env.TEST_PROFILE_SQL ?? 'postgres'}, cache ${process.env.TEST_PROFILE_CACHE ?? 'redis'})`,
              include: ['tests/api/**/*.test.ts'],
              maxWorkers: 1,
            },
          },
        ]
      : [
          {
            extends: true,
            test: {
              name: 'main',
              include: ['tests/**/*.test.ts'],
              exclude: [...configDefaults.exclude, ...NEO4J_SUITES],
              maxWorkers: 2,
              sequence: { groupOrder: 0 },
            },
          },
          {
            extends: true,
            test: { name: 'graph', include: NEO4J_SUITES, maxWorkers: 1, sequence: { groupOrder: 1 } },
          },
        ],
  },
});
