import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../lib/config/keys.js';
import { resetConfigMemo } from '../../lib/config/load.js';
import { seedSampleContent } from '../../lib/content/seed.js';
import { queryRows, setSql } from '../../lib/stores/sql/index.js';
import { openPostgres } from '../../lib/stores/sql/postgres.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createUserAndLogin } from '../helpers/auth.js';
import { closedPort } from '../helpers/faults.js';

describe('admin writes', () => {
  let t: TestApp;
  let admin: Record<string, string>;
  let adminId: string;
  beforeAll(async () => {
    t = await createTestApp();
    await seedSampleContent({ sql: t.sql });
    const login = await createUserAndLogin(t, { role: 'admin' });
    admin = login.headers;
    adminId = login.user.id;
  });
  afterAll(() => t.close());

  const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  it('happy: create, read, patch with If-Match, delete; each write leaves outbox and audit rows by the admin', async () => {
    const created = await t.request('POST', '/api/admin/content', {
      headers: admin,
      json: {
        slug: 'new-post',
        kind: 'post',
        title: 'A new post',
        body: '# Hello\n\nText.',
        tags: ['search'],
        concepts: ['bm25'],
        related: ['judgekit'],
        publishedAt: '2030-01-01',
      },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    const { id } = (await created.json()) as { id: string };
    const page = await t.request('GET', '/api/content/new-post');
    const doc = (await page.json()) as { version: number; concepts: { relation: string }[] };
    expect(doc.concepts).toEqual([expect.objectContaining({ slug: 'bm25', relation: 'MENTIONS' })]);
    // The newest item heads the list right after the write: the cache was invalidated.
    const list = (await (await t.request('GET', '/api/content?limit=1')).json()) as {
      items: { slug: string }[];
    };
    expect(list.items[0]?.slug).toBe('new-post');

    const patched = await t.request('PATCH', '/api/admin/content?slug=new-post', {
      headers: { ...admin, 'if-match': `"${doc.version}"` },
      json: { title: 'Renamed post' },
    });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { version: number }).version).toBe(doc.version + 1);
    const stale = await t.request('PATCH', `/api/admin/content?id=${id}`, {
      headers: { ...admin, 'if-match': `"${doc.version}"` },
      json: { title: 'Lost update' },
    });
    expect(stale.status).toBe(409);
    expect(stale.headers.get('etag')).toBe(`"${doc.version + 1}"`);
    const deleted = await t.request('DELETE', `/api/admin/content?id=${id}`, {
      headers: { ...admin, 'if-match': `"${doc.version + 1}"` },
    });
    expect(deleted.status).toBe(200);
    expect((await t.request('GET', '/api/content/new-post')).status).toBe(404);

    const outbox = await queryRows<{ op: string }>(
      t.sql.db,
      sql`SELECT op FROM outbox WHERE entity_id = ${id} AND projector IS NULL ORDER BY id`,
    );
    expect(outbox.map((o) => o.op)).toEqual(['upsert', 'upsert', 'delete']);
    const audit = await queryRows<{ actor: string; action: string }>(
      t.sql.db,
      sql`SELECT actor, action FROM audit_log WHERE entity_id = ${id} ORDER BY id`,
    );
    expect(audit).toEqual([
      { actor: adminId, action: 'content.create' },
      { actor: adminId, action: 'content.update' },
      { actor: adminId, action: 'content.delete' },
    ]);
  });

  it('error: PATCH and DELETE without If-Match are 428, with a malformed one 400, unknown target 404', async () => {
    const noMatch = await t.request('PATCH', '/api/admin/content?slug=judgekit', {
      headers: admin,
      json: { title: 'x' },
    });
    expect(noMatch.status).toBe(428);
    expect(await errorCode(noMatch)).toBe('precondition_required');
    const del = await t.request('DELETE', '/api/admin/concepts?slug=bm25', { headers: admin });
    expect(del.status).toBe(428);
    const bad = await t.request('PATCH', '/api/admin/content?slug=judgekit', {
      headers: { ...admin, 'if-match': 'soon' },
      json: { title: 'x' },
    });
    expect(bad.status).toBe(400);
    const missing = await t.request('PATCH', '/api/admin/concepts?slug=ghost', {
      headers: { ...admin, 'if-match': '"1"' },
      json: { title: 'x' },
    });
    expect(missing.status).toBe(404);
    const both = await t.request(
      'DELETE',
      '/api/admin/content?slug=judgekit&id=00000000-0000-0000-0000-000000000000',
      {
        headers: { ...admin, 'if-match': '"1"' },
      },
    );
    expect(both.status).toBe(400);
  });

  it('error: malformed JSON, wrong types, unknown fields, wrong media type and oversized bodies are 4xx', async () => {
    const post = (init: { body?: string; json?: unknown; headers?: Record<string, string> }) =>
      t.request('POST', '/api/admin/content', { ...init, headers: { ...admin, ...init.headers } });
    const malformed = await post({ body: '{"slug": ', headers: { 'content-type': 'application/json' } });
    expect([malformed.status, await errorCode(malformed)]).toEqual([400, 'invalid_json']);
    const wrongType = await post({ json: { slug: 'x', kind: 'post', title: 42 } });
    expect([wrongType.status, await errorCode(wrongType)]).toEqual([400, 'validation_failed']);
    const unknown = await post({ json: { slug: 'x', kind: 'post', title: 'T', colour: 'red' } });
    expect(unknown.status).toBe(400);
    const notJson = await post({
      body: 'slug=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(notJson.status).toBe(415);
    const huge = await post({ json: { slug: 'x', kind: 'post', title: 'T', body: 'a'.repeat(300 * 1024) } });
    expect([huge.status, await errorCode(huge)]).toEqual([413, 'payload_too_large']);
    const array = await t.request('POST', '/api/admin/concepts', { headers: admin, json: [] });
    expect(array.status).toBe(400);
  });

  it('error: references to things that do not exist are 400 with the field path; duplicates are 409', async () => {
    const res = await t.request('POST', '/api/admin/content', {
      headers: admin,
      json: { slug: 'dangling', kind: 'lesson', title: 'T', concepts: ['bm25', 'ghost'], course: 'judgekit' },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { issues: { path: string }[] } };
    expect(body.error.issues.map((i) => i.path).sort()).toEqual(['concepts.1', 'course']);
    const dup = await t.request('POST', '/api/admin/concepts', {
      headers: admin,
      json: { slug: 'bm25', title: 'B' },
    });
    expect(dup.status).toBe(409);
    const prereq = await t.request('POST', '/api/admin/concepts', {
      headers: admin,
      json: { slug: 'fresh', title: 'F', prerequisites: [{ slug: 'nope', reason: 'r' }] },
    });
    expect(prereq.status).toBe(400);
  });

  it('happy: relations add (201), repeat (200, unchanged), remove; invalid types and self links are 400', async () => {
    const add = await t.request('POST', '/api/admin/relations', {
      headers: admin,
      json: { type: 'REQUIRES', from: 'bm25', to: 'big-o-notation', reason: 'cost models' },
    });
    expect(add.status).toBe(201);
    const again = await t.request('POST', '/api/admin/relations', {
      headers: admin,
      json: { type: 'REQUIRES', from: 'bm25', to: 'big-o-notation', reason: 'cost models' },
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { changed: boolean }).changed).toBe(false);
    const concept = (await (await t.request('GET', '/api/concepts/bm25')).json()) as {
      prerequisites: { slug: string; reason: string }[];
    };
    expect(concept.prerequisites).toContainEqual(
      expect.objectContaining({ slug: 'big-o-notation', reason: 'cost models' }),
    );
    const removed = await t.request(
      'DELETE',
      '/api/admin/relations?type=REQUIRES&from=bm25&to=big-o-notation',
      {
        headers: admin,
      },
    );
    expect(((await removed.json()) as { changed: boolean }).changed).toBe(true);
    for (const json of [
      { type: 'LIKES', from: 'bm25', to: 'tokenization' },
      { type: 'REQUIRES', from: 'bm25', to: 'bm25' },
      { type: 'RELATED_TO', from: 'judgekit', to: 'quarry', reason: 'no reasons here' },
    ]) {
      const res = await t.request('POST', '/api/admin/relations', { headers: admin, json });
      expect(res.status).toBe(400);
    }
    const missing = await t.request('POST', '/api/admin/relations', {
      headers: admin,
      json: { type: 'COVERS', from: 'judgekit', to: 'ghost' },
    });
    expect(missing.status).toBe(404);
  });

  it('happy: PUT flags writes the config store and audit; /api/config reflects it', async () => {
    const put = await t.request('PUT', '/api/admin/flags', {
      headers: admin,
      json: {
        flags: { 'chat.enabled': { enabled: false }, 'ui.conceptGraph': { enabled: true, rollout: 100 } },
      },
    });
    expect(put.status).toBe(200);
    resetConfigMemo();
    const config = (await (await t.request('GET', '/api/config')).json()) as {
      flags: Record<string, boolean>;
    };
    expect(config.flags['chat.enabled']).toBe(false);
    expect(config.flags['ui.conceptGraph']).toBe(true);
    const audit = await queryRows<{ actor: string }>(
      t.sql.db,
      sql`SELECT actor FROM audit_log WHERE action = 'flags.update'`,
    );
    expect(audit).toEqual([{ actor: adminId }]);
    const unknown = await t.request('PUT', '/api/admin/flags', {
      headers: admin,
      json: { flags: { 'made.up': { enabled: true } } },
    });
    expect(unknown.status).toBe(400);
    const badRollout = await t.request('PUT', '/api/admin/flags', {
      headers: admin,
      json: { flags: { 'ui.conceptGraph': { enabled: true, rollout: 150 } } },
    });
    expect(badRollout.status).toBe(400);
  });

  it('error: NUL or a lone surrogate in a content or concept write is a 400 naming the field', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['/api/admin/content', { slug: 'nul-1', kind: 'post', title: 'a\u0000b', body: 'x' }, 'title'],
      [
        '/api/admin/content',
        { slug: 'nul-2', kind: 'post', title: 't', body: 'x', tags: ['ok', 'b\u0000'] },
        'tags.1',
      ],
      ['/api/admin/content', { slug: 'nul-3', kind: 'post', title: 't', body: 'half \ud800 pair' }, 'body'],
      ['/api/admin/concepts', { slug: 'nul-4', title: 'a\u0000b' }, 'title'],
      ['/api/admin/concepts', { slug: 'nul-5', title: 't', summary: '\udc00' }, 'summary'],
    ];
    for (const [path, json, field] of cases) {
      const res = await t.request('POST', path, { headers: admin, json });
      expect(res.status, `${path} ${field}`).toBe(400);
      const body = (await res.json()) as { error: { code: string; issues: { path: string }[] } };
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.issues.map((i) => i.path)).toEqual([field]);
    }
    const [row] = await queryRows<{ n: number }>(
      t.sql.db,
      sql`SELECT count(*)::int AS n FROM content WHERE slug LIKE 'nul-%'`,
    );
    expect(row?.n).toBe(0);
  });

  it('error: PUT flags with SQL down answers 503 and leaves the flags unchanged (audit first)', async () => {
    const before = await t.config.getMany([CONFIG_KEYS.flags]);
    const broken = openPostgres(`postgres://postgres@127.0.0.1:${await closedPort()}/none`);
    setSql(broken);
    try {
      const put = await t.request('PUT', '/api/admin/flags', {
        headers: admin,
        json: { flags: { 'search.enabled': { enabled: false } } },
      });
      expect(put.status).toBe(503);
      expect(await errorCode(put)).toBe('service_unavailable');
    } finally {
      setSql(t.sql);
      await broken.close();
    }
    expect(await t.config.getMany([CONFIG_KEYS.flags])).toEqual(before);
  });

  it('happy: status reports the outbox by status, dead letters with their error, and store health', async () => {
    await t.settle();
    await t.sql.db.execute(
      sql`INSERT INTO outbox (entity, entity_id, op, version, status, attempts, last_error)
          VALUES ('content', 'x', 'upsert', 1, 'dead', 8, 'vector store: 503')`,
    );
    const res = await t.request('GET', '/api/admin/status', { headers: admin });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      outbox: { byStatus: Record<string, number>; deadLetters: { lastError: string }[] };
      stores: { store: string; status: string }[];
    };
    expect(body.outbox.byStatus.dead).toBeGreaterThanOrEqual(1);
    expect(body.outbox.deadLetters[0]?.lastError).toBe('vector store: 503');
    expect(body.stores.find((s) => s.store === 'sql')?.status).toBe('up');
    expect(res.headers.get('cache-control')).toMatch(/no-store/);
  });
});
