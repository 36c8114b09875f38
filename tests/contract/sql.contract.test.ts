/**
 * The SQL store's contract: the same behaviour on every driver the app can run on. PGlite always; the
 * real PostgreSQL with TEST_DATABASE_URL; Neon's serverless HTTP driver through the local stand-in for
 * Neon's HTTP SQL endpoint, executing on a fresh database of that same real PostgreSQL.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrate } from '../../db/migrate.js';
import { chunks, content, graphNodes, outbox } from '../../db/schema.js';
import { atomic, queryRows, type SqlStore } from '../../lib/stores/sql/index.js';
import { openPglite } from '../../lib/stores/sql/pglite.js';
import { createNeonHttp, createPglite, createPostgres } from '../helpers/sql.js';
import { type NeonHttpStandin, startNeonHttpStandin } from '../standins/neon-http.js';

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);
let neonStandin: NeonHttpStandin | undefined;

const targets: { name: string; skip?: string; create(): Promise<SqlStore> }[] = [
  { name: 'pglite', create: createPglite },
  {
    name: 'postgres',
    ...(hasPostgres ? {} : { skip: 'TEST_DATABASE_URL is not set' }),
    create: createPostgres,
  },
  {
    name: 'neon-http (stand-in over the real PostgreSQL)',
    ...(hasPostgres ? {} : { skip: 'TEST_DATABASE_URL is not set (the Neon stand-in runs on it)' }),
    async create() {
      neonStandin = await startNeonHttpStandin();
      return createNeonHttp(neonStandin.endpoint);
    },
  },
];

/** The Postgres error code anywhere in the cause chain (Drizzle wraps driver errors). */
function pgCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

for (const t of targets) if (t.skip) console.warn(`skipped: sql contract on ${t.name}: ${t.skip}`);

let seq = 0;
const slug = (label: string) => `${label}-${process.pid}-${++seq}`;

function insertContent(store: SqlStore, values: { slug: string; title?: string; body?: string }) {
  return store.db
    .insert(content)
    .values({ kind: 'post', title: values.title ?? values.slug, body: values.body ?? '', ...values })
    .returning({ id: content.id });
}

