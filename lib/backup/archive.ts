import { createHash, createHmac, type Hash, type Hmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { type SQL, sql } from 'drizzle-orm';
import { type Db, queryRows, type SqlStore } from '../stores/sql/index.js';

/**
 * Backup archives: gzip'd JSON lines, written and read as streams so large tables never sit in memory.
 *
 *   {"t":"header","format":"polyfolio-backup","formatVersion":2,"checksum":"sha256"|"hmac-sha256",...}
 *   {"t":"table","name":"content","columns":[...]}
 *   {"t":"row","v":{...}}                      one per row, the row as Postgres' row_to_json gives it
 *   {"t":"end","name":"content","rows":6,"sha256":"..."}   digest of that table's row lines
 *   {"t":"config","key":"...","value":...}
 *   {"t":"trailer","sha256":"...","rows":{...}}  digest of every line before it; the last line
 *
 * The digests are SHA-256, or HMAC-SHA256 under `BACKUP_KEY` when one is set (`checksum` in the
 * header says which; `keyId` identifies the key without revealing it): an unkeyed checksum only
 * detects damage, a keyed one also refuses an archive edited by someone without the key.
 *
 * Only the source of truth is archived. Chunks, vectors, graph tables, the outbox and app state are
 * projections or bookkeeping: restore rebuilds them (`reindex --full`).
 */

export const BACKUP_FORMAT = 'polyfolio-backup';
/** 2 added `checksum`/`keyId` (keyed archives); version 1 archives (unkeyed) still restore. */
export const BACKUP_FORMAT_VERSION = 2;

export interface BackupTable {
  name: string;
  /** The primary key: stable paging order, and unique in an archive. */
  key: string[];
  /** Other unique constraints, checked before anything is written. */
  unique?: string[][];
  /** Foreign keys: column -> the table whose `id` it references (not null). */
  refs?: Record<string, string>;
}

/** Durable tables in foreign-key order (parents first). */
export const BACKUP_TABLES: BackupTable[] = [
  { name: 'users', key: ['id'], unique: [['email']] },
  { name: 'concepts', key: ['id'], unique: [['slug']] },
  { name: 'content', key: ['id'], unique: [['slug']] },
  {
    name: 'concept_prerequisites',
    key: ['concept_id', 'requires_id'],
    refs: { concept_id: 'concepts', requires_id: 'concepts' },
  },
  {
    name: 'content_concepts',
    key: ['content_id', 'concept_id'],
    refs: { content_id: 'content', concept_id: 'concepts' },
  },
  { name: 'content_related', key: ['from_id', 'to_id'], refs: { from_id: 'content', to_id: 'content' } },
  { name: 'concept_related', key: ['from_id', 'to_id'], refs: { from_id: 'concepts', to_id: 'concepts' } },
  { name: 'conversations', key: ['id'] },
  {
    name: 'messages',
    key: ['id'],
    unique: [['conversation_id', 'seq']],
    refs: { conversation_id: 'conversations' },
  },
  { name: 'audit_log', key: ['id'] },
];

const PAGE_SIZE = 500;

export interface BackupSummary {
  rows: Record<string, number>;
  configKeys: string[];
  /** The archive's digest (SHA-256, or HMAC-SHA256 when keyed). */
  sha256: string;
  keyed: boolean;
  bytes: number;
}

export class BackupError extends Error {
  override name = 'BackupError';
}

type Checksum = 'sha256' | 'hmac-sha256';

function digester(key: string | undefined): Hash | Hmac {
  return key ? createHmac('sha256', key) : createHash('sha256');
}

/** Names a key without revealing it, so a restore can say "made with a different BACKUP_KEY". */
export function backupKeyId(key: string): string {
  return createHmac('sha256', key).update('polyfolio-backup-key-id').digest('hex').slice(0, 16);
}

function sameDigest(a: unknown, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Columns that can be written back (generated columns are recomputed by Postgres). */
async function writableColumns(db: Db, table: string): Promise<string[]> {
  const rows = await queryRows<{ column_name: string }>(
    db,
    sql`select column_name from information_schema.columns
        where table_schema = current_schema() and table_name = ${table} and is_generated = 'NEVER'
        order by ordinal_position`,
  );
  return rows.map((r) => r.column_name);
}

function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new BackupError(`Unexpected identifier ${name}`);
  return `"${name}"`;
}

/**
 * Streams every durable table and the given config documents into `out` (gzip'd). With `key`, every
 * digest is an HMAC under it.
 */
export async function writeBackup(options: {
  store: SqlStore;
  out: Writable;
  config?: Record<string, unknown>;
  key?: string;
  now?: () => Date;
  onProgress?: (table: string, rows: number) => void;
}): Promise<BackupSummary> {
  const { store, out, key } = options;
  const gzip = createGzip();
  let bytes = 0;
  gzip.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  gzip.pipe(out);
  const all = digester(key);
  const write = async (obj: unknown, tableHash?: Hash | Hmac) => {
    const line = `${JSON.stringify(obj)}\n`;
    all.update(line);
    tableHash?.update(line);
    if (!gzip.write(line)) await once(gzip, 'drain');
  };

  const rows: Record<string, number> = {};
  await write({
    t: 'header',
    format: BACKUP_FORMAT,
    formatVersion: BACKUP_FORMAT_VERSION,
    createdAt: (options.now ?? (() => new Date()))().toISOString(),
    tables: BACKUP_TABLES.map((t) => t.name),
    checksum: (key ? 'hmac-sha256' : 'sha256') satisfies Checksum,
    ...(key ? { keyId: backupKeyId(key) } : {}),
  });
  for (const table of BACKUP_TABLES) {
    const columns = await writableColumns(store.db, table.name);
    await write({ t: 'table', name: table.name, columns });
    const tableHash = digester(key);
    const cols = columns.map(ident).join(', ');
    const order = table.key.map(ident).join(', ');
    let count = 0;
    let after: unknown[] | null = null;
    for (;;) {
      // Keyset paging on the primary key: constant memory, stable under concurrent inserts.
      const where =
        after === null
          ? sql``
          : sql` where (${sql.raw(order)}) > (${sql.join(
              after.map((v) => sql`${v}`),
              sql`, `,
            )})`;
      const page = await queryRows<{ v: Record<string, unknown>; k: unknown[] }>(
        store.db,
        sql`select row_to_json(x) as v, json_build_array(${sql.raw(order)}) as k
            from (select ${sql.raw(cols)} from ${sql.raw(ident(table.name))}${where}
                  order by ${sql.raw(order)} limit ${PAGE_SIZE}) x`,
      );
      for (const r of page)
        await write({ t: 'row', v: typeof r.v === 'string' ? JSON.parse(r.v) : r.v }, tableHash);
      count += page.length;
      options.onProgress?.(table.name, count);
      const last = page.at(-1);
      if (!last || page.length < PAGE_SIZE) break;
      after = (typeof last.k === 'string' ? JSON.parse(last.k) : last.k) as unknown[];
    }
    rows[table.name] = count;
    await write({ t: 'end', name: table.name, rows: count, sha256: tableHash.digest('hex') });
  }
  const configKeys = Object.keys(options.config ?? {});
  for (const k of configKeys) await write({ t: 'config', key: k, value: options.config?.[k] ?? null });
  const sha256 = all.digest('hex');
  const trailer = `${JSON.stringify({ t: 'trailer', sha256, rows })}\n`;
  gzip.end(trailer);
  await finished(out);
  return { rows, configKeys, sha256, keyed: Boolean(key), bytes };
}

/**
 * Writes an archive to a new file: parent folders are created, the file is created 0600 (it holds
 * password hashes and conversations) and never overwrites; a failed backup leaves no partial file.
 */
export async function writeBackupFile(
  file: string,
  options: Omit<Parameters<typeof writeBackup>[0], 'out'>,
): Promise<BackupSummary> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  await once(out, 'open');
  try {
    return await writeBackup({ ...options, out });
  } catch (err) {
    out.destroy();
    rmSync(file, { force: true });
    throw err;
  }
}

