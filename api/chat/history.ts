import * as z from 'zod';
import { getOptionalUser } from '../../lib/auth/guard.js';
import { ownerFor } from '../../lib/chat/anon.js';
import { decodeCursor, listConversations } from '../../lib/chat/conversations.js';
import { defineDocs } from '../../lib/http/docs.js';
import { ApiError } from '../../lib/http/errors.js';
import { methods } from '../../lib/http/handler.js';
import { json } from '../../lib/http/json.js';
import { parseQuery } from '../../lib/http/validate.js';
import { getSql } from '../../lib/stores/sql/index.js';

const query = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(200).optional(),
  })
  .strict();

const conversationSummary = z.object({
  id: z.string(),
  title: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const response = z.object({ items: z.array(conversationSummary), nextCursor: z.string().nullable() });

/** GET /api/chat/history: the caller's conversations (user or anonymous cookie), newest first. */
async function history(request: Request): Promise<Response> {
  const q = parseQuery(request, query);
  const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
  if (cursor === null) throw new ApiError('bad_request', 'The cursor is not valid.');
  const owner = ownerFor(request, await getOptionalUser(request, { unavailable: 'throw' }), { issue: false });
  const headers = { 'cache-control': 'private, no-store' };
  if (!owner) return json({ items: [], nextCursor: null }, { headers });
  const { db } = await getSql();
  const page = await listConversations({
    db,
    ownerId: owner.ownerId,
    limit: q.limit,
    ...(cursor ? { cursor } : {}),
  });
  return json(page, { headers });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: history });

export const docs = defineDocs({
  GET: {
    summary: "The caller's chat conversations",
    description:
      'Signed-in users see theirs; anonymous visitors see the ones owned by their anonymous cookie.',
    tags: ['chat'],
    auth: 'optional',
    query,
    response,
    errors: ['bad_request', 'service_unavailable'],
    example: {
      request: 'GET /api/chat/history?limit=20',
      response: {
        items: [{ id: 'c1', title: 'How does reciprocal rank fusion work?', createdAt: '…', updatedAt: '…' }],
        nextCursor: null,
      },
    },
  },
});
