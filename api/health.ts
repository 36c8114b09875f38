import * as z from 'zod';
import { measureHealth, publicHealth, storeChecks, storeHealthSchema } from '../lib/health.js';
import { defineDocs } from '../lib/http/docs.js';
import { methods } from '../lib/http/handler.js';
import { json } from '../lib/http/json.js';
import { log } from '../lib/log.js';

/**
 * GET /api/health: every store's adapter, status and latency; 200 when all are up, else 503. A store
 * that is down is named with a reason from a fixed vocabulary; its error text goes to the logs and to
 * the admin status endpoint, never to this public answer.
 */
async function health(): Promise<Response> {
  let stores: Awaited<ReturnType<typeof measureHealth>>;
  try {
    stores = await measureHealth(storeChecks());
  } catch (err) {
    // A misconfigured environment is reported, not thrown; which variable is wrong goes to the logs.
    log.error('health: the environment is misconfigured', { err });
    return json(
      { status: 'down', error: { code: 'misconfigured', message: 'The server is misconfigured.' } },
      { status: 503, headers: { 'cache-control': 'no-store' } },
    );
  }
  const down = stores.filter((s) => s.status === 'down').map((s) => s.store);
  return json(
    { status: down.length ? 'degraded' : 'ok', down, stores: stores.map(publicHealth) },
    { status: down.length ? 503 : 200, headers: { 'cache-control': 'no-store' } },
  );
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: health });

export const docs = defineDocs({
  GET: {
    summary: 'Health of every store',
    description:
      'Each store with its adapter, status and latency. 200 when all are up; 503 with the same body, naming the stores that are down and why (`timeout`, `unreachable` or `failing`). No error text: the details are in the logs and GET /api/admin/status.',
    tags: ['meta'],
    response: z.looseObject({
      status: z.enum(['ok', 'degraded', 'down']),
      down: z.array(z.string()),
      stores: z.array(storeHealthSchema),
    }),
    example: {
      request: 'GET /api/health',
      response: {
        status: 'ok',
        down: [],
        stores: [{ store: 'sql', adapter: 'pglite', status: 'up', latencyMs: 0.4 }],
      },
    },
  },
});
