import { adapters, type Env, env, type ModelProvider } from '../env.js';
import { LOCAL_EMBEDDER_VERSION } from './local-embedder.js';

/**
 * Which models serve chat and embeddings, from env alone: no provider client is imported, so the edge
 * config endpoint and the health check can name the models without bundling the AI SDK.
 */

export const LOCAL_CHAT_MODEL_ID = 'local-extractive-v1';
/** A small, current OpenAI model; override with CHAT_MODEL. */
export const DEFAULT_CHAT_MODEL = 'gpt-4.1-mini';
const DEFAULT_EMBEDDING_MODEL = 'text-embedding-3-small';
const LOCAL_EMBEDDING_DIMENSION = 1024;

export interface ModelInfo {
  provider: ModelProvider;
  /** e.g. `local-extractive-v1`, `openai/gpt-4.1-mini`. */
  chatModel: string;
  /** e.g. `local-hash-v1-1024`, `openai/text-embedding-3-small`. */
  embeddingModel: string;
}

export function modelInfo(e: Env = env()): ModelInfo {
  const provider = adapters(e).models;
  if (provider === 'local') {
    return {
      provider,
      chatModel: LOCAL_CHAT_MODEL_ID,
      embeddingModel: `${LOCAL_EMBEDDER_VERSION}-${LOCAL_EMBEDDING_DIMENSION}`,
    };
  }
  return {
    provider,
    chatModel: qualified(e.CHAT_MODEL ?? DEFAULT_CHAT_MODEL),
    embeddingModel: qualified(e.EMBEDDING_MODEL ?? DEFAULT_EMBEDDING_MODEL),
  };
}

/** Provider-qualified id, the same whether the model is reached directly or through the gateway. */
export function qualified(modelId: string): string {
  return modelId.includes('/') ? modelId : `openai/${modelId}`;
}