export type Line =
  | {
      t: 'header';
      format: string;
      formatVersion: number;
      createdAt: string;
      tables: string[];
      checksum?: Checksum;
      keyId?: string;
    }
  | { t: 'table'; name: string; columns: string[] }
  | { t: 'row'; v: Record<string, unknown> }
  | { t: 'end'; name: string; rows: number; sha256: string }
  | { t: 'config'; key: string; value: unknown }
  | { t: 'trailer'; sha256: string; rows: Record<string, number> };

/**
 * The archive's lines, split on LF only and decoded as strict UTF-8 (readline would also split on a
 * lone CR and replace invalid bytes, so two different files could read the same). The last line must
 * end with LF: anything after it is a truncated or appended line.
 */
async function* archiveLines(input: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Buffer[] = [];
  for await (const chunk of input) {
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, i));
      yield decoder.decode(Buffer.concat(pending));
      pending = [];
      start = i + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.some((b) => b.length > 0))
    throw new BackupError('The archive ends inside a line: it is truncated or was appended to.');
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * Reads an archive line by line, verifying its structure and digests as it goes; throws BackupError.
 * The structure is strict: the header, then each table of BACKUP_TABLES once and in order (its
 * rows, then its `end`), then config documents, then the trailer as the very last line. `key` is the
 * BACKUP_KEY: a keyed archive needs it, and with a key an unkeyed archive is refused (it could have
 * been edited and its checksums recomputed).
 */
