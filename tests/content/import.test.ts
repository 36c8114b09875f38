import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../lib/config/keys.js';
import { importBundle } from '../../lib/content/import/run.js';
import { readFolder, readSource } from '../../lib/content/import/sources.js';
import { hasNoContent, SEED_DIR, seedSampleContent } from '../../lib/content/seed.js';
import { MemoryConfigStore } from '../../lib/stores/config/memory.js';
import { queryRows, type SqlStore } from '../../lib/stores/sql/index.js';
import { createPglite } from '../helpers/sql.js';

// ../shared sits beside the repo (locally and in CI); read at run time, never copied in.
const METACADEMY = join(process.cwd(), '../shared/data/metacademy/metacademy.json');

async function counts(store: SqlStore) {
  const rows = await queryRows<Record<string, number>>(
    store.db,
    sql`SELECT (SELECT count(*)::int FROM concepts) AS concepts,
               (SELECT count(*)::int FROM concept_prerequisites) AS prerequisites,
               (SELECT count(*)::int FROM content) AS content,
               (SELECT count(*)::int FROM content_concepts) AS content_concepts,
               (SELECT count(*)::int FROM content_related) AS related,
               (SELECT count(*)::int FROM outbox) AS outbox,
               (SELECT count(*)::int FROM audit_log) AS audit`,
  );
  return rows[0];
}

