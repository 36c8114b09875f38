import { waitUntil } from '@vercel/functions';
import {
  createUIMessageStream,
  createUIMessageStreamResponse,
  InvalidToolInputError,
  isStepCount,
  type LanguageModel,
  streamText,
  toUIMessageStream,
  type UIMessage,
  type UIMessageChunk,
} from 'ai';
import { estimateTokens } from '../ai/chunker.js';
import { log } from '../log.js';
import type { SqlStore } from '../stores/sql/index.js';
import type { Owner } from './anon.js';
import { type StoredMessage, saveConversation } from './conversations.js';
import { chargeTokens, spendsTokenBudget } from './limits.js';
import { buildModelMessages, citedNumbers, SYSTEM_PROMPT } from './prompt.js';
import type { ResumableAnswer } from './resume.js';
import type { ContextDocument, Retrieval } from './retrieve.js';
import { type ChatRequest, messageText } from './schema.js';
import { createChatTools, ToolFailure, type ToolSource } from './tools.js';

/**
 * One chat turn as a UI message stream (the protocol `useChat` reads): the model's answer streams as
 * text parts; when it ends, the documents the answer cited (`[n]`) follow as `source-url` parts, then
 * `finish`. The conversation is saved when the stream ends (never before the first token), with the
 * sources in the stored parts, and a provider model's tokens are charged to the daily budget.
 */

export interface ChatTurn {
  request: Request;
  body: ChatRequest;
  owner: Owner;
  /** Rate-limit and budget subject (see limits.ts). */
  subject: string;
  retrieval: Retrieval;
  model: LanguageModel;
  modelId: string;
  /** Base of citation links: SITE_URL, or '' for relative links (`/content/<slug>`). */
  siteUrl: string;
  sql: () => Promise<SqlStore>;
  maxOutputTokens?: number;
  /** Offer the graph and search tools (lib/chat/tools.ts); default true. */
  tools?: boolean;
  /** Keep the stream for reconnects (lib/chat/resume.ts); the answer then outlives the request. */
  resumable?: ResumableAnswer;
  generateId?: () => string;
  now?: () => Date;
  headers?: Record<string, string>;
}

const STREAM_ERROR = 'The answer could not be completed. Please try again.';
/** Model calls per answer: a tool round or two, then the answer. */
export const MAX_STEPS = 4;

