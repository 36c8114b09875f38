import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheTimeoutError, timebox } from '../../lib/cache/timebox.js';
import { toErrorResponse } from '../../lib/http/errors.js';
import type { Cache } from '../../lib/stores/cache/index.js';
import { MemoryCache } from '../../lib/stores/cache/memory.js';
import { openPostgres } from '../../lib/stores/sql/postgres.js';
import { isStoreUnavailable } from '../../lib/stores/unavailable.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { closedPort, faulty } from '../helpers/faults.js';

/** The pieces the fault matrix relies on, each on its own. */

describe('isStoreUnavailable', () => {
  it('happy: a refused connection from the real node-postgres driver is an outage', async () => {
    const store = openPostgres(`postgres://postgres@127.0.0.1:${await closedPort()}/none`);
    const err = await store.db.execute('select 1').then(
      () => null,
      (e: unknown) => e,
    );
    await store.close();
    expect(isStoreUnavailable(err)).toBe(true);
    const res = toErrorResponse(err, 'req-1');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toEqual({
      error: { code: 'service_unavailable', message: expect.any(String), requestId: 'req-1' },
    });
  });

  it('happy: codes anywhere in the cause chain count (fetch failed -> ECONNREFUSED, pg class 08)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isStoreUnavailable(new TypeError('fetch failed', { cause: refused }))).toBe(true);
    expect(isStoreUnavailable(Object.assign(new Error('x'), { code: '08006' }))).toBe(true);
    expect(isStoreUnavailable(new AggregateError([refused], 'all attempts failed'))).toBe(true);
    expect(isStoreUnavailable(Object.assign(new Error('neo4j'), { code: 'ServiceUnavailable' }))).toBe(true);
  });

  it('error: a bug or a bad query is not an outage, so it stays a logged 500', async () => {
    expect(isStoreUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(
      false,
    );
    expect(isStoreUnavailable(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false);
    expect(isStoreUnavailable(Object.assign(new Error('unique'), { code: '23505' }))).toBe(false);
    expect(toErrorResponse(new Error('boom')).status).toBe(500);
  });
});

describe('timebox', () => {
  it('error: work that does not answer in time is rejected with CacheTimeoutError', async () => {
    await expect(timebox(new Promise(() => {}), 20)).rejects.toBeInstanceOf(CacheTimeoutError);
  });

  it('happy: an answer that arrives in the same loop turn as the expiring timer still wins', async () => {
    // The answer lands in the check phase right after the timers phase in which the budget expires,
    // as an I/O answer does after a long synchronous task (PGlite's WASM, a big JSON parse) held the loop.
    let resolveAnswer: (v: string) => void = () => {};
    const answer = new Promise<string>((resolve) => {
      resolveAnswer = resolve;
    });
    setTimeout(() => setImmediate(() => resolveAnswer('answer')), 10);
    const boxed = timebox(answer, 10);
    const until = Date.now() + 30;
    while (Date.now() < until) {
      // the loop is busy past both timers
    }
    await expect(boxed).resolves.toBe('answer');
  });
});

describe('health inside a short request deadline', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Pings get half the deadline, so a hung store is named instead of the request timing out.
    t = await createTestApp({ env: { REQUEST_TIMEOUT_MS: '1000' } });
  });
  afterAll(() => t.close());

  it('error: a hung cache is reported down by name, within the deadline', async () => {
    const hung = faulty(new MemoryCache(), 'slow', { delayMs: 5000 }) as Cache;
    const t2 = await createTestApp({ sql: t.sql, cache: hung, env: { REQUEST_TIMEOUT_MS: '1000' } });
    const res = await t2.request('GET', '/api/health');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { down: string[]; stores: { store: string; reason?: string }[] };
    expect(body.down).toEqual(['cache']);
    expect(body.stores.find((s) => s.store === 'cache')?.reason).toBe('timeout');
  });
});
