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

// Tests read their own logs through captureLogs(); keep the console quiet otherwise.
configureLog({ level: 'silent' });

afterAll(() => {
  configureLog({ level: 'silent' });
});
