import * as z from 'zod';
import { requireUser } from '../../lib/auth/guard.js';
import {
  afterAdminWrite,
  expectedVersion,
  refIssues,
  targetFromQuery,
  targetQuerySchema,
  versionTag,
} from '../../lib/content/admin-http.js';
import { createContent, deleteContent, updateContent } from '../../lib/content/content-writes.js';
import { findMissingRefs } from '../../lib/content/refs.js';
import {
  type ContentPatch,
  contentCreateSchema,
  contentPatchSchema,
  toContentDoc,
} from '../../lib/content/schemas.js';
import { defineDocs } from '../../lib/http/docs.js';
import { methods } from '../../lib/http/handler.js';
import { json } from '../../lib/http/json.js';
import { parseJson } from '../../lib/http/validate.js';
import { getSql } from '../../lib/stores/sql/index.js';

/** Markdown bodies are larger than other JSON bodies; 256 KB is several long posts. */
const MAX_BODY_BYTES = 256 * 1024;

const writeResponse = z.object({ id: z.string(), slug: z.string(), version: z.number() });

async function create(request: Request): Promise<Response> {
  const user = await requireUser(request, { role: 'admin' });
  const doc = toContentDoc(await parseJson(request, contentCreateSchema, { maxBytes: MAX_BODY_BYTES }));
  const sql = await getSql();
  await checkRefs(sql.db, doc);
  const result = await createContent({ sql, actor: user.id, doc });
  await afterAdminWrite();
  return json(result, { status: 201, headers: { etag: versionTag(result.version) } });
}

async function update(request: Request): Promise<Response> {
  const user = await requireUser(request, { role: 'admin' });
  const target = targetFromQuery(request);
  const version = expectedVersion(request);
  const patch = await parseJson(request, contentPatchSchema, { maxBytes: MAX_BODY_BYTES });
  const sql = await getSql();
  await checkRefs(sql.db, patch);
  const result = await updateContent({ sql, actor: user.id, target, patch, expectedVersion: version });
  await afterAdminWrite();
  return json(result, { headers: { etag: versionTag(result.version) } });
}

async function remove(request: Request): Promise<Response> {
  const user = await requireUser(request, { role: 'admin' });
  const target = targetFromQuery(request);
  const version = expectedVersion(request);
  const result = await deleteContent({
    sql: await getSql(),
    actor: user.id,
    target,
    expectedVersion: version,
  });
  await afterAdminWrite();
  return json({ deleted: true, ...result });
}

async function checkRefs(db: Parameters<typeof findMissingRefs>[0]['db'], doc: ContentPatch): Promise<void> {
  refIssues(
    await findMissingRefs({
      db,
      ...(doc.concepts ? { concepts: { path: 'concepts', slugs: doc.concepts } } : {}),
      ...(doc.related ? { content: { path: 'related', slugs: doc.related } } : {}),
      ...(doc.course ? { course: { path: 'course', slug: doc.course } } : {}),
    }),
  );
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({
  POST: create,
  PATCH: update,
  DELETE: remove,
});

const writeErrors = ['unauthorized', 'forbidden', 'validation_failed', 'payload_too_large'] as const;

export const docs = defineDocs({
  POST: {
    summary: 'Create a content item',
    description:
      'One transaction: the item, its concept links (COVERS for courses and lessons, MENTIONS otherwise), ' +
      'RELATED_TO links, an outbox row and an audit row. Unknown concept, related or course slugs are 400.',
    tags: ['admin'],
    auth: 'admin',
    body: contentCreateSchema,
    response: writeResponse,
    status: 201,
    errors: [...writeErrors, 'conflict'],
    example: {
      request:
        'POST /api/admin/content {"slug":"hello","kind":"post","title":"Hello","body":"# Hi","concepts":["bm25"]}',
      response: { id: '9a1e…', slug: 'hello', version: 1 },
    },
  },
  PATCH: {
    summary: 'Change a content item',
    description:
      'Target with ?slug= or ?id=. Send any subset of fields; lists replace. Requires If-Match: "<version>" ' +
      '(428 without it, 409 when the item changed since).',
    tags: ['admin'],
    auth: 'admin',
    query: targetQuerySchema,
    body: contentPatchSchema,
    response: writeResponse,
    errors: [...writeErrors, 'precondition_required', 'conflict', 'not_found'],
    example: {
      request: 'PATCH /api/admin/content?slug=hello  If-Match: "1"  {"title":"Hello again"}',
      response: { id: '9a1e…', slug: 'hello', version: 2 },
    },
  },
  DELETE: {
    summary: 'Delete a content item',
    description: 'Target with ?slug= or ?id=; requires If-Match. Lessons of a deleted course are detached.',
    tags: ['admin'],
    auth: 'admin',
    query: targetQuerySchema,
    response: writeResponse.extend({ deleted: z.literal(true) }),
    errors: ['unauthorized', 'forbidden', 'precondition_required', 'conflict', 'not_found'],
    example: {
      request: 'DELETE /api/admin/content?slug=hello  If-Match: "2"',
      response: { deleted: true, id: '9a1e…', slug: 'hello', version: 3 },
    },
  },
});
