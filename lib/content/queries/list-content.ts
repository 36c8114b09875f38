import { type SQL, sql } from 'drizzle-orm';
import type { ContentKind } from '../../../db/schema.js';
import { type Db, queryRows } from '../../stores/sql/index.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { isoTime } from './sql-json.js';

export interface ContentListItem {
  slug: string;
  kind: ContentKind;
  title: string;
  summary: string;
  tags: string[];
  url: string | null;
  publishedAt: string;
  /** Lessons: their course and position. */
  course: { slug: string; title: string } | null;
  position: number | null;
  concepts: string[];
}

export interface ContentPage {
  items: ContentListItem[];
  nextCursor: string | null;
}

/** Newest first, keyset-paginated, filtered by kind, tag and concept: one query. */
export async function listContent(args: {
  db: Db;
  kind?: ContentKind;
  tag?: string;
  concept?: string;
  limit: number;
  cursor?: string;
}): Promise<ContentPage> {
  const where: SQL[] = [sql`TRUE`];
  if (args.kind) where.push(sql`c.kind = ${args.kind}::text`);
  if (args.tag) where.push(sql`c.tags @> ARRAY[${args.tag}::text]`);
  if (args.concept)
    where.push(
      sql`EXISTS (SELECT 1 FROM content_concepts cc JOIN concepts k ON k.id = cc.concept_id
                  WHERE cc.content_id = c.id AND k.slug = ${args.concept}::text)`,
    );
  if (args.cursor) {
    const cur = decodeCursor(args.cursor);
    where.push(sql`(c.published_at, c.id) < (${cur.publishedAt}::timestamptz, ${cur.id}::uuid)`);
  }
  const rows = await queryRows<{ item: ContentListItem | string; cursor_ts: string; id: string }>(
    args.db,
    sql`SELECT c.id::text AS id,
          to_char(c.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts,
          json_build_object(
            'slug', c.slug, 'kind', c.kind, 'title', c.title, 'summary', c.summary, 'tags', c.tags,
            'url', c.url, 'publishedAt', ${isoTime(sql`c.published_at`)},
            'course', (SELECT json_build_object('slug', p.slug, 'title', p.title) FROM content p WHERE p.id = c.course_id),
            'position', c.position,
            'concepts', coalesce((SELECT json_agg(k.slug ORDER BY k.slug) FROM content_concepts cc
                                  JOIN concepts k ON k.id = cc.concept_id WHERE cc.content_id = c.id), '[]'::json)
          ) AS item
        FROM content c
        WHERE ${sql.join(where, sql` AND `)}
        ORDER BY c.published_at DESC, c.id DESC
        LIMIT ${args.limit + 1}`,
  );
  const page = rows.slice(0, args.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => (typeof r.item === 'string' ? JSON.parse(r.item) : r.item) as ContentListItem),
    nextCursor:
      rows.length > args.limit && last ? encodeCursor({ publishedAt: last.cursor_ts, id: last.id }) : null,
  };
}
