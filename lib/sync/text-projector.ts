import { sql } from 'drizzle-orm';
import { chunkDocument, type DocumentChunk, hashText } from '../ai/chunker.js';
import { textList } from '../content/sql-util.js';
import { atomic, type Db, parseTextArray, queryRows } from '../stores/sql/index.js';
import type { DriftReport, OutboxEvent, Projector, ProjectorStats, SyncContext } from './types.js';

/**
 * The text projection: every content item and concept as search documents (`chunks` rows: fields,
 * plain text, content hash, full-text vector), from SQL alone. Full-text search never waits on the
 * vector store: this projector needs nothing but SQL, and the vector projector follows it (it embeds
 * the chunks whose hash it has not embedded yet, and deletes the vectors of tombstoned chunks). Every
 * change to an item's chunks, its tombstones and a `vectors` outbox row for it are written in one
 * transaction, so the vector side can never miss a change.
 */

/** Content and concept rows loaded per page by rebuild and reconcile. */
const PAGE = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type OwnerKind = 'content' | 'concept';

/** One chunk as the `chunks` table should hold it. */
export interface DesiredChunk extends DocumentChunk {
  id: string;
  ownerId: string;
  owner: OwnerKind;
  /** Chunk hash combined with the result metadata (see `storedHash`). */
  hash: string;
}

/** The chunk id `<ownerId>:<position>`: the same id in SQL and the vector store (idempotent upserts). */
export function chunkId(ownerId: string, position: number): string {
  return `${ownerId}:${position}`;
}

/**
 * The hash stored with a chunk (SQL `chunks.hash` and vector metadata): the chunker's hash of the fields,
 * combined with the metadata a result shows (kind, slug, concept slugs). An unchanged hash means nothing
 * to do; a renamed slug or a changed concept list refreshes the record, since the vector port has no
 * metadata-only update.
 */
export function storedHash(
  chunkHash: string,
  meta: { kind: string; slug: string; concepts: string[] },
): string {
  return hashText(`${chunkHash}|${meta.kind}|${meta.slug}|${meta.concepts.join(',')}`);
}

interface ContentRow extends Record<string, unknown> {
  id: string;
  kind: string;
  slug: string;
  title: string;
  summary: string;
  body: string;
  tags: string[] | string | null;
  concepts: string[] | string | null;
}

interface ConceptRow extends Record<string, unknown> {
  id: string;
  slug: string;
  title: string;
  summary: string;
  goals: unknown;
}

/** Chunks of one content row. */
export function contentChunks(row: ContentRow): DesiredChunk[] {
  const concepts = parseTextArray(row.concepts).sort();
  return chunkDocument({
    title: row.title,
    summary: row.summary,
    tags: parseTextArray(row.tags),
    body: row.body,
  }).map((c) => ({
    ...c,
    id: chunkId(row.id, c.position),
    ownerId: row.id,
    owner: 'content' as const,
    hash: storedHash(c.hash, { kind: row.kind, slug: row.slug, concepts }),
  }));
}

/** Chunks of one concept: title, summary, and its learning goals as a list. */
export function conceptChunks(row: ConceptRow): DesiredChunk[] {
  const goals = (Array.isArray(row.goals) ? row.goals : []).filter((g): g is string => typeof g === 'string');
  const body = goals.map((g) => `- ${g.replace(/\s+/g, ' ').trim()}`).join('\n');
  return chunkDocument({ title: row.title, summary: row.summary, body }).map((c) => ({
    ...c,
    id: chunkId(row.id, c.position),
    ownerId: row.id,
    owner: 'concept' as const,
    hash: storedHash(c.hash, { kind: 'concept', slug: row.slug, concepts: [row.slug] }),
  }));
}

const CONTENT_SELECT = sql`SELECT c.id::text AS id, c.kind, c.slug, c.title, c.summary, c.body, c.tags,
    coalesce(array_agg(k.slug ORDER BY k.slug) FILTER (WHERE k.slug IS NOT NULL), '{}') AS concepts
  FROM content c
  LEFT JOIN content_concepts cc ON cc.content_id = c.id
  LEFT JOIN concepts k ON k.id = cc.concept_id`;

