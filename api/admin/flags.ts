import { sql } from 'drizzle-orm';
import * as z from 'zod';
import { requireUser } from '../../lib/auth/guard.js';
import { timebox } from '../../lib/cache/timebox.js';
import { FLAG_NAMES, FLAGS, flagOverridesSchema, flagStates, readOverrides } from '../../lib/config/flags.js';
import { CONFIG_KEYS } from '../../lib/config/keys.js';
import { resetConfigMemo } from '../../lib/config/load.js';
import { env } from '../../lib/env.js';
import { defineDocs } from '../../lib/http/docs.js';
import { ApiError } from '../../lib/http/errors.js';
import { methods } from '../../lib/http/handler.js';
import { json } from '../../lib/http/json.js';
import { parseJson } from '../../lib/http/validate.js';
import { log } from '../../lib/log.js';
import { getConfigStore } from '../../lib/stores/config/index.js';
import { getSql } from '../../lib/stores/sql/index.js';

/**
 * GET/PUT /api/admin/flags: the flag overrides in the config store. PUT replaces the whole overrides
 * document (flags left out return to their defaults) and records an audit row in SQL.
 */

const putBodySchema = z.object({ flags: flagOverridesSchema }).strict();

const flagView = z.object({
  enabled: z.boolean(),
  rollout: z.number().optional(),
  overridden: z.boolean(),
  description: z.string(),
});
const responseSchema = z.object({ flags: z.record(z.string(), flagView) });

function view(overrides: ReturnType<typeof readOverrides>) {
  const states = flagStates(overrides);
  return {
    flags: Object.fromEntries(
      FLAG_NAMES.map((n) => [
        n,
        { ...states[n], overridden: n in overrides, description: FLAGS[n].description },
      ]),
    ),
  };
}

async function list(request: Request): Promise<Response> {
  await requireUser(request, { role: 'admin' });
  let stored: unknown;
  try {
    [stored] = await timebox((async () => (await getConfigStore()).getMany([CONFIG_KEYS.flags]))(), 1000);
  } catch (err) {
    // The admin must see what is stored, not defaults that may differ from it: 503, not a guess.
    log.error('config store read failed', { err });
    throw new ApiError('service_unavailable', 'The config store is unavailable; flags cannot be read.', {
      headers: { 'retry-after': '10' },
    });
  }
  return json(view(readOverrides(stored)), { headers: { 'cache-control': 'private, no-store' } });
}

/**
 * PUT: the audit row is written first, so flags never change without their audit. SQL down or slow
 * (past half the request deadline) answers 503 with the flags untouched; a config store that then
 * fails answers 503 too, and a second audit row records that the change did not happen.
 */
async function put(request: Request): Promise<Response> {
  const user = await requireUser(request, { role: 'admin' });
  const { flags } = await parseJson(request, putBodySchema);
  const audit = async (action: string) =>
    (await getSql()).db.execute(
      sql`INSERT INTO audit_log (actor, action, entity, entity_id, data)
          VALUES (${user.id}::text, ${action}::text, 'config', ${CONFIG_KEYS.flags}::text, ${JSON.stringify(flags)}::jsonb)`,
    );
  try {
    // Bounded below the request deadline: a late audit must not be followed by a flag write the caller
    // was already told did not happen.
    await timebox(audit('flags.update'), Math.floor(env().REQUEST_TIMEOUT_MS / 2));
  } catch (err) {
    log.error('flags not changed: the audit row could not be written', { err });
    throw new ApiError('service_unavailable', 'The database is unavailable; flags were not changed.', {
      headers: { 'retry-after': '10' },
    });
  }
  try {
    await timebox((async () => (await getConfigStore()).set(CONFIG_KEYS.flags, flags))(), 1000);
  } catch (err) {
    log.error('config store write failed', { err });
    await timebox(audit('flags.update_failed'), 1000).catch((e: unknown) =>
      log.error('could not record the failed flags update', { err: e }),
    );
    throw new ApiError('service_unavailable', 'The config store is unavailable; flags were not changed.', {
      headers: { 'retry-after': '10' },
    });
  }
  resetConfigMemo();
  return json(view(flags), { headers: { 'cache-control': 'private, no-store' } });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: list, PUT: put });

export const docs = defineDocs({
  GET: {
    summary: 'Flag states and overrides',
    tags: ['admin'],
    auth: 'admin',
    response: responseSchema,
    errors: ['unauthorized', 'forbidden', 'service_unavailable'],
    example: {
      request: 'GET /api/admin/flags',
      response: {
        flags: {
          'chat.enabled': { enabled: true, overridden: false, description: 'Kill switch: …' },
          'ui.conceptGraph': { enabled: true, rollout: 50, overridden: false, description: '…' },
        },
      },
    },
  },
  PUT: {
    summary: 'Replace flag overrides',
    description:
      'Writes an audit row, then the overrides document to the config store (Vercel KV): with SQL down nothing ' +
      'changes (503). Flags not listed go ' +
      'back to their defaults. Instances pick the change up within their 5 s memo (plus CDN s-maxage 5 s).',
    tags: ['admin'],
    auth: 'admin',
    body: putBodySchema,
    response: responseSchema,
    errors: ['unauthorized', 'forbidden', 'validation_failed', 'service_unavailable'],
    example: {
      request: 'PUT /api/admin/flags {"flags":{"chat.enabled":{"enabled":false}}}',
      response: {
        flags: { 'chat.enabled': { enabled: false, overridden: true, description: 'Kill switch: …' } },
      },
    },
  },
});