export async function* readBackup(file: string, options: { key?: string } = {}): AsyncGenerator<Line> {
  const gunzip = createGunzip();
  const input = createReadStream(file).pipe(gunzip);
  const lines = archiveLines(input);
  let all: Hash | Hmac | null = null;
  let key: string | undefined;
  let tableHash: Hash | Hmac | null = null;
  let tableRows = 0;
  let nextTable = 0;
  let current: string | null = null;
  let sawHeader = false;
  let sawTrailer = false;
  const counted: Record<string, number> = {};
  const configKeys = new Set<string>();
  const damaged = (what: string) => new BackupError(`${what}: the archive is damaged or was edited.`);
  try {
    for await (const text of lines) {
      if (sawTrailer) throw new BackupError('Data after the trailer: the archive was tampered with.');
      let parsed: unknown;
      // Lines are JSON.stringify output: an object with no surrounding whitespace.
      if (!text.startsWith('{') || !text.endsWith('}')) throw damaged('A line is not a JSON object');
      try {
        parsed = JSON.parse(text);
      } catch {
        throw damaged('A line is not valid JSON');
      }
      if (!isObject(parsed)) throw damaged('A line is not an object');
      const line = parsed as Line;
      if (!sawHeader) {
        if (line.t !== 'header' || line.format !== BACKUP_FORMAT)
          throw new BackupError('Not a polyfolio backup (missing header).');
        if (typeof line.formatVersion !== 'number' || line.formatVersion > BACKUP_FORMAT_VERSION)
          throw new BackupError(
            `Backup format ${String(line.formatVersion)} is newer than this version understands.`,
          );
        const names = BACKUP_TABLES.map((t) => t.name);
        if (!isStringArray(line.tables) || line.tables.join(',') !== names.join(','))
          throw new BackupError(
            `The archive's tables (${String(line.tables)}) are not the ones this version restores (${names.join(', ')}).`,
          );
        const checksum = line.checksum ?? 'sha256';
        if (checksum === 'hmac-sha256') {
          if (!options.key)
            throw new BackupError('The archive is signed with a BACKUP_KEY: set BACKUP_KEY to restore it.');
          if (line.keyId !== backupKeyId(options.key))
            throw new BackupError('The archive is signed with a different BACKUP_KEY.');
          key = options.key;
        } else if (checksum === 'sha256') {
          if (options.key)
            throw new BackupError(
              'BACKUP_KEY is set but the archive is not signed, so an edit cannot be detected. ' +
                'Unset BACKUP_KEY to restore an unsigned archive deliberately.',
            );
        } else {
          throw new BackupError(`Unknown checksum ${String(checksum)}.`);
        }
        all = digester(key);
        sawHeader = true;
        all.update(`${text}\n`);
        yield line;
        continue;
      }
      if (!all) throw damaged('No header');
      if (line.t === 'trailer') {
        if (current !== null) throw damaged(`Table ${current} has no end`);
        if (nextTable !== BACKUP_TABLES.length) throw damaged('Tables are missing');
        if (!sameDigest(line.sha256, all.digest('hex')))
          throw new BackupError('Archive checksum mismatch: the archive is damaged or was edited.');
        if (!isObject(line.rows) || JSON.stringify(line.rows) !== JSON.stringify(counted))
          throw damaged('The trailer row counts do not match the rows');
        sawTrailer = true;
        yield line;
        continue;
      }
      all.update(`${text}\n`);
      if (line.t === 'table') {
        const expected = BACKUP_TABLES[nextTable]?.name;
        if (current !== null || line.name !== expected)
          throw damaged(`Table section ${String(line.name)} where ${expected ?? 'config'} was expected`);
        if (!isStringArray(line.columns) || line.columns.length === 0)
          throw damaged(`Table ${line.name} has no column list`);
        current = line.name;
        tableHash = digester(key);
        tableRows = 0;
      } else if (line.t === 'row') {
        if (!tableHash || current === null) throw damaged('A row outside a table section');
        if (!isObject(line.v)) throw damaged(`A row of ${current} is not an object`);
        tableHash.update(`${text}\n`);
        tableRows++;
      } else if (line.t === 'end') {
        if (!tableHash || line.name !== current) throw damaged('Unbalanced table section');
        if (line.rows !== tableRows || !sameDigest(line.sha256, tableHash.digest('hex')))
          throw damaged(`Table ${line.name} does not match its checksum`);
        counted[line.name] = tableRows;
        tableHash = null;
        current = null;
        nextTable++;
      } else if (line.t === 'config') {
        if (current !== null || nextTable !== BACKUP_TABLES.length)
          throw damaged('A config document inside the tables');
        if (typeof line.key !== 'string' || configKeys.has(line.key))
          throw damaged(`Config document ${String(line.key)} is missing its key or repeated`);
        configKeys.add(line.key);
      } else {
        throw damaged(`Unknown line type ${String((line as { t?: unknown }).t)}`);
      }
      yield line;
    }
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(
      `The archive cannot be read (${(err as Error).message}): it is damaged or truncated.`,
    );
  } finally {
    input.destroy();
  }
  if (!sawTrailer) throw new BackupError('The archive ends before its trailer: it is truncated.');
}

