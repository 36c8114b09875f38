import { Errors, type Index, Pinecone, type RecordMetadata } from '@pinecone-database/pinecone';
import type { DocumentKind } from '../../../db/schema.js';
import {
  type IndexIdentity,
  IndexMismatchError,
  type VectorFilter,
  type VectorMatch,
  type VectorMetadata,
  type VectorRecord,
  type VectorStore,
} from './types.js';

/** Pinecone's limits per upsert request. */
export const MAX_UPSERT_RECORDS = 1000;
export const MAX_UPSERT_BYTES = 2 * 1024 * 1024;
/** Ids per delete request (Pinecone's limit) and per fetch request (kept small: ids go in the URL). */
const DELETE_BATCH = 1000;
const FETCH_BATCH = 100;
/** Id of the identity record, kept in its own namespace so queries and listings never see it. */
const IDENTITY_ID = 'polyfolio-index-identity';
/** Pinecone's name for "no namespace given". */
const DEFAULT_NAMESPACE = '__default__';

export interface PineconeVectorStoreOptions {
  apiKey: string;
  /** Index name; resolved to its data-plane host through the control plane unless `host` is set. */
  indexName?: string | undefined;
  /** Data-plane host (`https://<index>-<project>.svc.<region>.pinecone.io`, or a local stand-in). */
  host?: string | undefined;
  namespace?: string | undefined;
  /** Retries of the client on 5xx and network errors. */
  maxRetries?: number;
}

/**
 * Pinecone through its official client. Records carry the chunk metadata (filterable `kind` and
 * `concepts`); ids are `<contentId>:<position>`, so an upsert overwrites. The index identity (model,
 * dimension) is a one-record namespace `__identity__<namespace>` beside the data namespace: Pinecone has
 * no place for free-form index metadata that the data-plane API can write.
 */
export class PineconeVectorStore implements VectorStore {
  readonly name = 'pinecone' as const;
  readonly namespace: string;
  private readonly data: Index<RecordMetadata>;
  private readonly meta: Index<RecordMetadata>;
  private readonly base: Index<RecordMetadata>;
  private ready: IndexIdentity | undefined;

  constructor(options: PineconeVectorStoreOptions) {
    if (!options.apiKey) throw new Error('PINECONE_API_KEY is required for the Pinecone vector store');
    if (!options.host && !options.indexName) throw new Error('PINECONE_INDEX (or PINECONE_HOST) is required');
    const pc = new Pinecone({ apiKey: options.apiKey, maxRetries: options.maxRetries ?? 2 });
    const target = {
      ...(options.host ? { host: options.host } : {}),
      ...(options.indexName ? { name: options.indexName } : {}),
    };
    this.namespace = options.namespace ?? DEFAULT_NAMESPACE;
    this.base = pc.index(target);
    this.data = pc.index({ ...target, namespace: this.namespace });
    this.meta = pc.index({ ...target, namespace: `__identity__${this.namespace}` });
  }

  async ensureIndex(identity: IndexIdentity): Promise<void> {
    if (this.ready && same(this.ready, identity)) return;
    const stats = await this.base.describeIndexStats();
    if (stats.dimension !== undefined && stats.dimension !== identity.dimension) {
      throw new Error(
        `The Pinecone index has ${stats.dimension} dimensions but the embedder ${identity.model} makes ` +
          `${identity.dimension}: create a Pinecone index with dimension ${identity.dimension} and metric ` +
          'cosine (or set EMBEDDING_DIMENSIONS to match), then run npm run reindex -- --full',
      );
    }
    const existing = await this.identity();
    const count = stats.namespaces?.[this.namespace]?.recordCount ?? 0;
    if (existing && !same(existing, identity) && count > 0) throw new IndexMismatchError(existing, identity);
    if (!existing || !same(existing, identity)) await this.writeIdentity(identity);
    this.ready = identity;
  }

  async identity(): Promise<IndexIdentity | null> {
    const res = await this.meta.fetch({ ids: [IDENTITY_ID] });
    const m = res.records[IDENTITY_ID]?.metadata;
    if (!m || typeof m.model !== 'string' || typeof m.dimension !== 'number') return null;
    return { model: m.model, dimension: m.dimension };
  }

  async upsert(records: VectorRecord[]): Promise<void> {
    for (const batch of upsertBatches(records)) {
      await this.data.upsert({
        records: batch.map((r) => ({ id: r.id, values: r.values, metadata: toPinecone(r.metadata) })),
      });
    }
  }

