import * as z from 'zod';
import { bumpNamespaces, NAMESPACES } from '../cache/namespaces.js';
import { ApiError, type FieldIssue } from '../http/errors.js';
import { parseQuery } from '../http/validate.js';
import { getCache } from '../stores/cache/index.js';
import { kickSync } from '../sync/kick.js';
import { slugSchema } from './schemas.js';
import type { Target } from './target.js';

/** HTTP glue shared by the admin write endpoints. */

/** `?slug=` or `?id=` (exactly one) names the entity a PATCH or DELETE changes. */
export const targetQuerySchema = z
  .object({ slug: slugSchema.optional(), id: z.uuid().optional() })
  .strict()
  .refine((q) => (q.slug === undefined) !== (q.id === undefined), 'pass exactly one of ?slug= or ?id=');

export function targetFromQuery(request: Request): Target {
  const q = parseQuery(request, targetQuerySchema);
  return q.id !== undefined ? { id: q.id } : { slug: q.slug ?? '' };
}

/**
 * The version the client last read, from `If-Match: "<version>"` (a weak tag is accepted too).
 * Missing: 428, so a client cannot overwrite blindly. Not a version: 400.
 */
export function expectedVersion(request: Request): number {
  const header = request.headers.get('if-match');
  if (header === null || header.trim() === '')
    throw new ApiError(
      'precondition_required',
      'Send If-Match: "<version>" with the version you last read (GET returns it as `version`).',
    );
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!m?.[1]) throw new ApiError('bad_request', 'If-Match must be a version number such as "3".');
  return Number(m[1]);
}

export function refIssues(issues: FieldIssue[]): void {
  if (issues.length > 0)
    throw new ApiError('validation_failed', 'The request refers to things that do not exist.', { issues });
}

/**
 * After a committed admin write: invalidate the catalogue cache (the only non-SQL write on the request
 * path, time-boxed) and kick a best-effort sync that runs after the response via `waitUntil`.
 */
export async function afterAdminWrite(): Promise<void> {
  try {
    await bumpNamespaces(await getCache(), [NAMESPACES.content]);
  } catch {
    // getCache() failing means no cache to invalidate; entries in a cache we cannot reach expire by TTL.
  }
  kickSync();
}

/** Version as an ETag value, so a client can echo it into If-Match. */
export const versionTag = (version: number | null) => (version === null ? '' : `"${version}"`);
