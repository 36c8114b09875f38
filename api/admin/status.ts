import { z } from 'zod';
import { requireUser } from '../../lib/auth/guard.js';
import { getOutboxReport } from '../../lib/content/admin-status.js';
import { measureHealth, storeChecks, storeHealthSchema } from '../../lib/health.js';
import { defineDocs } from '../../lib/http/docs.js';
import { methods } from '../../lib/http/handler.js';
import { json } from '../../lib/http/json.js';
import { getSql } from '../../lib/stores/sql/index.js';

/** GET /api/admin/status: outbox backlog and dead letters, plus every store's health. */
async function status(request: Request): Promise<Response> {
  await requireUser(request, { role: 'admin' });
  const [outbox, stores] = await Promise.all([
    getSql().then((s) => getOutboxReport({ db: s.db, now: new Date() })),
    measureHealth(storeChecks()),
  ]);
  return json({ outbox, stores }, { headers: { 'cache-control': 'private, no-store' } });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: status });

const responseSchema = z.object({
  outbox: z.object({
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
  }),
  stores: z.array(storeHealthSchema),
});

export const docs = defineDocs({
  GET: {
    summary: 'Operational status',
    description:
      'Outbox rows by status, how old the oldest pending row is, recent dead letters with their last error, and store health.',
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
        stores: [{ store: 'sql', adapter: 'pglite', status: 'up', latencyMs: 0.4 }],
      },
    },
  },
});
