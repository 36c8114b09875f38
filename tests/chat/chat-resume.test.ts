import {
  DefaultChatTransport,
  readUIMessageStream,
  UI_MESSAGE_STREAM_HEADERS,
  type UIMessage,
  type UIMessageChunk,
} from 'ai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalToolModel } from '../../lib/ai/local-tool-model.js';
import { setChatModel } from '../../lib/ai/models.js';
import { detectIntent } from '../../lib/chat/intent.js';
import { UI_STREAM_HEADERS } from '../../lib/chat/resume.js';
import type { TestApp } from '../helpers/app.js';
import { cookieFrom, seededApp, textOf, userMessage } from './helpers.js';

/**
 * Resumable answers through the real router: an answer started with `resumable: true` survives its
 * client going away and is resumed from GET /api/chat/[id]/stream with the AI SDK's own transport
 * (`reconnectToStream`, what `useChat({ resume: true })` calls). The model is paced so there is a
 * "mid-answer" to reconnect in.
 */

let t: TestApp;
beforeAll(async () => {
  t = await seededApp();
}, 120_000);
afterAll(() => t.close());
afterEach(() => setChatModel(undefined));

let ipCounter = 60;
const freshIp = () => `203.0.113.${ipCounter++}`;
const QUESTION = 'What should I learn before HNSW?';

function paced(delayMs = 25) {
  setChatModel(new LocalToolModel({ intent: detectIntent, delayMs, wordsPerDelta: 1 }));
}

function transport(headers: Record<string, string>) {
  return new DefaultChatTransport<UIMessage>({
    api: 'http://localhost/api/chat',
    headers,
    fetch: (url, init) => t.app.fetch(new Request(String(url), init)),
  });
}

async function collect(stream: ReadableStream<UIMessageChunk>): Promise<UIMessage | undefined> {
  let message: UIMessage | undefined;
  for await (const m of readUIMessageStream<UIMessage>({ stream, terminateOnError: true })) message = m;
  return message;
}

/** Starts a resumable answer and reads it until `until` text deltas arrived; returns what was read. */
async function startAndDrop(id: string, ip: string, until = 3) {
  const controller = new AbortController();
  const res = await t.request('POST', '/api/chat', {
    json: { id, trigger: 'submit-message', resumable: true, messages: [userMessage(QUESTION, `${id}-q`)] },
    headers: { 'x-forwarded-for': ip },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let seen = '';
  while ((seen.match(/"text-delta"/g) ?? []).length < until) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += decoder.decode(value);
  }
  controller.abort(); // the page reloads
  await reader.cancel().catch(() => {});
  const messageId = /"type":"start","messageId":"([^"]+)"/.exec(seen)?.[1];
  return { res, seen, messageId, cookie: cookieFrom(res) };
}