export function streamChatTurn(turn: ChatTurn): Response {
  const { body, retrieval } = turn;
  const modelMessages = buildModelMessages(body.messages, retrieval);
  const promptTokens = estimateTokens(
    SYSTEM_PROMPT +
      modelMessages
        .map((m) =>
          typeof m.content === 'string'
            ? m.content
            : m.content.map((p) => ('text' in p ? p.text : '')).join(''),
        )
        .join('\n'),
  );
  let streamedText = '';
  let charged = false;
  // Only provider tokens count against the daily budget (see limits.ts).
  const charge = (tokens: number) => {
    if (charged || !spendsTokenBudget(turn.model)) return Promise.resolve();
    charged = true;
    return chargeTokens(turn.subject, tokens);
  };

  const tools =
    turn.tools === false
      ? undefined
      : createChatTools({ siteUrl: turn.siteUrl, firstN: retrieval.docs.length + 1 });
  // A resumable answer is stopped by a stop request, not by the client going away (a reload).
  const abortSignal = turn.resumable?.signal ?? turn.request.signal;

  // Keeps the function alive on Vercel until the conversation is saved, even after a disconnect.
  const done = deferred();
  waitUntil(done.promise);
  let ending: Promise<void> | undefined;
  // Whether onEnd runs after a disconnect depends on the runtime (Node 20 never calls a
  // TransformStream's cancel hook): give it a moment, then stop waiting unless a save is under way.
  abortSignal.addEventListener(
    'abort',
    () => {
      const timer = setTimeout(() => (ending ? void ending.finally(done.resolve) : done.resolve()), 250);
      timer.unref?.();
    },
    { once: true },
  );

  const stream = createUIMessageStream<UIMessage>({
    originalMessages: body.messages as UIMessage[],
    ...(turn.generateId ? { generateId: turn.generateId } : {}),
    onError: (err) => {
      log.error('chat stream failed', { err });
      return STREAM_ERROR;
    },
    execute: ({ writer }) => {
      const result = streamText({
        model: turn.model,
        instructions: SYSTEM_PROMPT,
        messages: modelMessages,
        abortSignal,
        maxOutputTokens: turn.maxOutputTokens ?? 800,
        maxRetries: 1,
        ...(tools ? { tools: tools.tools, stopWhen: isStepCount(MAX_STEPS) } : {}),
        onEnd: async ({ usage }) => {
          const total =
            usage.totalTokens ??
            (usage.inputTokens ?? promptTokens) + (usage.outputTokens ?? estimateTokens(streamedText));
          await charge(total);
        },
        onAbort: async () => {
          // No usage arrives after an abort: charge what was sent and streamed, estimated.
          await charge(promptTokens + estimateTokens(streamedText));
        },
      });
      const ui = toUIMessageStream({
        stream: result.stream,
        sendReasoning: false,
        sendSources: false,
        ...(tools ? { tools: tools.tools } : {}),
        onError: (err) => {
          // A failed tool is a tool error part with its public message; the answer goes on.
          if (err instanceof ToolFailure) return err.message;
          // Input the model got wrong is validated like a request: the model sees why, and may retry.
          if (InvalidToolInputError.isInstance(err))
            return `Invalid input for ${err.toolName}: ${zodIssues(err.cause)}`;
          log.error('chat model failed', { err, model: turn.modelId });
          return STREAM_ERROR;
        },
        messageMetadata: ({ part }) =>
          part.type === 'finish'
            ? { model: turn.modelId, totalTokens: part.totalUsage.totalTokens }
            : undefined,
      });
      writer.merge(
        ui.pipeThrough(
          citeSources(
            retrieval.docs,
            turn.siteUrl,
            (delta) => {
              streamedText += delta;
            },
            tools?.sources,
          ),
        ),
      );
    },
    onEnd: ({ messages, responseMessage, isAborted }) => {
      ending = save(messages, responseMessage, isAborted);
      return ending;
    },
  });

  async function save(messages: UIMessage[], responseMessage: UIMessage, isAborted: boolean): Promise<void> {
    try {
      if (!messageText({ parts: responseMessage.parts.filter(isText) })) return; // nothing was answered
      if (isAborted) responseMessage.metadata = { ...(responseMessage.metadata as object), aborted: true };
      const store = await turn.sql();
      const firstUser = body.messages.find((m) => m.role === 'user');
      const saved = await saveConversation({
        store,
        id: body.id,
        ownerId: turn.owner.ownerId,
        title: firstUser ? messageText(firstUser).slice(0, 80) : '',
        messages: messages.map(toStored),
        ...(turn.now ? { now: turn.now() } : {}),
      });
      if (!saved) log.warn('conversation not saved: owned by someone else', { id: body.id });
    } catch (err) {
      log.error('could not save the conversation', { err, id: body.id });
    } finally {
      // Saved first: a client that reconnects after this finds the answer stored, not streaming.
      await turn.resumable?.close();
      done.resolve();
    }
  }

  const resumable = turn.resumable;
  return createUIMessageStreamResponse({
    stream,
    headers: { 'cache-control': 'no-store', ...turn.headers },
    ...(resumable
      ? {
          consumeSseStream: ({ stream: sse }: { stream: ReadableStream<string> }) => {
            resumable.persist(sse).catch((err: unknown) => {
              log.error('could not keep the answer for resuming', { err, id: body.id });
            });
          },
        }
      : {}),
  });
}

