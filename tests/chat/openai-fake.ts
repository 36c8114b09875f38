import { HttpResponse, http } from 'msw';
import { type SetupServer, setupServer } from 'msw/node';

/** One request the fake received. */
export interface RecordedCall {
  url: string;
  headers: Headers;
  body: ResponsesRequest;
}

/** The parts of an OpenAI Responses API request body the tests look at. */
export interface ResponsesRequest {
  model: string;
  stream?: boolean;
  input: ResponsesInputItem[];
  tools?: unknown[];
  max_output_tokens?: number;
  [key: string]: unknown;
}

/** A message, or (after a tool round) a function call and its output. */
export type ResponsesInputItem =
  | { role: string; content: string | { type: string; text?: string }[]; type?: undefined }
  | { type: 'function_call'; call_id: string; name: string; arguments: string; role?: undefined }
  | { type: 'function_call_output'; call_id: string; output: string; role?: undefined };

/** What the fake model does for a request: answer with text, or call a function (tool). */
export type FakeTurn = string | { call: { name: string; arguments: unknown } };

export interface FakeOpenAI {
  server: SetupServer;
  calls: RecordedCall[];
}

/**
 * The OpenAI Responses API (`POST https://api.openai.com/v1/responses`, streaming) faked at the HTTP
 * boundary with msw: it records each request and answers with the server-sent events OpenAI sends
 * (`response.created`, `response.output_item.added`, `response.output_text.delta`, ...,
 * `response.completed` with usage). `answer` decides the text from the request.
 */
export function fakeOpenAIResponses(options: {
  answer: (body: ResponsesRequest) => FakeTurn;
  usage?: { input: number; output: number };
}): FakeOpenAI {
  const calls: RecordedCall[] = [];
  const server = setupServer(
    http.post('https://api.openai.com/v1/responses', async ({ request }) => {
      const body = (await request.json()) as ResponsesRequest;
      calls.push({ url: request.url, headers: request.headers, body });
      const turn = options.answer(body);
      const usage = options.usage ?? { input: 1200, output: 40 };
      const events =
        typeof turn === 'string'
          ? responseEvents(body.model, turn, usage)
          : functionCallEvents(body.model, turn.call, usage, calls.length);
      return new HttpResponse(sse(events), {
        headers: { 'content-type': 'text/event-stream', 'x-request-id': 'req_fake' },
      });
    }),
  );
  return { server, calls };
}

function responseEvents(model: string, text: string, usage: { input: number; output: number }): object[] {
  const id = 'resp_fake_1';
  const itemId = 'msg_fake_1';
  const created = {
    id,
    object: 'response',
    created_at: 1_760_000_000,
    status: 'in_progress',
    model,
    output: [],
  };
  const part = { type: 'output_text', annotations: [], text };
  const item = { id: itemId, type: 'message', status: 'completed', role: 'assistant', content: [part] };
  const deltas = text.match(/\S+\s*/g) ?? [];
  return [
    { type: 'response.created', response: created },
    { type: 'response.in_progress', response: created },
    {
      type: 'response.output_item.added',
      output_index: 0,
      item: { id: itemId, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
    },
    {
      type: 'response.content_part.added',
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: { ...part, text: '' },
    },
    ...deltas.map((delta) => ({
      type: 'response.output_text.delta',
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      delta,
      logprobs: [],
    })),
    {
      type: 'response.output_text.done',
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      text,
      logprobs: [],
    },
    { type: 'response.content_part.done', item_id: itemId, output_index: 0, content_index: 0, part },
    { type: 'response.output_item.done', output_index: 0, item },
    {
      type: 'response.completed',
      response: {
        ...created,
        status: 'completed',
        output: [item],
        usage: {
          input_tokens: usage.input,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: usage.output,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: usage.input + usage.output,
        },
      },
    },
  ].map((e, i) => ({ ...e, sequence_number: i }));
}

function usageOf(usage: { input: number; output: number }) {
  return {
    input_tokens: usage.input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.input + usage.output,
  };
}

/** The events of a response whose only output is a function call, as OpenAI streams it. */
function functionCallEvents(
  model: string,
  call: { name: string; arguments: unknown },
  usage: { input: number; output: number },
  seq: number,
): object[] {
  const id = `resp_fake_fc_${seq}`;
  const itemId = `fc_fake_${seq}`;
  const callId = `call_fake_${seq}`;
  const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
  const created = {
    id,
    object: 'response',
    created_at: 1_760_000_000,
    status: 'in_progress',
    model,
    output: [],
  };
  const item = {
    id: itemId,
    type: 'function_call',
    status: 'completed',
    call_id: callId,
    name: call.name,
    arguments: args,
  };
  return [
    { type: 'response.created', response: created },
    { type: 'response.in_progress', response: created },
    {
      type: 'response.output_item.added',
      output_index: 0,
      item: { ...item, status: 'in_progress', arguments: '' },
    },
    { type: 'response.function_call_arguments.delta', item_id: itemId, output_index: 0, delta: args },
    { type: 'response.function_call_arguments.done', item_id: itemId, output_index: 0, arguments: args },
    { type: 'response.output_item.done', output_index: 0, item },
    {
      type: 'response.completed',
      response: { ...created, status: 'completed', output: [item], usage: usageOf(usage) },
    },
  ].map((e, i) => ({ ...e, sequence_number: i }));
}

function sse(events: object[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const e of events) {
        const type = (e as { type: string }).type;
        controller.enqueue(encoder.encode(`event: ${type}\ndata: ${JSON.stringify(e)}\n\n`));
      }
      controller.close();
    },
  });
}

/** The messages of a request (function calls and outputs left out). */
export function messagesOf(
  body: ResponsesRequest,
): { role: string; content: string | { type: string; text?: string }[] }[] {
  return body.input.flatMap((m) => (m.role !== undefined ? [m] : []));
}

export function systemText(body: ResponsesRequest): string {
  const sys = messagesOf(body).filter((m) => m.role === 'system' || m.role === 'developer');
  return sys.map((m) => contentText(m.content)).join('\n');
}

/** The text of the last user message. */
export function userText(body: ResponsesRequest): string {
  const users = messagesOf(body).filter((m) => m.role === 'user');
  return contentText(users[users.length - 1]?.content ?? '');
}

function contentText(content: string | { type: string; text?: string }[]): string {
  return typeof content === 'string' ? content : content.map((p) => p.text ?? '').join('\n');
}
