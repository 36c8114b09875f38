import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConcept, listConcepts } from '../../lib/content/queries/concepts.js';
import { getCourse, listCourses } from '../../lib/content/queries/courses.js';
import { getContentBySlug } from '../../lib/content/queries/get-content.js';
import { listContent } from '../../lib/content/queries/list-content.js';
import { seedSampleContent } from '../../lib/content/seed.js';
import type { SqlStore } from '../../lib/stores/sql/index.js';
import { sqlTargets } from '../helpers/sql.js';

for (const target of sqlTargets()) {
  describe.skipIf(Boolean(target.skip))(`read queries on ${target.name}`, () => {
    let store: SqlStore;
    beforeAll(async () => {
      store = await target.create();
      const report = await seedSampleContent({ sql: store });
      expect(report.problems).toEqual([]);
    });
    afterAll(() => store?.close());

    it('happy: keyset pages cover every item once, newest first, with ISO timestamps', async () => {
      const slugs: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await listContent({ db: store.db, limit: 7, ...(cursor ? { cursor } : {}) });
        slugs.push(...page.items.map((x) => x.slug));
        for (const item of page.items)
          expect(item.publishedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(new Set(slugs).size).toBe(27);
      expect(slugs).toHaveLength(27);
    });

    it('happy: item, course and concept documents aggregate their relations', async () => {
      const lesson = await getContentBySlug({ db: store.db, slug: 'ranking-with-bm25' });
      expect(lesson?.navigation?.previous?.slug).toBe('building-an-inverted-index');
      const course = await getCourse({ db: store.db, slug: 'postgres-for-application-developers' });
      expect(course?.lessons).toHaveLength(6);
      expect((await listCourses({ db: store.db })).length).toBe(2);
      expect((await listConcepts({ db: store.db })).length).toBe(41);
      const concept = await getConcept({ db: store.db, slug: 'tokenization' });
      expect(concept?.content.length).toBeGreaterThan(0);
      expect(await getContentBySlug({ db: store.db, slug: 'missing' })).toBeNull();
    });
  });
}