export interface VerifiedBackup {
  rows: Record<string, number>;
  sha256: string;
  keyed: boolean;
  columns: Record<string, string[]>;
  config: Record<string, unknown>;
}

/**
 * Reads the WHOLE archive without writing anything (up to its last byte: data after the trailer is
 * refused too) and checks what the digests cannot: every row has the table's columns and a primary
 * key, no primary or unique key repeats, and every foreign key points at a row of the archive.
 * Throws BackupError. Memory: the key values, not the rows.
 */
export async function verifyBackup(file: string, options: { key?: string } = {}): Promise<VerifiedBackup> {
  const byName = new Map(BACKUP_TABLES.map((t) => [t.name, t]));
  const ids = new Map<string, Set<string>>();
  const columns: Record<string, string[]> = {};
  const config: Record<string, unknown> = {};
  let table: BackupTable | undefined;
  let cols = new Set<string>();
  let seen: { cols: string[]; values: Set<string> }[] = [];
  let keyed = false;
  let trailer: { sha256: string; rows: Record<string, number> } | undefined;
  for await (const line of readBackup(file, options)) {
    if (line.t === 'header') keyed = line.checksum === 'hmac-sha256';
    else if (line.t === 'table') {
      table = byName.get(line.name);
      if (!table) throw new BackupError(`Unknown table ${line.name} in the archive.`);
      columns[line.name] = line.columns;
      cols = new Set(line.columns);
      for (const c of [...table.key, ...(table.unique ?? []).flat(), ...Object.keys(table.refs ?? {})])
        if (!cols.has(c)) throw new BackupError(`Table ${line.name} in the archive lacks column ${c}.`);
      seen = [table.key, ...(table.unique ?? [])].map((c) => ({ cols: c, values: new Set<string>() }));
      ids.set(line.name, new Set());
    } else if (line.t === 'row' && table) {
      const name = table.name;
      for (const k of Object.keys(line.v))
        if (!cols.has(k)) throw new BackupError(`A row of ${name} has a column ${k} its table does not.`);
      for (const constraint of seen) {
        const values = constraint.cols.map((c) => line.v[c] ?? null);
        if (values.some((v) => v === null)) {
          if (constraint === seen[0]) throw new BackupError(`A row of ${name} has no primary key.`);
          continue; // NULLs never collide in a unique index
        }
        const tuple = JSON.stringify(values);
        if (constraint.values.has(tuple))
          throw new BackupError(
            `Table ${name} repeats ${constraint.cols.join(', ')} ${tuple}: the archive is damaged or was edited.`,
          );
        constraint.values.add(tuple);
      }
      if (table.key.length === 1 && table.key[0] === 'id') ids.get(name)?.add(String(line.v.id));
      for (const [column, parent] of Object.entries(table.refs ?? {})) {
        const value = line.v[column];
        if (value === null || value === undefined || !ids.get(parent)?.has(String(value)))
          throw new BackupError(
            `A row of ${name} refers to ${parent} ${JSON.stringify(value)}, which is not in the archive.`,
          );
      }
    } else if (line.t === 'end') table = undefined;
    else if (line.t === 'config') config[line.key] = line.value;
    else if (line.t === 'trailer') trailer = line;
  }
  if (!trailer) throw new BackupError('The archive ends before its trailer: it is truncated.');
  return { rows: trailer.rows, sha256: trailer.sha256, keyed, columns, config };
}

