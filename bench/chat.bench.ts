/**
 * Chat overhead before the first token: everything POST /api/chat does before the model speaks (kill
 * switch, session lookup, rate limit, validation, budget, conversation owner check, hybrid retrieval,
 * graph expansion, prompt assembly, stream setup), on the sample content with the embedded defaults
 * and the local answerer. The model is timed separately (doStream call to its first text part) and
 * subtracted from the time to the first text part the client reads. Requests go through the real
 * router and handlers in-process, one at a time. Prints one JSON object.
 * Run alone with `npx tsx bench/chat.bench.ts`; `npm run bench` collects it.
 */
import { wrapLanguageModel } from 'ai';
import { migrate } from '../db/migrate.js';
import { LocalToolModel } from '../lib/ai/local-tool-model.js';
import { setChatModel } from '../lib/ai/models.js';
import { detectIntent } from '../lib/chat/intent.js';
import { seedSampleContent } from '../lib/content/seed.js';
import { createApp } from '../lib/dev/router.js';
import { resetEnv } from '../lib/env.js';
import { configureLog } from '../lib/log.js';
import { setCache } from '../lib/stores/cache/index.js';
import { MemoryCache } from '../lib/stores/cache/memory.js';
import { setConfigStore } from '../lib/stores/config/index.js';
import { MemoryConfigStore } from '../lib/stores/config/memory.js';
import { setSql } from '../lib/stores/sql/index.js';
import { openPglite } from '../lib/stores/sql/pglite.js';
import { syncNow } from '../lib/sync/run.js';

configureLog({ level: 'silent' });
process.env.CHAT_RATE_LIMIT_PER_MINUTE = '1000000';
process.env.CHAT_DAILY_TOKEN_BUDGET = '1000000000';
resetEnv();

const QUESTIONS = [
  'Why did the outbox table grow to 310 GB?',
  'How does reciprocal rank fusion work?',
  'What does VACUUM do with dead row versions?',
  'How should I size a connection pool for serverless functions?',
  'Which chunking strategy worked best?',
  'How do I deploy on Kubernetes?',
];
const WARMUP = 6;
const ROUNDS = Number(process.env.CHAT_BENCH_ROUNDS ?? 48);

/** Times of the current request's model call (requests run one at a time). */
let modelCalledAt = 0;
let modelFirstTextAt = 0;
const timedModel = wrapLanguageModel({
  // The default local model (tools by intent rules; these questions match none, as most do not).
  model: new LocalToolModel({ intent: detectIntent }),
  middleware: {
    specificationVersion: 'v4',
    wrapStream: async ({ doStream }) => {
      modelCalledAt = performance.now();
      const { stream, ...rest } = await doStream();
      let first = true;
      return {
        ...rest,
        stream: stream.pipeThrough(
          new TransformStream({
            transform(part, controller) {
              if (first && part.type === 'text-delta') {
                first = false;
                modelFirstTextAt = performance.now();
              }
              controller.enqueue(part);
            },
          }),
        ),
      };
    },
  },
});

const store = await openPglite();
try {
  await migrate(store);
  setSql(store);
  setCache(new MemoryCache());
  setConfigStore(new MemoryConfigStore());
  await seedSampleContent({ sql: store });
  await syncNow({ sql: store });
  setChatModel(timedModel);
  const app = createApp();

  type Sample = { firstText: number; model: number; beforeModel: number; overhead: number; total: number };
  /** `cold`: every query is new (a round number is appended), so the search result cache never answers. */
  const measure = async (mode: 'cold' | 'warm'): Promise<Sample[]> => {
    const samples: Sample[] = [];
    for (let i = 0; i < WARMUP + ROUNDS; i++) {
      const base = QUESTIONS[i % QUESTIONS.length] ?? '';
      const question = mode === 'cold' ? `${base} (${mode} ${i})` : base;
      const start = performance.now();
      const res = await app.fetch(
        new Request('http://localhost/api/chat', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.200' },
          body: JSON.stringify({
            id: `bench-${mode}-${i}`,
            trigger: 'submit-message',
            messages: [{ id: `q${i}`, role: 'user', parts: [{ type: 'text', text: question }] }],
          }),
        }),
      );
      if (res.status !== 200 || !res.body) throw new Error(`POST /api/chat answered ${res.status}`);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      let firstText = 0;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (!firstText) {
          buffered += decoder.decode(value, { stream: true });
          if (buffered.includes('"type":"text-delta"')) firstText = performance.now();
        }
      }
      const end = performance.now();
      if (i < WARMUP) continue;
      const model = modelFirstTextAt - modelCalledAt;
      samples.push({
        firstText: firstText - start,
        model,
        beforeModel: modelCalledAt - start,
        overhead: firstText - start - model,
        total: end - start,
      });
    }
    await app.settle();
    return samples;
  };

  const summary = (samples: Sample[]) => {
    const stat = (key: keyof Sample) => {
      const xs = samples.map((x) => x[key]).sort((a, b) => a - b);
      const q = (p: number) => round(xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0);
      return {
        p50: q(0.5),
        p95: q(0.95),
        p99: q(0.99),
        mean: round(xs.reduce((a, b) => a + b, 0) / xs.length),
      };
    };
    return {
      rounds: samples.length,
      overheadBeforeFirstToken: stat('overhead'),
      requestToModelCall: stat('beforeModel'),
      modelToFirstText: stat('model'),
      requestToFirstText: stat('firstText'),
      requestToEndOfStream: stat('total'),
    };
  };
  const cold = summary(await measure('cold'));
  const warm = summary(await measure('warm'));
  console.log(
    JSON.stringify({
      name: 'chat overhead before the first token',
      setup:
        'sample content, embedded PGlite + pgvector, memory cache and config, local answerer, in-process router',
      unit: 'ms',
      questions: QUESTIONS.length,
      overheadBeforeFirstToken: {
        searchCacheCold: cold.overheadBeforeFirstToken,
        searchCacheWarm: warm.overheadBeforeFirstToken,
      },
      searchCacheCold: cold,
      searchCacheWarm: warm,
      note: 'overhead = time to the first text part the client reads minus the model time to its first text part; it includes every check, retrieval (query embedding, vector + full text, chunk text, graph expansion) and prompt and stream setup. cold: every query new; warm: repeated questions hit the search result cache',
    }),
  );
} finally {
  setChatModel(undefined);
  await store.close();
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
