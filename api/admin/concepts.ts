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
import { createConcept, deleteConcept, updateConcept } from '../../lib/content/concept-writes.js';
import { findMissingRefs } from '../../lib/content/refs.js';
import { conceptCreateSchema, conceptPatchSchema, toConceptDoc } from '../../lib/content/schemas.js';
import { defineDocs } from '../../lib/http/docs.js';
import { methods } from '../../lib/http/handler.js';
import { json } from '../../lib/http/json.js';
import { parseJson } from '../../lib/http/validate.js';
import { getSql } from '../../lib/stores/sql/index.js';

const writeResponse = z.object({ id: z.string(), slug: z.string(), version: z.number() });

async function create(request: Request): Promise<Response> {
  const user = await requireUser(request, { role: 'admin' });
  const doc = toConceptDoc(await parseJson(request, conceptCreateSchema));
  const sql = await getSql();
  await checkPrerequisites(sql.db, doc.prerequisites);
  const result = await createConcept({ sql, actor: user.id, doc });
  await afterAdminWrite();
  return json(result, { status: 201, headers: { etag: versionTag(result.version) } });
}

async function update(request: Request): Promise<Response> {
  const user = await requireUser(request, { role: 'admin' });
  const target = targetFromQuery(request);
  const version = expectedVersion(request);
  const patch = await parseJson(request, conceptPatchSchema);
  const sql = await getSql();
  if (patch.prerequisites) await checkPrerequisites(sql.db, patch.prerequisites);
  const result = await updateConcept({ sql, actor: user.id, target, patch, expectedVersion: version });
  await afterAdminWrite();
  return json(result, { headers: { etag: versionTag(result.version) } });
}

async function remove(request: Request): Promise<Response> {
  const user = await requireUser(request, { role: 'admin' });
  const target = targetFromQuery(request);
  const version = expectedVersion(request);
  const result = await deleteConcept({
    sql: await getSql(),
    actor: user.id,
    target,
    expectedVersion: version,
  });
  await afterAdminWrite();
  return json({ deleted: true, ...result });
}

async function checkPrerequisites(
  db: Parameters<typeof findMissingRefs>[0]['db'],
  prerequisites: readonly { slug: string }[],
): Promise<void> {
  const slugs = prerequisites.map((p) => p.slug);
  const issues = await findMissingRefs({ db, concepts: { path: 'prerequisites', slugs } });
  refIssues(issues.map((i) => ({ ...i, path: `${i.path}.slug` })));
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({
  POST: create,
  PATCH: update,
  DELETE: remove,
});

export const docs = defineDocs({
  POST: {
    summary: 'Create a concept',
    description:
      'With its prerequisites (REQUIRES, each with a reason); outbox row `entity: concept` and audit row.',
    tags: ['admin'],
    auth: 'admin',
    body: conceptCreateSchema,
    response: writeResponse,
    status: 201,
    errors: ['unauthorized', 'forbidden', 'validation_failed', 'conflict'],
    example: {
      request:
        'POST /api/admin/concepts {"slug":"bm25","title":"BM25","prerequisites":[{"slug":"tf-idf","reason":"BM25 refines it"}]}',
      response: { id: '51c2…', slug: 'bm25', version: 1 },
    },
  },
  PATCH: {
    summary: 'Change a concept',
    description:
      'Target with ?slug= or ?id=; requires If-Match. `prerequisites`, when given, replaces the list.',
    tags: ['admin'],
    auth: 'admin',
    query: targetQuerySchema,
    body: conceptPatchSchema,
    response: writeResponse,
    errors: [
      'unauthorized',
      'forbidden',
      'validation_failed',
      'precondition_required',
      'conflict',
      'not_found',
    ],
    example: {
      request: 'PATCH /api/admin/concepts?slug=bm25  If-Match: "1"  {"summary":"…"}',
      response: { id: '51c2…', slug: 'bm25', version: 2 },
    },
  },
  DELETE: {
    summary: 'Delete a concept',
    description: 'Its links go with it; content that covered or mentioned it is re-synced.',
    tags: ['admin'],
    auth: 'admin',
    query: targetQuerySchema,
    response: writeResponse.extend({ deleted: z.literal(true) }),
    errors: ['unauthorized', 'forbidden', 'precondition_required', 'conflict', 'not_found'],
    example: {
      request: 'DELETE /api/admin/concepts?slug=bm25  If-Match: "2"',
      response: { deleted: true, id: '51c2…', slug: 'bm25', version: 3 },
    },
  },
});
