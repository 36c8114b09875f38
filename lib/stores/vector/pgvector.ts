import { type SQL, sql } from 'drizzle-orm';
import type { DocumentKind } from '../../../db/schema.js';
import { atomic, parseTextArray, queryRows, type SqlStore } from '../sql/index.js';
import { ProjectionUnavailableError } from '../unavailable.js';
import {
  type IndexIdentity,
  IndexMismatchError,
  type VectorFilter,
  type VectorMatch,
  type VectorRecord,
  type VectorStore,
} from './types.js';

/** The `app_state` key holding the index identity. */
export const IDENTITY_KEY = 'vector_index';
const TABLE = 'vector_chunks';
const HNSW_INDEX = 'vector_chunks_embedding_hnsw';
/** Rows per INSERT: 11 parameters each stays far below Postgres' 65,535 parameter limit. */
const INSERT_BATCH = 500;
const LIST_PAGE = 1000;
/** Below this many rows the planner may search exactly; from it on, the HNSW index is used. */
const EXACT_BELOW = 1000;

interface Row extends Record<string, unknown> {
  id: string;
  score: number | string;
  content_id: string;
  kind: DocumentKind;
  slug: string;
  title: string;
  heading: string;
  position: number;
  concepts: string[] | string;
  hash: string;
  excerpt: string;
}

/**
 * Vectors in the SQL database with pgvector: PGlite locally, Neon (which ships pgvector) in production
 * when one store less is wanted. One table `vector_chunks` whose `vector(<dimension>)` column is sized
 * by the embedding model, so `ensureIndex` creates it (not a migration). Metadata lives in columns
 * (concept slugs in a GIN-indexed array) so filters run in the same query; the identity
 * (model + dimension) lives in `app_state` under `vector_index`.
 */
export class PgVectorStore implements VectorStore {
  readonly name = 'pgvector' as const;
  private readonly sqlStore: () => Promise<SqlStore>;
  /**
   * Identity verified (or created) for one SQL store; keyed by the store so a swapped database (tests,
   * `setSql`) is checked again.
   */
  private verified: { store: SqlStore; identity: IndexIdentity } | undefined;

  constructor(options: { sql: () => Promise<SqlStore> }) {
    this.sqlStore = options.sql;
  }

  async ensureIndex(identity: IndexIdentity): Promise<void> {
    const store = await this.sqlStore();
    const ready = this.readyFor(store);
    if (ready && sameIdentity(ready, identity)) return;
    await ensureExtension(store);
    const existing = await this.identity();
    if (existing && !sameIdentity(existing, identity)) {
      if (await this.hasRows(store)) throw new IndexMismatchError(existing, identity);
      await this.recreate(store, identity); // an empty index takes the new model without a rebuild
    } else {
      const actual = await tableDimension(store);
      if (actual !== undefined && actual !== identity.dimension) {
        // A table whose identity record was lost: trust the column, not app_state.
        const found = { model: existing?.model ?? 'unknown', dimension: actual };
        if (await this.hasRows(store)) throw new IndexMismatchError(found, identity);
        await this.recreate(store, identity);
      } else {
        await createTable(store, identity.dimension);
        if (!existing) await writeIdentity(store, identity);
      }
    }
    this.verified = { store, identity };
  }

  async identity(): Promise<IndexIdentity | null> {
    const store = await this.sqlStore();
    const rows = await queryRows<{ value: unknown }>(
      store.db,
      sql`select value from app_state where key = ${IDENTITY_KEY}`,
    );
    return parseIdentity(rows[0]?.value);
  }

