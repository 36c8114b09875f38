/**
 * Restore is all or nothing: every way an archive can be damaged or edited (truncated at every line and
 * inside lines, bytes flipped in the text and in the gzip stream, rows duplicated, dropped, reordered,
 * moved or appended after the trailer, with and without recomputed checksums, keyed archives forged
 * without the key) is refused and leaves the target exactly as it was: no rows, sequences unmoved,
 * config store empty. An archive that passes every check but fails inside the database rolls back.
 * And restore(backup(x)) is identical to x table by table, on every driver.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as schema from '../../db/schema.js';
import { BACKUP_TABLES, BackupError, writeBackupFile } from '../../lib/backup/archive.js';
import { restoreAll } from '../../lib/backup/run.js';
import { MemoryConfigStore } from '../../lib/stores/config/memory.js';
import { queryRows, type SqlStore } from '../../lib/stores/sql/index.js';
import { createNeonHttp, createPglite, createPostgres } from '../helpers/sql.js';
import { type NeonHttpStandin, startNeonHttpStandin } from '../standins/neon-http.js';

const KEY = 'restore-fuzz-backup-key-0123456789';
const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);
let neon: NeonHttpStandin | undefined;

const TARGETS: { name: string; skip?: string; create(): Promise<SqlStore> }[] = [
  { name: 'pglite', create: createPglite },
  {
    name: 'postgres',
    ...(hasPostgres ? {} : { skip: 'TEST_DATABASE_URL is not set' }),
    create: createPostgres,
  },
  {
    name: 'neon-http',
    ...(hasPostgres ? {} : { skip: 'TEST_DATABASE_URL is not set (the Neon stand-in runs on it)' }),
    create: async () => {
      neon ??= await startNeonHttpStandin();
      return createNeonHttp(neon.endpoint);
    },
  },
];

/** A small site touching every archived table, every foreign key and the audit sequence. */
async function fill(store: SqlStore): Promise<void> {
  const db = store.db;
  const concepts = await db
    .insert(schema.concepts)
    .values([
      { slug: 'b-trees', title: 'B-trees', summary: 'Balanced trees' },
      { slug: 'indexes', title: 'Indexes', summary: 'It\'s "quoted" and ünïcode ✓' },
      { slug: 'vacuum', title: 'Vacuum' },
    ])
    .returning();
  const [a, b, c] = concepts;
  if (!a || !b || !c) throw new Error('insert failed');
  await db.insert(schema.conceptPrerequisites).values({ conceptId: b.id, requiresId: a.id, reason: 'x' });
  await db.insert(schema.conceptRelated).values({ fromId: b.id, toId: c.id });
  const posts = await db
    .insert(schema.content)
    .values([
      { slug: 'a-post', kind: 'post', title: 'A post', body: '# Hi\n\nbody', tags: ['x', 'y z'] },
      { slug: 'b-post', kind: 'post', title: 'B post', body: 'more' },
    ])
    .returning();
  const [p, q] = posts;
  if (!p || !q) throw new Error('insert failed');
  await db.insert(schema.contentConcepts).values({ contentId: p.id, conceptId: b.id, relation: 'MENTIONS' });
  await db.insert(schema.contentRelated).values({ fromId: p.id, toId: q.id });
  await db.insert(schema.users).values([
    { email: 'admin@example.dev', name: 'Admin', passwordHash: 'scrypt$a', role: 'admin' },
    { email: 'member@example.dev', name: 'Member', passwordHash: 'scrypt$m', role: 'member' },
  ]);
  await db.insert(schema.conversations).values({ id: 'c1', ownerId: 'anon:1', title: 'hello' });
  await db.insert(schema.messages).values([
    { id: 'c1/m1', conversationId: 'c1', seq: 0, role: 'user', parts: [{ type: 'text', text: 'hi' }] },
    { id: 'c1/m2', conversationId: 'c1', seq: 1, role: 'assistant', parts: [{ type: 'text', text: 'yo' }] },
  ]);
  await db
    .insert(schema.auditLog)
    .values(
      Array.from({ length: 4 }, (_, i) => ({ actor: 't', action: 'noop', entity: 'x', entityId: String(i) })),
    );
}

