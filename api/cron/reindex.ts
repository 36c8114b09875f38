import * as z from 'zod';
import { env } from '../../lib/env.js';
import { requireCron } from '../../lib/http/cron-auth.js';
import { defineDocs } from '../../lib/http/docs.js';
import { ApiError } from '../../lib/http/errors.js';
import { methods } from '../../lib/http/handler.js';
import { json } from '../../lib/http/json.js';
import { getSql } from '../../lib/stores/sql/index.js';
import { runReindexJob } from '../../lib/sync/job.js';

export const config = { maxDuration: 60 };

/**
 * GET /api/cron/reindex (Vercel Cron, every 5 minutes): drains the outbox into the vector and graph
 * projections for a bounded time. Cron may deliver twice or overlap; a job lease makes the second run
 * answer `skipped` instead of doing the same work. The run ends inside the request deadline: it stops
 * claiming batches after 60% of it, and a run still going just before the deadline (a store that
 * hangs) gives its lease up and answers 503 `timeout`, so the next run is not locked out.
 */
async function reindex(request: Request): Promise<Response> {
  requireCron(request);
  const requestDeadline = env().REQUEST_TIMEOUT_MS;
  const deadlineMs = Math.max(50, requestDeadline - 300);
  const result = await runReindexJob({
    sql: await getSql(),
    budgetMs: Math.min(40_000, Math.floor(requestDeadline * 0.6)),
    deadlineMs,
  });
  if (result.status === 'deadline')
    throw new ApiError('timeout', 'The reindex run did not finish in time; it will be retried.', {
      headers: { 'retry-after': '60' },
    });
  return json(result);
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: reindex });

const statsSchema = z.object({
  status: z.enum(['ok', 'skipped']),
  batches: z.number().optional(),
  claimed: z.number().optional(),
  done: z.number().optional(),
  retrying: z.number().optional(),
  dead: z.number().optional(),
  ms: z.number().optional(),
});

export const docs = defineDocs({
  GET: {
    summary: 'Run the outbox sync (cron)',
    tags: ['cron'],
    auth: 'cron',
    response: statsSchema,
    errors: ['unauthorized', 'service_unavailable', 'timeout'],
    example: {
      request: 'Authorization: Bearer $CRON_SECRET',
      response: { status: 'ok', batches: 1, claimed: 3, done: 3, retrying: 0, dead: 0, ms: 412 },
    },
  },
});
