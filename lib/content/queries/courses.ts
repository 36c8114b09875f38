import { sql } from 'drizzle-orm';
import type { Db } from '../../stores/sql/index.js';
import { isoTime, queryDoc } from './sql-json.js';

export interface CourseSummary {
  slug: string;
  title: string;
  summary: string;
  tags: string[];
  publishedAt: string;
  lessonCount: number;
}

export interface CourseDoc extends CourseSummary {
  body: string;
  version: number;
  lessons: { slug: string; title: string; summary: string; position: number | null }[];
  /** Concepts the course or any of its lessons COVERS, with how many lessons cover each. */
  concepts: { slug: string; title: string; lessons: number }[];
}

/** Every course, newest first, with its lesson count: one query. */
export async function listCourses(args: { db: Db }): Promise<CourseSummary[]> {
  return (
    (await queryDoc<CourseSummary[]>(
      args.db,
      sql`SELECT coalesce(json_agg(json_build_object(
            'slug', c.slug, 'title', c.title, 'summary', c.summary, 'tags', c.tags,
            'publishedAt', ${isoTime(sql`c.published_at`)},
            'lessonCount', (SELECT count(*) FROM content l WHERE l.course_id = c.id)
          ) ORDER BY c.published_at DESC, c.id DESC), '[]'::json) AS doc
          FROM content c WHERE c.kind = 'course'`,
    )) ?? []
  );
}

/** One course with its lessons in order and the concepts it covers: one query. */
export async function getCourse(args: { db: Db; slug: string }): Promise<CourseDoc | null> {
  return queryDoc<CourseDoc>(
    args.db,
    sql`SELECT json_build_object(
          'slug', c.slug, 'title', c.title, 'summary', c.summary, 'body', c.body, 'tags', c.tags,
          'publishedAt', ${isoTime(sql`c.published_at`)}, 'version', c.version,
          'lessonCount', (SELECT count(*) FROM content l WHERE l.course_id = c.id),
          'lessons', coalesce((
            SELECT json_agg(json_build_object('slug', l.slug, 'title', l.title, 'summary', l.summary,
                                              'position', l.position) ORDER BY l.position NULLS LAST, l.title)
            FROM content l WHERE l.course_id = c.id), '[]'::json),
          'concepts', coalesce((
            SELECT json_agg(json_build_object('slug', k.slug, 'title', k.title, 'lessons', x.lessons) ORDER BY k.title)
            FROM (SELECT cc.concept_id, count(*) FILTER (WHERE cc.content_id <> c.id) AS lessons
                  FROM content_concepts cc
                  WHERE cc.relation = 'COVERS'
                    AND (cc.content_id = c.id OR cc.content_id IN (SELECT id FROM content WHERE course_id = c.id))
                  GROUP BY cc.concept_id) x
            JOIN concepts k ON k.id = x.concept_id), '[]'::json)
        ) AS doc
        FROM content c WHERE c.slug = ${args.slug}::text AND c.kind = 'course'`,
  );
}