/** Every archived table's rows, in key order (generated columns left out), for exact comparison. */
async function snapshot(store: SqlStore): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of BACKUP_TABLES)
    out[t.name] = await queryRows(
      store.db,
      sql`select to_jsonb(x) - 'tsv' as row from ${sql.raw(`"${t.name}"`)} x
          order by ${sql.raw(t.key.map((k) => `"${k}"`).join(', '))}`,
    );
  return out;
}

/** What "untouched" means for an empty target: no rows anywhere and the audit sequence unmoved. */
async function state(store: SqlStore): Promise<{ rows: number; seq: string }> {
  const counts = BACKUP_TABLES.map((t) => `(select count(*) from "${t.name}")`).join(' + ');
  const [row] = await queryRows<{ rows: number | string; seq: string }>(
    store.db,
    sql.raw(
      `select (${counts})::int as rows, (select last_value::text || ':' || is_called::text from audit_log_id_seq) as seq`,
    ),
  );
  return { rows: Number(row?.rows), seq: String(row?.seq) };
}

/** Recomputes every digest the way an editor without the key (or with `key`) would. */
function reseal(lines: string[], key?: string): string[] {
  const mk = (): Hash | Hmac => (key ? createHmac('sha256', key) : createHash('sha256'));
  const all = mk();
  let table: Hash | Hmac = mk();
  let n = 0;
  const rows: Record<string, number> = {};
  const out: string[] = [];
  for (const text of lines) {
    const line = JSON.parse(text) as { t: string; name: string };
    let t = text;
    if (line.t === 'trailer') {
      out.push(JSON.stringify({ t: 'trailer', sha256: all.digest('hex'), rows }));
      continue;
    }
    if (line.t === 'table') {
      table = mk();
      n = 0;
    } else if (line.t === 'row') {
      table.update(`${text}\n`);
      n++;
    } else if (line.t === 'end') {
      t = JSON.stringify({ ...line, rows: n, sha256: table.digest('hex') });
      rows[line.name] = n;
    }
    all.update(`${t}\n`);
    out.push(t);
  }
  return out;
}

const join_ = (lines: string[]) => `${lines.join('\n')}\n`;

