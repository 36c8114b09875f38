import { readFileSync } from 'node:fs';
import { DefaultChatTransport, readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import * as z from 'zod';

/**
 * The chat QA evaluation: questions the way visitors ask them, each with the slugs an answer must cite,
 * sent through the real `POST /api/chat` handler (any `fetch` that reaches it) the way `useChat` sends
 * them, follow-ups as whole conversations with the real earlier answers. Scored per question:
 * - cite@3: one of the expected slugs is among the answer's first three cited sources;
 * - a wrong refusal: an answerable question answered without citing anything;
 * - an off-topic question (no expected slugs) counts as refused when the answer cites nothing;
 * - first-token time: request sent to the first text delta read, per turn.
 */

export const QA_CATEGORIES = ['single', 'named', 'followup', 'concept', 'offtopic'] as const;
export type QaCategory = (typeof QA_CATEGORIES)[number];

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]*$/);

export const chatQaSchema = z.object({
  description: z.string().optional(),
  version: z.literal(1),
  questions: z
    .array(
      z
        .object({
          id: z.string().min(1),
          category: z.enum(QA_CATEGORIES),
          /** User turns in order; the last one is scored. */
          turns: z.array(z.string().min(1).max(4000)).min(1),
          /** Any of these among the first three cited sources; empty for off-topic questions. */
          cite: z.array(slug),
        })
        .strict()
        .refine((q) => (q.category === 'offtopic') === (q.cite.length === 0), {
          message: 'off-topic questions (and only they) have no slugs to cite',
        })
        .refine((q) => q.category !== 'followup' || q.turns.length > 1, {
          message: 'a follow-up is a conversation of more than one turn',
        })
        .refine((q) => q.category === 'followup' || q.category === 'offtopic' || q.turns.length === 1, {
          message: 'only follow-ups and off-topic questions come after earlier turns',
        }),
    )
    .min(1),
});
export type ChatQaSet = z.infer<typeof chatQaSchema>;
export type ChatQaQuestion = ChatQaSet['questions'][number];

export function loadChatQa(path: string): ChatQaSet {
  const set = chatQaSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  const ids = new Set<string>();
  for (const q of set.questions) {
    if (ids.has(q.id)) throw new Error(`duplicate question id ${q.id}`);
    ids.add(q.id);
  }
  return set;
}

/** One answer as the client saw it. */
export interface AskedTurn {
  message: UIMessage;
  text: string;
  /** Slugs of the `source-url` parts, in the order they came (the order of first citation). */
  cited: string[];
  /** Milliseconds from sending the request to the first text delta (undefined: no text came). */
  firstTokenMs?: number;
  status: number;
}

export type Ask = (input: { chatId: string; messages: UIMessage[]; turn: number }) => Promise<AskedTurn>;

/**
 * An `Ask` through a fetch that reaches the chat handler (the in-process app's `fetch`, or a server's),
 * with the AI SDK's own transport and stream reader, as `useChat` does. Each question asks from its own
 * address (`ipFor`), so one question's rate limit never refuses another's.
 */
export function askThrough(
  fetch: (request: Request) => Promise<Response>,
  options: { url?: string; ipFor?: (chatId: string) => string } = {},
): Ask {
  const url = options.url ?? 'http://localhost/api/chat';
  // The anonymous cookie the first answer set owns the conversation: later turns send it back.
  const cookies = new Map<string, string>();
  return async ({ chatId, messages }) => {
    let status = 0;
    const started = performance.now();
    const transport = new DefaultChatTransport<UIMessage>({
      api: url,
      headers: {
        ...(options.ipFor ? { 'x-forwarded-for': options.ipFor(chatId) } : {}),
        ...(cookies.has(chatId) ? { cookie: cookies.get(chatId) ?? '' } : {}),
      },
      fetch: async (input, init) => {
        const response = await fetch(new Request(String(input), init));
        status = response.status;
        const setCookie = response.headers.get('set-cookie')?.split(';')[0];
        if (setCookie) cookies.set(chatId, setCookie);
        return response;
      },
    });
    let firstTokenMs: number | undefined;
    let chunks: ReadableStream<UIMessageChunk>;
    try {
      chunks = await transport.sendMessages({
        chatId,
        messages,
        trigger: 'submit-message',
        messageId: undefined,
        abortSignal: undefined,
      });
    } catch (err) {
      // a 4xx/5xx: the transport throws with the body; the caller sees the status
      return {
        message: { id: 'error', role: 'assistant', parts: [] },
        text: err instanceof Error ? err.message : String(err),
        cited: [],
        status,
      };
    }
    const timed = chunks.pipeThrough(
      new TransformStream<UIMessageChunk, UIMessageChunk>({
        transform(chunk, controller) {
          if (chunk.type === 'text-delta' && firstTokenMs === undefined)
            firstTokenMs = performance.now() - started;
          controller.enqueue(chunk);
        },
      }),
    );
    let message: UIMessage = { id: 'empty', role: 'assistant', parts: [] };
    for await (const m of readUIMessageStream<UIMessage>({ stream: timed, terminateOnError: true }))
      message = m;
    const text = message.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
    const cited = message.parts.flatMap((p) => {
      if (p.type !== 'source-url') return [];
      const meta = p.providerMetadata?.polyfolio as { slug?: unknown } | undefined;
      return [typeof meta?.slug === 'string' ? meta.slug : p.sourceId];
    });
    return { message, text, cited, status, ...(firstTokenMs !== undefined ? { firstTokenMs } : {}) };
  };
}