async function loadContent(db: Db, ids: string[]): Promise<ContentRow[]> {
  if (!ids.length) return [];
  return queryRows<ContentRow>(db, sql`${CONTENT_SELECT} WHERE c.id::text IN ${textList(ids)} GROUP BY c.id`);
}

async function loadConcepts(db: Db, ids: string[]): Promise<ConceptRow[]> {
  if (!ids.length) return [];
  return queryRows<ConceptRow>(
    db,
    sql`SELECT id::text AS id, slug, title, summary, goals FROM concepts WHERE id::text IN ${textList(ids)}`,
  );
}

/** Every document's desired chunks, paged through SQL. */
export async function allDesiredChunks(db: Db): Promise<DesiredChunk[]> {
  const out: DesiredChunk[] = [];
  for (let after: string | null = null; ; ) {
    const rows: ContentRow[] = await queryRows<ContentRow>(
      db,
      sql`${CONTENT_SELECT} WHERE ${after === null ? sql`true` : sql`c.id::text > ${after}`}
          GROUP BY c.id ORDER BY c.id::text LIMIT ${PAGE}`,
    );
    for (const r of rows) out.push(...contentChunks(r));
    if (rows.length < PAGE) break;
    after = rows.at(-1)?.id ?? null;
  }
  for (let after: string | null = null; ; ) {
    const rows: ConceptRow[] = await queryRows<ConceptRow>(
      db,
      sql`SELECT id::text AS id, slug, title, summary, goals FROM concepts
          WHERE ${after === null ? sql`true` : sql`id::text > ${after}`} ORDER BY id::text LIMIT ${PAGE}`,
    );
    for (const r of rows) out.push(...conceptChunks(r));
    if (rows.length < PAGE) break;
    after = rows.at(-1)?.id ?? null;
  }
  return out;
}

/** Stored chunk hashes, by id, of these owners (or all). */
async function loadStoredHashes(
  db: Db,
  ownerIds: string[] | 'all',
): Promise<Map<string, { hash: string; ownerId: string; owner: OwnerKind }>> {
  if (ownerIds !== 'all' && !ownerIds.length) return new Map();
  const rows = await queryRows<{
    id: string;
    hash: string;
    content_id: string | null;
    concept_id: string | null;
  }>(
    db,
    ownerIds === 'all'
      ? sql`SELECT id, hash, content_id::text AS content_id, concept_id::text AS concept_id FROM chunks`
      : sql`SELECT id, hash, content_id::text AS content_id, concept_id::text AS concept_id FROM chunks
            WHERE content_id::text IN ${textList(ownerIds)} OR concept_id::text IN ${textList(ownerIds)}`,
  );
  return new Map(
    rows.map((r) => [
      r.id,
      r.content_id
        ? { hash: r.hash, ownerId: r.content_id, owner: 'content' as const }
        : { hash: r.hash, ownerId: r.concept_id ?? '', owner: 'concept' as const },
    ]),
  );
}

interface Plan {
  write: DesiredChunk[];
  remove: { id: string; ownerId: string; owner: OwnerKind }[];
  skipped: number;
}

function plan(
  desired: DesiredChunk[],
  stored: Map<string, { hash: string; ownerId: string; owner: OwnerKind }>,
): Plan {
  const want = new Set(desired.map((d) => d.id));
  const write = desired.filter((d) => stored.get(d.id)?.hash !== d.hash);
  const remove = [...stored.entries()].filter(([id]) => !want.has(id)).map(([id, s]) => ({ id, ...s }));
  return { write, remove, skipped: desired.length - write.length };
}

/** Rows per chunk upsert statement. */
const WRITE_BATCH = 200;

/**
 * Embedded PGlite has no autovacuum: once the chunk count has grown by a fifth (and 500) since the last
 * vacuum, the postings are vacuumed (full-text queries then read them from the index alone) and both
 * tables analysed (the planner's row counts), as autovacuum would on a server.
 */
