import { existsSync, readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as z from 'zod';
import { scanApiRoutes } from '../../lib/dev/router.js';
import type { OperationDoc, RouteDocs } from '../../lib/http/docs.js';
import { ERROR_STATUS, type ErrorCode } from '../../lib/http/errors.js';

/**
 * Builds the OpenAPI 3.1 document from the `docs` export of every `api/*` file, i.e. from the same zod
 * schemas the handlers validate with. Paths come from file names (`[slug]` -> `{slug}`).
 */

type Json = Record<string, unknown>;

/** One api file and its docs. */
export interface DocumentedRoute {
  /** `api/content/[slug].ts` */
  file: string;
  /** `/api/content/{slug}` */
  path: string;
  params: string[];
  docs: RouteDocs | undefined;
}

/** OpenAPI path for a route pattern: `[slug]` and `[...rest]` become `{slug}` and `{rest}`. */
export function openApiPath(pattern: string): string {
  return pattern.replace(/\[(?:\.\.\.)?(\w+)\]/g, '{$1}');
}

/** Imports every api file and reads its `docs` export. */
export async function loadRoutes(root = process.cwd()): Promise<DocumentedRoute[]> {
  const routes = scanApiRoutes(`${root}/api`);
  const aliases = publicAliases(root);
  const out: DocumentedRoute[] = [];
  for (const r of routes) {
    const mod = (await import(pathToFileURL(r.file).href)) as { docs?: RouteDocs };
    out.push({
      file: relative(root, r.file).split(sep).join('/'),
      path: openApiPath(aliases.get(r.pattern) ?? r.pattern),
      params: r.params,
      docs: mod.docs,
    });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Static vercel.json rewrites onto a function (`/api/openapi.json` -> `/api/openapi`): the public path. */
function publicAliases(root: string): Map<string, string> {
  const file = `${root}/vercel.json`;
  const aliases = new Map<string, string>();
  if (!existsSync(file)) return aliases;
  const vercel = JSON.parse(readFileSync(file, 'utf8')) as {
    rewrites?: { source: string; destination: string }[];
  };
  for (const r of vercel.rewrites ?? [])
    if (!/[:(*]/.test(r.source) && !aliases.has(r.destination)) aliases.set(r.destination, r.source);
  return aliases;
}

const METHOD_ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The OpenAPI document for these routes. */
export function buildOpenApi(routes: DocumentedRoute[], info: { version: string }): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const item: Json = {};
    for (const method of METHOD_ORDER) {
      const op = route.docs?.[method];
      if (op) item[method.toLowerCase()] = operation(route, method, op);
    }
    paths[route.path] = item;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'polyfolio API',
      version: info.version,
      description:
        'Serverless backend of an AI portfolio and learning site. Generated from the zod schemas the ' +
        'handlers validate with (scripts/gen-openapi.ts). Every error answers `{ "error": { "code", "message" } }`.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Error: errorSchema() },
      securitySchemes: {
        session: {
          type: 'http',
          scheme: 'bearer',
          description: 'A session token from POST /api/auth/login (or the session cookie it sets).',
        },
        cron: { type: 'http', scheme: 'bearer', description: 'CRON_SECRET, as Vercel Cron sends it.' },
      },
    },
  };
}

function operation(route: DocumentedRoute, method: string, op: OperationDoc): Json {
  const out: Json = {
    operationId: operationId(method, route.path),
    summary: op.summary,
  };
  if (op.description) out.description = op.description;
  if (op.tags?.length) out.tags = op.tags;
  const parameters = [...pathParameters(route, op), ...queryParameters(op)];
  if (parameters.length) out.parameters = parameters;
  if (op.body) {
    out.requestBody = {
      required: true,
      content: { 'application/json': { schema: schemaOf(op.body, 'input') } },
    };
  }
  const auth = op.auth ?? 'none';
  if (auth === 'member' || auth === 'admin') out.security = [{ session: [] }];
  else if (auth === 'cron') out.security = [{ cron: [] }];
  else if (auth === 'optional') out.security = [{}, { session: [] }];
  if (auth !== 'none') out['x-auth'] = auth;
  if (op.example?.request) out['x-request-example'] = op.example.request;

  const contentType = op.responseContentType ?? 'application/json';
  const success: Json = { description: op.summary };
  if (op.response || op.responseContentType) {
    const media: Json = { schema: op.response ? schemaOf(op.response, 'output') : { type: 'string' } };
    if (op.example?.response !== undefined) media.example = op.example.response;
    success.content = { [contentType]: media };
  }
  const responses: Json = { [String(op.status ?? 200)]: success };
  for (const [status, codes] of errorsByStatus(route, op)) {
    responses[String(status)] = {
      description: `Error: ${codes.map((c) => `\`${c}\``).join(', ')}`,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  out.responses = responses;
  return out;
}

/** Error codes an operation can answer with, grouped by status (validation added when it takes input). */
function errorsByStatus(route: DocumentedRoute, op: OperationDoc): [number, ErrorCode[]][] {
  const codes = new Set<ErrorCode>(op.errors ?? []);
  if (op.body) {
    codes.add('invalid_json');
    codes.add('unsupported_media_type');
  }
  if (op.body || op.query || op.params || route.params.length) codes.add('validation_failed');
  if (op.auth === 'member' || op.auth === 'admin' || op.auth === 'cron') codes.add('unauthorized');
  if (op.auth === 'admin') codes.add('forbidden');
  codes.add('internal_error');
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes].sort()) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return [...byStatus.entries()].sort((a, b) => a[0] - b[0]);
}

function pathParameters(route: DocumentedRoute, op: OperationDoc): Json[] {
  const props = op.params ? objectProperties(op.params) : { properties: {}, required: [] };
  return route.params.map((name) => {
    const p: Json = {
      name,
      in: 'path',
      required: true,
      schema: props.properties[name] ?? { type: 'string' },
    };
    const description = (props.properties[name] as { description?: string } | undefined)?.description;
    if (description) p.description = description;
    return p;
  });
}

function queryParameters(op: OperationDoc): Json[] {
  if (!op.query) return [];
  const { properties, required } = objectProperties(op.query);
  return Object.entries(properties).map(([name, schema]) => {
    const p: Json = { name, in: 'query', required: required.includes(name), schema };
    const description = (schema as { description?: string }).description;
    if (description) p.description = description;
    return p;
  });
}

function objectProperties(schema: z.ZodType): { properties: Record<string, Json>; required: string[] } {
  const json = schemaOf(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return { properties: json.properties ?? {}, required: json.required ?? [] };
}

/** JSON Schema (2020-12, which OpenAPI 3.1 uses) of a zod schema; transforms become their input/output. */
export function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  delete json.$schema;
  return json;
}

function errorSchema(): Json {
  return {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
          message: { type: 'string' },
          issues: {
            type: 'array',
            description: 'Field problems, for validation errors.',
            items: {
              type: 'object',
              required: ['path', 'message'],
              properties: { path: { type: 'string' }, message: { type: 'string' } },
            },
          },
          requestId: { type: 'string', description: 'For 5xx errors: quote it when reporting a problem.' },
        },
      },
    },
  };
}

function operationId(method: string, path: string): string {
  const words = path
    .replace(/^\/api\/?/, '')
    .split(/[/{}.\-_]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1));
  return method.toLowerCase() + (words.join('') || 'Root');
}
