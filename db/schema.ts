import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import {
  CONTENT_CONCEPT_RELATIONS,
  CONTENT_KINDS,
  OUTBOX_ENTITIES,
  OUTBOX_STATUSES,
  ROLES,
} from './enums.js';

export * from './enums.js';

/**
 * The relational schema: the source of truth. Vectors (pgvector tables or Pinecone) and the graph
 * (Neo4j or the graph_* tables below) are projections rebuilt from these tables.
 * The pgvector table is created by the pgvector adapter, since its dimension is the embedding model's
 * (see lib/stores/vector/pgvector.ts).
 */

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Stored lowercased; unique. */
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ROLES }).notNull().default('member'),
    ...timestamps,
  },
  (t) => [uniqueIndex('users_email_key').on(t.email)],
);

export const content = pgTable(
  'content',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    slug: text('slug').notNull(),
    kind: text('kind', { enum: CONTENT_KINDS }).notNull(),
    title: text('title').notNull(),
    summary: text('summary').notNull().default(''),
    /** Markdown body. */
    body: text('body').notNull().default(''),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    /** External link (a project's repository, say). */
    url: text('url'),
    /** Lessons: the course they are PART_OF, and their position in it. */
    courseId: uuid('course_id'),
    position: integer('position'),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
    /** Optimistic concurrency: bumped by every write, checked with If-Match. */
    version: integer('version').notNull().default(1),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('content_slug_key').on(t.slug),
    index('content_kind_published_idx').on(t.kind, t.publishedAt.desc(), t.id),
    index('content_published_idx').on(t.publishedAt.desc(), t.id),
    index('content_course_idx').on(t.courseId, t.position),
    index('content_tags_idx').using('gin', t.tags),
  ],
);

export const concepts = pgTable(
  'concepts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    slug: text('slug').notNull(),
    title: text('title').notNull(),
    summary: text('summary').notNull().default(''),
    goals: jsonb('goals').$type<string[]>().notNull().default([]),
    version: integer('version').notNull().default(1),
    ...timestamps,
  },
  (t) => [uniqueIndex('concepts_slug_key').on(t.slug)],
);

/** Concept REQUIRES concept (a prerequisite), with an optional reason. */
export const conceptPrerequisites = pgTable(
  'concept_prerequisites',
  {
    conceptId: uuid('concept_id')
      .notNull()
      .references(() => concepts.id, { onDelete: 'cascade' }),
    requiresId: uuid('requires_id')
      .notNull()
      .references(() => concepts.id, { onDelete: 'cascade' }),
    reason: text('reason'),
    createdAt: timestamps.createdAt,
  },
  (t) => [
    primaryKey({ columns: [t.conceptId, t.requiresId] }),
    index('concept_prereq_requires_idx').on(t.requiresId),
    check('concept_prereq_not_self', sql`${t.conceptId} <> ${t.requiresId}`),
  ],
);

/** Course/lesson COVERS concept; other content MENTIONS concept. */
export const contentConcepts = pgTable(
  'content_concepts',
  {
    contentId: uuid('content_id')
      .notNull()
      .references(() => content.id, { onDelete: 'cascade' }),
    conceptId: uuid('concept_id')
      .notNull()
      .references(() => concepts.id, { onDelete: 'cascade' }),
    relation: text('relation', { enum: CONTENT_CONCEPT_RELATIONS }).notNull(),
    createdAt: timestamps.createdAt,
  },
  (t) => [
    primaryKey({ columns: [t.contentId, t.conceptId] }),
    index('content_concepts_concept_idx').on(t.conceptId),
  ],
);

/** Content RELATED_TO content (stored once per direction the author gave). */
export const contentRelated = pgTable(
  'content_related',
  {
    fromId: uuid('from_id')
      .notNull()
      .references(() => content.id, { onDelete: 'cascade' }),
    toId: uuid('to_id')
      .notNull()
      .references(() => content.id, { onDelete: 'cascade' }),
    createdAt: timestamps.createdAt,
  },
  (t) => [
    primaryKey({ columns: [t.fromId, t.toId] }),
    index('content_related_to_idx').on(t.toId),
    check('content_related_not_self', sql`${t.fromId} <> ${t.toId}`),
  ],
);

/** Concept RELATED_TO concept ("see also"). */
export const conceptRelated = pgTable(
  'concept_related',
  {
    fromId: uuid('from_id')
      .notNull()
      .references(() => concepts.id, { onDelete: 'cascade' }),
    toId: uuid('to_id')
      .notNull()
      .references(() => concepts.id, { onDelete: 'cascade' }),
    createdAt: timestamps.createdAt,
  },
  (t) => [
    primaryKey({ columns: [t.fromId, t.toId] }),
    index('concept_related_to_idx').on(t.toId),
    check('concept_related_not_self', sql`${t.fromId} <> ${t.toId}`),
  ],
);

