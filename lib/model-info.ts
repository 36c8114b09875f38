import { adapters, type Env, env, type ModelProvider } from './env.js';

/**
 * Which models serve chat and embeddings, from env alone. Outside lib/ai on purpose: no provider
 * client or model code is imported, so the edge config endpoint can name the models (bundle test).
 */

export const LOCAL_CHAT_MODEL_ID = 'local-extractive-v1';
/** A small, current OpenAI model; override with CHAT_MODEL. */
export const DEFAULT_CHAT_MODEL = 'gpt-4.1-mini';
const DEFAULT_EMBEDDING_MODEL = 'text-embedding-3-small';
/**
 * The local embedder's default id (LocalHashEmbedder: version + dimension). Spelled out rather than
 * imported, since importing the embedder would pull the AI SDK into the edge bundle; a test keeps the
 * two equal.
 */
export const LOCAL_EMBEDDING_MODEL_ID = 'local-hash-v1-2000';

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
      embeddingModel: LOCAL_EMBEDDING_MODEL_ID,
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
