import { sql } from 'drizzle-orm';
import { type ContentKind, chunks as chunksTable } from '../../db/schema.js';
import { chunkMarkdown, embeddingInput, hashText } from '../ai/chunker.js';
import { type Embedder, embedderIdentity, getEmbedder } from '../ai/embedder.js';
import { type Db, queryRows } from '../stores/sql/index.js';
import { getVectorStore } from '../stores/vector/index.js';
import type { VectorRecord, VectorStore } from '../stores/vector/types.js';
import type { DriftReport, OutboxEvent, Projector, ProjectorStats, SyncContext } from './types.js';

/** Texts per embedder call. */
const EMBED_BATCH = 64;
/** Records per vector upsert (Pinecone takes at most 1,000 and 2 MB). */
const UPSERT_BATCH = 100;
/** Characters of chunk text kept in vector metadata for snippets. */
const EXCERPT_CHARS = 600;
/** Content rows loaded per page by rebuild and reconcile. */
const PAGE = 200;

export interface VectorProjectorDeps {
  vectors?: () => Promise<VectorStore>;
  embedder?: () => Promise<Embedder>;
}

/** One chunk as SQL and the vector store should hold it. */
interface DesiredChunk {
  id: string;
  contentId: string;
  position: number;
  heading: string;
  text: string;
  tokenCount: number;
  /** Chunk hash combined with the metadata signature (see `storedHash`). */
  hash: string;
  embedInput: string;
  metadata: VectorRecord['metadata'];
}

interface ContentRow extends Record<string, unknown> {
  id: string;
  kind: ContentKind;
  slug: string;
  title: string;
  summary: string;
  body: string;
  concepts: string[] | string | null;
}

/** The vector id of a chunk: `<contentId>:<position>` (deterministic, so upserts are idempotent). */
export function chunkId(contentId: string, position: number): string {
  return `${contentId}:${position}`;
}

/**
 * The hash stored with a chunk (SQL `chunks.hash` and vector metadata): the chunker's hash of what is
 * embedded, combined with the metadata a result shows (kind, slug, concept slugs). An unchanged hash
 * means nothing to do; a renamed slug or a changed concept list refreshes the record, since the vector
 * port has no metadata-only update.
 */
export function storedHash(
  chunkHash: string,
  meta: { kind: string; slug: string; concepts: string[] },
): string {
  return hashText(`${chunkHash}|${meta.kind}|${meta.slug}|${meta.concepts.join(',')}`);
}

/** Chunks of one content row, as they should be stored. */
export function desiredChunks(row: ContentRow): DesiredChunk[] {
  const concepts = toArray(row.concepts).sort();
  const body = row.summary?.trim() ? `${row.summary.trim()}\n\n${row.body}` : row.body;
  return chunkMarkdown({ title: row.title, body }).map((c) => {
    const id = chunkId(row.id, c.position);
    const hash = storedHash(c.hash, { kind: row.kind, slug: row.slug, concepts });
    return {
      id,
      contentId: row.id,
      position: c.position,
      heading: c.heading,
      text: c.text,
      tokenCount: c.tokenCount,
      hash,
      embedInput: embeddingInput(row.title, c),
      metadata: {
        contentId: row.id,
        kind: row.kind,
        slug: row.slug,
        title: row.title,
        heading: c.heading,
        position: c.position,
        concepts,
        hash,
        excerpt: c.text.slice(0, EXCERPT_CHARS),
      },
    };
  });
}

function toArray(v: string[] | string | null): string[] {
  if (Array.isArray(v)) return v.filter(Boolean);
  if (typeof v === 'string' && v.startsWith('{')) {
    return v.slice(1, -1).split(',').filter(Boolean);
  }
  return [];
}

