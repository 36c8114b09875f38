/**
 * A local stand-in for a Pinecone index's data plane, answering the HTTP calls
 * `@pinecone-database/pinecone` 9 makes when pointed at `pc.index({ host })`:
 * - `POST /vectors/upsert` `{ vectors, namespace }` -> `{ upsertedCount }`; over 1,000 records or 2 MB is
 *   a 400, as on Pinecone; a vector of the wrong dimension is a 400;
 * - `POST /query` `{ vector, topK, filter, includeMetadata, includeValues, namespace }` -> brute-force
 *   cosine `{ matches, namespace }`;
 * - `POST /vectors/delete` `{ ids | deleteAll | filter, namespace }`; deleteAll on an absent namespace is a
 *   404, as on Pinecone;
 * - `GET /vectors/fetch?ids=..&namespace=..` -> `{ vectors: { id: record } }`;
 * - `GET /vectors/list?prefix=&limit=&paginationToken=&namespace=` -> ids in id order, paginated;
 * - `POST /describe_index_stats` -> `{ namespaces: { ns: { vectorCount } }, dimension, totalVectorCount }`;
 * - `Api-Key: <key>` required on every call (401 otherwise).
 * Filters support `$eq $ne $in $nin $gt $gte $lt $lte $exists $and $or` and implicit equality; a list
 * field matches `$in`/`$eq` when any element does, as in Pinecone.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody, send } from './http.js';

type Metadata = Record<string, unknown>;
interface StoredRecord {
  id: string;
  values: number[];
  metadata?: Metadata;
}

export interface PineconeCall {
  method: string;
  path: string;
  query: Record<string, string[]>;
  body: unknown;
  headers: IncomingMessage['headers'];
  /** Size of the request body in bytes. */
  bytes: number;
}

export interface PineconeStandin {
  /** Give this to `pc.index({ host })` (or PINECONE_HOST). */
  host: string;
  apiKey: string;
  dimension: number;
  calls: PineconeCall[];
  /** Records of a namespace (tests inspect what was stored). */
  records(namespace?: string): StoredRecord[];
  close(): Promise<void>;
}

const MAX_RECORDS = 1000;
const MAX_BYTES = 2 * 1024 * 1024;
const DEFAULT_NAMESPACE = '__default__';

