import { sql } from 'drizzle-orm';
import type { ContentKind } from '../../../db/schema.js';
import type { Db } from '../../stores/sql/index.js';
import { isoTime, queryDoc } from './sql-json.js';

export interface LessonRef {
  slug: string;
  title: string;
  position: number | null;
}

export interface ContentPageDoc {
  id: string;
  slug: string;
  kind: ContentKind;
  title: string;
  summary: string;
  /** Markdown. */
  body: string;
  tags: string[];
  url: string | null;
  publishedAt: string;
  updatedAt: string;
  /** Send it back as `If-Match: "<version>"` to change or delete this item. */
  version: number;
  concepts: { slug: string; title: string; relation: 'COVERS' | 'MENTIONS' }[];
  /** RELATED_TO in either direction. */
  related: { slug: string; kind: ContentKind; title: string; summary: string }[];
  /** Courses: their lessons in order. */
  lessons?: LessonRef[];
  /** Lessons: their course, its lessons, and the previous and next lesson. */
  navigation?: {
    course: { slug: string; title: string };
    position: number | null;
    lessons: LessonRef[];
    previous: LessonRef | null;
    next: LessonRef | null;
  };
}

const lessonsOf = (courseId: ReturnType<typeof sql>) => sql`coalesce((
  SELECT json_agg(json_build_object('slug', l.slug, 'title', l.title, 'position', l.position)
                  ORDER BY l.position NULLS LAST, l.title)
  FROM content l WHERE l.course_id = ${courseId}), '[]'::json)`;

/** One content item with its concepts, related items and course navigation: one query. */
export async function getContentBySlug(args: { db: Db; slug: string }): Promise<ContentPageDoc | null> {
  const row = await queryDoc<
    Omit<ContentPageDoc, 'navigation' | 'lessons'> & {
      lessons: LessonRef[] | null;
      parent: { slug: string; title: string; lessons: LessonRef[] } | null;
      position: number | null;
    }
  >(
    args.db,
    sql`SELECT json_build_object(
          'id', c.id, 'slug', c.slug, 'kind', c.kind, 'title', c.title, 'summary', c.summary, 'body', c.body,
          'tags', c.tags, 'url', c.url, 'publishedAt', ${isoTime(sql`c.published_at`)},
          'updatedAt', ${isoTime(sql`c.updated_at`)}, 'version', c.version, 'position', c.position,
          'concepts', coalesce((
            SELECT json_agg(json_build_object('slug', k.slug, 'title', k.title, 'relation', cc.relation) ORDER BY k.title)
            FROM content_concepts cc JOIN concepts k ON k.id = cc.concept_id WHERE cc.content_id = c.id), '[]'::json),
          'related', coalesce((
            SELECT json_agg(json_build_object('slug', r.slug, 'kind', r.kind, 'title', r.title, 'summary', r.summary)
                            ORDER BY r.published_at DESC)
            FROM content r
            WHERE r.id IN (SELECT to_id FROM content_related WHERE from_id = c.id
                           UNION SELECT from_id FROM content_related WHERE to_id = c.id)), '[]'::json),
          'lessons', CASE WHEN c.kind = 'course' THEN ${lessonsOf(sql`c.id`)} END,
          'parent', (SELECT json_build_object('slug', p.slug, 'title', p.title, 'lessons', ${lessonsOf(sql`p.id`)})
                     FROM content p WHERE p.id = c.course_id)
        ) AS doc
        FROM content c WHERE c.slug = ${args.slug}::text`,
  );
  if (!row) return null;
  const { lessons, parent, position, ...rest } = row;
  const doc: ContentPageDoc = { ...rest };
  if (lessons) doc.lessons = lessons;
  if (parent) {
    const i = parent.lessons.findIndex((l) => l.slug === row.slug);
    doc.navigation = {
      course: { slug: parent.slug, title: parent.title },
      position,
      lessons: parent.lessons,
      previous: i > 0 ? (parent.lessons[i - 1] ?? null) : null,
      next: i >= 0 ? (parent.lessons[i + 1] ?? null) : null,
    };
  }
  return doc;
}
