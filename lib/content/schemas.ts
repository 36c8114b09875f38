import * as z from 'zod';
import { CONTENT_KINDS, type ContentKind } from '../../db/enums.js';
import { slugSchema } from './slug.js';

/**
 * The shapes the write path accepts, shared by the admin API and the importer. Objects are strict so
 * unknown fields are refused; references to other entities are slugs.
 */

export { slugSchema };

const dateTime = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).transform((v) => {
  const d = new Date(v);
  return d.toISOString();
});

const contentFields = {
  slug: slugSchema,
  kind: z.enum(CONTENT_KINDS),
  title: z.string().trim().min(1).max(300),
  summary: z.string().max(4000),
  /** Markdown. */
  body: z.string().max(200_000),
  tags: z.array(z.string().trim().min(1).max(60)).max(40),
  url: z.url().max(2000).nullable(),
  /** Lessons: the slug of their course. */
  course: slugSchema.nullable(),
  position: z.int().min(0).max(100_000).nullable(),
  publishedAt: dateTime,
  /** Concept slugs: COVERS for courses and lessons, MENTIONS for everything else. */
  concepts: z.array(slugSchema).max(200),
  /** Content slugs this item is RELATED_TO. */
  related: z.array(slugSchema).max(200),
};

/** POST /api/admin/content and each imported content record. */
export const contentCreateSchema = z
  .object({
    slug: contentFields.slug,
    kind: contentFields.kind,
    title: contentFields.title,
    summary: contentFields.summary.optional(),
    body: contentFields.body.optional(),
    tags: contentFields.tags.optional(),
    url: contentFields.url.optional(),
    course: contentFields.course.optional(),
    position: contentFields.position.optional(),
    publishedAt: contentFields.publishedAt.optional(),
    concepts: contentFields.concepts.optional(),
    related: contentFields.related.optional(),
  })
  .strict();

/** PATCH /api/admin/content: any subset of the fields; lists given replace the stored ones. */
export const contentPatchSchema = z
  .object(contentFields)
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'send at least one field to change');

export type ContentCreate = z.infer<typeof contentCreateSchema>;
export type ContentPatch = z.infer<typeof contentPatchSchema>;

/** A content item as the write path stores it, references as slugs. */
export interface ContentDoc {
  slug: string;
  kind: ContentKind;
  title: string;
  summary: string;
  body: string;
  tags: string[];
  url: string | null;
  course: string | null;
  position: number | null;
  /** ISO timestamp; absent means "now" on create and "unchanged" on update. */
  publishedAt?: string;
  concepts: string[];
  related: string[];
}

export function toContentDoc(input: ContentCreate): ContentDoc {
  return {
    slug: input.slug,
    kind: input.kind,
    title: input.title,
    summary: input.summary ?? '',
    body: input.body ?? '',
    tags: input.tags ?? [],
    url: input.url ?? null,
    course: input.course ?? null,
    position: input.position ?? null,
    ...(input.publishedAt ? { publishedAt: input.publishedAt } : {}),
    concepts: unique(input.concepts ?? []),
    related: unique(input.related ?? []).filter((s) => s !== input.slug),
  };
}

export const prerequisiteSchema = z
  .object({ slug: slugSchema, reason: z.string().max(2000).nullable().optional() })
  .strict();

const conceptFields = {
  slug: slugSchema,
  title: z.string().trim().min(1).max(300),
  summary: z.string().max(8000),
  goals: z.array(z.string().max(1000)).max(50),
  /** Concepts this one REQUIRES, each with why. */
  prerequisites: z.array(prerequisiteSchema).max(200),
};

/** POST /api/admin/concepts and each imported concept. */
export const conceptCreateSchema = z
  .object({
    slug: conceptFields.slug,
    title: conceptFields.title,
    summary: conceptFields.summary.optional(),
    goals: conceptFields.goals.optional(),
    prerequisites: conceptFields.prerequisites.optional(),
  })
  .strict();

export const conceptPatchSchema = z
  .object(conceptFields)
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'send at least one field to change');

export type ConceptCreate = z.infer<typeof conceptCreateSchema>;
export type ConceptPatch = z.infer<typeof conceptPatchSchema>;

export interface Prerequisite {
  slug: string;
  reason: string | null;
}

export interface ConceptDoc {
  slug: string;
  title: string;
  summary: string;
  goals: string[];
  prerequisites: Prerequisite[];
}

export function toConceptDoc(input: ConceptCreate): ConceptDoc {
  const seen = new Set<string>();
  const prerequisites: Prerequisite[] = [];
  for (const p of input.prerequisites ?? []) {
    if (p.slug === input.slug || seen.has(p.slug)) continue;
    seen.add(p.slug);
    prerequisites.push({ slug: p.slug, reason: p.reason ?? null });
  }
  return {
    slug: input.slug,
    title: input.title,
    summary: input.summary ?? '',
    goals: input.goals ?? [],
    prerequisites,
  };
}

export const RELATION_TYPES = ['REQUIRES', 'COVERS', 'MENTIONS', 'RELATED_TO'] as const;
export type RelationType = (typeof RELATION_TYPES)[number];

/** POST /api/admin/relations: REQUIRES concept->concept, COVERS/MENTIONS content->concept, RELATED_TO content->content. */
export const relationSchema = z
  .object({
    type: z.enum(RELATION_TYPES),
    from: slugSchema,
    to: slugSchema,
    /** Only for REQUIRES: why `from` needs `to`. */
    reason: z.string().max(2000).optional(),
  })
  .strict()
  .refine((r) => r.from !== r.to || r.type === 'COVERS' || r.type === 'MENTIONS', {
    message: 'a relation cannot point at itself',
    path: ['to'],
  })
  .refine((r) => r.reason === undefined || r.type === 'REQUIRES', {
    message: 'only REQUIRES relations carry a reason',
    path: ['reason'],
  });

export type RelationInput = z.infer<typeof relationSchema>;

export function conceptRelationFor(kind: ContentKind): 'COVERS' | 'MENTIONS' {
  return kind === 'course' || kind === 'lesson' ? 'COVERS' : 'MENTIONS';
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
