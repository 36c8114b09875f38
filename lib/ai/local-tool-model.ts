import type {
  JSONValue,
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4GenerateResult,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
} from '@ai-sdk/provider';
import { parseGroundedText } from './documents.js';
import {
  LOCAL_CHAT_MODEL_ID,
  type LocalAnswererOptions,
  LocalExtractiveModel,
  sleep,
  usageFor,
} from './local-answerer.js';

/**
 * The local model with tools: the extractive answerer (local-answerer.ts) behind a thin router, so the
 * offline chat speaks the same protocol as a provider model that calls tools.
 *
 * Step 1: when the question matches an intent rule (`intent`, e.g. lib/chat/intent.ts) and that tool
 * was offered, the model answers with a tool call (finish reason `tool-calls`); `streamText` runs the
 * tool and calls the model again. Step 2: with the tool's result in the prompt, the model writes a
 * deterministic answer from it, citing each item by the `n` the tool gave it. A tool that failed, or
 * found nothing, falls back to the extractive answer over the retrieved documents, saying so first.
 * Questions that match no rule go straight to the extractive answerer.
 */

/** A tool call chosen for a question. */
export interface IntentCall {
  tool: string;
  input: Record<string, unknown>;
}

export interface LocalToolModelOptions extends LocalAnswererOptions {
  /** The tool call a question asks for, or null. */
  intent?: (question: string) => IntentCall | null;
}

interface ToolOutcome {
  toolName: string;
  ok: boolean;
  value: JSONValue;
}

type Plan = { kind: 'call'; call: IntentCall; id: string } | { kind: 'text'; text: string };

export const GRAPH_UNAVAILABLE_NOTE = 'I could not look that up in the knowledge graph just now.';

export class LocalToolModel implements LanguageModelV4 {
  readonly specificationVersion = 'v4';
  readonly provider = 'local';
  readonly modelId = LOCAL_CHAT_MODEL_ID;
  readonly supportedUrls: Record<string, RegExp[]> = {};
  private readonly inner: LocalExtractiveModel;
  private readonly intent: (question: string) => IntentCall | null;
  private readonly wordsPerDelta: number;
  private readonly delayMs: number;

  constructor(options: LocalToolModelOptions = {}) {
    const { intent, ...answerer } = options;
    this.inner = new LocalExtractiveModel(answerer);
    this.intent = intent ?? (() => null);
    this.wordsPerDelta = options.wordsPerDelta ?? 3;
    this.delayMs = options.delayMs ?? 0;
  }

  async doGenerate(call: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
    const plan = this.plan(call);
    const content: LanguageModelV4Content[] =
      plan.kind === 'call'
        ? [
            {
              type: 'tool-call',
              toolCallId: plan.id,
              toolName: plan.call.tool,
              input: JSON.stringify(plan.call.input),
            },
          ]
        : [{ type: 'text', text: plan.text }];
    const out = plan.kind === 'call' ? JSON.stringify(plan.call.input) : plan.text;
    return {
      content,
      finishReason:
        plan.kind === 'call'
          ? { unified: 'tool-calls', raw: 'tool_calls' }
          : { unified: 'stop', raw: 'stop' },
      usage: usageFor(call.prompt, out),
      warnings: [],
      response: { modelId: this.modelId, timestamp: new Date() },
    };
  }

  async doStream(call: LanguageModelV4CallOptions): Promise<LanguageModelV4StreamResult> {
    const plan = this.plan(call);
    const head: LanguageModelV4StreamPart[] = [
      { type: 'stream-start', warnings: [] },
      { type: 'response-metadata', modelId: this.modelId, timestamp: new Date() },
    ];
    if (plan.kind === 'call') {
      const input = JSON.stringify(plan.call.input);
      const parts: LanguageModelV4StreamPart[] = [
        ...head,
        { type: 'tool-input-start', id: plan.id, toolName: plan.call.tool },
        { type: 'tool-input-delta', id: plan.id, delta: input },
        { type: 'tool-input-end', id: plan.id },
        { type: 'tool-call', toolCallId: plan.id, toolName: plan.call.tool, input },
        {
          type: 'finish',
          finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
          usage: usageFor(call.prompt, input),
        },
      ];
      return { stream: fromParts(parts, call.abortSignal) };
    }
    return { stream: this.textStream(head, plan.text, call) };
  }

