import { ApiError } from '../../http/errors.js';

/**
 * Opaque keyset cursors: base64url of `[publishedAt, id]` of the last item served. Microsecond
 * precision, so items published in the same millisecond are neither skipped nor repeated.
 */
export interface Cursor {
  publishedAt: string;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.publishedAt, c.id])).toString('base64url');
}

export function decodeCursor(raw: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,6}Z$/.test(value[0]) &&
      typeof value[1] === 'string' &&
      /^[0-9a-f-]{36}$/i.test(value[1])
    )
      return { publishedAt: value[0], id: value[1] };
  } catch {
    // fall through
  }
  throw new ApiError('bad_request', 'The cursor is not valid: pass back the nextCursor of a previous page.');
}