  async deleteIds(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += DELETE_BATCH) {
      await this.data.deleteMany({ ids: ids.slice(i, i + DELETE_BATCH) });
    }
  }

  async query(vector: number[], options: { topK: number; filter?: VectorFilter }): Promise<VectorMatch[]> {
    if (options.topK <= 0) return [];
    const filter = toFilter(options.filter);
    const res = await this.data.query({
      vector,
      topK: options.topK,
      includeMetadata: true,
      ...(filter ? { filter } : {}),
    });
    return res.matches.flatMap((m) =>
      m.metadata ? [{ id: m.id, score: m.score ?? 0, metadata: fromPinecone(m.metadata) }] : [],
    );
  }

  /** Ids come from `list` (serverless indexes); hashes from `fetch` of each page. */
  async *listIds(): AsyncIterable<{ id: string; hash: string }> {
    let paginationToken: string | undefined;
    do {
      const page = await this.data.listPaginated({
        limit: FETCH_BATCH,
        ...(paginationToken ? { paginationToken } : {}),
      });
      const ids = (page.vectors ?? []).flatMap((v) => (v.id ? [v.id] : []));
      if (ids.length > 0) {
        const fetched = await this.data.fetch({ ids });
        for (const id of ids) {
          const hash = fetched.records[id]?.metadata?.hash;
          yield { id, hash: typeof hash === 'string' ? hash : '' };
        }
      }
      paginationToken = page.pagination?.next;
    } while (paginationToken);
  }

  async reset(identity: IndexIdentity): Promise<void> {
    this.ready = undefined;
    try {
      await this.data.deleteAll();
    } catch (err) {
      if (!(err instanceof Errors.PineconeNotFoundError)) throw err; // an absent namespace is already empty
    }
    await this.writeIdentity(identity);
    this.ready = identity;
  }

  async bulkLoad<T>(load: () => Promise<T>): Promise<T> {
    return load(); // Pinecone indexes as it ingests: nothing to defer
  }

  async ping(): Promise<void> {
    await this.base.describeIndexStats();
  }

  private async writeIdentity(identity: IndexIdentity): Promise<void> {
    // Cosine needs a non-zero vector; the values mean nothing.
    const values = Array.from({ length: identity.dimension }, (_, i) => (i === 0 ? 1 : 0));
    await this.meta.upsert({
      records: [
        { id: IDENTITY_ID, values, metadata: { model: identity.model, dimension: identity.dimension } },
      ],
    });
  }
}

/** Splits records into upsert requests of at most 1,000 records and 2 MB of JSON each. */
export function upsertBatches(records: VectorRecord[]): VectorRecord[][] {
  const batches: VectorRecord[][] = [];
  let current: VectorRecord[] = [];
  let bytes = 0;
  const budget = MAX_UPSERT_BYTES - 1024; // room for the envelope ({"vectors":[...],"namespace":...})
  for (const r of records) {
    const size = Buffer.byteLength(JSON.stringify({ id: r.id, values: r.values, metadata: r.metadata })) + 1;
    if (size > budget) throw new Error(`Vector record ${r.id} is larger than Pinecone's 2 MB request limit`);
    if (current.length > 0 && (current.length >= MAX_UPSERT_RECORDS || bytes + size > budget)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function toFilter(filter: VectorFilter | undefined): object | undefined {
  const out: Record<string, unknown> = {};
  if (filter?.kinds && filter.kinds.length > 0) out.kind = { $in: filter.kinds };
  if (filter?.concept) out.concepts = { $in: [filter.concept] };
  return Object.keys(out).length > 0 ? out : undefined;
}

function toPinecone(m: VectorMetadata): RecordMetadata {
  return { ...m };
}

function fromPinecone(m: RecordMetadata): VectorMetadata {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    contentId: str(m.contentId),
    kind: str(m.kind) as DocumentKind,
    slug: str(m.slug),
    title: str(m.title),
    heading: str(m.heading),
    position: typeof m.position === 'number' ? m.position : Number(m.position ?? 0),
    concepts: Array.isArray(m.concepts) ? m.concepts.map(String) : [],
    hash: str(m.hash),
    excerpt: str(m.excerpt),
  };
}

function same(a: IndexIdentity, b: IndexIdentity): boolean {
  return a.model === b.model && a.dimension === b.dimension;
}
