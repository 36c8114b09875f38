import { type SQL, sql } from 'drizzle-orm';
import type { DocumentKind } from '../../db/schema.js';
import { documentEmbeddingInput } from '../ai/chunker.js';
import { type Embedder, embedderIdentity, getEmbedder } from '../ai/embedder.js';
import { textList } from '../content/sql-util.js';
import { type Db, parseTextArray, queryRows } from '../stores/sql/index.js';
import { getVectorStore } from '../stores/vector/index.js';
import type { VectorRecord, VectorStore } from '../stores/vector/types.js';
import type { DriftReport, OutboxEvent, Projector, ProjectorStats, SyncContext } from './types.js';

/**
 * The vector projection: follows the text projection (the `chunks` rows). For each item it is told
 * about, it embeds only the chunks whose hash it has not embedded yet (`embedded_hash`), upserts them
 * under their chunk ids, records the embedded hash, and deletes the vectors of tombstoned chunks. It
 * reads SQL state, not event payloads, so a retry after any failure converges. When this projection
 * cannot work (the vector store is down, or pgvector is missing) full-text search is unaffected.
 */

/** Texts per embedder call. */
const EMBED_BATCH = 64;
/** Records per vector upsert (Pinecone takes at most 1,000 and 2 MB). */
const UPSERT_BATCH = 100;
/** Characters of chunk text kept in vector metadata for snippets. */
const EXCERPT_CHARS = 600;
/**
 * A backlog of unembedded chunks at least this large, and at least as large as what is embedded
 * already, is embedded in one bulk load (pgvector builds its HNSW index once at the end instead of
 * row by row): a first sync, an import, a model change.
 */
const BULK_BACKLOG = 200;

export interface VectorProjectorDeps {
  vectors?: () => Promise<VectorStore>;
  embedder?: () => Promise<Embedder>;
}

interface StoredChunk extends Record<string, unknown> {
  id: string;
  owner_id: string;
  position: number;
  title: string;
  heading: string;
  summary: string;
  tags: string;
  text: string;
  hash: string;
  kind: DocumentKind;
  slug: string;
  concepts: string[] | string | null;
}

/** Chunk rows with the metadata a vector carries; `where` filters `ch`. */
async function loadChunks(db: Db, where: SQL, limit?: number): Promise<StoredChunk[]> {
  return queryRows<StoredChunk>(
    db,
    sql`SELECT ch.id, coalesce(ch.content_id, ch.concept_id)::text AS owner_id, ch.position, ch.title,
          ch.heading, ch.summary, ch.tags, ch.text, ch.hash,
          CASE WHEN ch.content_id IS NOT NULL THEN c.kind ELSE 'concept' END AS kind,
          coalesce(c.slug, k.slug) AS slug,
          CASE WHEN ch.content_id IS NOT NULL
               THEN ARRAY(SELECT k2.slug FROM content_concepts cc JOIN concepts k2 ON k2.id = cc.concept_id
                          WHERE cc.content_id = ch.content_id ORDER BY k2.slug)
               ELSE ARRAY[k.slug] END AS concepts
        FROM chunks ch
        LEFT JOIN content c ON c.id = ch.content_id
        LEFT JOIN concepts k ON k.id = ch.concept_id
        WHERE ${where}
        ORDER BY ch.id${limit ? sql` LIMIT ${limit}` : sql``}`,
  );
}

/** All unembedded chunks when they are a bulk load's worth (see BULK_BACKLOG), else none. */
async function bulkBacklog(db: Db): Promise<StoredChunk[]> {
  const [row] = await queryRows<{ backlog: number | string; total: number | string }>(
    db,
    sql`SELECT (SELECT count(*) FROM chunks WHERE embedded_hash IS DISTINCT FROM hash) AS backlog,
               (SELECT n FROM chunk_stats) AS total`,
  );
  const backlog = Number(row?.backlog ?? 0);
  const embedded = Number(row?.total ?? 0) - backlog;
  if (backlog < BULK_BACKLOG || backlog < embedded) return [];
  return loadChunks(db, sql`ch.embedded_hash IS DISTINCT FROM ch.hash`);
}

function ownedBy(ownerIds: string[]): SQL {
  const list = textList(ownerIds);
  return sql`(ch.content_id::text IN ${list} OR ch.concept_id::text IN ${list})`;
}