  /** What to do with a call: call a tool, answer from tool results, or answer extractively. */
  private plan(call: LanguageModelV4CallOptions): Plan {
    const { question, outcomes, turns } = readPrompt(call.prompt);
    if (outcomes.length > 0) return { kind: 'text', text: this.answerFromTools(call.prompt, outcomes) };
    const offered = new Set((call.tools ?? []).filter((t) => t.type === 'function').map((t) => t.name));
    const wanted = offered.size > 0 && call.toolChoice?.type !== 'none' ? this.intent(question) : null;
    if (wanted && offered.has(wanted.tool)) {
      return { kind: 'call', call: wanted, id: `call_local_${turns}_${wanted.tool}` };
    }
    return { kind: 'text', text: this.inner.answer(call.prompt).text };
  }

  private answerFromTools(prompt: LanguageModelV4Prompt, outcomes: ToolOutcome[]): string {
    const written: string[] = [];
    let failed = false;
    for (const o of outcomes) {
      if (!o.ok) {
        failed = true;
        continue;
      }
      const text = describeResult(o.toolName, o.value);
      if (text) written.push(text);
    }
    if (written.length > 0) return written.join('\n\n');
    // Nothing usable came back: answer from the retrieved documents, as without tools.
    const fallback = this.inner.answer(prompt).text;
    return failed ? `${GRAPH_UNAVAILABLE_NOTE} ${fallback}` : fallback;
  }

  private textStream(
    head: LanguageModelV4StreamPart[],
    text: string,
    call: LanguageModelV4CallOptions,
  ): ReadableStream<LanguageModelV4StreamPart> {
    const tokens = text.match(/\S+\s*|\s+/g) ?? [];
    const pieces: string[] = [];
    for (let i = 0; i < tokens.length; i += this.wordsPerDelta)
      pieces.push(tokens.slice(i, i + this.wordsPerDelta).join(''));
    const id = 'txt-0';
    const queue: LanguageModelV4StreamPart[] = [...head, { type: 'text-start', id }];
    const signal = call.abortSignal;
    const delayMs = this.delayMs;
    let next = 0;
    // Pull-based like the extractive model: a cancelled or aborted stream stops at once.
    return new ReadableStream<LanguageModelV4StreamPart>({
      async pull(controller) {
        if (signal?.aborted) return controller.error(abortReason(signal));
        const queued = queue.shift();
        if (queued) return controller.enqueue(queued);
        if (next < pieces.length) {
          if (delayMs > 0 && next > 0) await sleep(delayMs, signal);
          if (signal?.aborted) return controller.error(abortReason(signal));
          controller.enqueue({ type: 'text-delta', id, delta: pieces[next++] ?? '' });
          return;
        }
        controller.enqueue({ type: 'text-end', id });
        controller.enqueue({
          type: 'finish',
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: usageFor(call.prompt, text),
        });
        controller.close();
      },
    });
  }
}

/** The question of the last user turn and the tool results that came after it. */
function readPrompt(prompt: LanguageModelV4Prompt): {
  question: string;
  outcomes: ToolOutcome[];
  turns: number;
} {
  let lastUser = -1;
  let turns = 0;
  prompt.forEach((m, i) => {
    if (m.role === 'user') {
      lastUser = i;
      turns++;
    }
  });
  const user = prompt[lastUser];
  const text =
    user?.role === 'user'
      ? user.content
          .map((p) => (p.type === 'text' ? p.text : ''))
          .filter(Boolean)
          .join('\n\n')
      : '';
  const outcomes: ToolOutcome[] = [];
  for (const m of prompt.slice(lastUser + 1)) {
    if (m.role !== 'tool') continue;
    for (const p of m.content) {
      if (p.type !== 'tool-result') continue;
      const o = p.output;
      if (o.type === 'json') outcomes.push({ toolName: p.toolName, ok: true, value: o.value });
      else if (o.type === 'text') outcomes.push({ toolName: p.toolName, ok: true, value: o.value });
      else if (o.type === 'error-json' || o.type === 'error-text')
        outcomes.push({ toolName: p.toolName, ok: false, value: o.value });
    }
  }
  return { question: parseGroundedText(text).question, outcomes, turns };
}

