import { adapters, env } from '../env.js';
import type { IndexIdentity } from '../stores/vector/types.js';

/** What an embedder has done since it was created (or since `resetUsage`). */
export interface EmbedderUsage {
  /** Calls to `embed` that did work (an empty input is not a call). */
  calls: number;
  /** Texts embedded. */
  texts: number;
  /** Tokens the provider reported; the local embedder reports none (0). */
  tokens: number;
}

/**
 * The embedder port. `id` and `dimension` are the vector index's identity: vectors of two embedders
 * are never mixed (the vector store refuses a mismatch, see IndexMismatchError).
 */
export interface Embedder {
  /** Model id, e.g. `local-hash-v1-2000` or `openai/text-embedding-3-small`. */
  readonly id: string;
  readonly dimension: number;
  /** Which provider serves it: the health and config endpoints name it. */
  readonly provider: 'local' | 'openai' | 'gateway';
  /** One vector per text, in order, each of `dimension` numbers (L2-normalised). */
  embed(texts: string[], options?: { signal?: AbortSignal }): Promise<number[][]>;
  readonly usage: EmbedderUsage;
}

/** The identity a vector index built with this embedder carries. */
export function embedderIdentity(embedder: Pick<Embedder, 'id' | 'dimension'>): IndexIdentity {
  return { model: embedder.id, dimension: embedder.dimension };
}

export function emptyUsage(): EmbedderUsage {
  return { calls: 0, texts: 0, tokens: 0 };
}

export function resetUsage(embedder: Embedder): void {
  Object.assign(embedder.usage, emptyUsage());
}

let current: Promise<Embedder> | undefined;

/**
 * The process's embedder, chosen from env on first use: the configured provider model when
 * `OPENAI_API_KEY` (or `AI_GATEWAY_API_KEY`) is set, otherwise the local hashing embedder.
 */
export function getEmbedder(): Promise<Embedder> {
  if (!current) {
    current = createEmbedder();
    current.catch(() => {
      current = undefined; // a bad config is reported, and the next call retries
    });
  }
  return current;
}

/** Replaces the process's embedder (tests, eval); `undefined` resets to env selection. */
export function setEmbedder(embedder: Embedder | undefined): void {
  current = embedder ? Promise.resolve(embedder) : undefined;
}

async function createEmbedder(): Promise<Embedder> {
  const e = env();
  const provider = adapters(e).models;
  if (provider === 'local') {
    const { LocalHashEmbedder } = await import('./local-embedder.js');
    return new LocalHashEmbedder();
  }
  const { createProviderEmbedder } = await import('./provider-embedder.js');
  return createProviderEmbedder({
    provider,
    modelId: e.EMBEDDING_MODEL,
    dimensions: e.EMBEDDING_DIMENSIONS || undefined,
    apiKey: provider === 'openai' ? e.OPENAI_API_KEY : e.AI_GATEWAY_API_KEY,
    baseURL: provider === 'openai' ? e.OPENAI_BASE_URL : undefined,
  });
}
