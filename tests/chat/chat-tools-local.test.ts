import type { UIMessage } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPH_UNAVAILABLE_NOTE } from '../../lib/ai/local-tool-model.js';
import { type GraphStore, setGraphStore } from '../../lib/stores/graph/index.js';
import type { TestApp } from '../helpers/app.js';
import { ask, citedSlugs, cookieFrom, seededApp, textOf, userMessage } from './helpers.js';

/**
 * The chat tools with the local model: intent rules route graph questions to the tools, and the
 * stream carries the same tool parts a provider model's would. Expected values come from the graph
 * endpoints themselves, never written out here.
 */

let t: TestApp;
beforeAll(async () => {
  t = await seededApp();
}, 120_000);
afterAll(() => t.close());

let ipCounter = 40;
const freshIp = () => `203.0.113.${ipCounter++}`;

type ToolPart = Extract<UIMessage['parts'][number], { toolCallId: string }> & {
  state: string;
  input?: unknown;
  output?: unknown;
  errorText?: string;
};
const toolParts = (m: UIMessage) => m.parts.filter((p): p is ToolPart => p.type.startsWith('tool-'));

async function getJson<T>(path: string): Promise<T> {
  const res = await t.request('GET', path);
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

interface PathBody {
  target: { slug: string; title: string; requires: string[] };
  steps: { slug: string; title: string; requires: string[] }[];
}

describe('chat tools with the local model', () => {
  it('happy: "What should I learn before <concept>?" streams a learningPath call and result equal to /api/graph/path, then an answer citing every step', async () => {
    for (const [name, slug] of [
      ['HNSW', 'hnsw'],
      ['BM25', 'bm25'],
      ['the transactional outbox', 'outbox-pattern'],
    ] as const) {
      const res = await t.request('POST', '/api/chat', {
        json: {
          id: `c-learn-${slug}`,
          trigger: 'submit-message',
          messages: [userMessage(`What should I learn before ${name}?`)],
        },
        headers: { 'x-forwarded-for': freshIp() },
      });
      const raw = await res.text();
      // the wire protocol: input start, input available, output available, in that order
      const types = [...raw.matchAll(/"type":"(tool-[a-z-]+)"/g)].map((m) => m[1]);
      expect(types, name).toEqual([
        'tool-input-start',
        'tool-input-delta',
        'tool-input-available',
        'tool-output-available',
      ]);

      const a = await ask(t, {
        id: `c-learn-${slug}-2`,
        messages: [userMessage(`What should I learn before ${name}?`)],
        headers: { 'x-forwarded-for': freshIp() },
      });
      const expected = await getJson<PathBody>(`/api/graph/path?to=${slug}`);
      const parts = toolParts(a.message);
      expect(
        parts.map((p) => [p.type, p.state]),
        name,
      ).toEqual([['tool-learningPath', 'output-available']]);
      const output = parts[0]?.output as PathBody & { sources: { n: number; slug: string }[] };
      expect(output.steps, name).toEqual(expected.steps);
      expect(output.target, name).toEqual(expected.target);
      // the answer comes after the tool part and cites each step, in the path's order
      const textAt = a.message.parts.findIndex((p) => p.type === 'text');
      expect(textAt).toBeGreaterThan(a.message.parts.indexOf(parts[0] as ToolPart));
      expect(citedSlugs(a.message), name).toEqual([
        expected.target.slug,
        ...expected.steps.map((s) => s.slug),
      ]);
      for (const s of expected.steps) expect(a.text).toContain(s.title);
    }
  });

  it('happy: "How do I get from X to Y?" calls shortestPath with the same chain as /api/graph/shortest', async () => {
    const a = await ask(t, {
      id: 'c-shortest',
      messages: [userMessage('How do I get from tokenization to BM25?')],
      headers: { 'x-forwarded-for': freshIp() },
    });
    const expected = await getJson<{ nodes: { key: string; title: string }[]; length: number }>(
      '/api/graph/shortest?from=concept:tokenization&to=concept:bm25',
    );
    const [part] = toolParts(a.message);
    expect(part?.type).toBe('tool-shortestPath');
    expect(part?.input).toEqual({ from: 'tokenization', to: 'BM25' });
    expect((part?.output as { nodes?: unknown[] } | undefined)?.nodes).toEqual(expected.nodes);
    expect(a.text).toContain(`takes ${expected.length} step`);
    for (const n of expected.nodes) expect(a.text).toContain(n.title);
  });

  it('happy: "What else is like X?" calls relatedContent with the ranking of /api/graph/related', async () => {
    const a = await ask(t, {
      id: 'c-like',
      messages: [userMessage('What else is like tinyindex?')],
      headers: { 'x-forwarded-for': freshIp() },
    });
    const expected = await getJson<{ related: { key: string }[] }>('/api/graph/related/tinyindex?limit=5');
    const [part] = toolParts(a.message);
    expect(part?.type).toBe('tool-relatedContent');
    expect((part?.output as { related?: unknown[] } | undefined)?.related).toEqual(expected.related);
    expect(citedSlugs(a.message)).toEqual(['tinyindex', ...expected.related.map((r) => r.key)]);
  });

  it('happy: "What is X?" calls explainConcept with the concept record of /api/concepts/:slug', async () => {
    const a = await ask(t, {
      id: 'c-what-is',
      messages: [userMessage('What is MVCC?')],
      headers: { 'x-forwarded-for': freshIp() },
    });
    const concept = await getJson<{ summary: string; prerequisites: { title: string }[] }>(
      '/api/concepts/mvcc',
    );
    const [part] = toolParts(a.message);
    expect(part?.type).toBe('tool-explainConcept');
    expect((part?.output as { concept?: { summary: string } } | undefined)?.concept?.summary).toBe(
      concept.summary,
    );
    expect(a.text).toContain(concept.summary);
    for (const p of concept.prerequisites) expect(a.text).toContain(p.title);
    expect(citedSlugs(a.message)[0]).toBe('mvcc');
  });

  it('happy: a question no rule matches is answered by retrieval alone, with no tool part', async () => {
    const a = await ask(t, {
      id: 'c-no-tool',
      messages: [userMessage('Why did the outbox table grow to 310 GB?')],
      headers: { 'x-forwarded-for': freshIp() },
    });
    expect(toolParts(a.message)).toEqual([]);
    expect(citedSlugs(a.message)[0]).toBe('the-outbox-that-ate-our-disk');
  });

  it('happy: an unknown concept is a tool result that found nothing, and the answer falls back to retrieval', async () => {
    const a = await ask(t, {
      id: 'c-unknown-concept',
      messages: [userMessage('What should I learn before quantum basket weaving?')],
      headers: { 'x-forwarded-for': freshIp() },
    });
    const [part] = toolParts(a.message);
    expect(part?.state).toBe('output-available');
    expect(part?.output).toMatchObject({ found: false });
    expect(a.text.length).toBeGreaterThan(0);
    expect(a.text).not.toContain('learn these');
  });

  it('error: with the graph down the tool part is an error and the answer goes on from retrieval', async () => {
    setGraphStore(
      new Proxy(
        {},
        { get: (_, p) => (p === 'then' ? undefined : () => Promise.reject(new Error('connection refused'))) },
      ) as GraphStore,
    );
    try {
      const a = await ask(t, {
        id: 'c-tool-graph-down',
        messages: [userMessage('What should I learn before HNSW?')],
        headers: { 'x-forwarded-for': freshIp() },
      });
      const [part] = toolParts(a.message);
      expect(part?.type).toBe('tool-learningPath');
      expect(part?.state).toBe('output-error');
      expect(part?.errorText).toMatch(/knowledge graph is unavailable/);
      expect(a.text.startsWith(GRAPH_UNAVAILABLE_NOTE)).toBe(true);
      expect(a.text.length).toBeGreaterThan(GRAPH_UNAVAILABLE_NOTE.length);
      expect(a.message.metadata).toMatchObject({ model: 'local-extractive-v1' });
    } finally {
      setGraphStore(undefined);
    }
  });

  it('happy: a follow-up echoing the tool answer back is accepted, and the stored conversation keeps the tool part', async () => {
    const ip = freshIp();
    const first = await ask(t, {
      id: 'c-tool-followup',
      messages: [userMessage('What should I learn before HNSW?', 'tq1')],
      headers: { 'x-forwarded-for': ip },
    });
    const cookie = cookieFrom(first.response);
    const second = await ask(t, {
      id: 'c-tool-followup',
      messages: [
        userMessage('What should I learn before HNSW?', 'tq1'),
        first.message,
        userMessage('What is cosine similarity?', 'tq2'),
      ],
      headers: { 'x-forwarded-for': ip, cookie },
    });
    expect(second.response.status).toBe(200);
    expect(toolParts(second.message)[0]?.type).toBe('tool-explainConcept');
    const stored = (await (
      await t.request('GET', '/api/chat/c-tool-followup', { headers: { cookie } })
    ).json()) as {
      messages: UIMessage[];
    };
    const storedFirst = stored.messages[1] as UIMessage;
    expect(toolParts(storedFirst).map((p) => [p.type, p.state])).toEqual([
      ['tool-learningPath', 'output-available'],
    ]);
    expect(textOf(storedFirst)).toBe(first.text);
  });

  it('error: a tool part of an unknown tool in the history is refused with 400', async () => {
    const res = await t.request('POST', '/api/chat', {
      json: {
        id: 'c-tool-forged',
        trigger: 'submit-message',
        messages: [
          userMessage('hi', 'f1'),
          {
            id: 'f2',
            role: 'assistant',
            parts: [
              { type: 'tool-runShell', toolCallId: 'x', state: 'output-available', input: {}, output: {} },
            ],
          },
          userMessage('and?', 'f3'),
        ],
      },
      headers: { 'x-forwarded-for': freshIp() },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
  });
});
