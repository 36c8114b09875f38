import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { queryRows, type SqlStore } from '../stores/sql/index.js';

/**
 * Backup archives: gzip'd JSON lines, written and read as streams so large tables never sit in memory.
 *
 *   {"t":"header","format":"polyfolio-backup","formatVersion":1,...}
 *   {"t":"table","name":"content","columns":[...]}
 *   {"t":"row","v":{...}}                      one per row, the row as Postgres' row_to_json gives it
 *   {"t":"end","name":"content","rows":6,"sha256":"..."}   checksum of that table's row lines
 *   {"t":"config","key":"...","value":...}
 *   {"t":"trailer","sha256":"...","rows":{...}}  checksum of every line before it
 *
 * Only the source of truth is archived. Chunks, vectors, graph tables, the outbox and app state are
 * projections or bookkeeping: restore rebuilds them (`reindex --full`).
 */

export const BACKUP_FORMAT = 'polyfolio-backup';
export const BACKUP_FORMAT_VERSION = 1;

/** Durable tables in foreign-key order (parents first), each with its key for stable paging. */
export const BACKUP_TABLES: { name: string; orderBy: string[] }[] = [
  { name: 'users', orderBy: ['id'] },
  { name: 'concepts', orderBy: ['id'] },
  { name: 'content', orderBy: ['id'] },
  { name: 'concept_prerequisites', orderBy: ['concept_id', 'requires_id'] },
  { name: 'content_concepts', orderBy: ['content_id', 'concept_id'] },
  { name: 'content_related', orderBy: ['from_id', 'to_id'] },
  { name: 'concept_related', orderBy: ['from_id', 'to_id'] },
  { name: 'conversations', orderBy: ['id'] },
  { name: 'messages', orderBy: ['id'] },
  { name: 'audit_log', orderBy: ['id'] },
];

const PAGE_SIZE = 500;

export interface BackupSummary {
  rows: Record<string, number>;
  configKeys: string[];
  sha256: string;
  bytes: number;
}

export class BackupError extends Error {
  override name = 'BackupError';
}