// ---------------------------------------------------------------------------------------------------
// Answers written from tool results. Every item is cited by the `n` of the tool's `sources`.

interface Src {
  n: number;
  slug: string;
  kind: string;
  title: string;
}

function describeResult(toolName: string, value: JSONValue): string | null {
  if (!isObject(value) || value.found === false) return null;
  const sources = (Array.isArray(value.sources) ? value.sources : []).filter(isSource);
  const cite = (slug: unknown, kind: 'concept' | 'content') => {
    const s = sources.find((x) => x.slug === slug && (kind === 'concept') === (x.kind === 'concept'));
    return s ? `${s.title} [${s.n}]` : String(slug);
  };
  switch (toolName) {
    case 'learningPath':
      return describePath(value, cite);
    case 'shortestPath':
      return describeShortest(value, cite);
    case 'relatedContent':
      return describeRelated(value, cite);
    case 'explainConcept':
      return describeConcept(value, cite);
    case 'searchContent':
      return describeSearch(value, sources);
    default:
      return null;
  }
}

type Cite = (slug: unknown, kind: 'concept' | 'content') => string;

function describePath(v: Record<string, JSONValue>, cite: Cite): string {
  const target = isObject(v.target) ? v.target : {};
  const steps = (Array.isArray(v.steps) ? v.steps : []).filter(isObject);
  const goal = cite(target.slug, 'concept');
  if (steps.length === 0)
    return `${goal} builds on nothing you still need to learn on this site: you can start with it.`;
  const lines = steps.map((s, i) => `${i + 1}. ${cite(s.slug, 'concept')}`);
  let text = `Before ${goal}, learn these ${steps.length === 1 ? 'concept' : `${steps.length} concepts`} in this order:\n\n${lines.join('\n')}`;
  const cycles = Array.isArray(v.cycles) ? v.cycles : [];
  if (cycles.length > 0) text += '\n\nSome of them require each other, so they are listed together.';
  return text;
}

function describeShortest(v: Record<string, JSONValue>, cite: Cite): string {
  const nodes = (Array.isArray(v.nodes) ? v.nodes : []).filter(isObject);
  const edges = (Array.isArray(v.edges) ? v.edges : []).filter(isObject);
  const from = isObject(v.from) ? v.from : {};
  const to = isObject(v.to) ? v.to : {};
  const kindOf = (n: Record<string, JSONValue>) => (n.label === 'Concept' ? 'concept' : 'content');
  if (nodes.length === 0 || v.length === null) {
    return `I found no chain of relations from ${cite(from.key, kindOf(from))} to ${cite(to.key, kindOf(to))} within ${String(v.maxDepth ?? 8)} steps.`;
  }
  if (nodes.length === 1) return `${cite(from.key, kindOf(from))} is where you want to go already.`;
  // One sentence along the chain: "A [1] is mentioned by B [2], which covers C [3]."
  const hops = nodes.slice(1).map((n, i) => {
    const prev = nodes[i] ?? {};
    const e = edges[i] ?? {};
    const relation = relationWords(String(e.type ?? ''), e.source === prev.id);
    return `${i === 0 ? '' : 'which '}${relation} ${cite(n.key, kindOf(n))}`;
  });
  const steps = nodes.length - 1;
  return `From ${cite(from.key, kindOf(from))} to ${cite(to.key, kindOf(to))} takes ${steps} ${steps === 1 ? 'step' : 'steps'}: ${cite(nodes[0]?.key, kindOf(nodes[0] ?? {}))} ${hops.join(', ')}.`;
}