  async upsert(records: VectorRecord[]): Promise<void> {
    if (records.length === 0) return;
    const identity = await this.requireReady();
    for (const r of records) {
      if (r.values.length !== identity.dimension) {
        throw new Error(
          `Vector ${r.id} has ${r.values.length} dimensions; the index has ${identity.dimension}`,
        );
      }
    }
    const store = await this.sqlStore();
    for (let i = 0; i < records.length; i += INSERT_BATCH) {
      const batch = records.slice(i, i + INSERT_BATCH);
      const rows = sql.join(
        batch.map((r) => {
          const m = r.metadata;
          return sql`(${r.id}, ${m.contentId}, ${m.kind}, ${m.slug}, ${m.title}, ${m.heading}, ${m.position},
            ${textArray(m.concepts)}, ${m.hash}, ${m.excerpt}, ${vectorLiteral(r.values)}::vector)`;
        }),
        sql`, `,
      );
      await store.db.execute(sql`
        insert into ${sql.identifier(TABLE)}
          (id, content_id, kind, slug, title, heading, position, concepts, hash, excerpt, embedding)
        values ${rows}
        on conflict (id) do update set
          content_id = excluded.content_id, kind = excluded.kind, slug = excluded.slug,
          title = excluded.title, heading = excluded.heading, position = excluded.position,
          concepts = excluded.concepts, hash = excluded.hash, excerpt = excluded.excerpt,
          embedding = excluded.embedding`);
    }
  }

  async deleteIds(ids: string[]): Promise<void> {
    if (ids.length === 0 || !(await this.tableExists())) return;
    const store = await this.sqlStore();
    for (let i = 0; i < ids.length; i += LIST_PAGE) {
      const batch = ids.slice(i, i + LIST_PAGE);
      await store.db.execute(sql`delete from ${sql.identifier(TABLE)} where id = any(${textArray(batch)})`);
    }
  }

  async query(vector: number[], options: { topK: number; filter?: VectorFilter }): Promise<VectorMatch[]> {
    if (options.topK <= 0) return [];
    if (!(await this.tableExists())) {
      // No index yet: empty, unless this server cannot have one at all (a named state for search).
      await this.requireServerSupport();
      return [];
    }
    const store = await this.sqlStore();
    const where: SQL[] = [];
    const kinds = options.filter?.kinds;
    if (kinds && kinds.length > 0) where.push(sql`kind = any(${textArray(kinds)})`);
    if (options.filter?.concept) where.push(sql`concepts @> array[${options.filter.concept}]::text[]`);
    const v = vectorLiteral(vector);
    const select = sql`
      select id, 1 - (embedding <=> ${v}::vector) as score, content_id, kind, slug, title, heading,
        position, concepts, hash, excerpt
      from ${sql.identifier(TABLE)}
      ${where.length > 0 ? sql`where ${sql.join(where, sql` and `)}` : sql``}
      order by embedding <=> ${v}::vector
      limit ${options.topK}`;
    // HNSW returns at most ef_search rows (40 by default), and filters are applied after the scan:
    // widen the search to topK and let pgvector keep scanning until enough rows pass the filter.
    const ef = Math.min(1000, Math.max(64, options.topK * 2));
    // The planner does not count the TOASTed vectors a sequential scan reads, so once it knows the
    // table's size (after a bulk load builds the index) it chooses an exact scan of every row over the
    // index (3x slower at 2,000 dimensions and 1,500 rows, and growing): from 1,000 rows it may not.
    const [result] = await atomic(store, (q) => [
      q.execute(sql`select set_config('hnsw.ef_search', ${String(ef)}, true),
        set_config('hnsw.iterative_scan', 'relaxed_order', true),
        set_config('enable_seqscan', case when (select reltuples from pg_class
          where oid = to_regclass(${TABLE})) >= ${EXACT_BELOW} then 'off' else 'on' end, true)`),
      q.execute(select),
    ]).then(([, r]) => [r]);
    const rows = (Array.isArray(result) ? result : ((result as { rows?: Row[] }).rows ?? [])) as Row[];
    // relaxed_order may return rows slightly out of order; the exact scores fix that.
    return rows.map(toMatch).sort((a, b) => b.score - a.score);
  }

