import * as z from 'zod';
import { requireUser } from '../../lib/auth/guard.js';
import { timebox } from '../../lib/cache/timebox.js';
import { getOutboxReport } from '../../lib/content/admin-status.js';
import { healthTimeoutMs, measureHealth, storeChecks, storeHealthDetailSchema } from '../../lib/health.js';
import { defineDocs } from '../../lib/http/docs.js';
import { methods } from '../../lib/http/handler.js';
import { json } from '../../lib/http/json.js';
import { log } from '../../lib/log.js';
import { getSql } from '../../lib/stores/sql/index.js';

/**
 * GET /api/admin/status: outbox backlog and dead letters, plus every store's health with its error
 * text. Answers with what it can reach: with SQL down or slow the outbox report is null (and
 * `unavailable` says why), the store health is still there. Only the session lookup (cache) is required.
 */
async function status(request: Request): Promise<Response> {
  await requireUser(request, { role: 'admin' });
  const budget = healthTimeoutMs();
  const [outbox, stores] = await Promise.all([
    timebox(
      getSql().then((s) => getOutboxReport({ db: s.db, now: new Date() })),
      budget,
    ).catch((err: unknown) => {
      log.warn('admin status: the outbox report is unavailable', { err });
      return null;
    }),
    measureHealth(storeChecks(), budget),
  ]);
  return json(
    { outbox, unavailable: outbox ? [] : ['outbox'], stores },
    { headers: { 'cache-control': 'private, no-store' } },
  );
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: status });

const responseSchema = z.object({
  /** Null when SQL cannot be reached in time (see `unavailable` and the sql entry of `stores`). */
  outbox: z
    .object({
      byStatus: z.object({ pending: z.number(), done: z.number(), dead: z.number() }),
      due: z.number(),
      oldestPendingSeconds: z.number().nullable(),
      deadLetters: z.array(
        z.object({
          id: z.number(),
          entity: z.string(),
          entityId: z.string(),
          op: z.string(),
          attempts: z.number(),
          lastError: z.string().nullable(),
          createdAt: z.string(),
        }),
      ),
    })
    .nullable(),
  /** Parts of the report that could not be produced (`outbox` when SQL is down). */
  unavailable: z.array(z.enum(['outbox'])),
  stores: z.array(storeHealthDetailSchema),
});

export const docs = defineDocs({
  GET: {
    summary: 'Operational status',
    description:
      'Outbox rows by status, how old the oldest pending row is, recent dead letters with their last error, and store ' +
      'health with each error message. With SQL down it still answers 200: `outbox` is null, `unavailable` lists it ' +
      'and the sql entry of `stores` says why.',
    tags: ['admin'],
    auth: 'admin',
    response: responseSchema,
    errors: ['unauthorized', 'forbidden'],
    example: {
      request: 'GET /api/admin/status',
      response: {
        outbox: {
          byStatus: { pending: 2, done: 418, dead: 1 },
          due: 2,
          oldestPendingSeconds: 3,
          deadLetters: [
            {
              id: 97,
              entity: 'content',
              entityId: '9a1e…',
              op: 'upsert',
              attempts: 8,
              lastError: 'vector store: 503',
              createdAt: '2025-03-01T10:00:00.000Z',
            },
          ],
        },
        unavailable: [],
        stores: [{ store: 'sql', adapter: 'pglite', status: 'up', latencyMs: 0.4 }],
      },
    },
  },
});