/** A statement that fails (rolling back whatever it runs with) unless every backup table is empty. */
function emptyGuard(): SQL {
  const checks = BACKUP_TABLES.map((t) => `exists (select 1 from ${ident(t.name)})`).join(' or ');
  return sql.raw(
    `do $$ begin if ${checks} then raise exception 'polyfolio restore: the target database is not empty'; end if; end $$`,
  );
}

/** Every serial column of the backup tables, with its sequence. */
async function serialColumns(db: Db): Promise<{ table: string; column: string; sequence: string }[]> {
  const rows = await queryRows<{ table_name: string; column_name: string; seq: string | null }>(
    db,
    sql`select table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name) as seq
        from information_schema.columns
        where table_schema = current_schema()
          and table_name in (${sql.join(
            BACKUP_TABLES.map((t) => sql`${t.name}`),
            sql`, `,
          )})
          and column_default like 'nextval(%'`,
  );
  return rows
    .filter((r) => r.seq)
    .map((r) => ({ table: r.table_name, column: r.column_name, sequence: r.seq as string }));
}

/**
 * Restores an archive into an EMPTY database, all or nothing:
 * 1. verifies the whole archive (structure, digests, keys, references) and that its columns exist
 *    here, before the first write;
 * 2. writes every row in ONE transaction (PGlite, node-postgres) or ONE batch (Neon HTTP, which runs a
 *    batch as a transaction), guarded by an emptiness check inside it, re-verifying the digests as it
 *    reads, so a failure anywhere (a constraint, a file changed meanwhile) leaves the target untouched;
 * 3. moves each serial sequence (audit_log.id) past the restored ids, as the transaction's last step.
 * Returns the config documents to restore. On Neon HTTP the batch is built in memory: for an archive
 * of tens of megabytes use the node-postgres driver (`DATABASE_DRIVER=postgres`) instead.
 */