  async *listIds(): AsyncIterable<{ id: string; hash: string }> {
    if (!(await this.tableExists())) return;
    const store = await this.sqlStore();
    let after = '';
    for (;;) {
      const rows = await queryRows<{ id: string; hash: string }>(
        store.db,
        sql`select id, hash from ${sql.identifier(TABLE)} where id > ${after} order by id limit ${LIST_PAGE}`,
      );
      for (const r of rows) yield { id: r.id, hash: r.hash };
      const last = rows.at(-1);
      if (!last || rows.length < LIST_PAGE) return;
      after = last.id;
    }
  }

  async reset(identity: IndexIdentity): Promise<void> {
    const store = await this.sqlStore();
    await ensureExtension(store);
    await this.recreate(store, identity);
    this.verified = { store, identity };
  }

  async bulkLoad<T>(load: () => Promise<T>): Promise<T> {
    const store = await this.sqlStore();
    await store.db.execute(sql`drop index if exists ${sql.identifier(HNSW_INDEX)}`);
    try {
      return await load();
    } finally {
      if (await this.tableExists()) await createHnsw(store);
    }
  }

  async ping(): Promise<void> {
    const store = await this.sqlStore();
    const rows = await queryRows<{ extname: string }>(
      store.db,
      sql`select extname from pg_extension where extname = 'vector'`,
    );
    if (rows.length === 0) throw pgvectorMissing();
  }

  /** Throws the named pgvector-missing state when this server cannot have the extension at all. */
  private async requireServerSupport(): Promise<void> {
    const store = await this.sqlStore();
    const ext = await queryRows(store.db, sql`select 1 from pg_available_extensions where name = 'vector'`);
    if (ext.length === 0) throw pgvectorMissing();
  }

  private readyFor(store: SqlStore): IndexIdentity | undefined {
    return this.verified?.store === store ? this.verified.identity : undefined;
  }

  private async requireReady(): Promise<IndexIdentity> {
    const store = await this.sqlStore();
    const ready = this.readyFor(store);
    if (ready) return ready;
    const existing = await this.identity();
    if (!existing || !(await this.tableExists())) {
      await this.requireServerSupport();
      throw new Error('The vector index is not initialised: call ensureIndex (npm run reindex) first');
    }
    this.verified = { store, identity: existing };
    return existing;
  }

  private async tableExists(): Promise<boolean> {
    const store = await this.sqlStore();
    if (this.readyFor(store)) return true;
    const rows = await queryRows<{ t: string | null }>(
      store.db,
      sql`select to_regclass(${TABLE})::text as t`,
    );
    return Boolean(rows[0]?.t);
  }

  private async hasRows(store: SqlStore): Promise<boolean> {
    if (!(await this.tableExists())) return false;
    const rows = await queryRows(store.db, sql`select 1 from ${sql.identifier(TABLE)} limit 1`);
    return rows.length > 0;
  }

  private async recreate(store: SqlStore, identity: IndexIdentity): Promise<void> {
    this.verified = undefined;
    await store.db.execute(sql`drop table if exists ${sql.identifier(TABLE)}`);
    await createTable(store, identity.dimension);
    await writeIdentity(store, identity);
  }
}

async function ensureExtension(store: SqlStore): Promise<void> {
  const rows = await queryRows<{ extname: string }>(
    store.db,
    sql`select extname from pg_extension where extname = 'vector'`,
  );
  if (rows.length > 0) return;
  try {
    await store.db.execute(sql`create extension if not exists vector`);
  } catch (err) {
    throw pgvectorMissing(err);
  }
}

/** The named state of a PostgreSQL server without the pgvector extension. */
export function pgvectorMissing(cause?: unknown): ProjectionUnavailableError {
  const error = new ProjectionUnavailableError(
    'The pgvector extension is not installed on this PostgreSQL server, so it cannot hold vectors.',
    'Install pgvector on the server, or configure Pinecone (PINECONE_API_KEY and PINECONE_INDEX), then run npm run reindex.',
  );
  if (cause !== undefined) Object.assign(error, { cause });
  return error;
}

