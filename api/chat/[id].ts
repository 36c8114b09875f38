import * as z from 'zod';
import { getOptionalUser } from '../../lib/auth/guard.js';
import { ownerFor } from '../../lib/chat/anon.js';
import { getConversation } from '../../lib/chat/conversations.js';
import { defineDocs } from '../../lib/http/docs.js';
import { ApiError } from '../../lib/http/errors.js';
import { methods } from '../../lib/http/handler.js';
import { json } from '../../lib/http/json.js';
import { routeParam, validate } from '../../lib/http/validate.js';
import { getSql } from '../../lib/stores/sql/index.js';

const params = z.object({ id: z.string().regex(/^[\w-]{1,100}$/) }).strict();

const response = z.object({
  id: z.string(),
  title: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  messages: z.array(
    z.object({
      id: z.string(),
      role: z.enum(['user', 'assistant', 'system']),
      parts: z.array(z.unknown()),
      metadata: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});

/**
 * GET /api/chat/[id]: one conversation with its messages (UIMessages, ready for `useChat`'s
 * `messages`). Owner only; anyone else gets 404, so ids cannot be probed.
 */
async function getOne(request: Request): Promise<Response> {
  const { id } = validate(params, { id: routeParam(request, 'id') });
  const owner = ownerFor(request, await getOptionalUser(request, { unavailable: 'throw' }), { issue: false });
  const notFound = new ApiError('not_found', 'No conversation with this id.');
  if (!owner) throw notFound;
  const { db } = await getSql();
  const conversation = await getConversation({ db, id, ownerId: owner.ownerId });
  if (!conversation) throw notFound;
  return json(conversation, { headers: { 'cache-control': 'private, no-store' } });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: getOne });

export const docs = defineDocs({
  GET: {
    summary: 'One chat conversation with its messages',
    tags: ['chat'],
    auth: 'optional',
    params,
    response,
    errors: ['not_found', 'service_unavailable'],
    example: {
      request: 'GET /api/chat/c1',
      response: {
        id: 'c1',
        title: 'How does reciprocal rank fusion work?',
        createdAt: '…',
        updatedAt: '…',
        messages: [
          {
            id: 'm1',
            role: 'user',
            parts: [{ type: 'text', text: 'How does reciprocal rank fusion work?' }],
          },
          {
            id: 'a1',
            role: 'assistant',
            parts: [
              { type: 'step-start' },
              { type: 'text', text: 'RRF ignores scores and uses only ranks. [1]' },
              { type: 'source-url', sourceId: 'hybrid-search-with-rrf', url: 'https://…', title: '…' },
            ],
            metadata: { model: 'local-extractive-v1' },
          },
        ],
      },
    },
  },
});