describe('import: Metacademy JSON', () => {
  let store: SqlStore;
  beforeAll(async () => {
    store = await createPglite();
  });
  afterAll(() => store.close());

  it('happy: imports every concept and course through the write path, reporting dangling references', async () => {
    const report = await importBundle({ sql: store, bundle: readSource(METACADEMY) });
    expect(report.problems).toEqual([]);
    expect(report.created).toEqual({ concepts: 392, content: 3 });
    const prereq = report.dangling.filter((d) => d.field === 'prerequisites');
    expect(prereq).toHaveLength(21);
    expect(prereq).toContainEqual(
      expect.objectContaining({ from: 'agglomerative_clustering', to: 'kruskals_algorithm' }),
    );
    expect(report.dangling.filter((d) => d.field === 'concepts')).toEqual([
      expect.objectContaining({ from: 'probability_theory', to: 'cauchy_schwartz_inequality_probability' }),
      expect.objectContaining({ from: 'probability_theory', to: 'sequences_of_random_variables' }),
    ]);
    const c = await counts(store);
    expect(c).toMatchObject({
      concepts: 392,
      prerequisites: 985 - 21,
      content: 3,
      content_concepts: 27 + 18 + 28,
    });
    // One write per record on a fresh import (prerequisites come first), each with an outbox and an audit row.
    expect(c).toMatchObject({ outbox: 395, audit: 395 });
    const reasons = await queryRows<{ reason: string | null }>(
      store.db,
      sql`SELECT p.reason FROM concept_prerequisites p JOIN concepts k ON k.id = p.concept_id
          WHERE k.slug = 'adaptive_rejection_sampling' ORDER BY p.reason LIMIT 1`,
    );
    expect(reasons[0]?.reason).toEqual(expect.any(String));
    const actors = await queryRows<{ actor: string }>(store.db, sql`SELECT DISTINCT actor FROM audit_log`);
    expect(actors).toEqual([{ actor: 'cli:import' }]);
  });

  it('happy: a second import writes nothing and leaves the same rows and outbox count', async () => {
    const before = await counts(store);
    const report = await importBundle({ sql: store, bundle: readSource(METACADEMY) });
    expect(report.created).toEqual({ concepts: 0, content: 0 });
    expect(report.updated).toEqual({ concepts: 0, content: 0 });
    expect(report.unchanged).toEqual({ concepts: 392, content: 3 });
    expect(report.dangling).toHaveLength(23);
    expect(await counts(store)).toEqual(before);
  });

  it('happy: a changed record is updated once, with one outbox row', async () => {
    const before = await counts(store);
    const dir = mkdtempSync(join(tmpdir(), 'import-'));
    try {
      const file = join(dir, 'one.json');
      writeFileSync(
        file,
        JSON.stringify({
          concepts: [
            { slug: 'ada_boost', title: 'AdaBoost (edited)', summary: 's', goals: [], prerequisites: [] },
          ],
        }),
      );
      const report = await importBundle({ sql: store, bundle: readSource(file) });
      expect(report.updated.concepts).toBe(1);
      const after = await counts(store);
      expect(after?.outbox).toBe((before?.outbox ?? 0) + 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('import: Markdown folders', () => {
  let store: SqlStore;
  let dir: string;
  beforeAll(async () => {
    store = await createPglite();
    dir = mkdtempSync(join(tmpdir(), 'import-md-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await store.close();
  });

  it('error: bad records and bad JSON are reported without stopping the run', async () => {
    mkdirSync(join(dir, 'course-a'), { recursive: true });
    writeFileSync(
      join(dir, 'concepts.json'),
      '{"concepts": [{"slug": "ok", "title": "OK"}, {"slug": "Bad Slug"}]}',
    );
    writeFileSync(
      join(dir, 'course-a', 'index.md'),
      '---\nslug: course-a\nkind: course\ntitle: A\n---\nBody',
    );
    writeFileSync(
      join(dir, 'course-a', '01-l.md'),
      '---\nslug: l1\nkind: lesson\ntitle: L1\nposition: 1\nconcepts: [ok, ghost]\nrelated: [later]\n---\nText',
    );
    writeFileSync(join(dir, 'later.md'), '---\nslug: later\nkind: post\ntitle: Later\nrelated: [l1]\n---\n');
    writeFileSync(join(dir, 'wrong.md'), '---\nslug: wrong\nkind: podcast\ntitle: W\ncolour: red\n---\n');
    writeFileSync(join(dir, 'broken.md'), '---\nslug: [unclosed\n---\n');
    const report = await importBundle({ sql: store, bundle: readFolder(dir) });
    expect(report.created).toEqual({ concepts: 1, content: 3 });
    expect(report.problems.map((p) => p.source).sort()).toEqual([
      expect.stringContaining('broken.md'),
      expect.stringContaining('concepts.json#concepts[1]'),
      expect.stringContaining('wrong.md'),
    ]);
    expect(report.problems.find((p) => p.source.includes('wrong.md'))?.message).toMatch(/kind|colour/);
    expect(report.dangling).toEqual([
      expect.objectContaining({ from: 'l1', field: 'concepts', to: 'ghost' }),
    ]);
    // The lesson got its course from the folder's index.md, and the forward `related` link resolved.
    const rows = await queryRows<{ course: string; related: string }>(
      store.db,
      sql`SELECT (SELECT slug FROM content WHERE id = l.course_id) AS course,
                 (SELECT r.slug FROM content_related cr JOIN content r ON r.id = cr.to_id WHERE cr.from_id = l.id) AS related
          FROM content l WHERE l.slug = 'l1'`,
    );
    expect(rows[0]).toEqual({ course: 'course-a', related: 'later' });
    const again = await importBundle({ sql: store, bundle: readFolder(dir) });
    expect(again.created).toEqual({ concepts: 0, content: 0 });
    expect(again.updated).toEqual({ concepts: 0, content: 0 });
  });
});

describe('seed: the sample content', () => {
  let store: SqlStore;
  beforeAll(async () => {
    store = await createPglite();
  });
  afterAll(() => store.close());

  it('happy: imports with zero problems, stores site config, and is idempotent', async () => {
    expect(await hasNoContent(store)).toBe(true);
    const config = new MemoryConfigStore();
    const report = await seedSampleContent({ sql: store, config });
    expect(report.problems).toEqual([]);
    expect(report.dangling).toEqual([]);
    expect(report.created.concepts).toBe(41);
    expect(report.created.content).toBe(27);
    expect(await hasNoContent(store)).toBe(false);
    const [site] = await config.getMany([CONFIG_KEYS.site]);
    expect(site).toMatchObject({ owner: { name: 'Maya Okafor' } });
    const before = await counts(store);
    const again = await seedSampleContent({ sql: store, config });
    expect(again.unchanged).toEqual({ concepts: 41, content: 27 });
    expect(await counts(store)).toEqual(before);
    expect(SEED_DIR).toMatch(/db\/seed$/);
  });
});