export async function restoreBackup(options: {
  file: string;
  store: SqlStore;
  key?: string;
  onProgress?: (table: string, rows: number) => void;
}): Promise<{ rows: Record<string, number>; config: Record<string, unknown> }> {
  const { file, store } = options;
  const verified = await verifyBackup(file, options.key ? { key: options.key } : {});
  for (const t of BACKUP_TABLES) {
    const here = new Set(await writableColumns(store.db, t.name));
    const missing = (verified.columns[t.name] ?? []).filter((c) => !here.has(c));
    if (missing.length)
      throw new BackupError(
        `Table ${t.name} here has no column ${missing.join(', ')}: run the migrations (or a newer version) first.`,
      );
    const [row] = await queryRows<{ n: number }>(
      store.db,
      sql`select count(*)::int as n from ${sql.raw(ident(t.name))}`,
    );
    if ((row?.n ?? 0) > 0)
      throw new BackupError(
        `The target database is not empty (table ${t.name} has rows). Restore into an empty one.`,
      );
  }
  const sequences = await serialColumns(store.db);

  const rows: Record<string, number> = {};
  async function* statements(): AsyncGenerator<SQL> {
    yield emptyGuard();
    let table: string | null = null;
    let columns: string[] = [];
    let batch: Record<string, unknown>[] = [];
    const flush = (): SQL | null => {
      if (!table || batch.length === 0) return null;
      const cols = columns.map(ident).join(', ');
      // json_populate_recordset converts each JSON value back to its column's type.
      const statement = sql`insert into ${sql.raw(ident(table))} (${sql.raw(cols)})
          select ${sql.raw(cols)} from json_populate_recordset(null::${sql.raw(ident(table))}, ${JSON.stringify(batch)}::json)`;
      rows[table] = (rows[table] ?? 0) + batch.length;
      options.onProgress?.(table, rows[table] ?? 0);
      batch = [];
      return statement;
    };
    for await (const line of readBackup(file, options.key ? { key: options.key } : {})) {
      if (line.t === 'table') {
        table = line.name;
        columns = line.columns;
        rows[table] = 0;
      } else if (line.t === 'row') {
        batch.push(line.v);
        if (batch.length >= PAGE_SIZE) {
          const s = flush();
          if (s) yield s;
        }
      } else if (line.t === 'end') {
        const s = flush();
        if (s) yield s;
        table = null;
      }
    }
    for (const s of sequences)
      yield sql`select setval(${s.sequence}, coalesce((select max(${sql.raw(ident(s.column))}) from ${sql.raw(ident(s.table))}), 0) + 1, false)`;
  }

  try {
    if (store.interactiveTransactions) {
      await store.db.transaction(async (tx) => {
        const q = tx as unknown as Db;
        for await (const statement of statements()) await q.execute(statement);
      });
    } else {
      const queries: unknown[] = [];
      for await (const statement of statements()) queries.push(store.db.execute(statement));
      const batchable = store.db as unknown as { batch(queries: unknown[]): Promise<unknown[]> };
      await batchable.batch(queries);
    }
  } catch (err) {
    if (err instanceof BackupError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (/target database is not empty/.test(message))
      throw new BackupError('The target database is not empty. Restore into an empty one.');
    throw new Error(`Nothing was restored (the transaction was rolled back): ${message}`, { cause: err });
  }
  return { rows, config: verified.config };
}
