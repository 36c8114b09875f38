import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import { toStorable, toStorableString } from '../storable-text.js';
import { atomic, type Db, queryRows, type SqlStore, schema } from '../stores/sql/index.js';

/**
 * Conversations and their messages (UIMessage parts as JSON). Message rows are keyed
 * `<conversationId>/<messageId>`: message ids come from clients, so they are only unique within a
 * conversation; the API shows the client's id.
 */

export interface StoredMessage {
  id: string;
  role: 'user' | 'assistant' | 'system';
  parts: unknown[];
  metadata?: Record<string, unknown>;
}

export interface ConversationSummary {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
}

/** The owner of a conversation, or null when it does not exist. */
export async function getConversationOwner({ db, id }: { db: Db; id: string }): Promise<string | null> {
  const rows = await db
    .select({ ownerId: schema.conversations.ownerId })
    .from(schema.conversations)
    .where(eq(schema.conversations.id, id))
    .limit(1);
  return rows[0]?.ownerId ?? null;
}

/**
 * Saves a conversation's full message list in one transaction (one batch on Neon HTTP): the
 * conversation row is created or touched, then its messages are replaced, so a regenerated answer
 * replaces the old one. Every statement is guarded by the owner, so a conversation id owned by someone
 * else is never written. Returns false when the owner did not match.
 * Text is made storable first (NUL and lone surrogates become U+FFFD): a model's answer or a retrieved
 * passage may carry them, and one such character must not cost the whole turn.
 */
export async function saveConversation({
  store,
  id,
  ownerId,
  title,
  messages,
  now = new Date(),
}: {
  store: SqlStore;
  id: string;
  ownerId: string;
  title: string;
  messages: readonly StoredMessage[];
  now?: Date;
}): Promise<boolean> {
  const rows = messages.map((m, seq) => ({
    id: `${id}/${m.id}`,
    seq,
    role: m.role,
    parts: toStorable(m.parts),
    metadata: m.metadata ? toStorable(m.metadata) : null,
  }));
  // Cut first, then clean: a cut can split a surrogate pair.
  const storableTitle = toStorableString(title.slice(0, 200));
  const at = now.toISOString();
  const owned = sql`exists (select 1 from conversations c where c.id = ${id} and c.owner_id = ${ownerId})`;
  const [upserted] = await atomic(store, (q) => [
    q.execute(sql`
      insert into conversations (id, owner_id, title, created_at, updated_at)
      values (${id}, ${ownerId}, ${storableTitle}, ${at}::timestamptz, ${at}::timestamptz)
      on conflict (id) do update set updated_at = excluded.updated_at
      where conversations.owner_id = excluded.owner_id
      returning id`),
    q.execute(sql`delete from messages where conversation_id = ${id} and ${owned}`),
    q.execute(sql`
      insert into messages (id, conversation_id, seq, role, parts, metadata, created_at)
      select m.id, ${id}, m.seq, m.role, m.parts, m.metadata, ${at}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as m(id text, seq int, role text, parts jsonb, metadata jsonb)
      where ${owned}`),
  ]);
  return rowCount(upserted) > 0;
}

/** The caller's conversations, most recently updated first; `cursor` is the last item's cursor. */
export async function listConversations({
  db,
  ownerId,
  limit,
  cursor,
}: {
  db: Db;
  ownerId: string;
  limit: number;
  cursor?: { updatedAt: Date; id: string };
}): Promise<{ items: ConversationSummary[]; nextCursor: string | null }> {
  const c = schema.conversations;
  const after = cursor
    ? or(lt(c.updatedAt, cursor.updatedAt), and(eq(c.updatedAt, cursor.updatedAt), lt(c.id, cursor.id)))
    : undefined;
  const rows = await db
    .select({ id: c.id, title: c.title, createdAt: c.createdAt, updatedAt: c.updatedAt })
    .from(c)
    .where(and(eq(c.ownerId, ownerId), after))
    .orderBy(desc(c.updatedAt), desc(c.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: r.id,
      title: r.title,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    })),
    nextCursor: rows.length > limit && last ? encodeCursor({ updatedAt: last.updatedAt, id: last.id }) : null,
  };
}

/** One conversation with its messages, or null when it does not exist or belongs to someone else. */
export async function getConversation({
  db,
  id,
  ownerId,
}: {
  db: Db;
  id: string;
  ownerId: string;
}): Promise<(ConversationSummary & { messages: StoredMessage[] }) | null> {
  const rows = await queryRows<{
    id: string;
    title: string;
    created_at: string | Date;
    updated_at: string | Date;
    messages: StoredMessage[] | string | null;
  }>(
    db,
    sql`
      select c.id, c.title, c.created_at, c.updated_at,
        coalesce((
          select jsonb_agg(jsonb_build_object(
            'id', substr(m.id, length(c.id) + 2), 'role', m.role, 'parts', m.parts, 'metadata', m.metadata
          ) order by m.seq)
          from messages m where m.conversation_id = c.id
        ), '[]'::jsonb) as messages
      from conversations c
      where c.id = ${id} and c.owner_id = ${ownerId}`,
  );
  const row = rows[0];
  if (!row) return null;
  const messages = (
    typeof row.messages === 'string' ? JSON.parse(row.messages) : (row.messages ?? [])
  ) as StoredMessage[];
  return {
    id: row.id,
    title: row.title,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    messages: messages.map((m) => (m.metadata == null ? { id: m.id, role: m.role, parts: m.parts } : m)),
  };
}

export function encodeCursor(c: { updatedAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([c.updatedAt.toISOString(), c.id])).toString('base64url');
}

/** The cursor's position, or null when it is not one of ours. */
export function decodeCursor(value: string): { updatedAt: Date; id: string } | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') return null;
    const updatedAt = new Date(parsed[0]);
    return Number.isNaN(updatedAt.getTime()) ? null : { updatedAt, id: parsed[1] };
  } catch {
    return null;
  }
}

function rowCount(result: unknown): number {
  if (Array.isArray(result)) return result.length;
  const r = result as { rows?: unknown[]; rowCount?: number | null; affectedRows?: number };
  return r.rows?.length ?? r.rowCount ?? r.affectedRows ?? 0;
}