/** Columns that can be written back (generated columns are recomputed by Postgres). */
async function writableColumns(store: SqlStore, table: string): Promise<string[]> {
  const rows = await queryRows<{ column_name: string }>(
    store.db,
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

/** Streams every durable table and the given config documents into `out` (gzip'd). */
export async function writeBackup(options: {
  store: SqlStore;
  out: Writable;
  config?: Record<string, unknown>;
  now?: () => Date;
  onProgress?: (table: string, rows: number) => void;
}): Promise<BackupSummary> {
  const { store, out } = options;
  const gzip = createGzip();
  let bytes = 0;
  gzip.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  gzip.pipe(out);
  const all = createHash('sha256');
  const write = async (obj: unknown, tableHash?: Hash) => {
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
  });
  for (const table of BACKUP_TABLES) {
    const columns = await writableColumns(store, table.name);
    await write({ t: 'table', name: table.name, columns });
    const tableHash = createHash('sha256');
    const cols = columns.map(ident).join(', ');
    const order = table.orderBy.map(ident).join(', ');
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
  for (const key of configKeys) await write({ t: 'config', key, value: options.config?.[key] ?? null });
  const sha256 = all.digest('hex');
  const trailer = `${JSON.stringify({ t: 'trailer', sha256, rows })}\n`;
  gzip.end(trailer);
  await finished(out);
  return { rows, configKeys, sha256, bytes };
}

export async function writeBackupFile(
  file: string,
  options: Omit<Parameters<typeof writeBackup>[0], 'out'>,
): Promise<BackupSummary> {
  return writeBackup({ ...options, out: createWriteStream(file, { flags: 'wx' }) });
}

type Line =
  | { t: 'header'; format: string; formatVersion: number; createdAt: string; tables: string[] }
  | { t: 'table'; name: string; columns: string[] }
  | { t: 'row'; v: Record<string, unknown> }
  | { t: 'end'; name: string; rows: number; sha256: string }
  | { t: 'config'; key: string; value: unknown }
  | { t: 'trailer'; sha256: string; rows: Record<string, number> };

/** Reads an archive line by line, verifying structure and checksums as it goes; throws BackupError. */
export async function* readBackup(file: string): AsyncGenerator<Line> {
  const gunzip = createGunzip();
  const input = createReadStream(file).pipe(gunzip);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const all = createHash('sha256');
  let tableHash: Hash | null = null;
  let tableRows = 0;
  let current: string | null = null;
  let sawHeader = false;
  let sawTrailer = false;
  try {
    for await (const text of lines) {
      if (sawTrailer) throw new BackupError('Data after the trailer: the archive was tampered with.');
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        throw new BackupError('A line is not valid JSON: the archive is damaged.');
      }
      if (!sawHeader) {
        if (line.t !== 'header' || line.format !== BACKUP_FORMAT)
          throw new BackupError('Not a polyfolio backup (missing header).');
        if (line.formatVersion > BACKUP_FORMAT_VERSION)
          throw new BackupError(
            `Backup format ${line.formatVersion} is newer than this version understands.`,
          );
        sawHeader = true;
      }
      if (line.t === 'trailer') {
        if (line.sha256 !== all.digest('hex'))
          throw new BackupError('Archive checksum mismatch: it is damaged.');
        sawTrailer = true;
        yield line;
        continue;
      }
      all.update(`${text}\n`);
      if (line.t === 'table') {
        current = line.name;
        tableHash = createHash('sha256');
        tableRows = 0;
      } else if (line.t === 'row') {
        if (!tableHash) throw new BackupError('A row outside a table section: the archive is damaged.');
        tableHash.update(`${text}\n`);
        tableRows++;
      } else if (line.t === 'end') {
        if (!tableHash || line.name !== current) throw new BackupError('Unbalanced table section.');
        if (line.rows !== tableRows || line.sha256 !== tableHash.digest('hex'))
          throw new BackupError(`Table ${line.name} does not match its checksum: the archive is damaged.`);
        tableHash = null;
      }
      yield line;
    }
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(
      `The archive cannot be read (${(err as Error).message}): it is damaged or truncated.`,
    );
  }
  if (!sawTrailer) throw new BackupError('The archive ends before its trailer: it is truncated.');
}

/** Reads the whole archive once without writing anything; throws BackupError when damaged. */
export async function verifyBackup(file: string): Promise<{ rows: Record<string, number>; sha256: string }> {
  for await (const line of readBackup(file))
    if (line.t === 'trailer') return { rows: line.rows, sha256: line.sha256 };
  throw new BackupError('The archive ends before its trailer: it is truncated.');
}

/**
 * Restores an archive into an EMPTY database: verifies it completely first (nothing is written from a
 * damaged archive), then inserts table by table in batches. Returns the config documents to restore.
 */
export async function restoreBackup(options: {
  file: string;
  store: SqlStore;
  onProgress?: (table: string, rows: number) => void;
}): Promise<{ rows: Record<string, number>; config: Record<string, unknown> }> {
  const { file, store } = options;
  await verifyBackup(file);
  for (const t of BACKUP_TABLES) {
    const [row] = await queryRows<{ n: number }>(
      store.db,
      sql`select count(*)::int as n from ${sql.raw(ident(t.name))}`,
    );
    if ((row?.n ?? 0) > 0)
      throw new BackupError(
        `The target database is not empty (table ${t.name} has rows). Restore into an empty one.`,
      );
  }
  const known = new Set(BACKUP_TABLES.map((t) => t.name));
  const rows: Record<string, number> = {};
  const config: Record<string, unknown> = {};
  let table: string | null = null;
  let columns: string[] = [];
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (!table || batch.length === 0) return;
    const cols = columns.map(ident).join(', ');
    // json_populate_recordset converts each JSON value back to its column's type.
    await store.db.execute(
      sql`insert into ${sql.raw(ident(table))} (${sql.raw(cols)})
          select ${sql.raw(cols)} from json_populate_recordset(null::${sql.raw(ident(table))}, ${JSON.stringify(batch)}::json)`,
    );
    rows[table] = (rows[table] ?? 0) + batch.length;
    options.onProgress?.(table, rows[table] ?? 0);
    batch = [];
  };
  for await (const line of readBackup(file)) {
    if (line.t === 'table') {
      if (!known.has(line.name)) throw new BackupError(`Unknown table ${line.name} in the archive.`);
      table = line.name;
      columns = line.columns;
      rows[table] = 0;
    } else if (line.t === 'row') {
      batch.push(line.v);
      if (batch.length >= PAGE_SIZE) await flush();
    } else if (line.t === 'end') {
      await flush();
      table = null;
    } else if (line.t === 'config') {
      config[line.key] = line.value;
    }
  }
  await store.db.execute(
    sql`select setval(pg_get_serial_sequence('audit_log', 'id'), coalesce((select max(id) from audit_log), 0) + 1, false)`,
  );
  return { rows, config };
}
