/**
 * Renders the README's API reference from the OpenAPI document, so the reference is generated from the
 * same zod schemas as the handlers. Used by scripts/gen-api-docs.ts and the staleness test.
 */

type Json = Record<string, unknown>;

export const API_START = '<!-- api:start -->';
export const API_END = '<!-- api:end -->';

interface Operation {
  summary?: string;
  description?: string;
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Json }[];
  requestBody?: { content?: Record<string, { schema?: Json }> };
  responses?: Record<
    string,
    { description?: string; content?: Record<string, { schema?: Json; example?: unknown }> }
  >;
  'x-auth'?: string;
  'x-request-example'?: string;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Markdown for every operation: an index table, then one block per operation. */
export function renderApiReference(doc: Json): string {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Operation>>;
  const ops: { method: string; path: string; op: Operation }[] = [];
  for (const [path, item] of Object.entries(paths))
    for (const method of METHODS) {
      const op = item[method];
      if (op) ops.push({ method: method.toUpperCase(), path, op });
    }
  const lines: string[] = [
    `Generated from \`GET /api/openapi.json\` (OpenAPI ${String(doc.openapi)}) by \`npm run gen:api-docs\`; do not edit by hand.`,
    'Every error is `{ "error": { "code", "message" } }` (validation errors add `issues` with field paths).',
    '',
    '| method | path | what | auth |',
    '|---|---|---|---|',
    ...ops.map(
      ({ method, path, op }) =>
        `| ${method} | \`${path}\` | ${cell(op.summary ?? '')} | ${op['x-auth'] ?? 'none'} |`,
    ),
  ];
  for (const { method, path, op } of ops) {
    lines.push(
      '',
      `### ${method} \`${path}\``,
      '',
      `${op.summary ?? ''}.${op.description ? ` ${op.description}` : ''}`,
    );
    if (op['x-auth']) lines.push('', `Auth: **${op['x-auth']}**.`);
    const params = op.parameters ?? [];
    if (params.length) {
      lines.push('', '| parameter | in | type | required | description |', '|---|---|---|---|---|');
      for (const p of params)
        lines.push(
          `| \`${p.name}\` | ${p.in} | ${typeOf(p.schema)} | ${p.required ? 'yes' : 'no'} | ${cell(p.description ?? '')} |`,
        );
    }
    const body = op.requestBody?.content?.['application/json']?.schema;
    if (body) {
      lines.push('', 'Body (JSON):', '', ...fieldTable(body));
    }
    const responses = Object.entries(op.responses ?? {});
    const ok = responses.filter(([s]) => s.startsWith('2'));
    for (const [status, res] of ok) {
      const [contentType, media] = Object.entries(res.content ?? {})[0] ?? [];
      lines.push('', `Response ${status}${contentType ? ` (\`${contentType}\`)` : ''}.`);
      if (op['x-request-example'] || media?.example !== undefined) {
        lines.push('', 'Example:', '', '```');
        if (op['x-request-example']) lines.push(op['x-request-example']);
        if (media?.example !== undefined) lines.push(JSON.stringify(media.example));
        lines.push('```');
      }
    }
    const errors = responses
      .filter(([s]) => !s.startsWith('2'))
      .map(([s, r]) => `${s} ${(r.description ?? '').replace(/^Error: /, '')}`);
    if (errors.length) lines.push('', `Errors: ${errors.join('; ')}.`);
  }
  return lines.join('\n');
}

function fieldTable(schema: Json): string[] {
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const required = (schema.required ?? []) as string[];
  if (!Object.keys(props).length) return [`\`${typeOf(schema)}\``];
  return [
    '| field | type | required | description |',
    '|---|---|---|---|',
    ...Object.entries(props).map(
      ([name, s]) =>
        `| \`${name}\` | ${typeOf(s)} | ${required.includes(name) ? 'yes' : 'no'} | ${cell(String(s.description ?? ''))} |`,
    ),
  ];
}

/** A short type label from a JSON Schema. */
function typeOf(schema: Json | undefined): string {
  if (!schema) return 'string';
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (schema.const !== undefined) return `\`${String(schema.const)}\``;
  const variants = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (variants) return variants.map(typeOf).join(' \\| ');
  if (schema.type === 'array') return `${typeOf(schema.items as Json | undefined)}[]`;
  const t = Array.isArray(schema.type) ? schema.type.join(' \\| ') : String(schema.type ?? 'any');
  const bounds: string[] = [];
  if (typeof schema.minimum === 'number') bounds.push(`>= ${schema.minimum}`);
  if (typeof schema.maximum === 'number') bounds.push(`<= ${schema.maximum}`);
  if (typeof schema.maxLength === 'number') bounds.push(`max ${schema.maxLength} chars`);
  if (typeof schema.format === 'string') bounds.push(schema.format);
  return bounds.length ? `${t} (${bounds.join(', ')})` : t;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n+/g, ' ');
}

/** The README with the section between the markers replaced. */
export function replaceApiSection(readme: string, reference: string): string {
  const start = readme.indexOf(API_START);
  const end = readme.indexOf(API_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${API_START} ... ${API_END} section`);
  return `${readme.slice(0, start + API_START.length)}\n${reference}\n${readme.slice(end)}`;
}
