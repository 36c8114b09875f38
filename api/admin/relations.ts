import * as z from 'zod';
import { requireUser } from '../../lib/auth/guard.js';
import { afterAdminWrite, versionTag } from '../../lib/content/admin-http.js';
import { addRelation, removeRelation } from '../../lib/content/relation-writes.js';
import { RELATION_TYPES, relationSchema, slugSchema } from '../../lib/content/schemas.js';
import { defineDocs } from '../../lib/http/docs.js';
import { methods } from '../../lib/http/handler.js';
import { json } from '../../lib/http/json.js';
import { parseJson, parseQuery } from '../../lib/http/validate.js';
import { getSql } from '../../lib/stores/sql/index.js';

/** DELETE names the relation in the query string (DELETE bodies are not reliably forwarded). */
const removeQuerySchema = z
  .object({ type: z.enum(RELATION_TYPES), from: slugSchema, to: slugSchema })
  .strict();

const relationResponse = z.object({
  changed: z.boolean(),
  entity: z.enum(['content', 'concept']),
  slug: z.string(),
  version: z.number().nullable(),
});

async function add(request: Request): Promise<Response> {
  const user = await requireUser(request, { role: 'admin' });
  const relation = await parseJson(request, relationSchema);
  const result = await addRelation({ sql: await getSql(), actor: user.id, relation });
  if (result.changed) await afterAdminWrite();
  return json(result, { status: result.changed ? 201 : 200, headers: { etag: versionTag(result.version) } });
}

async function remove(request: Request): Promise<Response> {
  const user = await requireUser(request, { role: 'admin' });
  const relation = parseQuery(request, removeQuerySchema);
  const result = await removeRelation({ sql: await getSql(), actor: user.id, relation });
  if (result.changed) await afterAdminWrite();
  return json(result, { headers: { etag: versionTag(result.version) } });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ POST: add, DELETE: remove });

export const docs = defineDocs({
  POST: {
    summary: 'Add a typed relation',
    description:
      'REQUIRES concept→concept (with `reason`), COVERS or MENTIONS content→concept, RELATED_TO content→content. ' +
      'The `from` entity owns the relation: its version is bumped and it is re-synced. Adding an existing ' +
      'relation changes nothing (200, `changed: false`); a new one is 201.',
    tags: ['admin'],
    auth: 'admin',
    body: relationSchema,
    response: relationResponse,
    status: 201,
    errors: ['unauthorized', 'forbidden', 'validation_failed', 'not_found'],
    example: {
      request:
        'POST /api/admin/relations {"type":"REQUIRES","from":"bm25","to":"tf-idf","reason":"BM25 refines TF-IDF"}',
      response: { changed: true, entity: 'concept', slug: 'bm25', version: 2 },
    },
  },
  DELETE: {
    summary: 'Remove a typed relation',
    description: 'Removing a relation that does not exist changes nothing (`changed: false`).',
    tags: ['admin'],
    auth: 'admin',
    query: removeQuerySchema,
    response: relationResponse,
    errors: ['unauthorized', 'forbidden', 'validation_failed', 'not_found'],
    example: {
      request: 'DELETE /api/admin/relations?type=REQUIRES&from=bm25&to=tf-idf',
      response: { changed: true, entity: 'concept', slug: 'bm25', version: 3 },
    },
  },
});