async function loadContent(db: Db, ids: string[]): Promise<ContentRow[]> {
  if (!ids.length) return [];
  return queryRows<ContentRow>(
    db,
    sql`SELECT c.id::text AS id, c.kind, c.slug, c.title, c.summary, c.body,
          coalesce(array_agg(k.slug ORDER BY k.slug) FILTER (WHERE k.slug IS NOT NULL), '{}') AS concepts
        FROM content c
        LEFT JOIN content_concepts cc ON cc.content_id = c.id
        LEFT JOIN concepts k ON k.id = cc.concept_id
        WHERE c.id::text IN (${sql.join(
          ids.map((id) => sql`${id}`),
          sql`, `,
        )})
        GROUP BY c.id`,
  );
}

async function loadContentPage(db: Db, after: string | null): Promise<ContentRow[]> {
  return queryRows<ContentRow>(
    db,
    sql`SELECT c.id::text AS id, c.kind, c.slug, c.title, c.summary, c.body,
          coalesce(array_agg(k.slug ORDER BY k.slug) FILTER (WHERE k.slug IS NOT NULL), '{}') AS concepts
        FROM content c
        LEFT JOIN content_concepts cc ON cc.content_id = c.id
        LEFT JOIN concepts k ON k.id = cc.concept_id
        WHERE ${after === null ? sql`true` : sql`c.id::text > ${after}`}
        GROUP BY c.id
        ORDER BY c.id::text
        LIMIT ${PAGE}`,
  );
}

async function loadChunkHashes(db: Db, contentIds: string[] | 'all'): Promise<Map<string, string>> {
  const rows = await queryRows<{ id: string; hash: string }>(
    db,
    contentIds === 'all'
      ? sql`SELECT id, hash FROM chunks`
      : contentIds.length
        ? sql`SELECT id, hash FROM chunks WHERE content_id::text IN (${sql.join(
            contentIds.map((id) => sql`${id}`),
            sql`, `,
          )})`
        : sql`SELECT id, hash FROM chunks WHERE false`,
  );
  return new Map(rows.map((r) => [r.id, r.hash]));
}

/** The changes that bring the projection to the desired state. */
interface Plan {
  /** Chunks to embed, upsert as vectors and write to SQL. */
  write: DesiredChunk[];
  /** Chunk ids to delete from vectors and SQL. */
  remove: string[];
  skipped: number;
}

function plan(desired: DesiredChunk[], existing: Map<string, string>, scopeIds: Iterable<string>): Plan {
  const want = new Set(desired.map((d) => d.id));
  const write = desired.filter((d) => existing.get(d.id) !== d.hash);
  const remove = [...scopeIds].filter((id) => !want.has(id));
  return { write, remove, skipped: desired.length - write.length };
}

