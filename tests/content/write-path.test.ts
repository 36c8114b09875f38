import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConcept, deleteConcept, updateConcept } from '../../lib/content/concept-writes.js';
import { createContent, deleteContent, updateContent } from '../../lib/content/content-writes.js';
import { addRelation, removeRelation } from '../../lib/content/relation-writes.js';
import { toConceptDoc, toContentDoc } from '../../lib/content/schemas.js';
import { ApiError } from '../../lib/http/errors.js';
import { queryRows, type SqlStore } from '../../lib/stores/sql/index.js';
import { sqlTargets } from '../helpers/sql.js';

const actor = 'test:writer';

for (const target of sqlTargets()) {
  describe.skipIf(Boolean(target.skip))(`write path on ${target.name}`, () => {
    let store: SqlStore;
    beforeAll(async () => {
      store = await target.create();
    });
    afterAll(() => store?.close());

    const outbox = () =>
      queryRows<{ entity: string; entity_id: string; op: string; version: number }>(
        store.db,
        sql`SELECT entity, entity_id, op, version FROM outbox ORDER BY id`,
      );
    const audit = () =>
      queryRows<{ actor: string; action: string; entity_id: string }>(
        store.db,
        sql`SELECT actor, action, entity_id FROM audit_log ORDER BY id`,
      );

    it('happy: creating concepts and content writes the rows, one outbox row and one audit row each', async () => {
      const a = await createConcept({
        sql: store,
        actor,
        doc: toConceptDoc({ slug: 'sets', title: 'Sets', goals: ['know sets'] }),
      });
      const b = await createConcept({
        sql: store,
        actor,
        doc: toConceptDoc({
          slug: 'functions',
          title: 'Functions',
          prerequisites: [{ slug: 'sets', reason: 'functions map sets' }, { slug: 'missing' }],
        }),
      });
      expect(a.version).toBe(1);
      const course = await createContent({
        sql: store,
        actor,
        doc: toContentDoc({
          slug: 'math-101',
          kind: 'course',
          title: 'Math',
          concepts: ['sets', 'functions'],
        }),
      });
      const lesson = await createContent({
        sql: store,
        actor,
        doc: toContentDoc({
          slug: 'lesson-1',
          kind: 'lesson',
          title: 'Lesson 1',
          course: 'math-101',
          position: 1,
          concepts: ['sets'],
          related: ['math-101'],
          publishedAt: '2024-01-02T00:00:00.000Z',
        }),
      });
      const prereqs = await queryRows<{ reason: string }>(
        store.db,
        sql`SELECT reason FROM concept_prerequisites WHERE concept_id = ${b.id}::uuid`,
      );
      expect(prereqs).toEqual([{ reason: 'functions map sets' }]);
      const links = await queryRows<{ relation: string }>(
        store.db,
        sql`SELECT relation FROM content_concepts WHERE content_id = ${course.id}::uuid`,
      );
      expect(links.map((l) => l.relation)).toEqual(['COVERS', 'COVERS']);
      const row = await queryRows<{ course_id: string; position: number }>(
        store.db,
        sql`SELECT course_id::text, position FROM content WHERE id = ${lesson.id}::uuid`,
      );
      expect(row[0]).toEqual({ course_id: course.id, position: 1 });
      expect(await outbox()).toEqual([
        { entity: 'concept', entity_id: a.id, op: 'upsert', version: 1 },
        { entity: 'concept', entity_id: b.id, op: 'upsert', version: 1 },
        { entity: 'content', entity_id: course.id, op: 'upsert', version: 1 },
        { entity: 'content', entity_id: lesson.id, op: 'upsert', version: 1 },
      ]);
      expect((await audit()).map((r) => r.action)).toEqual([
        'concept.create',
        'concept.create',
        'content.create',
        'content.create',
      ]);
    });

    it('error: creating a slug that exists is a conflict and writes nothing', async () => {
      const before = (await outbox()).length;
      await expect(
        createContent({
          sql: store,
          actor,
          doc: toContentDoc({ slug: 'math-101', kind: 'post', title: 'X' }),
        }),
      ).rejects.toMatchObject({ code: 'conflict' });
      expect((await outbox()).length).toBe(before);
    });

    it('happy: an update with the current version bumps it and replaces lists; a stale version is 409', async () => {
      const updated = await updateContent({
        sql: store,
        actor,
        target: { slug: 'lesson-1' },
        expectedVersion: 1,
        patch: { title: 'Lesson one', concepts: ['functions'], kind: 'lesson' },
      });
      expect(updated.version).toBe(2);
      const concepts = await queryRows<{ slug: string; relation: string }>(
        store.db,
        sql`SELECT k.slug, cc.relation FROM content_concepts cc JOIN concepts k ON k.id = cc.concept_id
            WHERE cc.content_id = ${updated.id}::uuid`,
      );
      expect(concepts).toEqual([{ slug: 'functions', relation: 'COVERS' }]);
      const before = (await outbox()).length;
      const stale = updateContent({
        sql: store,
        actor,
        target: { slug: 'lesson-1' },
        expectedVersion: 1,
        patch: { title: 'Lost update' },
      });
      await expect(stale).rejects.toBeInstanceOf(ApiError);
      await expect(stale).rejects.toMatchObject({ code: 'conflict' });
      expect((await outbox()).length).toBe(before);
      const missing = updateContent({
        sql: store,
        actor,
        target: { slug: 'nope' },
        expectedVersion: 1,
        patch: { title: 'x' },
      });
      await expect(missing).rejects.toMatchObject({ code: 'not_found' });
    });

    it('happy: renaming a course enqueues its lessons too', async () => {
      const before = (await outbox()).length;
      const renamed = await updateContent({
        sql: store,
        actor,
        target: { slug: 'math-101' },
        expectedVersion: 1,
        patch: { slug: 'math-one' },
      });
      const rows = (await outbox()).slice(before);
      expect(rows.map((r) => [r.entity, r.op])).toEqual([
        ['content', 'upsert'],
        ['content', 'upsert'],
      ]);
      expect(rows[0]?.entity_id).toBe(renamed.id);
    });

    it('happy: concept updates replace prerequisites; renaming enqueues the content that covers it', async () => {
      const before = (await outbox()).length;
      const c = await updateConcept({
        sql: store,
        actor,
        target: { slug: 'functions' },
        expectedVersion: 1,
        patch: { slug: 'maps', prerequisites: [] },
      });
      expect(c).toMatchObject({ slug: 'maps', version: 2 });
      const rows = (await outbox()).slice(before);
      expect(rows.map((r) => r.entity)).toEqual(['concept', 'content', 'content']);
      const prereqs = await queryRows(store.db, sql`SELECT 1 FROM concept_prerequisites`);
      expect(prereqs).toHaveLength(0);
    });

    it('happy: relations add once, are idempotent, and remove; each change bumps the owner', async () => {
      const add = await addRelation({
        sql: store,
        actor,
        relation: { type: 'REQUIRES', from: 'maps', to: 'sets', reason: 'why' },
      });
      expect(add).toMatchObject({ changed: true, entity: 'concept', version: 3 });
      const again = await addRelation({
        sql: store,
        actor,
        relation: { type: 'REQUIRES', from: 'maps', to: 'sets', reason: 'why' },
      });
      expect(again).toMatchObject({ changed: false, version: 3 });
      const removed = await removeRelation({
        sql: store,
        actor,
        relation: { type: 'REQUIRES', from: 'maps', to: 'sets' },
      });
      expect(removed).toMatchObject({ changed: true, version: 4 });
      await expect(
        addRelation({ sql: store, actor, relation: { type: 'RELATED_TO', from: 'lesson-1', to: 'ghost' } }),
      ).rejects.toMatchObject({ code: 'not_found' });
      const rel = await addRelation({
        sql: store,
        actor,
        relation: { type: 'MENTIONS', from: 'lesson-1', to: 'sets' },
      });
      expect(rel).toMatchObject({ changed: true, entity: 'content' });
    });

    it('happy: deletes check the version, cascade links, orphan lessons and enqueue delete rows', async () => {
      const course = await queryRows<{ version: number }>(
        store.db,
        sql`SELECT version FROM content WHERE slug = 'math-one'`,
      );
      await expect(
        deleteContent({ sql: store, actor, target: { slug: 'math-one' }, expectedVersion: 99 }),
      ).rejects.toMatchObject({ code: 'conflict' });
      const before = (await outbox()).length;
      const del = await deleteContent({
        sql: store,
        actor,
        target: { slug: 'math-one' },
        expectedVersion: course[0]?.version ?? 0,
      });
      const rows = (await outbox()).slice(before);
      expect(rows).toContainEqual({
        entity: 'content',
        entity_id: del.id,
        op: 'delete',
        version: del.version,
      });
      expect(rows.filter((r) => r.op === 'upsert')).toHaveLength(1); // the orphaned lesson
      const lesson = await queryRows<{ course_id: string | null }>(
        store.db,
        sql`SELECT course_id FROM content WHERE slug = 'lesson-1'`,
      );
      expect(lesson[0]?.course_id).toBeNull();
      const concept = await deleteConcept({
        sql: store,
        actor,
        target: { slug: 'sets' },
        expectedVersion: 1,
      });
      expect(concept.version).toBe(2);
      expect((await audit()).at(-1)).toMatchObject({ action: 'concept.delete', actor });
    });
  });
}
