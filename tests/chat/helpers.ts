import { DefaultChatTransport, readUIMessageStream, type UIMessage } from 'ai';
import { seedSampleContent } from '../../lib/content/seed.js';
import { syncNow } from '../../lib/sync/run.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** A test app with the sample content imported and indexed (search and graph ready). */
export async function seededApp(options: Parameters<typeof createTestApp>[0] = {}): Promise<TestApp> {
  const t = await createTestApp(options);
  await seedSampleContent({ sql: t.sql, config: t.config });
  await syncNow({ sql: t.sql });
  return t;
}

let seq = 0;
export function userMessage(text: string, id = `u${++seq}`): UIMessage {
  return { id, role: 'user', parts: [{ type: 'text', text }] };
}

export interface Asked {
  message: UIMessage;
  response: Response;
  text: string;
  sources: { sourceId: string; url: string; title?: string }[];
}

/**
 * Sends messages the way `useChat` does (the AI SDK's own DefaultChatTransport), through the in-process
 * app, and reads the answer with the SDK's client-side reader.
 */
export async function ask(
  t: TestApp,
  input: {
    id: string;
    messages: UIMessage[];
    headers?: Record<string, string>;
    abortSignal?: AbortSignal;
    /** The URL to post to (default http://localhost/api/chat): a test of what the Host changes. */
    api?: string;
  },
): Promise<Asked> {
  let response: Response | undefined;
  const transport = new DefaultChatTransport<UIMessage>({
    api: input.api ?? 'http://localhost/api/chat',
    headers: { 'x-forwarded-for': '198.51.100.1', ...input.headers },
    fetch: async (url, init) => {
      response = await t.app.fetch(new Request(String(url), init));
      return response;
    },
  });
  const chunks = await transport.sendMessages({
    chatId: input.id,
    messages: input.messages,
    trigger: 'submit-message',
    messageId: undefined,
    abortSignal: input.abortSignal,
  });
  let message: UIMessage | undefined;
  for await (const m of readUIMessageStream<UIMessage>({ stream: chunks, terminateOnError: true }))
    message = m;
  if (!message || !response) throw new Error('no answer');
  return { message, response, text: textOf(message), sources: sourcesOf(message) };
}

export function textOf(message: UIMessage): string {
  return message.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

export function sourcesOf(message: UIMessage): { sourceId: string; url: string; title?: string }[] {
  return message.parts.flatMap((p) =>
    p.type === 'source-url'
      ? [{ sourceId: p.sourceId, url: p.url, ...(p.title ? { title: p.title } : {}) }]
      : [],
  );
}

/** The `[n]` markers in an answer mapped to the cited slugs, via the source parts' metadata. */
export function citedSlugs(message: UIMessage): string[] {
  const byN = new Map<number, string>();
  for (const p of message.parts) {
    if (p.type !== 'source-url') continue;
    const meta = p.providerMetadata?.polyfolio as { n?: number; slug?: string } | undefined;
    if (meta?.n !== undefined && meta.slug) byN.set(meta.n, meta.slug);
  }
  const out: string[] = [];
  for (const m of textOf(message).matchAll(/\[(\d+)\]/g)) {
    const slug = byN.get(Number(m[1]));
    if (slug && !out.includes(slug)) out.push(slug);
  }
  return out;
}

/** The `name=value` pair of a Set-Cookie header, for sending back. */
export function cookieFrom(response: Response): string {
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}
