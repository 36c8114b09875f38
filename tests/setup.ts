import { afterAll } from 'vitest';
import { configureLog } from '../lib/log.js';

// msw 3 uses Promise.withResolvers, which Node 20 lacks (Node 22+ has it).
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

// NEO4J_* (CI, `npm run neo4j:start`) is for the suites that ask for the live Neo4j
// (tests/helpers/neo4j.ts); everything else stays on the embedded graph. The production profile keeps
// them: there every store is its production adapter.
if (process.env.TEST_PROFILE !== 'production') {
  for (const key of ['NEO4J_URI', 'NEO4J_USERNAME', 'NEO4J_PASSWORD', 'NEO4J_DATABASE']) {
    const value = process.env[key];
    if (value === undefined) continue;
    process.env[`TEST_${key}`] ??= value;
    delete process.env[key];
  }
}

// Tests read their own logs through captureLogs(); keep the console quiet otherwise.
configureLog({ level: 'silent' });

afterAll(() => {
  configureLog({ level: 'silent' });
});
