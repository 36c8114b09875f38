import { createOpenAI } from '@ai-sdk/openai';
import { createGateway, type EmbeddingModel, embedMany } from 'ai';
import { type Embedder, type EmbedderUsage, emptyUsage } from './embedder.js';

/** Output sizes of the models we know; any other model needs EMBEDDING_DIMENSIONS. */
const DEFAULT_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

export const DEFAULT_EMBEDDING_MODEL = 'text-embedding-3-small';

export interface ProviderEmbedderOptions {
  provider: 'openai' | 'gateway';
  /** The provider's model id; on the gateway `openai/` is prefixed when no provider is named. */
  modelId?: string | undefined;
  /** Requested output size (text-embedding-3-* can shorten); the model's default otherwise. */
  dimensions?: number | undefined;
  apiKey?: string | undefined;
  baseURL?: string | undefined;
  /** Retries per model call (the SDK backs off exponentially). */
  maxRetries?: number;
  /** Concurrent model calls when a request is split into batches. */
  maxParallelCalls?: number;
}

/**
 * A provider embedding model through the `ai` SDK's `embedMany`, which splits the input into calls
 * of at most the model's `maxEmbeddingsPerCall` (2,048 for OpenAI) and retries with backoff.
 */
export function createProviderEmbedder(options: ProviderEmbedderOptions): Embedder {
  const bare = options.modelId ?? DEFAULT_EMBEDDING_MODEL;
  const { model, id } = resolveModel(options, bare);
  const modelName = bare.includes('/') ? bare.slice(bare.indexOf('/') + 1) : bare;
  const dimension = options.dimensions ?? DEFAULT_DIMENSIONS[modelName];
  if (!dimension) {
    throw new Error(
      `The output size of embedding model ${bare} is unknown: set EMBEDDING_DIMENSIONS to its dimension.`,
    );
  }
  const usage: EmbedderUsage = emptyUsage();
  return {
    id,
    dimension,
    provider: options.provider,
    usage,
    async embed(texts, embedOptions = {}) {
      if (texts.length === 0) return [];
      const result = await embedMany({
        model,
        values: texts,
        maxRetries: options.maxRetries ?? 3,
        maxParallelCalls: options.maxParallelCalls ?? 2,
        ...(options.dimensions ? { dimensions: options.dimensions } : {}),
        ...(embedOptions.signal ? { abortSignal: embedOptions.signal } : {}),
      });
      usage.calls += 1;
      usage.texts += texts.length;
      usage.tokens += result.usage.tokens ?? 0;
      for (const v of result.embeddings) {
        if (v.length !== dimension) {
          throw new Error(
            `Embedding model ${id} returned ${v.length} dimensions, expected ${dimension}: check EMBEDDING_DIMENSIONS.`,
          );
        }
      }
      return result.embeddings;
    },
  };
}

function resolveModel(options: ProviderEmbedderOptions, bare: string): { model: EmbeddingModel; id: string } {
  if (options.provider === 'gateway') {
    const gatewayId = bare.includes('/') ? bare : `openai/${bare}`;
    const gateway = createGateway(options.apiKey ? { apiKey: options.apiKey } : {});
    return { model: gateway.embeddingModel(gatewayId), id: gatewayId };
  }
  const openai = createOpenAI({
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
  });
  // Same id as through the gateway: the same model gives the same vectors, so no rebuild is needed.
  return { model: openai.embedding(bare), id: `openai/${bare}` };
}
