import type { DocumentKind } from '../../../db/schema.js';

/** What a search result needs without a hydration query (DESIGN section 4): small, under 40 KB. */
export interface VectorMetadata {
  /** The content item's id, or the concept's id for a concept document. */
  contentId: string;
  kind: DocumentKind;
  slug: string;
  title: string;
  /** Heading path of the chunk ("Indexes > Partial indexes"), '' for the lead. */
  heading: string;
  position: number;
  /** Concept slugs the content covers or mentions (filterable). */
  concepts: string[];
  /** The chunk's content hash: reconcile compares it with SQL. */
  hash: string;
  /** A short excerpt of the chunk for snippets. */
  excerpt: string;
}

/** A chunk vector under a deterministic id `<contentId>:<position>`. */
export interface VectorRecord {
  id: string;
  values: number[];
  metadata: VectorMetadata;
}

export interface VectorFilter {
  kinds?: DocumentKind[];
  concept?: string;
}

export interface VectorMatch {
  id: string;
  /** Cosine similarity, higher is closer. */
  score: number;
  metadata: VectorMetadata;
}

/** The embedding model behind the vectors: part of the index's identity. */
export interface IndexIdentity {
  model: string;
  dimension: number;
}

/** The vector store port (pgvector, Pinecone). */
export interface VectorStore {
  readonly name: 'pgvector' | 'pinecone';
  /**
   * Prepares the index for this model; refuses (throws IndexMismatchError) when it already holds vectors
   * of another model or dimension, so two models are never mixed.
   */
  ensureIndex(identity: IndexIdentity): Promise<void>;
  /** The identity the index was built with, or null when empty/new. */
  identity(): Promise<IndexIdentity | null>;
  upsert(records: VectorRecord[]): Promise<void>;
  deleteIds(ids: string[]): Promise<void>;
  query(vector: number[], options: { topK: number; filter?: VectorFilter }): Promise<VectorMatch[]>;
  /** Every stored id with its chunk hash, for reconcile. */
  listIds(): AsyncIterable<{ id: string; hash: string }>;
  /** Drops everything (full rebuild with a new model). */
  reset(identity: IndexIdentity): Promise<void>;
  /**
   * Runs a large load (a full rebuild): pgvector drops its HNSW index first and rebuilds it once at
   * the end (much faster than maintaining it row by row); Pinecone just runs `load`. The index is
   * rebuilt even when `load` throws.
   */
  bulkLoad<T>(load: () => Promise<T>): Promise<T>;
  ping(): Promise<void>;
}

export class IndexMismatchError extends Error {
  constructor(
    readonly existing: IndexIdentity,
    readonly wanted: IndexIdentity,
  ) {
    super(
      `The vector index was built with ${existing.model} (${existing.dimension} dimensions) but the ` +
        `configured embedder is ${wanted.model} (${wanted.dimension}). Run a full rebuild: npm run reindex -- --full`,
    );
    this.name = 'IndexMismatchError';
  }
}