export interface QaOutcome {
  id: string;
  category: QaCategory;
  question: string;
  expected: string[];
  cited: string[];
  refused: boolean;
  /** Answerable: an expected slug among the first three cited. Off-topic: refused. */
  pass: boolean;
  status: number;
  answer: string;
  /** First-token time of each turn. */
  firstTokenMs: number[];
}

export interface QaStats {
  questions: number;
  answerable: number;
  /** Answerable questions with an expected slug among the first three sources. */
  cite3: number;
  /** Answerable questions answered without a citation. */
  wrongRefusals: number;
  offTopic: number;
  offTopicRefused: number;
}

export interface QaReport {
  overall: QaStats & { cite3Rate: number; offTopicRefusedRate: number };
  byCategory: Record<QaCategory, QaStats>;
  firstTokenMs: { p50: number; p95: number; max: number; turns: number };
  outcomes: QaOutcome[];
  ms: number;
}

/** Runs every question through `ask`, one at a time (turn by turn for follow-ups). */
export async function runChatQa(
  set: ChatQaSet,
  ask: Ask,
  options: { onOutcome?: (o: QaOutcome) => void } = {},
): Promise<QaReport> {
  const started = performance.now();
  const outcomes: QaOutcome[] = [];
  for (const q of set.questions) {
    const chatId = `qa-${q.id}`.slice(0, 100);
    const messages: UIMessage[] = [];
    const times: number[] = [];
    let last: AskedTurn | undefined;
    for (const [i, turn] of q.turns.entries()) {
      messages.push({ id: `${chatId}-u${i}`, role: 'user', parts: [{ type: 'text', text: turn }] });
      last = await ask({ chatId, messages: [...messages], turn: i });
      if (last.firstTokenMs !== undefined) times.push(last.firstTokenMs);
      if (last.status !== 200) break;
      messages.push(last.message);
    }
    if (!last) continue;
    const refused = last.status === 200 && last.cited.length === 0;
    const pass =
      q.category === 'offtopic'
        ? refused
        : last.status === 200 && last.cited.slice(0, 3).some((s) => q.cite.includes(s));
    const outcome: QaOutcome = {
      id: q.id,
      category: q.category,
      question: q.turns.join(' / '),
      expected: q.cite,
      cited: last.cited,
      refused,
      pass,
      status: last.status,
      answer: last.text,
      firstTokenMs: times,
    };
    outcomes.push(outcome);
    options.onOutcome?.(outcome);
  }
  return summarise(outcomes, performance.now() - started);
}

export function summarise(outcomes: QaOutcome[], ms = 0): QaReport {
  const stats = (list: QaOutcome[]): QaStats => {
    const answerable = list.filter((o) => o.category !== 'offtopic');
    const off = list.filter((o) => o.category === 'offtopic');
    return {
      questions: list.length,
      answerable: answerable.length,
      cite3: answerable.filter((o) => o.pass).length,
      // a failed request is not a refusal, but it is no answer either: counted here
      wrongRefusals: answerable.filter((o) => o.refused || o.status !== 200).length,
      offTopic: off.length,
      offTopicRefused: off.filter((o) => o.refused).length,
    };
  };
  const overall = stats(outcomes);
  const byCategory = Object.fromEntries(
    QA_CATEGORIES.map((c) => [c, stats(outcomes.filter((o) => o.category === c))]),
  ) as Record<QaCategory, QaStats>;
  const times = outcomes.flatMap((o) => o.firstTokenMs).sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? 0;
  return {
    overall: {
      ...overall,
      cite3Rate: overall.answerable ? overall.cite3 / overall.answerable : 0,
      offTopicRefusedRate: overall.offTopic ? overall.offTopicRefused / overall.offTopic : 0,
    },
    byCategory,
    firstTokenMs: { p50: pct(0.5), p95: pct(0.95), max: times[times.length - 1] ?? 0, turns: times.length },
    outcomes,
    ms,
  };
}

/** The report as a small text table, then the failures. */
export function formatReport(report: QaReport, options: { failures?: boolean } = {}): string {
  const pctOf = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : '-');
  const lines = ['category   questions  cite@3            wrong refusals  off-topic refused'];
  const row = (name: string, s: QaStats) =>
    lines.push(
      [
        name.padEnd(10),
        String(s.questions).padStart(9),
        `  ${s.answerable ? `${s.cite3}/${s.answerable} (${pctOf(s.cite3, s.answerable)})` : '-'}`.padEnd(20),
        String(s.answerable ? s.wrongRefusals : '-').padStart(14),
        `  ${s.offTopic ? `${s.offTopicRefused}/${s.offTopic} (${pctOf(s.offTopicRefused, s.offTopic)})` : '-'}`,
      ].join(''),
    );
  for (const c of QA_CATEGORIES) row(c, report.byCategory[c]);
  row('all', report.overall);
  const t = report.firstTokenMs;
  lines.push(
    `first token: p50 ${t.p50.toFixed(0)} ms, p95 ${t.p95.toFixed(0)} ms, max ${t.max.toFixed(0)} ms over ${t.turns} turns; ${(report.ms / 1000).toFixed(1)} s in all`,
  );
  if (options.failures) {
    const failed = report.outcomes.filter((o) => !o.pass);
    if (failed.length) lines.push('', 'failures:');
    for (const o of failed) {
      lines.push(
        `- ${o.id} [${o.category}] "${o.question}"`,
        `    expected ${o.expected.length ? o.expected.join(' | ') : '(refusal)'}; cited ${o.cited.join(', ') || '(nothing)'}${o.status !== 200 ? `; HTTP ${o.status}` : ''}`,
      );
    }
  }
  return lines.join('\n');
}
