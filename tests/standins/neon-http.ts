/**
 * A local stand-in for Neon's HTTP SQL endpoint (what `neon()` from `@neondatabase/serverless` posts to),
 * executing on a real PostgreSQL through node-postgres. It speaks what the driver sends and expects:
 * - `POST` with `Neon-Connection-String` naming the database (one pool per distinct string);
 * - body `{ query, params }` -> `{ fields, rows, rowCount, command, rowAsArray }`, rows as arrays of
 *   raw text values (the driver parses them with the field type ids, as `Neon-Raw-Text-Output` asks);
 * - body `{ queries: [...] }` -> `{ results: [...] }`, all in one transaction, rolled back on any error,
 *   honouring `Neon-Batch-Isolation-Level`, `-Read-Only` and `-Deferrable`;
 * - a failed statement -> 400 with the Postgres error fields (`message`, `code`, `detail`, `constraint`...).
 * Statements use the extended protocol, so, as on Neon, one query carries one statement.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { readBody, send } from './http.js';

export interface NeonHttpStandin {
  /** The URL to set as `neonConfig.fetchEndpoint` (`NEON_FETCH_ENDPOINT`). */
  endpoint: string;
  /** Every request received: tests assert round trips and headers. */
  requests: { headers: IncomingMessage['headers']; body: unknown }[];
  close(): Promise<void>;
}

interface QueryBody {
  query: string;
  params?: unknown[];
}

const ERROR_FIELDS = [
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const;

const ISOLATION: Record<string, string> = {
  ReadUncommitted: 'READ UNCOMMITTED',
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
};

// Neon returns every value as Postgres's text output; the driver applies the type parsers.
const rawText = { getTypeParser: () => (value: string) => value };

export async function startNeonHttpStandin(): Promise<NeonHttpStandin> {
  const pools = new Map<string, pg.Pool>();
  const requests: NeonHttpStandin['requests'] = [];

  function poolFor(connectionString: string): pg.Pool {
    let pool = pools.get(connectionString);
    if (!pool) {
      pool = new pg.Pool({ connectionString, max: 4, connectionTimeoutMillis: 3_000 });
      pool.on('error', () => {});
      pools.set(connectionString, pool);
    }
    return pool;
  }

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { message: String(err) });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return send(res, 400, { message: 'request body is not valid JSON' });
    }
    requests.push({ headers: req.headers, body });
    if (req.method !== 'POST') return send(res, 405, { message: 'method not allowed' });
    const connectionString = header(req, 'neon-connection-string');
    if (!connectionString) return send(res, 400, { message: 'missing Neon-Connection-String header' });
    const pool = poolFor(connectionString);

    if (isBatch(body)) {
      const client = await pool.connect();
      try {
        await client.query(beginStatement(req));
        const results = [];
        for (const q of body.queries) results.push(await execute(client, q));
        await client.query('COMMIT');
        return send(res, 200, { results });
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        return sendPgError(res, err);
      } finally {
        client.release();
      }
    }
    if (!isQuery(body)) return send(res, 400, { message: 'expected { query, params } or { queries }' });
    try {
      return send(res, 200, await execute(pool, body));
    } catch (err) {
      return sendPgError(res, err);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/sql`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...pools.values()].map((p) => p.end()));
    },
  };
}

async function execute(runner: pg.Pool | pg.PoolClient, q: QueryBody) {
  const result = await runner.query({
    text: q.query,
    values: q.params ?? [],
    rowMode: 'array',
    types: rawText,
    queryMode: 'extended',
  } as pg.QueryConfig & { queryMode: 'extended' });
  return {
    fields: result.fields.map((f) => ({
      name: f.name,
      tableID: f.tableID,
      columnID: f.columnID,
      dataTypeID: f.dataTypeID,
      dataTypeSize: f.dataTypeSize,
      dataTypeModifier: f.dataTypeModifier,
      format: f.format,
    })),
    rows: result.rows,
    rowCount: result.rowCount,
    command: result.command,
    rowAsArray: true,
  };
}

function beginStatement(req: IncomingMessage): string {
  const parts = ['BEGIN'];
  const isolation = ISOLATION[header(req, 'neon-batch-isolation-level') ?? ''];
  if (isolation) parts.push(`ISOLATION LEVEL ${isolation}`);
  const readOnly = header(req, 'neon-batch-read-only');
  if (readOnly === 'true') parts.push('READ ONLY');
  const deferrable = header(req, 'neon-batch-deferrable');
  if (deferrable === 'true') parts.push('DEFERRABLE');
  return parts.join(' ');
}

function sendPgError(res: ServerResponse, err: unknown): void {
  const e = err as Record<string, unknown> & { message?: string };
  const body: Record<string, unknown> = { message: e.message ?? String(err) };
  for (const f of ERROR_FIELDS) if (e[f] !== undefined) body[f] = e[f];
  send(res, 400, body);
}

function isQuery(v: unknown): v is QueryBody {
  return typeof v === 'object' && v !== null && typeof (v as QueryBody).query === 'string';
}

function isBatch(v: unknown): v is { queries: QueryBody[] } {
  const queries = (v as { queries?: unknown } | null)?.queries;
  return Array.isArray(queries) && queries.every(isQuery);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
