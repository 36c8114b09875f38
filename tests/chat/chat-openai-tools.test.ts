import type { UIMessage } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setEmbedder } from '../../lib/ai/embedder.js';
import { LocalHashEmbedder } from '../../lib/ai/local-embedder.js';
import { MAX_STEPS } from '../../lib/chat/turn.js';
import { resetEnv } from '../../lib/env.js';
import { type GraphStore, setGraphStore } from '../../lib/stores/graph/index.js';
import type { TestApp } from '../helpers/app.js';
import { ask, citedSlugs, seededApp, textOf, userMessage } from './helpers.js';
import {
  type FakeOpenAI,
  type FakeTurn,
  fakeOpenAIResponses,
  type ResponsesRequest,
  userText,
} from './openai-fake.js';

/**
 * A provider model that calls the chat tools: the real @ai-sdk/openai provider against the Responses
 * API faked with msw. The fake decides per request, from the question and the function outputs it was
 * sent, whether to call a tool or answer, as a tool-using model would.
 */

let t: TestApp;
let openai: FakeOpenAI;

type ToolPart = Extract<UIMessage['parts'][number], { toolCallId: string }> & {
  state: string;
  input?: unknown;
  output?: unknown;
  errorText?: string;
};

function outputs(body: ResponsesRequest): unknown[] {
  return body.input.flatMap((i) => (i.type === 'function_call_output' ? [JSON.parse(i.output)] : []));
}

function question(body: ResponsesRequest): string {
  return userText(body).split('\n').pop() ?? '';
}

function fakeModel(body: ResponsesRequest): FakeTurn {
  const q = question(body);
  const done = outputs(body);
  if (q.startsWith('Loop')) return { call: { name: 'searchContent', arguments: { query: 'hash tables' } } };
  if (done.length === 0) {
    if (q.includes('HNSW')) return { call: { name: 'learningPath', arguments: { concept: 'HNSW' } } };
    if (q.includes('broken')) return { call: { name: 'learningPath', arguments: { concept: 42 } } };
    return 'No tool needed.';
  }
  const last = done[done.length - 1] as {
    steps?: { slug: string }[];
    sources?: { n: number; slug: string; title: string }[];
    error?: string;
  };
  if (!last.sources) return `The tool failed (${JSON.stringify(last).slice(0, 200)}), so here is no path.`;
  const bySlug = new Map(last.sources.map((s) => [s.slug, s]));
  const cites = (last.steps ?? []).map((s) => `${bySlug.get(s.slug)?.title} [${bySlug.get(s.slug)?.n}]`);
  return `Learn these first: ${cites.join(', ')}.`;
}

beforeAll(async () => {
  setEmbedder(new LocalHashEmbedder());
  t = await seededApp();
  process.env.OPENAI_API_KEY = 'sk-test-not-a-real-key';
  process.env.CHAT_MODEL = 'gpt-test-mini';
  resetEnv();
  openai = fakeOpenAIResponses({ answer: fakeModel });
  openai.server.listen({ onUnhandledFrame: 'error' });
}, 120_000);

afterAll(async () => {
  openai.server.close();
  delete process.env.OPENAI_API_KEY;
  delete process.env.CHAT_MODEL;
  resetEnv();
  setEmbedder(undefined);
  await t.close();
});

let ip = 20;
const freshIp = () => `198.51.100.${ip++}`;

function toolParts(message: UIMessage): ToolPart[] {
  return message.parts.filter((p): p is ToolPart => p.type.startsWith('tool-'));
}

describe('POST /api/chat with an OpenAI model that calls tools (msw)', () => {
  it('happy: the model calls learningPath, the result streams as a tool part equal to /api/graph/path, and the answer cites its steps', async () => {
    const before = openai.calls.length;
    const a = await ask(t, {
      id: 'c-openai-tool',
      messages: [userMessage('What should I learn before HNSW?')],
      headers: { 'x-forwarded-for': freshIp() },
    });
    const calls = openai.calls.slice(before);
    expect(calls).toHaveLength(2); // the tool call, then the answer with the tool's output
    const sent = calls[1]?.body.input ?? [];
    expect(sent.some((i) => i.type === 'function_call' && i.name === 'learningPath')).toBe(true);

    const expected = (await (await t.request('GET', '/api/graph/path?to=hnsw')).json()) as {
      target: unknown;
      steps: { slug: string; title: string }[];
    };
    expect(expected.steps.length).toBeGreaterThan(1);
    const [part] = toolParts(a.message);
    expect(part?.type).toBe('tool-learningPath');
    expect(part?.state).toBe('output-available');
    expect(part?.input).toEqual({ concept: 'HNSW' });
    const output = part?.output as { steps: unknown[]; target: unknown };
    expect(output.steps).toEqual(expected.steps);
    expect(output.target).toEqual(expected.target);
    expect(outputs(calls[1]?.body as ResponsesRequest)[0]).toMatchObject({ steps: expected.steps });

    // every step is cited in the answer and linked by a source part
    expect(a.text.startsWith('Learn these first:')).toBe(true);
    expect(citedSlugs(a.message)).toEqual(expected.steps.map((s) => s.slug));
    for (const s of expected.steps) {
      expect(a.sources).toContainEqual({
        sourceId: `concept:${s.slug}`,
        url: `/concepts/${s.slug}`, // relative: SITE_URL is not set in tests
        title: s.title,
      });
    }
  });

  it('error: invalid tool input is a tool error part the model sees; the answer goes on', async () => {
    const a = await ask(t, {
      id: 'c-openai-bad-input',
      messages: [userMessage('Give me a broken path')],
      headers: { 'x-forwarded-for': freshIp() },
    });
    const [part] = toolParts(a.message);
    expect(part?.type).toBe('tool-learningPath');
    expect(part?.state).toBe('output-error');
    expect(part?.errorText).toMatch(/^Invalid input for learningPath: concept: .*string/);
    expect(textOf(a.message)).toMatch(/^The tool failed/);
    expect(a.sources).toEqual([]);
  });

  it('error: with the graph down the tool part is an error with a public message, and the answer still comes', async () => {
    setGraphStore(
      new Proxy(
        {},
        { get: (_, p) => (p === 'then' ? undefined : () => Promise.reject(new Error('connection refused'))) },
      ) as GraphStore,
    );
    try {
      const a = await ask(t, {
        id: 'c-openai-graph-down',
        messages: [userMessage('What should I learn before HNSW?')],
        headers: { 'x-forwarded-for': freshIp() },
      });
      const [part] = toolParts(a.message);
      expect(part?.state).toBe('output-error');
      expect(part?.errorText).toBe(
        'The knowledge graph is unavailable right now, so this could not be looked up.',
      );
      expect(part?.errorText).not.toContain('connection refused');
      expect(textOf(a.message)).toMatch(/^The tool failed .*knowledge graph is unavailable/);
      expect(a.message.metadata).toMatchObject({ model: 'openai/gpt-test-mini' });
    } finally {
      setGraphStore(undefined);
    }
  });

  it('security: a model that keeps calling tools is stopped after MAX_STEPS model calls', async () => {
    const before = openai.calls.length;
    const a = await ask(t, {
      id: 'c-openai-loop',
      messages: [userMessage('Loop on tools please')],
      headers: { 'x-forwarded-for': freshIp() },
    });
    expect(openai.calls.length - before).toBe(MAX_STEPS);
    const parts = toolParts(a.message);
    expect(parts).toHaveLength(MAX_STEPS);
    expect(parts.every((p) => p.type === 'tool-searchContent' && p.state === 'output-available')).toBe(true);
  });
});