/** How one hop reads, from the previous node's point of view. */
function relationWords(type: string, forward: boolean): string {
  const words: Record<string, [string, string]> = {
    REQUIRES: ['requires', 'is required by'],
    COVERS: ['covers', 'is covered by'],
    MENTIONS: ['mentions', 'is mentioned by'],
    PART_OF: ['is part of', 'contains'],
    RELATED_TO: ['is related to', 'is related to'],
  };
  const pair = words[type] ?? ['leads to', 'leads to'];
  return forward ? pair[0] : pair[1];
}

function describeRelated(v: Record<string, JSONValue>, cite: Cite): string {
  const item = isObject(v.item) ? v.item : {};
  const related = (Array.isArray(v.related) ? v.related : []).filter(isObject);
  const self = cite(item.key, 'content');
  if (related.length === 0) return `Nothing else on this site shares concepts with ${self}.`;
  const lines = related.map((r) => {
    const via = (Array.isArray(r.via) ? r.via : [])
      .filter(isObject)
      .map((c) => String(c.title))
      .slice(0, 3);
    return `- ${cite(r.key, 'content')}${via.length ? `, which shares ${via.join(', ')}` : ''}`;
  });
  return `These share the most concepts with ${self}:\n\n${lines.join('\n')}`;
}

function describeConcept(v: Record<string, JSONValue>, cite: Cite): string {
  const c = isObject(v.concept) ? v.concept : {};
  const out: string[] = [];
  const summary = String(c.summary ?? '').trim();
  out.push(
    summary
      ? `${cite(c.slug, 'concept')}: ${summary}`
      : `${cite(c.slug, 'concept')} is a concept on this site.`,
  );
  const titles = (x: JSONValue | undefined) =>
    (Array.isArray(x) ? x : []).filter(isObject).map((p) => String(p.title));
  const prereqs = titles(c.prerequisites);
  if (prereqs.length) out.push(`It builds on ${joinWords(prereqs)}.`);
  const dependents = titles(c.dependents);
  if (dependents.length)
    out.push(`${joinWords(dependents)} ${dependents.length === 1 ? 'builds' : 'build'} on it.`);
  const content = (Array.isArray(c.content) ? c.content : []).filter(isObject);
  if (content.length) out.push(`Read more in ${joinWords(content.map((x) => cite(x.slug, 'content')))}.`);
  return out.join(' ');
}

function describeSearch(v: Record<string, JSONValue>, sources: Src[]): string | null {
  const results = (Array.isArray(v.results) ? v.results : []).filter(isObject);
  if (results.length === 0) return null;
  const lines = results.map((r) => {
    const s = sources.find((x) => x.slug === r.slug && x.kind !== 'concept');
    const snippet = String(r.snippet ?? '').trim();
    return `- ${String(r.title)}${s ? ` [${s.n}]` : ''}${snippet ? `: ${snippet}` : ''}`;
  });
  return `This site has these on "${String(v.query ?? '')}":\n\n${lines.join('\n')}`;
}

function joinWords(items: string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function isObject(v: JSONValue | undefined): v is Record<string, JSONValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSource(v: JSONValue): v is JSONValue & Src {
  return isObject(v) && typeof v.n === 'number' && typeof v.slug === 'string' && typeof v.title === 'string';
}

// ---------------------------------------------------------------------------------------------------

function fromParts(
  parts: LanguageModelV4StreamPart[],
  signal?: AbortSignal,
): ReadableStream<LanguageModelV4StreamPart> {
  const queue = [...parts];
  return new ReadableStream({
    pull(controller) {
      if (signal?.aborted) return controller.error(abortReason(signal));
      const part = queue.shift();
      if (part) controller.enqueue(part);
      if (queue.length === 0) controller.close();
    },
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('Aborted', 'AbortError');
}
