import type * as z from 'zod';
import { unstorableText } from '../storable-text.js';
import { ApiError, issuesFromZod } from './errors.js';

/** Default largest JSON body a handler reads. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads and validates a JSON body: 415 unless JSON, 413 past `maxBytes` (counted while streaming, so a
 * huge body is never buffered whole), 400 `invalid_json` for bad syntax, 400 with field paths for
 * values the schema rejects. Use `.strict()` schemas so unknown fields are refused too.
 */
export async function parseJson<S extends z.ZodType>(
  request: Request,
  schema: S,
  options: { maxBytes?: number } = {},
): Promise<z.infer<S>> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    throw new ApiError(
      'unsupported_media_type',
      'Send the body as JSON with Content-Type: application/json.',
    );
  }
  const text = await readBodyText(request, options.maxBytes ?? DEFAULT_MAX_BODY_BYTES);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ApiError('invalid_json', 'The request body is not valid JSON.');
  }
  return validate(schema, data);
}

/** Validates the query string (every value a string; repeated keys keep the last). */
export function parseQuery<S extends z.ZodType>(request: Request, schema: S): z.infer<S> {
  const url = new URL(request.url);
  return validate(schema, Object.fromEntries(url.searchParams));
}

/**
 * Validates any value, answering 400 with field paths. Every input goes through here (bodies, query
 * strings, path parameters), so this is also where text PostgreSQL cannot store is refused, whatever
 * the schema: a NUL character or a lone surrogate anywhere (a key included) is a 400 naming its path.
 */
export function validate<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  const unstorable = unstorableText(data);
  if (unstorable.length)
    throw new ApiError('validation_failed', 'The request is not valid.', { issues: unstorable });
  const result = schema.safeParse(data);
  if (!result.success) {
    throw new ApiError('validation_failed', 'The request is not valid.', {
      issues: issuesFromZod(result.error),
    });
  }
  return result.data;
}

/** Reads a body as text, refusing it with 413 once it passes `maxBytes`. */
export async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(all);
  } catch {
    throw new ApiError('invalid_json', 'The request body is not valid UTF-8.');
  }
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError('payload_too_large', `The request body is larger than ${maxBytes} bytes.`);
}

/**
 * A dynamic route segment (`api/content/[slug].ts` -> `slug`). Vercel passes segments in the query
 * string, and so does the dev server; this validates it as a slug-like value.
 */
export function routeParam(request: Request, name: string): string {
  const value = new URL(request.url).searchParams.get(name);
  if (!value) throw new ApiError('bad_request', `Missing path parameter "${name}".`);
  if (value.length > 200) throw new ApiError('bad_request', `Path parameter "${name}" is too long.`);
  return value;
}
