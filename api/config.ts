import * as z from 'zod';
import { evaluateFlags, FLAG_NAMES } from '../lib/config/flags.js';
import { loadConfig } from '../lib/config/load.js';
import { defineDocs } from '../lib/http/docs.js';
import { methods } from '../lib/http/handler.js';
import { json } from '../lib/http/json.js';
import { parseQuery } from '../lib/http/validate.js';
import { modelInfo } from '../lib/model-info.js';

/**
 * GET /api/config, on the edge runtime: site config plus flags evaluated for the caller. The caller's
 * id for percentage rollouts is `?uid=` (the frontend passes its user id or a stored visitor id) or
 * else the `pf_uid` cookie. One config-store round trip, memoised per instance for 5 s.
 * This file must stay edge-safe: no Node built-ins, no SQL, vector, graph or AI client (tested).
 */
export const config = { runtime: 'edge' };

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const querySchema = z
  .object({ uid: z.string().regex(ID, 'letters, digits, "-" and "_", at most 64').optional() })
  .strict();

const responseSchema = z.object({
  site: z.record(z.string(), z.unknown()),
  flags: z.object(Object.fromEntries(FLAG_NAMES.map((n) => [n, z.boolean()]))),
  models: z.object({
    provider: z.enum(['local', 'openai', 'gateway']),
    chatModel: z.string(),
    embeddingModel: z.string(),
  }),
  source: z.enum(['store', 'defaults']),
});

async function get(request: Request): Promise<Response> {
  const { uid } = parseQuery(request, querySchema);
  const cookieId = uid ? undefined : cookie(request, 'pf_uid');
  const id = uid ?? (cookieId && ID.test(cookieId) ? cookieId : undefined);
  const loaded = await loadConfig();
  const body = {
    site: loaded.site,
    flags: evaluateFlags(loaded.overrides, id),
    models: modelInfo(),
    source: loaded.source,
  };
  // Keyed by URL at the CDN: a cookie-personalised answer must stay private.
  return json(body, {
    cache: cookieId ? { private: true, maxAge: 5, sMaxAge: 0 } : { sMaxAge: 5, staleWhileRevalidate: 30 },
  });
}

function cookie(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: get });

export const docs = defineDocs({
  GET: {
    summary: 'Site config and flags for the caller',
    description:
      'Edge function. Flags are evaluated for `uid` (or the `pf_uid` cookie): percentage rollouts hash ' +
      'flag + id (FNV-1a) into 100 buckets, so a caller keeps the same answer. Without an id, partial ' +
      'rollouts are off. `source: defaults` means the config store was unreachable.',
    tags: ['config'],
    auth: 'none',
    query: querySchema,
    response: responseSchema,
    example: {
      request: 'GET /api/config?uid=visitor-42',
      response: {
        site: { owner: { name: 'Maya Okafor', headline: 'Backend and search engineer…', links: [] } },
        flags: {
          'chat.enabled': true,
          'search.enabled': true,
          'chat.graphExpansion': true,
          'ui.conceptGraph': false,
        },
        models: { provider: 'local', chatModel: 'local-extractive-v1', embeddingModel: 'local-hash-v1-2000' },
        source: 'store',
      },
    },
  },
});
