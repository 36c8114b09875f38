import { type Embedder, type EmbedderUsage, emptyUsage } from './embedder.js';
import { terms } from './text-features.js';

export interface LocalEmbedderOptions {
  /** Output size (default 2000). Part of the id, so changing it forces a rebuild. */
  dimension?: number;
  /** Experiments only: other weights give other vectors, so the id gets a `-custom` suffix. */
  weights?: Partial<LocalEmbedderWeights>;
}

export const LOCAL_EMBEDDER_VERSION = 'local-hash-v1';
/** The largest size pgvector's HNSW index takes; fewer buckets mean more collisions (lower quality). */
export const DEFAULT_DIMENSION = 2000;

/** Relative weights of the feature families and the character n-gram length. */
export interface LocalEmbedderWeights {
  unigram: number;
  bigram: number;
  chargram: number;
  charN: number;
}

/** Tuned on Cranfield (see README); changing them changes the vectors, so bump the version too. */
const DEFAULT_WEIGHTS: LocalEmbedderWeights = { unigram: 1, bigram: 0.5, chargram: 0.3, charN: 3 };

/**
 * The default embedder: **not a neural model**. It is a bag-of-words vector built by feature hashing
 * (the "hashing trick"): stemmed word unigrams, adjacent-word bigrams and character 3-grams of each
 * word, weighted with sublinear term frequency (1 + ln tf), hashed with a sign bit into `dimension`
 * buckets and L2-normalised, so cosine similarity is a weighted term overlap. It is deterministic, needs
 * no network and no model weights, and matches words and their variants ("indexes", "indexing"), not
 * meanings (no synonyms, no other languages). It has no corpus statistics (no IDF): the full-text
 * side of hybrid search supplies those.
 */
export class LocalHashEmbedder implements Embedder {
  readonly id: string;
  readonly dimension: number;
  readonly provider = 'local' as const;
  readonly usage: EmbedderUsage = emptyUsage();
  private readonly weights: LocalEmbedderWeights;

  constructor(options: LocalEmbedderOptions = {}) {
    this.dimension = options.dimension ?? DEFAULT_DIMENSION;
    if (!Number.isInteger(this.dimension) || this.dimension < 16) throw new Error('dimension must be >= 16');
    this.weights = { ...DEFAULT_WEIGHTS, ...options.weights };
    const custom = options.weights && Object.keys(options.weights).length > 0 ? '-custom' : '';
    this.id = `${LOCAL_EMBEDDER_VERSION}-${this.dimension}${custom}`;
  }

  async embed(texts: string[], options: { signal?: AbortSignal } = {}): Promise<number[][]> {
    options.signal?.throwIfAborted();
    if (texts.length === 0) return [];
    this.usage.calls += 1;
    this.usage.texts += texts.length;
    return texts.map((t) => this.vector(t));
  }

  /** The embedding of one text (synchronous: it is pure arithmetic). */
  vector(text: string): number[] {
    const w = this.weights;
    const counts = new Map<string, number>();
    const add = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
    const stems = terms(text);
    for (const [i, s] of stems.entries()) {
      add(`w ${s}`);
      const next = stems[i + 1];
      if (w.bigram > 0 && next !== undefined) add(`b ${s} ${next}`);
      if (w.chargram > 0 && s.length >= w.charN) {
        const padded = `<${s}>`;
        for (let j = 0; j + w.charN <= padded.length; j++) add(`c ${padded.slice(j, j + w.charN)}`);
      }
    }
    if (counts.size === 0) counts.set('empty', 1); // never a zero vector: cosine would be undefined
    const v = new Float64Array(this.dimension);
    for (const [key, tf] of counts) {
      const family = key[0] === 'w' ? w.unigram : key[0] === 'b' ? w.bigram : key[0] === 'c' ? w.chargram : 1;
      const h = hash32(key);
      // Signed hashing: colliding features cancel out on average instead of piling up.
      const sign = h & 0x80000000 ? -1 : 1;
      const i = h % this.dimension;
      v[i] = (v[i] ?? 0) + sign * family * (1 + Math.log(tf));
    }
    let norm = 0;
    for (const x of v) norm += x * x;
    norm = Math.sqrt(norm) || 1;
    return Array.from(v, (x) => x / norm);
  }
}

/** 32-bit FNV-1a over UTF-16 code units: fast, well spread for short keys, stable across runtimes. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32) so low bits (the bucket) and the top bit (the sign) are independent.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