export async function startPineconeStandin(
  /** `dimension: 'first-write'`: the index takes the dimension of the first vector written to it. */
  options: { apiKey?: string; dimension?: number | 'first-write' } = {},
): Promise<PineconeStandin> {
  const apiKey = options.apiKey ?? 'standin-key';
  let dimension = options.dimension === 'first-write' ? undefined : (options.dimension ?? 8);
  const namespaces = new Map<string, Map<string, StoredRecord>>();
  const calls: PineconeCall[] = [];
  const ns = (name: unknown) => {
    const key = typeof name === 'string' && name !== '' ? name : DEFAULT_NAMESPACE;
    let m = namespaces.get(key);
    if (!m) {
      m = new Map();
      namespaces.set(key, m);
    }
    return m;
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => send(res, 500, { code: 13, message: String(err) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://standin');
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return send(res, 400, { code: 3, message: 'invalid JSON' });
    }
    const query: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) query[k] = [...(query[k] ?? []), v];
    calls.push({
      method: req.method ?? '',
      path: url.pathname,
      query,
      body,
      headers: req.headers,
      bytes: Buffer.byteLength(raw),
    });
    if (req.headers['api-key'] !== apiKey) return send(res, 401, { code: 16, message: 'Invalid API Key' });
    const b = (body ?? {}) as Record<string, unknown>;

    switch (`${req.method} ${url.pathname}`) {
      case 'POST /vectors/upsert': {
        const vectors = Array.isArray(b.vectors) ? (b.vectors as StoredRecord[]) : [];
        if (vectors.length > MAX_RECORDS || Buffer.byteLength(raw) > MAX_BYTES) {
          return send(res, 400, { code: 3, message: 'Request too large: at most 1000 vectors and 2 MB' });
        }
        dimension ??= vectors[0]?.values?.length;
        for (const v of vectors) {
          if (!Array.isArray(v.values) || v.values.length !== dimension) {
            return send(res, 400, {
              code: 3,
              message: `Vector dimension ${v.values?.length} does not match the dimension of the index ${dimension}`,
            });
          }
        }
        const target = ns(b.namespace);
        for (const v of vectors)
          target.set(v.id, { id: v.id, values: v.values, ...(v.metadata ? { metadata: v.metadata } : {}) });
        return send(res, 200, { upsertedCount: vectors.length });
      }
      case 'POST /query': {
        const vector = Array.isArray(b.vector) ? (b.vector as number[]) : [];
        const topK = typeof b.topK === 'number' ? b.topK : 10;
        const filter = b.filter as Metadata | undefined;
        const matches = [...ns(b.namespace).values()]
          .filter((r) => !filter || matches_(r.metadata ?? {}, filter))
          .map((r) => ({ r, score: cosine(vector, r.values) }))
          .sort((x, y) => y.score - x.score || (x.r.id < y.r.id ? -1 : 1))
          .slice(0, topK)
          .map(({ r, score }) => ({
            id: r.id,
            score,
            values: b.includeValues ? r.values : [],
            ...(b.includeMetadata && r.metadata ? { metadata: r.metadata } : {}),
          }));
        return send(res, 200, { matches, namespace: nsName(b.namespace), usage: { readUnits: 1 } });
      }
      case 'POST /vectors/delete': {
        const name = nsName(b.namespace);
        if (b.deleteAll) {
          if (!namespaces.has(name)) return send(res, 404, { code: 5, message: 'Namespace not found' });
          namespaces.delete(name);
        } else if (Array.isArray(b.ids)) {
          if (b.ids.length > MAX_RECORDS) return send(res, 400, { code: 3, message: 'at most 1000 ids' });
          const target = ns(name);
          for (const id of b.ids) target.delete(String(id));
        } else if (b.filter) {
          const target = ns(name);
          for (const r of [...target.values()])
            if (matches_(r.metadata ?? {}, b.filter as Metadata)) target.delete(r.id);
        }
        return send(res, 200, {});
      }
      case 'GET /vectors/fetch': {
        const target = ns(query.namespace?.[0]);
        const vectors: Record<string, StoredRecord> = {};
        for (const id of query.ids ?? []) {
          const r = target.get(id);
          if (r) vectors[id] = r;
        }
        return send(res, 200, { vectors, namespace: nsName(query.namespace?.[0]), usage: { readUnits: 1 } });
      }
      case 'GET /vectors/list': {
        const prefix = query.prefix?.[0] ?? '';
        const limit = Math.min(Number(query.limit?.[0] ?? 100) || 100, 100);
        const after = query.paginationToken?.[0]
          ? Buffer.from(query.paginationToken[0], 'base64url').toString()
          : '';
        const ids = [...ns(query.namespace?.[0]).keys()]
          .filter((id) => id.startsWith(prefix) && id > after)
          .sort();
        const page = ids.slice(0, limit);
        const last = page.at(-1);
        return send(res, 200, {
          vectors: page.map((id) => ({ id })),
          ...(ids.length > limit && last
            ? { pagination: { next: Buffer.from(last).toString('base64url') } }
            : {}),
          namespace: nsName(query.namespace?.[0]),
          usage: { readUnits: 1 },
        });
      }
      case 'POST /describe_index_stats': {
        const out: Record<string, { vectorCount: number }> = {};
        let total = 0;
        for (const [name, m] of namespaces) {
          if (m.size === 0) continue;
          out[name] = { vectorCount: m.size };
          total += m.size;
        }
        return send(res, 200, {
          namespaces: out,
          ...(dimension !== undefined ? { dimension } : {}),
          indexFullness: 0,
          totalVectorCount: total,
          metric: 'cosine',
          vectorType: 'dense',
        });
      }
      default:
        return send(res, 404, { code: 5, message: `no route ${req.method} ${url.pathname}` });
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `http://127.0.0.1:${port}`,
    apiKey,
    get dimension() {
      return dimension ?? 0;
    },
    calls,
    records: (name) => [...(namespaces.get(nsName(name)) ?? new Map<string, StoredRecord>()).values()],
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function nsName(name: unknown): string {
  return typeof name === 'string' && name !== '' ? name : DEFAULT_NAMESPACE;
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/** Pinecone's metadata filter language, evaluated on one record's metadata. */
function matches_(meta: Metadata, filter: Metadata): boolean {
  return Object.entries(filter).every(([key, cond]) => {
    if (key === '$and') return (cond as Metadata[]).every((f) => matches_(meta, f));
    if (key === '$or') return (cond as Metadata[]).some((f) => matches_(meta, f));
    const value = meta[key];
    const ops =
      cond !== null && typeof cond === 'object' && !Array.isArray(cond) ? (cond as Metadata) : { $eq: cond };
    return Object.entries(ops).every(([op, arg]) => test(value, op, arg));
  });
}

function test(value: unknown, op: string, arg: unknown): boolean {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  const args = Array.isArray(arg) ? arg : [arg];
  switch (op) {
    case '$eq':
      return values.some((v) => v === arg);
    case '$ne':
      return !values.some((v) => v === arg);
    case '$in':
      return values.some((v) => args.includes(v));
    case '$nin':
      return !values.some((v) => args.includes(v));
    case '$exists':
      return (value !== undefined) === Boolean(arg);
    case '$gt':
      return typeof value === 'number' && value > Number(arg);
    case '$gte':
      return typeof value === 'number' && value >= Number(arg);
    case '$lt':
      return typeof value === 'number' && value < Number(arg);
    case '$lte':
      return typeof value === 'number' && value <= Number(arg);
    default:
      throw new Error(`unsupported filter operator ${op}`);
  }
}
