import { measureHealth, storeChecks } from '../lib/health.js';
import { methods } from '../lib/http/handler.js';
import { json } from '../lib/http/json.js';

/** GET /api/health: every store's adapter, status and latency; 200 when all are up, else 503. */
async function health(): Promise<Response> {
  let stores: Awaited<ReturnType<typeof measureHealth>>;
  try {
    stores = await measureHealth(storeChecks());
  } catch (err) {
    // A misconfigured environment is reported, not thrown.
    const message = err instanceof Error ? err.message.split('\n')[0] : 'unknown';
    return json({ status: 'down', error: { code: 'misconfigured', message } }, { status: 503 });
  }
  const down = stores.filter((s) => s.status === 'down').map((s) => s.store);
  return json(
    { status: down.length ? 'degraded' : 'ok', down, stores },
    { status: down.length ? 503 : 200, headers: { 'cache-control': 'no-store' } },
  );
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: health });