for (const target of targets) {
  const title = target.skip
    ? `sql contract on ${target.name} (skipped: ${target.skip})`
    : `sql contract on ${target.name}`;

  describe.skipIf(Boolean(target.skip))(title, () => {
    let store: SqlStore;

    beforeAll(async () => {
      store = await target.create();
    });

    afterAll(async () => {
      await store?.close();
      await neonStandin?.close();
      neonStandin = undefined;
    });

    it('inserts and selects through Drizzle, with arrays, timestamps and JSON typed on the way back', async () => {
      const s = slug('roundtrip');
      await store.db
        .insert(content)
        .values({ slug: s, kind: 'project', title: 'Round trip', tags: ['a', 'b c'] });
      const [row] = await store.db.select().from(content).where(eq(content.slug, s));
      expect(row).toMatchObject({
        slug: s,
        kind: 'project',
        title: 'Round trip',
        tags: ['a', 'b c'],
        version: 1,
      });
      expect(row?.createdAt).toBeInstanceOf(Date);

      const props = { title: 'Node', nested: { n: 1, list: [true, null, 'x'] } };
      await store.db.insert(graphNodes).values({ label: 'Concept', key: s, props });
      const [node] = await store.db.select().from(graphNodes).where(eq(graphNodes.key, s));
      expect(node?.props).toEqual(props);
    });

    it('returns raw rows as objects from queryRows', async () => {
      const s = slug('raw');
      await insertContent(store, { slug: s });
      const rows = await queryRows<{ slug: string; n: number }>(
        store.db,
        sql`select slug, 40 + 2 as n from content where slug = ${s}`,
      );
      expect(rows).toEqual([{ slug: s, n: 42 }]);
      expect(await queryRows(store.db, sql`select 1 from content where slug = ${`${s}-missing`}`)).toEqual(
        [],
      );
    });

    it('surfaces a unique violation as Postgres error 23505', async () => {
      const s = slug('unique');
      await insertContent(store, { slug: s });
      const err = await insertContent(store, { slug: s }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, 'the duplicate insert must fail').toBeDefined();
      expect(pgCode(err)).toBe('23505');
    });

    it('commits every statement of atomic() and returns each result in order', async () => {
      const s = slug('atomic-ok');
      const [inserted, queued] = await atomic(store, (q) => [
        q.insert(content).values({ slug: s, kind: 'post', title: 'A' }).returning({ slug: content.slug }),
        q
          .insert(outbox)
          .values({ entity: 'content', entityId: s, op: 'upsert', version: 1 })
          .returning({ entityId: outbox.entityId }),
      ]);
      expect(inserted).toEqual([{ slug: s }]);
      expect(queued).toEqual([{ entityId: s }]);
      const rows = await store.db.select().from(outbox).where(eq(outbox.entityId, s));
      expect(rows).toHaveLength(1);
    });

    it('rolls back the first statement of atomic() when the second fails', async () => {
      const taken = slug('atomic-taken');
      await insertContent(store, { slug: taken });
      const fresh = slug('atomic-fresh');
      const err = await atomic(store, (q) => [
        q.insert(outbox).values({ entity: 'content', entityId: fresh, op: 'upsert', version: 1 }),
        q.insert(content).values({ slug: taken, kind: 'post', title: 'duplicate' }),
      ]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(pgCode(err)).toBe('23505');
      const leaked = await store.db.select().from(outbox).where(eq(outbox.entityId, fresh));
      expect(leaked, 'the outbox row of the failed batch must not be committed').toEqual([]);
    });

    it.runIf(target.name.startsWith('neon'))('sends atomic() to Neon as one batch request', async () => {
      const before = neonStandin?.requests.length ?? 0;
      const a = slug('batch-a');
      const b = slug('batch-b');
      await atomic(store, (q) => [
        q.insert(content).values({ slug: a, kind: 'post', title: 'A' }),
        q.insert(content).values({ slug: b, kind: 'post', title: 'B' }),
      ]);
      const sent = neonStandin?.requests.slice(before) ?? [];
      expect(sent).toHaveLength(1);
      expect((sent[0]?.body as { queries?: unknown[] } | undefined)?.queries).toHaveLength(2);
    });

    it('matches chunks by websearch_to_tsquery on the generated tsv column', async () => {
      const [doc] = await insertContent(store, { slug: slug('fts') });
      const contentId = doc?.id ?? '';
      await store.db.insert(chunks).values([
        {
          id: `${contentId}:0`,
          contentId,
          position: 0,
          heading: 'Partial indexes',
          text: 'A partial index covers only the rows a query filters on.',
          hash: 'h0',
        },
        {
          id: `${contentId}:1`,
          contentId,
          position: 1,
          heading: 'Vacuum',
          text: 'Autovacuum reclaims dead tuples left by updates and deletes.',
          hash: 'h1',
        },
      ]);
      const search = (q: string) =>
        queryRows<{ id: string }>(
          store.db,
          sql`select id from chunks where content_id = ${contentId}
              and tsv @@ websearch_to_tsquery('english', ${q})
              order by ts_rank(tsv, websearch_to_tsquery('english', ${q})) desc, id`,
        );
      expect(await search('indexes')).toEqual([{ id: `${contentId}:0` }]); // stemmed: indexes ~ index
      expect(await search('"dead tuples"')).toEqual([{ id: `${contentId}:1` }]);
      expect(await search('rows or tuples -autovacuum')).toEqual([{ id: `${contentId}:0` }]);
      expect(await search('kubernetes')).toEqual([]);
    });

    it('claims outbox rows with FOR UPDATE SKIP LOCKED, each row once', async () => {
      const entity = slug('claim');
      await store.db.insert(outbox).values(
        [1, 2, 3].map((version) => ({
          entity: 'content' as const,
          entityId: entity,
          op: 'upsert' as const,
          version,
        })),
      );
      const claim = () =>
        queryRows<{ version: number }>(
          store.db,
          sql`update outbox set lease_until = now() + interval '30 seconds', attempts = attempts + 1
              where id in (
                select id from outbox
                where status = 'pending' and entity_id = ${entity} and available_at <= now()
                  and (lease_until is null or lease_until < now())
                order by id limit 2
                for update skip locked)
              returning version`,
        );
      const first = await claim();
      const second = await claim();
      const third = await claim();
      expect(first.map((r) => r.version).sort()).toEqual([1, 2]);
      expect(second.map((r) => r.version)).toEqual([3]);
      expect(third).toEqual([]);
    });

    it.runIf(target.name === 'postgres')(
      'skips a row another transaction holds instead of waiting',
      async () => {
        const entity = slug('skip');
        await store.db.insert(outbox).values(
          [1, 2].map((version) => ({
            entity: 'content' as const,
            entityId: entity,
            op: 'upsert' as const,
            version,
          })),
        );
        const seen = await store.db.transaction(async (tx) => {
          // This transaction locks version 1; a concurrent claim on another connection must skip it.
          await tx.execute(sql`select id from outbox where entity_id = ${entity} and version = 1 for update`);
          return queryRows<{ version: number }>(
            store.db,
            sql`update outbox set lease_until = now() + interval '30 seconds'
              where id in (select id from outbox where entity_id = ${entity} for update skip locked)
              returning version`,
          );
        });
        expect(seen).toEqual([{ version: 2 }]);
      },
    );

    it('re-runs migrations as a no-op that keeps the data', async () => {
      const s = slug('migrate');
      await insertContent(store, { slug: s });
      const applied = () =>
        queryRows<{ n: number }>(store.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
      const before = await applied();
      await migrate(store);
      expect(await applied()).toEqual(before);
      expect(before[0]?.n).toBeGreaterThan(0);
      expect(await store.db.select({ slug: content.slug }).from(content).where(eq(content.slug, s))).toEqual([
        { slug: s },
      ]);
    });
  });
}

describe('pglite data directory lock', () => {
  const root = mkdtempSync(join(tmpdir(), 'polyfolio-lock-'));
  const template = () => new Blob([readFileSync(inject('pgliteTemplate'))]);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('refuses a directory whose lock file belongs to a live process', async () => {
    const dataDir = join(root, 'live');
    writeFileSync(`${dataDir}.lock`, String(process.ppid)); // the parent is alive and is not us
    await expect(openPglite({ dataDir })).rejects.toThrow(new RegExp(`in use by process ${process.ppid}`));
    expect(readFileSync(`${dataDir}.lock`, 'utf8')).toBe(String(process.ppid));
  });

  it('takes over a stale lock left by a dead process, and refuses a second open in the same process', async () => {
    const dataDir = join(root, 'stale');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(`${dataDir}.lock`, String(dead));
    const store = await openPglite({ dataDir, loadDataDir: template() });
    try {
      expect(readFileSync(`${dataDir}.lock`, 'utf8')).toBe(String(process.pid));
      await store.ping();
      await expect(openPglite({ dataDir })).rejects.toThrow(/in use by this process/);
      await store.ping(); // the refused second open left the first one working
    } finally {
      await store.close();
    }
    expect(existsSync(`${dataDir}.lock`), 'close releases the lock').toBe(false);
  });
});