function toRecordInput(c: StoredChunk): { input: string; metadata: VectorRecord['metadata'] } {
  const display = [c.summary, c.text].filter(Boolean).join('\n\n');
  return {
    input: documentEmbeddingInput(c),
    metadata: {
      contentId: c.owner_id,
      kind: c.kind,
      slug: c.slug,
      title: c.title,
      heading: c.heading,
      position: Number(c.position),
      concepts: parseTextArray(c.concepts),
      hash: c.hash,
      excerpt: display.slice(0, EXCERPT_CHARS),
    },
  };
}

export function createVectorProjector(deps: VectorProjectorDeps = {}): Projector & {
  /** Ids of chunks the last apply embedded and deleted, for `reindex --dry-run`. */
  lastPlan?: { write: string[]; remove: string[] };
} {
  const vectorsOf = deps.vectors ?? getVectorStore;
  const embedderOf = deps.embedder ?? getEmbedder;

  /** Embeds and upserts chunks, then records their embedded hash (the projection's commit marker). */
  async function embedChunks(
    db: Db,
    rows: StoredChunk[],
    stats: ProjectorStats,
    ctx: SyncContext,
    total: number,
    vectors: VectorStore,
    embedder: Embedder,
  ): Promise<void> {
    let done = 0;
    for (let i = 0; i < rows.length; i += EMBED_BATCH) {
      const slice = rows.slice(i, i + EMBED_BATCH).map((c) => ({ row: c, ...toRecordInput(c) }));
      const values = await embedder.embed(slice.map((c) => c.input));
      stats.embedCalls = (stats.embedCalls ?? 0) + 1;
      const records: VectorRecord[] = slice.map((c, j) => ({
        id: c.row.id,
        values: values[j] ?? [],
        metadata: c.metadata,
      }));
      for (let k = 0; k < records.length; k += UPSERT_BATCH)
        await vectors.upsert(records.slice(k, k + UPSERT_BATCH));
      // Only if the chunk still has the hash that was embedded (the text projector may have moved on).
      await db.execute(
        sql`UPDATE chunks SET embedded_hash = v.hash
            FROM (VALUES ${sql.join(
              slice.map((c) => sql`(${c.row.id}, ${c.row.hash})`),
              sql`, `,
            )}) AS v(id, hash)
            WHERE chunks.id = v.id AND chunks.hash = v.hash`,
      );
      stats.chunksEmbedded = (stats.chunksEmbedded ?? 0) + slice.length;
      done += slice.length;
      ctx.progress?.(done, total, 'embedding');
    }
  }

  async function deleteVectors(db: Db, ids: string[], vectors: VectorStore, stats: ProjectorStats) {
    for (let i = 0; i < ids.length; i += 1000) {
      const slice = ids.slice(i, i + 1000);
      await vectors.deleteIds(slice);
      await db.execute(sql`DELETE FROM chunk_tombstones WHERE id IN ${textList(slice)}`);
      stats.chunksDeleted = (stats.chunksDeleted ?? 0) + slice.length;
    }
  }

  const projector: Projector & { lastPlan?: { write: string[]; remove: string[] } } = {
    name: 'vectors',
    derived: true,

    async apply(events: OutboxEvent[], ctx: SyncContext): Promise<ProjectorStats> {
      const db = ctx.sql.db;
      const stats: ProjectorStats = { embedCalls: 0, chunksEmbedded: 0, chunksSkipped: 0, chunksDeleted: 0 };
      const owners = [...new Set(events.map((e) => e.entityId))];
      if (!owners.length) return stats;
      const [pending, tombstones, counts] = await Promise.all([
        loadChunks(db, sql`${ownedBy(owners)} AND ch.embedded_hash IS DISTINCT FROM ch.hash`),
        queryRows<{ id: string }>(
          db,
          sql`SELECT id FROM chunk_tombstones WHERE owner_id IN ${textList(owners)} ORDER BY id`,
        ),
        queryRows<{ n: number | string }>(
          db,
          sql`SELECT count(*) AS n FROM chunks ch WHERE ${ownedBy(owners)}`,
        ),
      ]);
      const remove = tombstones.map((t) => t.id);
      const gone = events.filter((e) => e.op === 'delete').map((e) => `${e.entityId}:`);
      const vectors = await vectorsOf();
      if (gone.length) {
        // Deleted items: their chunk rows went with them (cascade), so find their vectors by id prefix.
        const known = new Set(remove);
        for await (const { id } of vectors.listIds()) {
          if (!known.has(id) && gone.some((pre) => id.startsWith(pre))) remove.push(id);
        }
      }
      projector.lastPlan = { write: pending.map((c) => c.id), remove: [...remove] };
      stats.chunksSkipped = Number(counts[0]?.n ?? 0) - pending.length;
      if (ctx.dryRun || pending.length + remove.length === 0) return stats;
      const embedder = await embedderOf();
      await vectors.ensureIndex(embedderIdentity(embedder));
      // Deletions first: a tombstoned id that came back is no longer a tombstone (the text projector
      // removes it when it rewrites the chunk), so nothing deleted here is about to be upserted.
      await deleteVectors(db, remove, vectors, stats);
      const backlog = pending.length > 0 ? await bulkBacklog(db) : [];
      if (backlog.length > 0) {
        // Every unembedded chunk, not only this batch's: the later batches then find theirs done.
        await vectors.bulkLoad(() => embedChunks(db, backlog, stats, ctx, backlog.length, vectors, embedder));
      } else {
        await embedChunks(db, pending, stats, ctx, pending.length, vectors, embedder);
      }
      return stats;
    },

    async rebuild(ctx: SyncContext): Promise<ProjectorStats> {
      const db = ctx.sql.db;
      const stats: ProjectorStats = { embedCalls: 0, chunksEmbedded: 0, chunksSkipped: 0, chunksDeleted: 0 };
      const rows = await loadChunks(db, sql`true`);
      if (ctx.dryRun) {
        stats.chunksEmbedded = rows.length;
        return stats;
      }
      const [vectors, embedder] = await Promise.all([vectorsOf(), embedderOf()]);
      // A full rebuild is also the cure for a model change: start from an empty index of this identity.
      await vectors.reset(embedderIdentity(embedder));
      await db.execute(sql`DELETE FROM chunk_tombstones`);
      await vectors.bulkLoad(() => embedChunks(db, rows, stats, ctx, rows.length, vectors, embedder));
      return stats;
    },

    async reconcile(ctx: SyncContext): Promise<DriftReport> {
      const db = ctx.sql.db;
      const vectors = await vectorsOf();
      await vectors.ping(); // a store that cannot work here says so by name (pgvector missing)
      const embedder = await embedderOf();
      const identity = await vectors.identity();
      const wanted = embedderIdentity(embedder);
      if (identity && (identity.model !== wanted.model || identity.dimension !== wanted.dimension)) {
        await vectors.ensureIndex(wanted); // throws IndexMismatchError with the rebuild advice
      }
      const inSql = new Map(
        (await queryRows<{ id: string; hash: string }>(db, sql`SELECT id, hash FROM chunks`)).map((r) => [
          r.id,
          r.hash,
        ]),
      );
      const inVectors = new Map<string, string>();
      for await (const { id, hash } of vectors.listIds()) inVectors.set(id, hash);
      const missing = [...inSql.keys()].filter((id) => !inVectors.has(id));
      const stale = [...inSql.entries()].filter(([id, h]) => inVectors.has(id) && inVectors.get(id) !== h);
      const orphaned = [...inVectors.keys()].filter((id) => !inSql.has(id));
      const report: DriftReport = {
        projector: 'vectors',
        missing: missing.length,
        stale: stale.length,
        orphaned: orphaned.length,
        repaired: false,
        examples: [
          ...missing.slice(0, 3).map((id) => `missing ${id}`),
          ...stale.slice(0, 3).map(([id]) => `stale ${id}`),
          ...orphaned.slice(0, 3).map((id) => `orphaned ${id}`),
        ],
      };
      if (!ctx.dryRun && missing.length + stale.length + orphaned.length > 0) {
        const ids = [...missing, ...stale.map(([id]) => id)];
        const rows = ids.length ? await loadChunks(db, sql`ch.id IN ${textList(ids)}`) : [];
        await vectors.ensureIndex(wanted);
        const stats: ProjectorStats = {};
        await deleteVectors(db, orphaned, vectors, stats);
        await embedChunks(db, rows, stats, ctx, rows.length, vectors, embedder);
        report.repaired = true;
      }
      return report;
    },
  };
  return projector;
}
