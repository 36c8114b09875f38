import { sql } from 'drizzle-orm';
import type { FieldIssue } from '../http/errors.js';
import { type Db, queryRows } from '../stores/sql/index.js';
import { textList } from './sql-util.js';

/**
 * Checks that referenced slugs exist, in one query, before an admin write: the API refuses dangling
 * references (400 with the field paths) where the importer reports and drops them.
 */
export async function findMissingRefs(args: {
  db: Db;
  concepts?: { path: string; slugs: readonly string[] };
  content?: { path: string; slugs: readonly string[] };
  course?: { path: string; slug: string };
}): Promise<FieldIssue[]> {
  const concepts = args.concepts?.slugs ?? [];
  const content = args.content?.slugs ?? [];
  const course = args.course ? [args.course.slug] : [];
  if (concepts.length + content.length + course.length === 0) return [];
  const rows = await queryRows<{ kind: string; slug: string }>(
    args.db,
    sql`SELECT 'concept' AS kind, s AS slug FROM ${textList(concepts)} AS t(s)
          WHERE NOT EXISTS (SELECT 1 FROM concepts k WHERE k.slug = t.s)
        UNION ALL
        SELECT 'content', s FROM ${textList(content)} AS t(s)
          WHERE NOT EXISTS (SELECT 1 FROM content c WHERE c.slug = t.s)
        UNION ALL
        SELECT 'course', s FROM ${textList(course)} AS t(s)
          WHERE NOT EXISTS (SELECT 1 FROM content c WHERE c.slug = t.s AND c.kind = 'course')`,
  );
  return rows.map((r) => {
    if (r.kind === 'course' && args.course)
      return { path: args.course.path, message: `no course "${r.slug}"` };
    const ref = r.kind === 'concept' ? args.concepts : args.content;
    const index = ref?.slugs.indexOf(r.slug) ?? -1;
    return { path: `${ref?.path ?? r.kind}.${index}`, message: `no ${r.kind} "${r.slug}"` };
  });
}
