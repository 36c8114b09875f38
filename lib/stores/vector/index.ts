import { adapters, env } from '../../env.js';
import type { VectorStore } from './types.js';

export type {
  IndexIdentity,
  VectorFilter,
  VectorMatch,
  VectorMetadata,
  VectorRecord,
  VectorStore,
} from './types.js';
export { IndexMismatchError } from './types.js';

let current: Promise<VectorStore> | undefined;

/**
 * The process's vector store, chosen from env on first use: Pinecone when `PINECONE_API_KEY` and
 * `PINECONE_INDEX` are set, otherwise pgvector tables in the SQL database. The client (and the SQL
 * store) is created lazily, so importing this module connects to nothing.
 */
export function getVectorStore(): Promise<VectorStore> {
  if (!current) {
    current = createVectorStore();
    current.catch(() => {
      current = undefined; // let the next call retry instead of caching a failure
    });
  }
  return current;
}

/** Replaces the process's vector store (tests, eval); `undefined` resets to env selection. */
export function setVectorStore(store: VectorStore | undefined): void {
  current = store ? Promise.resolve(store) : undefined;
}

async function createVectorStore(): Promise<VectorStore> {
  const e = env();
  if (adapters(e).vector === 'pinecone') {
    const { PineconeVectorStore } = await import('./pinecone.js');
    return new PineconeVectorStore({
      apiKey: e.PINECONE_API_KEY ?? '',
      indexName: e.PINECONE_INDEX ?? '',
      host: e.PINECONE_HOST,
      namespace: e.PINECONE_NAMESPACE,
    });
  }
  const [{ PgVectorStore }, { getSql }] = await Promise.all([
    import('./pgvector.js'),
    import('../sql/index.js'),
  ]);
  return new PgVectorStore({ sql: getSql });
}