async function createTable(store: SqlStore, dimension: number): Promise<void> {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 16000) {
    throw new Error(`invalid vector dimension ${dimension}`);
  }
  await store.db.execute(sql`
    create table if not exists ${sql.identifier(TABLE)} (
      id text primary key,
      content_id text not null,
      kind text not null,
      slug text not null,
      title text not null,
      heading text not null default '',
      position integer not null,
      concepts text[] not null default '{}',
      hash text not null,
      excerpt text not null default '',
      embedding vector(${sql.raw(String(dimension))}) not null
    )`);
  await store.db.execute(
    sql`create index if not exists vector_chunks_concepts_gin on ${sql.identifier(TABLE)} using gin (concepts)`,
  );
  await store.db.execute(
    sql`create index if not exists vector_chunks_kind_idx on ${sql.identifier(TABLE)} (kind)`,
  );
  await createHnsw(store);
}

/** HNSW only indexes up to 2,000 dimensions; larger vectors are searched exactly. */
async function createHnsw(store: SqlStore): Promise<void> {
  if (((await tableDimension(store)) ?? 0) > 2000) return;
  await store.db.execute(sql`
    create index if not exists ${sql.identifier(HNSW_INDEX)} on ${sql.identifier(TABLE)}
    using hnsw (embedding vector_cosine_ops)`);
}

/** The dimension of the existing table's vector column, or undefined when there is no table. */
async function tableDimension(store: SqlStore): Promise<number | undefined> {
  const rows = await queryRows<{ dim: number }>(
    store.db,
    sql`select atttypmod as dim from pg_attribute
        where attrelid = to_regclass(${TABLE}) and attname = 'embedding'`,
  );
  return rows[0] ? Number(rows[0].dim) : undefined;
}

async function writeIdentity(store: SqlStore, identity: IndexIdentity): Promise<void> {
  const value = JSON.stringify({ model: identity.model, dimension: identity.dimension });
  await store.db.execute(sql`
    insert into app_state (key, value, updated_at) values (${IDENTITY_KEY}, ${value}::jsonb, now())
    on conflict (key) do update set value = excluded.value, updated_at = now()`);
}

function parseIdentity(value: unknown): IndexIdentity | null {
  const v = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (!v || typeof v !== 'object') return null;
  const { model, dimension } = v as { model?: unknown; dimension?: unknown };
  return typeof model === 'string' && typeof dimension === 'number' ? { model, dimension } : null;
}

function sameIdentity(a: IndexIdentity, b: IndexIdentity): boolean {
  return a.model === b.model && a.dimension === b.dimension;
}

/**
 * pgvector's text form `[1,2,3]`. pgvector stores float4, so each value is written with the 9
 * significant digits that identify its float4 exactly (the same stored vector as the full double, in
 * about half the text Postgres has to parse); non-finite numbers would be rejected anyway.
 */
function vectorLiteral(values: number[]): string {
  const out = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i] ?? 0;
    if (!Number.isFinite(x)) throw new Error('vector values must be finite numbers');
    out[i] = x === 0 ? '0' : String(Number(Math.fround(x).toPrecision(9)));
  }
  return `[${out.join(',')}]`;
}

/** A text[] parameter (Drizzle would spread a JS array into a list of parameters). */
function textArray(values: string[]): SQL {
  return sql`array(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;
}

function toMatch(r: Row): VectorMatch {
  return {
    id: r.id,
    score: Number(r.score),
    metadata: {
      contentId: r.content_id,
      kind: r.kind,
      slug: r.slug,
      title: r.title,
      heading: r.heading,
      position: Number(r.position),
      concepts: parseTextArray(r.concepts),
      hash: r.hash,
      excerpt: r.excerpt,
    },
  };
}
