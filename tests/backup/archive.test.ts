import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as schema from '../../db/schema.js';
import {
  BackupError,
  readBackup,
  restoreBackup,
  verifyBackup,
  writeBackupFile,
} from '../../lib/backup/archive.js';
import { queryRows, type SqlStore } from '../../lib/stores/sql/index.js';
import { sqlTargets } from '../helpers/sql.js';

async function snapshot(store: SqlStore): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of [
    'users',
    'concepts',
    'content',
    'concept_prerequisites',
    'content_concepts',
    'conversations',
    'messages',
    'audit_log',
  ]) {
    out[t] = await queryRows(
      store.db,
      sql`select to_jsonb(x) - 'tsv' as row from ${sql.raw(`"${t}"`)} x order by 1`,
    );
  }
  return out;
}

async function fill(store: SqlStore): Promise<void> {
  const db = store.db;
  const [a, b] = await db
    .insert(schema.concepts)
    .values([
      { slug: 'b-trees', title: 'B-trees', summary: 'Balanced trees', goals: ['explain splits'] },
      { slug: 'indexes', title: 'Indexes', summary: 'It\'s "quoted" and ünïcode ✓' },
    ])
    .returning();
  if (!a || !b) throw new Error('insert failed');
  await db
    .insert(schema.conceptPrerequisites)
    .values({ conceptId: b.id, requiresId: a.id, reason: 'indexes are B-trees' });
  const [post] = await db
    .insert(schema.content)
    .values({ slug: 'a-post', kind: 'post', title: 'A post', body: '# Hi\n\nbody', tags: ['x', 'y z'] })
    .returning();
  if (!post) throw new Error('insert failed');
  await db
    .insert(schema.contentConcepts)
    .values({ contentId: post.id, conceptId: b.id, relation: 'MENTIONS' });
  await db
    .insert(schema.users)
    .values({ email: 'a@example.dev', name: 'A', passwordHash: 'scrypt$x', role: 'admin' });
  await db.insert(schema.conversations).values({ id: 'c1', ownerId: 'anon:1', title: 'hello' });
  await db.insert(schema.messages).values({
    id: 'm1',
    conversationId: 'c1',
    seq: 0,
    role: 'user',
    parts: [{ type: 'text', text: 'hi' }],
  });
  await db.insert(schema.auditLog).values(
    Array.from({ length: 1203 }, (_, i) => ({
      actor: 'test',
      action: 'noop',
      entity: 'content',
      entityId: String(i),
    })),
  );
}

for (const target of sqlTargets()) {
  describe.skipIf(Boolean(target.skip))(
    `backup and restore on ${target.name}${target.skip ? ` (${target.skip})` : ''}`,
    () => {
      let source: SqlStore;
      let dir: string;
      let file: string;
      beforeAll(async () => {
        source = await target.create();
        await fill(source);
        dir = mkdtempSync(join(tmpdir(), 'polyfolio-backup-'));
        file = join(dir, 'backup.jsonl.gz');
      });
      afterAll(async () => {
        await source.close();
        rmSync(dir, { recursive: true, force: true });
      });

      it('happy: a round trip restores identical rows and the config documents', async () => {
        const summary = await writeBackupFile(file, {
          store: source,
          config: { 'config:flags': { 'chat.enabled': false } },
        });
        expect(summary.rows.audit_log).toBe(1203); // more than one page
        const verified = await verifyBackup(file);
        expect(verified.sha256).toBe(summary.sha256);

        const target2 = await target.create();
        try {
          const restored = await restoreBackup({ file, store: target2 });
          expect(restored.config).toEqual({ 'config:flags': { 'chat.enabled': false } });
          expect(await snapshot(target2)).toEqual(await snapshot(source));
          // Sequences continue after restored ids instead of colliding with them.
          const [next] = await target2.db
            .insert(schema.auditLog)
            .values({ actor: 'test', action: 'after', entity: 'x', entityId: 'y' })
            .returning();
          expect(next?.id).toBeGreaterThan(1203);
        } finally {
          await target2.close();
        }
      });

      it('error: a damaged archive is refused before anything is written', async () => {
        const text = gunzipSync(readFileSync(file)).toString('utf8');
        const damaged = join(dir, 'damaged.jsonl.gz');
        writeFileSync(damaged, gzipSync(text.replace('"A post"', '"B post"')));
        const target2 = await target.create();
        try {
          await expect(restoreBackup({ file: damaged, store: target2 })).rejects.toThrow(BackupError);
          const [row] = await queryRows<{ n: number }>(
            target2.db,
            sql`select count(*)::int as n from content`,
          );
          expect(row?.n).toBe(0);
        } finally {
          await target2.close();
        }
      });

      it('error: truncated and non-backup files are refused with a clear message', async () => {
        const text = gunzipSync(readFileSync(file)).toString('utf8');
        const truncated = join(dir, 'truncated.jsonl.gz');
        writeFileSync(truncated, gzipSync(text.slice(0, Math.floor(text.length / 2))));
        await expect(verifyBackup(truncated)).rejects.toThrow(/damaged|truncated/);
        const garbage = join(dir, 'garbage.gz');
        writeFileSync(garbage, 'not gzip at all');
        await expect(verifyBackup(garbage)).rejects.toThrow(BackupError);
        const other = join(dir, 'other.jsonl.gz');
        writeFileSync(other, gzipSync('{"hello":1}\n'));
        await expect(verifyBackup(other)).rejects.toThrow(/Not a polyfolio backup/);
      });

      it('error: restoring into a database that has data is refused', async () => {
        await expect(restoreBackup({ file, store: source })).rejects.toThrow(/not empty/);
      });

      it('happy: the archive streams line by line with a format version', async () => {
        const first = await readBackup(file).next();
        expect(first.value).toMatchObject({ t: 'header', format: 'polyfolio-backup', formatVersion: 2 });
      });
    },
  );
}
