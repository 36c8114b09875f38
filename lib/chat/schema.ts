import * as z from 'zod';

/** The chat's tool names (lib/chat/tools.ts); kept here so validation imports no tool code. */
export const CHAT_TOOL_NAMES = [
  'searchContent',
  'learningPath',
  'shortestPath',
  'relatedContent',
  'explainConcept',
] as const;

/**
 * The body `useChat` / `DefaultChatTransport` (ai 7) POSTs: `{ id, messages, trigger, messageId? }`.
 * Messages are UIMessages; only the part types this chat produces are accepted (users send text,
 * the assistant's earlier turns carry text and sources), so nothing unexpected reaches the model.
 */

export const LIMITS = {
  /** Messages per request (the whole visible conversation). */
  maxMessages: 50,
  /** Characters in one user text part. */
  maxUserText: 4000,
  /** Characters in one assistant text part (earlier answers echoed back). */
  maxAssistantText: 16_000,
  maxPartsPerMessage: 40,
  /** Whole request body. */
  maxBodyBytes: 256 * 1024,
} as const;

const id = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\w-]+$/, 'use letters, digits, "_" and "-"');
const providerMetadata = z.record(z.string(), z.record(z.string(), z.unknown())).optional();

const textPart = (max: number) =>
  z
    .object({
      type: z.literal('text'),
      text: z.string().max(max),
      state: z.enum(['streaming', 'done']).optional(),
      providerMetadata,
    })
    .strict();

const userPart = textPart(LIMITS.maxUserText);

/**
 * A tool part of an earlier answer (lib/chat/tools.ts), echoed back by `useChat`. Only the part's
 * text reaches the model again (see prompt.ts), so its input and output are carried, not trusted.
 */
const toolPart = (name: string) =>
  z
    .object({
      type: z.literal(`tool-${name}`),
      toolCallId: z.string().min(1).max(200),
      state: z.enum([
        'input-streaming',
        'input-available',
        'output-available',
        'output-error',
        'output-denied',
      ]),
      input: z.unknown().optional(),
      rawInput: z.unknown().optional(),
      output: z.unknown().optional(),
      errorText: z.string().max(2000).optional(),
      title: z.string().max(200).optional(),
      providerExecuted: z.boolean().optional(),
      preliminary: z.boolean().optional(),
      toolMetadata: z.record(z.string(), z.unknown()).optional(),
      callProviderMetadata: providerMetadata,
      resultProviderMetadata: providerMetadata,
    })
    .strict();

const assistantPart = z.discriminatedUnion('type', [
  textPart(LIMITS.maxAssistantText),
  z.object({ type: z.literal('step-start') }).strict(),
  ...CHAT_TOOL_NAMES.map(toolPart),
  z
    .object({
      type: z.literal('source-url'),
      sourceId: z.string().max(200),
      url: z.string().max(2000),
      title: z.string().max(500).optional(),
      providerMetadata,
    })
    .strict(),
  z
    .object({
      type: z.literal('source-document'),
      sourceId: z.string().max(200),
      mediaType: z.string().max(100),
      title: z.string().max(500),
      filename: z.string().max(500).optional(),
      providerMetadata,
    })
    .strict(),
]);

const metadata = z.record(z.string(), z.unknown()).optional();

const userMessage = z
  .object({
    id,
    role: z.literal('user'),
    parts: z.array(userPart).min(1).max(LIMITS.maxPartsPerMessage),
    metadata,
  })
  .strict();

const assistantMessage = z
  .object({
    id,
    role: z.literal('assistant'),
    parts: z.array(assistantPart).max(LIMITS.maxPartsPerMessage),
    metadata,
  })
  .strict();

/** A message as stored and replayed; system messages are never accepted from clients. */
export const chatMessageSchema = z.discriminatedUnion('role', [userMessage, assistantMessage]);
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const chatRequestSchema = z
  .object({
    /** The conversation id (useChat's chat id). */
    id,
    messages: z
      .array(chatMessageSchema)
      .min(1)
      .max(LIMITS.maxMessages)
      .superRefine((messages, ctx) => {
        const last = messages[messages.length - 1];
        if (last?.role !== 'user') {
          ctx.addIssue({ code: 'custom', message: 'the last message must be from the user' });
        } else if (!last.parts.some((p) => p.text.trim() !== '')) {
          ctx.addIssue({ code: 'custom', message: 'the last message has no text' });
        }
        const ids = new Set<string>();
        for (const m of messages) {
          if (ids.has(m.id)) ctx.addIssue({ code: 'custom', message: `duplicate message id ${m.id}` });
          ids.add(m.id);
        }
      }),
    trigger: z.enum(['submit-message', 'regenerate-message']),
    messageId: id.optional(),
    /**
     * Keep the answer for reconnects (`GET /api/chat/[id]/stream`): it then runs to its end even if
     * the client goes away, and is stopped with `DELETE /api/chat/[id]/stream`.
     */
    resumable: z.boolean().optional(),
  })
  .strict();

export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** The text of a message's text parts. */
export function messageText(message: Pick<ChatMessage, 'parts'>): string {
  return message.parts
    .map((p) => (p.type === 'text' ? p.text : ''))
    .filter((t) => t !== '')
    .join('\n')
    .trim();
}