describe('resumable answers', () => {
  it('happy: a client that drops mid-answer resumes the same message from GET /api/chat/[id]/stream, and the finished answer is not replayed', async () => {
    paced();
    const ip = freshIp();
    const dropped = await startAndDrop('c-resume', ip);
    expect(dropped.messageId).toEqual(expect.any(String));
    expect(dropped.seen).not.toContain('"type":"finish"');

    const resumed = await transport({ cookie: dropped.cookie, 'x-forwarded-for': ip }).reconnectToStream({
      chatId: 'c-resume',
    });
    if (!resumed) throw new Error('nothing to resume');
    const message = await collect(resumed);
    expect(message?.id).toBe(dropped.messageId);
    // the whole answer: the tool part, its sources and the text, to the end
    expect(message?.parts.some((p) => p.type === 'tool-learningPath')).toBe(true);
    const text = textOf(message as UIMessage);
    expect(text).toMatch(/^Before HNSW \[\d+\], learn these/);

    // the same answer as an uninterrupted one
    setChatModel(undefined);
    const whole = await t.request('POST', '/api/chat', {
      json: { id: 'c-resume-ref', trigger: 'submit-message', messages: [userMessage(QUESTION)] },
      headers: { 'x-forwarded-for': freshIp() },
    });
    const ref = await collect(sseChunks(await whole.text()));
    expect(text).toBe(textOf(ref as UIMessage));

    await t.settle();
    // finished: nothing to resume, and the stored conversation has the message under the same id
    const again = await t.request('GET', '/api/chat/c-resume/stream', {
      headers: { cookie: dropped.cookie },
    });
    expect(again.status).toBe(204);
    const stored = (await (
      await t.request('GET', '/api/chat/c-resume', { headers: { cookie: dropped.cookie } })
    ).json()) as { messages: UIMessage[] };
    expect(stored.messages.map((m) => m.id)).toEqual(['c-resume-q', dropped.messageId]);
    expect(textOf(stored.messages[1] as UIMessage)).toBe(text);
  });

  it("security: someone else, or nobody, cannot resume another visitor's answer (404)", async () => {
    const stranger = await t.request('POST', '/api/chat', {
      json: { id: 'c-stranger-own', trigger: 'submit-message', messages: [userMessage('What is MVCC?')] },
      headers: { 'x-forwarded-for': freshIp() },
    });
    await stranger.text();
    paced(40);
    const dropped = await startAndDrop('c-resume-private', freshIp(), 1);
    for (const headers of [{ cookie: cookieFrom(stranger) }, {}] as Record<string, string>[]) {
      const res = await t.request('GET', '/api/chat/c-resume-private/stream', { headers });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
      expect((await t.request('DELETE', '/api/chat/c-resume-private/stream', { headers })).status).toBe(404);
    }
    // the owner still can, and gets a UI message stream
    const own = await t.request('GET', '/api/chat/c-resume-private/stream', {
      headers: { cookie: dropped.cookie },
    });
    expect(own.status).toBe(200);
    expect(UI_STREAM_HEADERS).toEqual(UI_MESSAGE_STREAM_HEADERS);
    expect(own.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(own.headers.get('content-type')).toBe('text/event-stream');
    await own.text();
    await t.settle();
  });

  it('happy: DELETE /api/chat/[id]/stream stops the answer; the stored answer is marked aborted', async () => {
    paced(40);
    const ip = freshIp();
    const dropped = await startAndDrop('c-resume-stop', ip, 2);
    const resumed = await transport({ cookie: dropped.cookie }).reconnectToStream({
      chatId: 'c-resume-stop',
    });
    if (!resumed) throw new Error('nothing to resume');
    const stop = await t.request('DELETE', '/api/chat/c-resume-stop/stream', {
      headers: { cookie: dropped.cookie },
    });
    expect(stop.status).toBe(204);
    const message = await collect(resumed);
    await t.settle();
    const full = (await (await t.request('GET', '/api/graph/path?to=hnsw')).json()) as {
      steps: { title: string }[];
    };
    const last = full.steps[full.steps.length - 1]?.title ?? '';
    expect(textOf(message as UIMessage)).not.toContain(last); // stopped before the end
    const stored = (await (
      await t.request('GET', '/api/chat/c-resume-stop', { headers: { cookie: dropped.cookie } })
    ).json()) as { messages: UIMessage[] };
    expect(stored.messages[1]?.metadata).toMatchObject({ aborted: true });
    expect(
      (await t.request('GET', '/api/chat/c-resume-stop/stream', { headers: { cookie: dropped.cookie } }))
        .status,
    ).toBe(204);
  });

  it('happy: an answer not asked to be resumable has nothing to resume (204), and validation applies', async () => {
    const res = await t.request('POST', '/api/chat', {
      json: { id: 'c-not-resumable', trigger: 'submit-message', messages: [userMessage('What is MVCC?')] },
      headers: { 'x-forwarded-for': freshIp() },
    });
    const cookie = cookieFrom(res);
    await res.text();
    expect((await t.request('GET', '/api/chat/c-not-resumable/stream', { headers: { cookie } })).status).toBe(
      204,
    );
    expect((await t.request('GET', '/api/chat/never-started/stream')).status).toBe(204);
    expect((await t.request('GET', '/api/chat/bad%20id!/stream')).status).toBe(400);
    expect((await t.request('POST', '/api/chat/c1/stream')).status).toBe(405);
    const bad = await t.request('POST', '/api/chat', {
      json: { id: 'c-bad-flag', trigger: 'submit-message', resumable: 'yes', messages: [userMessage('hi')] },
      headers: { 'x-forwarded-for': freshIp() },
    });
    expect(bad.status).toBe(400);
  });
});

/** The UI message chunks of an SSE body. */
function sseChunks(body: string): ReadableStream<UIMessageChunk> {
  const chunks = body
    .split('\n\n')
    .map((e) => e.replace(/^data: /, '').trim())
    .filter((d) => d !== '' && d !== '[DONE]')
    .map((d) => JSON.parse(d) as UIMessageChunk);
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
}