/**
 * Passes the answer through, holding back `finish`: when the answer is complete, the documents it
 * cites follow as `source-url` parts, then `finish`. Citations of documents that were not given (a
 * model inventing `[9]`) are dropped. A tool's items follow its output at once, as `source-url` parts
 * numbered by the tool (`providerMetadata.polyfolio.toolCallId` names the call).
 */
function citeSources(
  docs: readonly ContextDocument[],
  siteUrl: string,
  onText: (delta: string) => void,
  toolSources?: ReadonlyMap<string, ToolSource[]>,
): TransformStream<UIMessageChunk, UIMessageChunk> {
  const byN = new Map(docs.map((d) => [d.n, d]));
  let text = '';
  let finish: UIMessageChunk | undefined;
  return new TransformStream({
    transform(chunk, controller) {
      if (chunk.type === 'text-delta') {
        text += chunk.delta;
        onText(chunk.delta);
      }
      if (chunk.type === 'finish') finish = chunk;
      else controller.enqueue(chunk);
      if (chunk.type === 'tool-output-available' && toolSources) {
        for (const s of toolSources.get(chunk.toolCallId) ?? [])
          controller.enqueue(toolSourcePart(s, chunk.toolCallId));
      }
    },
    flush(controller) {
      for (const n of citedNumbers(text)) {
        const doc = byN.get(n);
        if (!doc) continue;
        controller.enqueue({
          type: 'source-url',
          sourceId: doc.slug,
          url: citationUrl(siteUrl, doc.slug, doc.kind),
          title: doc.title,
          providerMetadata: {
            polyfolio: {
              n,
              slug: doc.slug,
              kind: doc.kind,
              ...(doc.externalUrl ? { externalUrl: doc.externalUrl } : {}),
            },
          },
        });
      }
      if (finish) controller.enqueue(finish);
    },
  });
}

/** A validation error's issues, briefly ("concept: Invalid input: expected string"). */
function zodIssues(cause: unknown): string {
  const issues = (cause as { cause?: { issues?: { path: PropertyKey[]; message: string }[] } })?.cause
    ?.issues;
  if (!Array.isArray(issues)) return 'the input does not match the tool schema';
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || 'input'}: ${i.message}`)
    .join('; ');
}

function toolSourcePart(s: ToolSource, toolCallId: string): UIMessageChunk {
  return {
    type: 'source-url',
    sourceId: s.kind === 'concept' ? `concept:${s.slug}` : s.slug,
    url: s.url,
    title: s.title,
    providerMetadata: { polyfolio: { n: s.n, slug: s.slug, kind: s.kind, toolCallId } },
  };
}

/** A cited item's page: `/content/<slug>`, or `/concepts/<slug>` for a concept. */
export function citationUrl(siteUrl: string, slug: string, kind = 'post'): string {
  const section = kind === 'concept' ? 'concepts' : 'content';
  return `${siteUrl.replace(/\/+$/, '')}/${section}/${encodeURIComponent(slug)}`;
}

function isText(p: UIMessage['parts'][number]): p is { type: 'text'; text: string } {
  return p.type === 'text';
}

function toStored(m: UIMessage): StoredMessage {
  // `state` is a rendering detail of a streaming client; stored parts are final.
  const parts = m.parts.map((p) => {
    if (p.type !== 'text') return p;
    const { state: _state, ...rest } = p;
    return rest;
  });
  return {
    id: m.id,
    role: m.role,
    parts,
    ...(m.metadata && typeof m.metadata === 'object'
      ? { metadata: m.metadata as Record<string, unknown> }
      : {}),
  };
}

/** A promise resolved by hand, or after `ms` at the latest so a stream nobody reads cannot pin it. */
function deferred(ms = 65_000): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  const timer = setTimeout(resolve, ms);
  timer.unref?.();
  return {
    promise: promise.finally(() => clearTimeout(timer)),
    resolve,
  };
}