for (const target of TARGETS) {
  describe.skipIf(Boolean(target.skip))(
    `restore fuzz on ${target.name}${target.skip ? ` (${target.skip})` : ''}`,
    () => {
      let source: SqlStore;
      let empty: SqlStore;
      let dir: string;
      let text: string;
      let keyedText: string;
      let lines: string[];
      let keyedLines: string[];
      let before: { rows: number; seq: string };
      const config = new MemoryConfigStore();
      let seq = 0;

      beforeAll(async () => {
        source = await target.create();
        await fill(source);
        dir = mkdtempSync(join(tmpdir(), 'polyfolio-restore-fuzz-'));
        const plain = join(dir, 'nested', 'folder', 'plain.jsonl.gz');
        await writeBackupFile(plain, { store: source, config: { 'config:flags': { a: 1 } } });
        const keyed = join(dir, 'keyed.jsonl.gz');
        await writeBackupFile(keyed, { store: source, config: { 'config:flags': { a: 1 } }, key: KEY });
        text = gunzipSync(readFileSync(plain)).toString('utf8');
        keyedText = gunzipSync(readFileSync(keyed)).toString('utf8');
        lines = text.trimEnd().split('\n');
        keyedLines = keyedText.trimEnd().split('\n');
        empty = await target.create();
        before = await state(empty);
        expect(before.rows).toBe(0);
      }, 60_000);
      afterAll(async () => {
        await source?.close();
        await empty?.close();
        rmSync(dir, { recursive: true, force: true });
        if (target.name === 'neon-http') {
          await neon?.close();
          neon = undefined;
        }
      });

      const file = (content: string | Buffer, raw = false): string => {
        const path = join(dir, `case-${++seq}.jsonl.gz`);
        writeFileSync(path, raw ? content : gzipSync(content));
        return path;
      };

      /** Restores `path` into the empty target and expects a refusal that touched nothing. */
      const refused = async (path: string, key?: string): Promise<string> => {
        let error: unknown;
        try {
          await restoreAll({
            file: path,
            sql: empty,
            config,
            projectors: [],
            ...(key ? { key } : {}),
          });
        } catch (err) {
          error = err;
        }
        expect(error, `restore of ${path} should have been refused`).toBeInstanceOf(Error);
        expect(await state(empty)).toEqual(before);
        expect(await config.getMany(['config:flags'])).toEqual([null]);
        return (error as Error).message;
      };

      it('happy: the archive file is private (0600) in folders created for it', () => {
        const mode = statSync(join(dir, 'nested', 'folder', 'plain.jsonl.gz')).mode & 0o777;
        expect(mode).toBe(0o600);
      });

      it('error: truncated at every line and inside every line, it is refused and nothing is written', async () => {
        for (let i = 0; i < lines.length; i++) {
          const head = lines
            .slice(0, i)
            .map((l) => `${l}\n`)
            .join('');
          await refused(file(head));
          const line = lines[i] ?? '';
          await refused(file(`${head}${line.slice(0, Math.floor(line.length / 2))}`));
        }
        await refused(file(text.slice(0, -1))); // the final newline missing
      }, 120_000);

      it('error: any byte flipped in the text is refused and nothing is written', async () => {
        const bytes = Buffer.from(text, 'utf8');
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 0, max: bytes.length - 1 }),
            fc.integer({ min: 1, max: 255 }),
            async (at, mask) => {
              const flipped = Buffer.from(bytes);
              flipped[at] = (flipped[at] ?? 0) ^ mask;
              await refused(file(flipped));
            },
          ),
          { numRuns: 60 },
        );
      }, 120_000);

      it('error: a byte flipped in the gzip stream is refused unless it left the content identical', async () => {
        const gz = gzipSync(text);
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 0, max: gz.length - 1 }),
            fc.integer({ min: 1, max: 255 }),
            async (at, mask) => {
              const flipped = Buffer.from(gz);
              flipped[at] = (flipped[at] ?? 0) ^ mask;
              let same = false;
              try {
                same = gunzipSync(flipped).toString('utf8') === text;
              } catch {}
              if (!same) await refused(file(flipped, true));
            },
          ),
          { numRuns: 30 },
        );
      }, 120_000);

      const rowIndexes = () => lines.flatMap((l, i) => (l.startsWith('{"t":"row"') ? [i] : []));

      it('error: rows duplicated, dropped, reordered, moved or appended are refused (checksums as written)', async () => {
        const rows = rowIndexes();
        for (const i of rows) {
          const dup = [...lines.slice(0, i + 1), lines[i] ?? '', ...lines.slice(i + 1)];
          await refused(file(join_(dup)));
          await refused(file(join_(lines.filter((_, j) => j !== i))));
        }
        for (let k = 0; k + 1 < rows.length; k++) {
          const [i, j] = [rows[k] ?? 0, rows[k + 1] ?? 0];
          const swapped = [...lines];
          [swapped[i], swapped[j]] = [lines[j] ?? '', lines[i] ?? ''];
          if (swapped[i] !== lines[i]) await refused(file(join_(swapped)));
        }
        // A row moved into the next table's section.
        const first = rows[0] ?? 0;
        const moved = lines.filter((_, j) => j !== first);
        const nextTable = moved.findIndex((l, j) => j > first && l.startsWith('{"t":"table"'));
        moved.splice(nextTable + 1, 0, lines[first] ?? '');
        await refused(file(join_(moved)));
        // Rows (or anything) after the trailer.
        const message = await refused(file(`${text}${lines[first]}\n`));
        expect(message).toMatch(/after the trailer/);
        await refused(file(`${text}${lines.at(-1)}\n`));
        await refused(file(`${text}\n`));
      }, 180_000);

      it('error: edits with recomputed checksums that break keys or references are refused before any write', async () => {
        const rows = rowIndexes();
        const cases: string[][] = [];
        // A duplicated row (primary key repeated).
        for (const i of rows) cases.push([...lines.slice(0, i + 1), lines[i] ?? '', ...lines.slice(i + 1)]);
        // A parent dropped: every row that is referenced.
        for (const i of rows) {
          const v = (JSON.parse(lines[i] ?? '{}') as { v: Record<string, unknown> }).v;
          const referenced = lines.some(
            (l) => l !== lines[i] && typeof v.id === 'string' && l.includes(v.id),
          );
          if (referenced && !(lines[i] ?? '').includes('"entity_id"'))
            cases.push(lines.filter((_, j) => j !== i));
        }
        // A second user with an existing email under a new id.
        const user = lines.find((l) => l.includes('"email":"member@example.dev"')) ?? '';
        const clone = user.replace(/"id":"[0-9a-f-]+"/, '"id":"00000000-0000-4000-8000-000000000001"');
        cases.push(lines.flatMap((l) => (l === user ? [l, clone] : [l])));
        for (const c of cases) {
          const message = await refused(file(join_(reseal(c))));
          expect(message).toMatch(/repeats|refers to|checksum|damaged/);
        }
      }, 180_000);

      it('error: an archive that passes every check but fails inside the database is rolled back', async () => {
        // The last table's row carries a value its column cannot take: everything before it was inserted
        // inside the transaction and is rolled back with it.
        const edited = lines.map((l) =>
          l.startsWith('{"t":"row"') && l.includes('"entity_id":"3"') ? l.replace(/"id":\d+/, '"id":"x"') : l,
        );
        expect(edited).not.toEqual(lines);
        const message = await refused(file(join_(reseal(edited))));
        expect(message).toMatch(/Nothing was restored/);
      }, 60_000);

      it('security: a keyed archive is refused when edited, re-signed with another key, unsigned or without its key', async () => {
        const member = keyedLines.findIndex((l) => l.includes('"role":"member"'));
        const promoted = keyedLines.map((l, i) =>
          i === member ? l.replace('"role":"member"', '"role":"admin"') : l,
        );
        // Edited, digests left alone.
        await refused(file(join_(promoted)), KEY);
        // Edited and re-signed with a guessed key.
        expect(await refused(file(join_(reseal(promoted, 'guessed-key'))), KEY)).toMatch(/checksum|damaged/);
        // Edited and turned into an unsigned archive with plain checksums.
        const unsigned = promoted.map((l, i) =>
          i === 0
            ? l.replace('"checksum":"hmac-sha256"', '"checksum":"sha256"').replace(/,"keyId":"\w+"/, '')
            : l,
        );
        expect(await refused(file(join_(reseal(unsigned))), KEY)).toMatch(/not signed/);
        // The genuine keyed archive, but no key or another key.
        expect(await refused(file(keyedText))).toMatch(/set BACKUP_KEY/);
        expect(await refused(file(keyedText), 'another-key')).toMatch(/different BACKUP_KEY/);
        // Any flipped byte in a keyed archive.
        const bytes = Buffer.from(keyedText, 'utf8');
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: 0, max: bytes.length - 1 }), async (at) => {
            const flipped = Buffer.from(bytes);
            flipped[at] = (flipped[at] ?? 0) ^ 0x01;
            await refused(file(flipped), KEY);
          }),
          { numRuns: 20 },
        );
      }, 120_000);

      it('happy: restore(backup(x)) is identical table by table, continues sequences and refuses a second run', async () => {
        for (const [content, key] of [
          [text, undefined],
          [keyedText, KEY],
        ] as const) {
          const fresh = await target.create();
          const cfg = new MemoryConfigStore();
          try {
            const result = await restoreAll({
              file: file(content),
              sql: fresh,
              config: cfg,
              projectors: [],
              ...(key ? { key } : {}),
            });
            expect(result.rows.audit_log).toBe(4);
            expect(await snapshot(fresh)).toEqual(await snapshot(source));
            expect(await cfg.getMany(['config:flags'])).toEqual([{ a: 1 }]);
            const [next] = await fresh.db
              .insert(schema.auditLog)
              .values({ actor: 't', action: 'after', entity: 'x', entityId: 'y' })
              .returning();
            expect(next?.id).toBeGreaterThan(4);
            const restored = await snapshot(fresh);
            await expect(
              restoreAll({
                file: file(content),
                sql: fresh,
                config: cfg,
                projectors: [],
                ...(key ? { key } : {}),
              }),
            ).rejects.toThrow(BackupError);
            expect(await snapshot(fresh)).toEqual(restored);
          } finally {
            await fresh.close();
          }
        }
      }, 120_000);
    },
  );
}