export function createVectorProjector(deps: VectorProjectorDeps = {}): Projector & {
  /** Ids of chunks a plan would touch, for `reindex --dry-run`. */
  lastPlan?: { write: string[]; remove: string[] };
} {
  const vectorsOf = deps.vectors ?? getVectorStore;
  const embedderOf = deps.embedder ?? getEmbedder;

  /** Embeds, upserts vectors, deletes vectors, THEN writes SQL: SQL hashes are the commit marker. */
  async function execute(db: Db, p: Plan, ctx: SyncContext, stats: ProjectorStats): Promise<void> {
    const total = p.write.length + p.remove.length;
    if (ctx.dryRun || total === 0) return;
    const [vectors, embedder] = await Promise.all([vectorsOf(), embedderOf()]);
    await vectors.ensureIndex(embedderIdentity(embedder));
    let done = 0;
    for (let i = 0; i < p.write.length; i += EMBED_BATCH) {
      const slice = p.write.slice(i, i + EMBED_BATCH);
      const values = await embedder.embed(slice.map((c) => c.embedInput));
      stats.embedCalls = (stats.embedCalls ?? 0) + 1;
      const records: VectorRecord[] = slice.map((c, j) => ({
        id: c.id,
        values: values[j] ?? [],
        metadata: c.metadata,
      }));
      for (let k = 0; k < records.length; k += UPSERT_BATCH)
        await vectors.upsert(records.slice(k, k + UPSERT_BATCH));
      await writeChunkRows(db, slice);
      done += slice.length;
      ctx.progress?.(done, total, 'embedding');
    }
    for (let i = 0; i < p.remove.length; i += 1000) {
      const ids = p.remove.slice(i, i + 1000);
      await vectors.deleteIds(ids);
      await db.execute(
        sql`DELETE FROM chunks WHERE id IN (${sql.join(
          ids.map((id) => sql`${id}`),
          sql`, `,
        )})`,
      );
      done += ids.length;
      ctx.progress?.(done, total, 'deleting');
    }
  }

  const projector: Projector & { lastPlan?: { write: string[]; remove: string[] } } = {
    name: 'vectors',

    async apply(events: OutboxEvent[], ctx: SyncContext): Promise<ProjectorStats> {
      const db = ctx.sql.db;
      const stats: ProjectorStats = { embedCalls: 0, chunksEmbedded: 0, chunksSkipped: 0, chunksDeleted: 0 };
      const contentIds = new Set(events.filter((e) => e.entity === 'content').map((e) => e.entityId));
      const conceptIds = events.filter((e) => e.entity === 'concept').map((e) => e.entityId);
      if (conceptIds.length) {
        for (const id of await contentLinkedToConcepts(db, conceptIds)) contentIds.add(id);
        // A deleted concept's links are gone (cascade): any content may carry its slug. Re-checking
        // every content's hashes is cheap (no embedding unless the concept list really changed).
        if (events.some((e) => e.entity === 'concept' && e.op === 'delete')) {
          const r = await sweepAll(db, ctx, execute);
          for (const [k, v] of Object.entries(r)) stats[k] = (stats[k] ?? 0) + v;
        }
      }
      const ids = [...contentIds];
      const rows = await loadContent(db, ids);
      const present = new Set(rows.map((r) => r.id));
      const gone = ids.filter((id) => !present.has(id));
      const desired = rows.flatMap(desiredChunks);
      const existing = await loadChunkHashes(db, ids);
      const p = plan(desired, existing, existing.keys());
      if (gone.length) {
        // Deleted content: its chunk rows went with it (cascade), so find its vectors by id prefix.
        const prefixes = gone.map((id) => `${id}:`);
        const vectors = await vectorsOf();
        for await (const { id } of vectors.listIds()) {
          if (prefixes.some((pre) => id.startsWith(pre)) && !p.remove.includes(id)) p.remove.push(id);
        }
      }
      projector.lastPlan = { write: p.write.map((c) => c.id), remove: [...p.remove] };
      await execute(db, p, ctx, stats);
      stats.chunksEmbedded = (stats.chunksEmbedded ?? 0) + p.write.length;
      stats.chunksSkipped = (stats.chunksSkipped ?? 0) + p.skipped;
      stats.chunksDeleted = (stats.chunksDeleted ?? 0) + p.remove.length;
      return stats;
    },

    async rebuild(ctx: SyncContext): Promise<ProjectorStats> {
      const db = ctx.sql.db;
      const stats: ProjectorStats = { embedCalls: 0, chunksEmbedded: 0, chunksSkipped: 0, chunksDeleted: 0 };
      const [vectors, embedder] = await Promise.all([vectorsOf(), embedderOf()]);
      if (ctx.dryRun) {
        const desired = await allDesired(db);
        stats.chunksEmbedded = desired.length;
        return stats;
      }
      // A full rebuild is also the cure for a model change: start from an empty index of this identity.
      // SQL chunk rows stay until replaced, so full-text search keeps answering meanwhile.
      await vectors.reset(embedderIdentity(embedder));
      const desired = await allDesired(db);
      const want = new Set(desired.map((d) => d.id));
      const remove = [...(await loadChunkHashes(db, 'all')).keys()].filter((id) => !want.has(id));
      await execute(db, { write: desired, remove, skipped: 0 }, ctx, stats);
      stats.chunksEmbedded = desired.length;
      stats.chunksDeleted = remove.length;
      return stats;
    },

    async reconcile(ctx: SyncContext): Promise<DriftReport> {
      const db = ctx.sql.db;
      const vectors = await vectorsOf();
      const embedder = await embedderOf();
      const identity = await vectors.identity();
      const wanted = embedderIdentity(embedder);
      if (identity && (identity.model !== wanted.model || identity.dimension !== wanted.dimension)) {
        await vectors.ensureIndex(wanted); // throws IndexMismatchError with the rebuild advice
      }
      const desired = await allDesired(db);
      const inVectors = new Map<string, string>();
      for await (const { id, hash } of vectors.listIds()) inVectors.set(id, hash);
      const inSql = await loadChunkHashes(db, 'all');
      const want = new Map(desired.map((d) => [d.id, d]));
      const missing = desired.filter((d) => !inVectors.has(d.id) || !inSql.has(d.id));
      const stale = desired.filter(
        (d) =>
          inVectors.has(d.id) &&
          inSql.has(d.id) &&
          (inVectors.get(d.id) !== d.hash || inSql.get(d.id) !== d.hash),
      );
      const orphaned = [...new Set([...inVectors.keys(), ...inSql.keys()])].filter((id) => !want.has(id));
      const report: DriftReport = {
        projector: 'vectors',
        missing: missing.length,
        stale: stale.length,
        orphaned: orphaned.length,
        repaired: false,
        examples: [
          ...missing.slice(0, 3).map((d) => `missing ${d.id}`),
          ...stale.slice(0, 3).map((d) => `stale ${d.id}`),
          ...orphaned.slice(0, 3).map((id) => `orphaned ${id}`),
        ],
      };
      if (!ctx.dryRun && missing.length + stale.length + orphaned.length > 0) {
        // SQL rows of repaired chunks are rewritten too, so both sides agree afterwards.
        const stats: ProjectorStats = {};
        await execute(db, { write: [...missing, ...stale], remove: orphaned, skipped: 0 }, ctx, stats);
        report.repaired = true;
      }
      return report;
    },
  };
  return projector;
}