/**
 * Search documents: the chunks of content items and concepts, written by the sync job's text projector
 * from SQL alone. Id is `<contentId|conceptId>:<position>`, the same id the vector store uses. Position 0
 * is an item's lead chunk (title, summary, tags and the prose before the first heading), so every item
 * is findable whatever its body; a concept is one chunk (title, summary, learning goals).
 * `tsv` holds the fields with their own weight labels (A title, B heading path, C summary and tags,
 * D text), which the fielded BM25 in lib/search/lexical.ts weighs separately. `embedded_hash` is the
 * vector projector's progress: the hash it last embedded, so a chunk is embedded only when it changed.
 */
export const chunks = pgTable(
  'chunks',
  {
    id: text('id').primaryKey(),
    contentId: uuid('content_id').references(() => content.id, { onDelete: 'cascade' }),
    conceptId: uuid('concept_id').references(() => concepts.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    /** The item's title (every chunk of it carries it as a field). */
    title: text('title').notNull().default(''),
    /** Heading path, e.g. "Indexes > Partial indexes". */
    heading: text('heading').notNull().default(''),
    /** The item's summary (lead chunk only). */
    summary: text('summary').notNull().default(''),
    /** The item's tags, space-separated (lead chunk only). */
    tags: text('tags').notNull().default(''),
    /** Plain text of the chunk (Markdown parsed; code kept as fenced code). */
    text: text('text').notNull(),
    /** SHA-256 of what is embedded plus the result metadata: unchanged hash, no re-embed. */
    hash: text('hash').notNull(),
    /** The hash the vector projector last embedded (null: not yet). */
    embeddedHash: text('embedded_hash'),
    tokenCount: integer('token_count').notNull().default(0),
    /**
     * Length in index terms (stemmed, stop words out) over all fields: BM25's document length.
     * `tsvector_token_count` is an immutable SQL function created by the migration.
     */
    dl: integer('dl').generatedAlwaysAs(
      sql`tsvector_token_count(to_tsvector('english', title || ' ' || heading || ' ' || summary || ' ' || tags || ' ' || text))`,
    ),
    tsv: tsvector('tsv').generatedAlwaysAs(
      sql`setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', heading), 'B') || setweight(to_tsvector('english', summary || ' ' || tags), 'C') || setweight(to_tsvector('english', text), 'D')`,
    ),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('chunks_content_position_key').on(t.contentId, t.position),
    uniqueIndex('chunks_concept_position_key').on(t.conceptId, t.position),
    index('chunks_tsv_idx').using('gin', t.tsv),
    index('chunks_unembedded_idx').on(t.id).where(sql`embedded_hash IS DISTINCT FROM hash`),
    check('chunks_one_owner', sql`(${t.contentId} IS NULL) <> (${t.conceptId} IS NULL)`),
  ],
);

/**
 * Corpus statistics of `chunks` for BM25, kept by statement-level triggers (migration 0003) so a query
 * reads them instead of scanning: one row with the chunk count and the sum of `dl`.
 */
export const chunkStats = pgTable(
  'chunk_stats',
  {
    id: boolean('id').primaryKey().default(true),
    n: bigint('n', { mode: 'number' }).notNull().default(0),
    totalDl: bigint('total_dl', { mode: 'number' }).notNull().default(0),
  },
  (t) => [check('chunk_stats_one_row', sql`${t.id}`)],
);

/**
 * The postings of `chunks.tsv` (an inverted index the fielded BM25 reads by lexeme), kept by the same
 * triggers: per lexeme and chunk, its occurrences under each weight label and the chunk's `dl`, so a
 * query sums over the postings of its terms instead of testing every candidate's tsvector per term.
 */
export const chunkTerms = pgTable(
  'chunk_terms',
  {
    lexeme: text('lexeme').notNull(),
    chunkId: text('chunk_id').notNull(),
    /** Occurrences labelled A (title), B (headings), C (summary, tags), D (body). */
    a: integer('a').notNull(),
    b: integer('b').notNull(),
    c: integer('c').notNull(),
    d: integer('d').notNull(),
    dl: integer('dl').notNull(),
  },
  // Covering: a query reads a term's postings from the index alone (once vacuumed), not from the heap.
  (t) => [
    index('chunk_terms_lexeme_idx').on(t.lexeme, t.chunkId, t.a, t.b, t.c, t.d, t.dl),
    index('chunk_terms_chunk_idx').on(t.chunkId),
  ],
);

/**
 * Document frequencies of the lexemes in `chunk_terms` (how many chunks hold each), kept by the same
 * triggers, so a query reads one row per term for its IDF instead of counting the term's postings. A
 * lexeme whose chunks are all gone keeps a row with `n = 0` (the same IDF as no row).
 */
export const termDf = pgTable('term_df', {
  lexeme: text('lexeme').primaryKey(),
  n: bigint('n', { mode: 'number' }).notNull(),
});

/**
 * Chunk ids the text projector removed whose vectors the vector projector has not deleted yet: its
 * queue of deletions, so a shrinking document never leaves stale vectors behind.
 */
export const chunkTombstones = pgTable('chunk_tombstones', {
  id: text('id').primaryKey(),
  /** The content or concept the chunk belonged to. */
  ownerId: text('owner_id').notNull(),
  createdAt: timestamps.createdAt,
});

/** Embedded graph store: nodes keyed by label and natural key (a slug). */
export const graphNodes = pgTable(
  'graph_nodes',
  {
    label: text('label').notNull(),
    key: text('key').notNull(),
    props: jsonb('props').$type<Record<string, unknown>>().notNull().default({}),
    updatedAt: timestamps.updatedAt,
  },
  (t) => [primaryKey({ columns: [t.label, t.key] })],
);

/** Embedded graph store: typed, directed edges between nodes. */
export const graphEdges = pgTable(
  'graph_edges',
  {
    type: text('type').notNull(),
    fromLabel: text('from_label').notNull(),
    fromKey: text('from_key').notNull(),
    toLabel: text('to_label').notNull(),
    toKey: text('to_key').notNull(),
    props: jsonb('props').$type<Record<string, unknown>>().notNull().default({}),
    updatedAt: timestamps.updatedAt,
  },
  (t) => [
    primaryKey({ columns: [t.fromLabel, t.fromKey, t.type, t.toLabel, t.toKey] }),
    index('graph_edges_to_idx').on(t.toLabel, t.toKey, t.type),
  ],
);

export const conversations = pgTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    /** A user id, or `anon:<id>` for a visitor with a signed anonymous cookie. */
    ownerId: text('owner_id').notNull(),
    title: text('title').notNull().default(''),
    ...timestamps,
  },
  (t) => [index('conversations_owner_idx').on(t.ownerId, t.updatedAt.desc())],
);

