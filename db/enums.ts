/**
 * The schema's value sets, apart from the Drizzle tables so request validation (zod schemas) can use
 * them without loading Drizzle at import. db/schema.ts re-exports them.
 */

export const CONTENT_KINDS = ['project', 'post', 'course', 'lesson', 'page'] as const;
export type ContentKind = (typeof CONTENT_KINDS)[number];
/** What a search document is: a content item of some kind, or a concept. */
export const DOCUMENT_KINDS = [...CONTENT_KINDS, 'concept'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];
export const ROLES = ['member', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const CONTENT_CONCEPT_RELATIONS = ['COVERS', 'MENTIONS'] as const;
export type ContentConceptRelation = (typeof CONTENT_CONCEPT_RELATIONS)[number];

export const OUTBOX_STATUSES = ['pending', 'done', 'dead'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];
export const OUTBOX_ENTITIES = ['content', 'concept'] as const;
export type OutboxEntity = (typeof OUTBOX_ENTITIES)[number];
