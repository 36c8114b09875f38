import * as z from 'zod';
import { chatModelId, getChatModel } from '../lib/ai/models.js';
import { getOptionalUser } from '../lib/auth/guard.js';
import { ownerFor } from '../lib/chat/anon.js';
import { getConversationOwner } from '../lib/chat/conversations.js';
import { defaultRetrievalDeps } from '../lib/chat/deps.js';
import {
  enforceChatRateLimit,
  enforceTokenBudget,
  limitSubject,
  spendsTokenBudget,
} from '../lib/chat/limits.js';
import { openResumableAnswer, type ResumableAnswer } from '../lib/chat/resume.js';
import { retrieveContext } from '../lib/chat/retrieve.js';
import { chatRequestSchema, LIMITS, messageText } from '../lib/chat/schema.js';
import { streamChatTurn } from '../lib/chat/turn.js';
import { isEnabled } from '../lib/config/load.js';
import { env } from '../lib/env.js';
import { clientIp } from '../lib/http/client-ip.js';
import { defineDocs } from '../lib/http/docs.js';
import { ApiError } from '../lib/http/errors.js';
import { methods } from '../lib/http/handler.js';
import { rateLimitHeaders } from '../lib/http/rate-limit.js';
import { parseJson } from '../lib/http/validate.js';
import { log } from '../lib/log.js';
import { getSql } from '../lib/stores/sql/index.js';

export const config = { maxDuration: 60 };

/**
 * POST /api/chat: a RAG answer streamed in the AI SDK UI message stream protocol, so `useChat` works
 * unchanged. Kill switch, rate limit, validation; then retrieval, the daily token budget (provider
 * models only) and the conversation's owner check run in parallel; then the model streams. Client
 * disconnect aborts generation.
 */
async function chat(request: Request): Promise<Response> {
  // One memoised config read serves both flags.
  const [enabled, graph] = await Promise.all([isEnabled('chat.enabled'), isEnabled('chat.graphExpansion')]);
  if (!enabled) {
    throw new ApiError('service_unavailable', 'Chat is switched off right now. Please try again later.', {
      headers: { 'retry-after': '300' },
    });
  }
  // A signed-in caller whose session cannot be checked gets 503, not a turn saved as someone else's.
  const user = await getOptionalUser(request, { unavailable: 'throw' });
  const subject = limitSubject(user?.id ?? null, clientIp(request));
  const limit = await enforceChatRateLimit(subject);
  const body = await parseJson(request, chatRequestSchema, { maxBytes: LIMITS.maxBodyBytes });
  const owner = ownerFor(request, user, { issue: true });
  if (!owner) throw new ApiError('unauthorized', 'Could not identify the caller.');

  const userTurns = body.messages.filter((m) => m.role === 'user').map(messageText);
  const retrieval = retrieveContext({ userTurns }, defaultRetrievalDeps({ graph }));
  retrieval.catch(() => {}); // awaited below; this only silences the rejection if a check fails first
  // The daily token budget counts provider tokens only: the local answerer has just the per-minute limit.
  const model = getChatModel();
  const [, existingOwner] = await Promise.all([
    spendsTokenBudget(model) ? enforceTokenBudget(subject) : Promise.resolve(),
    getSql().then((s) => getConversationOwner({ db: s.db, id: body.id })),
  ]);
  if (existingOwner && existingOwner !== owner.ownerId) {
    throw new ApiError('not_found', 'No conversation with this id.');
  }
  const resumable = body.resumable ? await openResumable(body.id, owner.ownerId) : undefined;

  return streamChatTurn({
    request,
    body,
    owner,
    subject,
    retrieval: await retrieval,
    ...(resumable ? { resumable } : {}),
    model,
    modelId: chatModelId(),
    // Never the Host header: a forged one would be saved in the conversation. Relative links when unset.
    siteUrl: env().SITE_URL ?? '',
    sql: getSql,
    headers: {
      ...rateLimitHeaders(limit),
      ...(owner.setCookie ? { 'set-cookie': owner.setCookie } : {}),
    },
  });
}

/** A resumable answer, or a plain one when the pub/sub behind resuming is down (the answer matters more). */
async function openResumable(chatId: string, ownerId: string): Promise<ResumableAnswer | undefined> {
  try {
    return await openResumableAnswer({ chatId, ownerId });
  } catch (err) {
    log.warn('chat: resumable streams unavailable; answering without', { err });
    return undefined;
  }
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ POST: chat });

export const docs = defineDocs({
  POST: {
    summary: 'Ask the site a question (streaming RAG answer with citations)',
    description:
      'Accepts the body `useChat` / `DefaultChatTransport` from the AI SDK sends and answers in the UI message ' +
      'stream protocol (SSE, header `x-vercel-ai-ui-message-stream: v1`): `start`, `text-*` parts with `[n]` ' +
      'citation markers, one `source-url` part per cited item, `finish`. Graph and search tools run as ' +
      '`tool-input-*`/`tool-output-*` parts, each output followed by its items as `source-url` parts. With ' +
      '`resumable: true` the answer is kept for `GET /api/chat/{id}/stream` and runs to its end even if the ' +
      'client goes away. The conversation is saved when the answer ends. Anonymous callers get a signed ' +
      '`__Host-polyfolio_anon` cookie that owns their history.',
    tags: ['chat'],
    auth: 'optional',
    body: chatRequestSchema,
    response: z.string().describe('text/event-stream of UI message chunks'),
    responseContentType: 'text/event-stream',
    errors: [
      'rate_limited',
      'not_found',
      'payload_too_large',
      'unsupported_media_type',
      'service_unavailable',
    ],
    example: {
      request:
        'POST /api/chat {"id":"c1","trigger":"submit-message","messages":[{"id":"m1","role":"user","parts":[{"type":"text","text":"How does reciprocal rank fusion work?"}]}]}',
      response:
        'data: {"type":"start","messageId":"…"}\n\ndata: {"type":"text-delta","id":"txt-0","delta":"RRF ignores scores …[1]"}\n\n' +
        'data: {"type":"source-url","sourceId":"hybrid-search-with-rrf","url":"https://…/content/hybrid-search-with-rrf","title":"Hybrid search with RRF"}\n\n' +
        'data: {"type":"finish"}\n\ndata: [DONE]',
    },
  },
});