async function vacuumIfGrown(store: SyncContext['sql']): Promise<void> {
  if (store.adapter !== 'pglite') return;
  const [row] = await queryRows<{ n: number | string; seen: number | string }>(
    store.db,
    sql`SELECT s.n, greatest(c.reltuples, 0) AS seen FROM chunk_stats s, pg_class c WHERE c.oid = 'chunks'::regclass`,
  );
  if (!row || Number(row.n) < Number(row.seen) * 1.2 + 500) return;
  await store.db.execute(sql`VACUUM (ANALYZE) chunks, chunk_terms, term_df`);
}

/**
 * Applies a plan: chunk upserts, deletions (as tombstones for the vector projector), and one `vectors`
 * outbox row per changed owner, in one transaction per batch of chunks.
 */
async function execute(
  store: SyncContext['sql'],
  p: Plan,
  ctx: SyncContext,
  options: { enqueueVectors: boolean } = { enqueueVectors: true },
): Promise<void> {
  if (ctx.dryRun) return;
  const total = p.write.length + p.remove.length;
  let done = 0;
  for (let i = 0; i < p.write.length || (i === 0 && p.remove.length > 0); i += WRITE_BATCH) {
    const slice = p.write.slice(i, i + WRITE_BATCH);
    const removed = i === 0 ? p.remove : [];
    const owners = new Map<string, OwnerKind>();
    for (const c of slice) owners.set(c.ownerId, c.owner);
    for (const r of removed) owners.set(r.ownerId, r.owner);
    await atomic(store, (q) => [
      ...(slice.length ? [upsertChunks(q, slice)] : []),
      ...(slice.length
        ? [q.execute(sql`DELETE FROM chunk_tombstones WHERE id IN ${textList(slice.map((c) => c.id))}`)]
        : []),
      ...(removed.length
        ? [
            q.execute(
              sql`INSERT INTO chunk_tombstones (id, owner_id) VALUES ${sql.join(
                removed.map((r) => sql`(${r.id}, ${r.ownerId})`),
                sql`, `,
              )} ON CONFLICT (id) DO NOTHING`,
            ),
            q.execute(sql`DELETE FROM chunks WHERE id IN ${textList(removed.map((r) => r.id))}`),
          ]
        : []),
      ...(options.enqueueVectors && owners.size
        ? [
            q.execute(
              sql`INSERT INTO outbox (entity, entity_id, op, version, projector) VALUES ${sql.join(
                [...owners].map(([id, kind]) => sql`(${kind}, ${id}, 'upsert', 0, 'vectors')`),
                sql`, `,
              )}`,
            ),
          ]
        : []),
    ]);
    done += slice.length + removed.length;
    ctx.progress?.(done, total, 'chunking');
  }
  if (total > 0) await vacuumIfGrown(store);
}

function upsertChunks(q: Db, rows: DesiredChunk[]) {
  return q.execute(
    sql`INSERT INTO chunks (id, content_id, concept_id, position, title, heading, summary, tags, text, hash, token_count)
        VALUES ${sql.join(
          rows.map(
            (c) =>
              sql`(${c.id}, ${c.owner === 'content' ? c.ownerId : null}::uuid, ${c.owner === 'concept' ? c.ownerId : null}::uuid,
                   ${c.position}, ${c.title}, ${c.heading}, ${c.summary}, ${c.tags}, ${c.text}, ${c.hash}, ${c.tokenCount})`,
          ),
          sql`, `,
        )}
        ON CONFLICT (id) DO UPDATE SET content_id = excluded.content_id, concept_id = excluded.concept_id,
          position = excluded.position, title = excluded.title, heading = excluded.heading,
          summary = excluded.summary, tags = excluded.tags, text = excluded.text, hash = excluded.hash,
          token_count = excluded.token_count, updated_at = now()`,
  );
}

