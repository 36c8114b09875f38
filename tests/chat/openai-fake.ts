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
  input: { role: string; content: string | { type: string; text?: string }[] }[];
  tools?: unknown[];
  max_output_tokens?: number;
  [key: string]: unknown;
}

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
  answer: (body: ResponsesRequest) => string;
  usage?: { input: number; output: number };
}): FakeOpenAI {
  const calls: RecordedCall[] = [];
  const server = setupServer(
    http.post('https://api.openai.com/v1/responses', async ({ request }) => {
      const body = (await request.json()) as ResponsesRequest;
      calls.push({ url: request.url, headers: request.headers, body });
      const text = options.answer(body);
      const usage = options.usage ?? { input: 1200, output: 40 };
      return new HttpResponse(sse(responseEvents(body.model, text, usage)), {
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
