import { requireUser } from '../../lib/auth/guard.js';
import { meResponse } from '../../lib/auth/schemas.js';
import { defineDocs } from '../../lib/http/docs.js';
import { methods } from '../../lib/http/handler.js';
import { json } from '../../lib/http/json.js';

/** GET /api/auth/me: the signed-in user. Never cached (per user). */
async function me(request: Request): Promise<Response> {
  const user = await requireUser(request);
  return json({ user }, { headers: { 'cache-control': 'private, no-store' } });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: me });

export const docs = defineDocs({
  GET: {
    summary: 'The signed-in user',
    tags: ['auth'],
    auth: 'member',
    response: meResponse,
    errors: ['unauthorized', 'service_unavailable'],
    example: {
      request: 'Authorization: Bearer <token>',
      response: { user: { id: '0b6f…', email: 'ada@example.dev', name: 'Ada', role: 'member' } },
    },
  },
});