async function contentLinkedToConcepts(db: Db, conceptIds: string[]): Promise<string[]> {
  if (!conceptIds.length) return [];
  const rows = await queryRows<{ id: string }>(
    db,
    sql`SELECT DISTINCT content_id::text AS id FROM content_concepts WHERE concept_id::text IN ${textList(conceptIds)}`,
  );
  return rows.map((r) => r.id);
}

export function createTextProjector(): Projector {
  return {
    name: 'text',

    async apply(events: OutboxEvent[], ctx: SyncContext): Promise<ProjectorStats> {
      const db = ctx.sql.db;
      const contentIds = new Set(
        events.filter((e) => e.entity === 'content' && UUID.test(e.entityId)).map((e) => e.entityId),
      );
      const conceptIds = [
        ...new Set(
          events.filter((e) => e.entity === 'concept' && UUID.test(e.entityId)).map((e) => e.entityId),
        ),
      ];
      // A concept's slug is in the metadata of the content linked to it.
      for (const id of await contentLinkedToConcepts(db, conceptIds)) contentIds.add(id);
      let desired: DesiredChunk[];
      let stored: Awaited<ReturnType<typeof loadStoredHashes>>;
      if (events.some((e) => e.entity === 'concept' && e.op === 'delete')) {
        // A deleted concept's links are gone (cascade): any content may carry its slug. Re-checking every
        // document's hashes is cheap; only what really changed is written.
        desired = await allDesiredChunks(db);
        stored = await loadStoredHashes(db, 'all');
      } else {
        const [contentRows, conceptRows] = await Promise.all([
          loadContent(db, [...contentIds]),
          loadConcepts(db, conceptIds),
        ]);
        desired = [...contentRows.flatMap(contentChunks), ...conceptRows.flatMap(conceptChunks)];
        stored = await loadStoredHashes(db, [...contentIds, ...conceptIds]);
      }
      const p = plan(desired, stored);
      await execute(ctx.sql, p, ctx);
      // Deleted items: their chunks went with them (cascade); the vector projector still has to drop
      // their vectors, so it gets a row for them too.
      const gone = events.filter((e) => e.op === 'delete' && UUID.test(e.entityId));
      if (gone.length && !ctx.dryRun) {
        await ctx.sql.db.execute(
          sql`INSERT INTO outbox (entity, entity_id, op, version, projector) VALUES ${sql.join(
            gone.map((e) => sql`(${e.entity}, ${e.entityId}, 'delete', ${e.version}, 'vectors')`),
            sql`, `,
          )}`,
        );
      }
      return { chunksWritten: p.write.length, chunksUnchanged: p.skipped, chunksRemoved: p.remove.length };
    },

    async rebuild(ctx: SyncContext): Promise<ProjectorStats> {
      const db = ctx.sql.db;
      const desired = await allDesiredChunks(db);
      const p = plan(desired, await loadStoredHashes(db, 'all'));
      // A full rebuild rebuilds the vectors too (their projector re-embeds everything): no queue rows.
      await execute(ctx.sql, p, ctx, { enqueueVectors: false });
      return { chunksWritten: p.write.length, chunksUnchanged: p.skipped, chunksRemoved: p.remove.length };
    },

    async reconcile(ctx: SyncContext): Promise<DriftReport> {
      const db = ctx.sql.db;
      const desired = await allDesiredChunks(db);
      const stored = await loadStoredHashes(db, 'all');
      const p = plan(desired, stored);
      const missing = p.write.filter((d) => !stored.has(d.id));
      const stale = p.write.filter((d) => stored.has(d.id));
      const report: DriftReport = {
        projector: 'text',
        missing: missing.length,
        stale: stale.length,
        orphaned: p.remove.length,
        repaired: false,
        examples: [
          ...missing.slice(0, 3).map((d) => `missing ${d.id}`),
          ...stale.slice(0, 3).map((d) => `stale ${d.id}`),
          ...p.remove.slice(0, 3).map((r) => `orphaned ${r.id}`),
        ],
      };
      if (!ctx.dryRun && p.write.length + p.remove.length > 0) {
        await execute(ctx.sql, p, ctx);
        report.repaired = true;
      }
      return report;
    },
  };
}
