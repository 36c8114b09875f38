import * as z from 'zod';
import { getOptionalUser } from '../../../lib/auth/guard.js';
import { ownerFor } from '../../../lib/chat/anon.js';
import {
  type ActiveStream,
  getActiveStream,
  resumeAnswer,
  stopAnswer,
  UI_STREAM_HEADERS,
} from '../../../lib/chat/resume.js';
import { defineDocs } from '../../../lib/http/docs.js';
import { ApiError } from '../../../lib/http/errors.js';
import { methods } from '../../../lib/http/handler.js';
import { routeParam, validate } from '../../../lib/http/validate.js';
import { log } from '../../../lib/log.js';

export const config = { maxDuration: 60 };

const params = z.object({ id: z.string().regex(/^[\w-]{1,100}$/) }).strict();

/**
 * The caller's answer in progress in a conversation, or null when there is none. Someone else's is
 * 404, as their conversation is on every chat endpoint.
 */
async function ownActiveStream(request: Request): Promise<ActiveStream | null> {
  const { id } = validate(params, { id: routeParam(request, 'id') });
  const active = await getActiveStream(id);
  if (!active) return null;
  const owner = ownerFor(request, await getOptionalUser(request), { issue: false });
  if (owner?.ownerId !== active.ownerId) throw new ApiError('not_found', 'No conversation with this id.');
  return active;
}

const noContent = () => new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } });

/**
 * GET /api/chat/[id]/stream: what `useChat({ resume: true })` calls on mount. 204 when no answer is in
 * progress (finished answers are read from GET /api/chat/[id], never replayed here); otherwise the
 * answer's UI message stream from its start, then live until it ends.
 */
async function resume(request: Request): Promise<Response> {
  const active = await ownActiveStream(request);
  if (!active) return noContent();
  let stream: ReadableStream<string> | null;
  try {
    stream = await resumeAnswer(active.streamId);
  } catch (err) {
    // Best effort: the pub/sub did not answer, so there is nothing to resume from here.
    log.warn('chat: could not resume the answer in progress', { err, id: active.streamId });
    stream = null;
  }
  if (!stream) return noContent();
  return new Response(stream.pipeThrough(new TextEncoderStream()), {
    headers: { ...UI_STREAM_HEADERS, 'cache-control': 'no-store' },
  });
}

/** DELETE /api/chat/[id]/stream: stops the answer in progress (a resumable answer outlives its request). */
async function stop(request: Request): Promise<Response> {
  const active = await ownActiveStream(request);
  if (!active) return noContent();
  try {
    await stopAnswer(active.streamId);
  } catch (err) {
    throw new ApiError(
      'service_unavailable',
      'The answer could not be stopped right now. Please try again.',
      {
        headers: { 'retry-after': '1' },
        cause: err,
      },
    );
  }
  return noContent();
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: resume, DELETE: stop });

export const docs = defineDocs({
  GET: {
    summary: 'Resume the answer in progress (useChat `resume`)',
    description:
      'For answers started with `resumable: true`. 204 when the conversation has no answer in progress; ' +
      'otherwise the answer so far and then the rest live, in the UI message stream protocol, as ' +
      '`useChat({ resume: true })` expects. Owner only: someone else gets 404.',
    tags: ['chat'],
    auth: 'optional',
    params,
    response: z.string().describe('text/event-stream of UI message chunks'),
    responseContentType: 'text/event-stream',
    errors: ['not_found'],
    example: {
      request: 'GET /api/chat/c1/stream',
      response:
        'data: {"type":"start","messageId":"…"}\n\ndata: {"type":"text-delta","id":"txt-0","delta":"Before HNSW …"}\n\n…',
    },
  },
  DELETE: {
    summary: 'Stop the answer in progress',
    description:
      'A resumable answer does not stop when its client goes away (that is what makes a reload resumable), ' +
      'so stopping is this call; the instance producing the answer aborts the model. 204 whether or not an ' +
      'answer was in progress. Owner only: someone else gets 404.',
    tags: ['chat'],
    auth: 'optional',
    params,
    status: 204,
    errors: ['not_found', 'service_unavailable'],
    example: { request: 'DELETE /api/chat/c1/stream' },
  },
});