/** Chunks every content row should have (paged through SQL). */
async function allDesired(db: Db): Promise<DesiredChunk[]> {
  const out: DesiredChunk[] = [];
  let after: string | null = null;
  for (;;) {
    const rows = await loadContentPage(db, after);
    if (!rows.length) break;
    for (const r of rows) out.push(...desiredChunks(r));
    after = rows.at(-1)?.id ?? null;
    if (rows.length < PAGE) break;
  }
  return out;
}

/** Re-checks every content's chunk hashes against SQL and applies what changed. */
async function sweepAll(
  db: Db,
  ctx: SyncContext,
  execute: (db: Db, p: Plan, ctx: SyncContext, stats: ProjectorStats) => Promise<void>,
): Promise<ProjectorStats> {
  const stats: ProjectorStats = {};
  const desired = await allDesired(db);
  const existing = await loadChunkHashes(db, 'all');
  const p = plan(desired, existing, []);
  await execute(db, p, ctx, stats);
  stats.chunksEmbedded = p.write.length;
  return stats;
}

async function contentLinkedToConcepts(db: Db, conceptIds: string[]): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`SELECT DISTINCT content_id::text AS id FROM content_concepts WHERE concept_id::text IN (${sql.join(
      conceptIds.map((id) => sql`${id}`),
      sql`, `,
    )})`,
  );
  return rows.map((r) => r.id);
}

/** Writes chunk rows (insert or update by id): they feed full-text search and record what is embedded. */
async function writeChunkRows(db: Db, rows: DesiredChunk[]): Promise<void> {
  if (!rows.length) return;
  await db
    .insert(chunksTable)
    .values(
      rows.map((c) => ({
        id: c.id,
        contentId: c.contentId,
        position: c.position,
        heading: c.heading,
        text: c.text,
        hash: c.hash,
        tokenCount: c.tokenCount,
      })),
    )
    .onConflictDoUpdate({
      target: chunksTable.id,
      set: {
        heading: sql`excluded.heading`,
        text: sql`excluded.text`,
        hash: sql`excluded.hash`,
        tokenCount: sql`excluded.token_count`,
        position: sql`excluded.position`,
        updatedAt: sql`now()`,
      },
    });
}