/** Chat messages as the AI SDK's UIMessage: `parts` is the JSON array of message parts. */
export const messages = pgTable(
  'messages',
  {
    id: text('id').primaryKey(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    role: text('role', { enum: ['system', 'user', 'assistant'] }).notNull(),
    parts: jsonb('parts').$type<unknown[]>().notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>(),
    createdAt: timestamps.createdAt,
  },
  (t) => [uniqueIndex('messages_conversation_seq_key').on(t.conversationId, t.seq)],
);

/**
 * Written in the same transaction as the domain rows; the sync job projects each row into the vector
 * and graph stores. `leaseUntil` is set while a worker holds the row.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    entity: text('entity', { enum: OUTBOX_ENTITIES }).notNull(),
    entityId: text('entity_id').notNull(),
    op: text('op', { enum: ['upsert', 'delete'] }).notNull(),
    version: integer('version').notNull(),
    /**
     * The projection this row is for (`text`, `vectors`, `graph`), or null for a domain event as a
     * write recorded it: the sync engine fans each such event out into one row per projector, so every
     * projection claims, fails, backs off and dead-letters on its own.
     */
    projector: text('projector'),
    status: text('status', { enum: OUTBOX_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    availableAt: timestamp('available_at', { withTimezone: true }).notNull().defaultNow(),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: timestamps.createdAt,
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (t) => [
    index('outbox_pending_idx').on(t.availableAt, t.id).where(sql`status = 'pending'`),
    index('outbox_status_idx').on(t.status),
  ],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** User id of the actor, or a CLI name such as `cli:import`. */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: text('entity_id').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('audit_entity_idx').on(t.entity, t.entityId)],
);

/** Small durable app state: index identity, job leases, site config backups. */
export const appState = pgTable('app_state', {
  key: text('key').primaryKey(),
  value: jsonb('value').$type<unknown>().notNull(),
  leaseUntil: timestamp('lease_until', { withTimezone: true }),
  updatedAt: timestamps.updatedAt,
});

export type User = typeof users.$inferSelect;
export type Content = typeof content.$inferSelect;
export type NewContent = typeof content.$inferInsert;
export type Concept = typeof concepts.$inferSelect;
export type Chunk = typeof chunks.$inferSelect;
export type Conversation = typeof conversations.$inferSelect;
export type Message = typeof messages.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;
