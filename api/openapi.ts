import * as z from 'zod';
import { defineDocs } from '../lib/http/docs.js';
import { methods } from '../lib/http/handler.js';
import { json } from '../lib/http/json.js';
import { openapi } from '../lib/http/openapi.generated.js';

/**
 * GET /api/openapi.json (vercel.json rewrites it here): the OpenAPI 3.1 document, generated from the
 * handlers' zod schemas by scripts/gen-openapi.ts. A static module, so this function loads no store.
 */
function document(): Response {
  return json(openapi, { cache: { maxAge: 300, sMaxAge: 3600, staleWhileRevalidate: 86_400 } });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ GET: document });

export const docs = defineDocs({
  GET: {
    summary: 'The OpenAPI 3.1 document of this API',
    description:
      'Also served at /api/openapi.json. Generated from the same zod schemas the handlers validate with.',
    tags: ['meta'],
    response: z.looseObject({ openapi: z.literal('3.1.0'), paths: z.record(z.string(), z.unknown()) }),
    example: {
      request: 'GET /api/openapi.json',
      response: { openapi: '3.1.0', info: { title: 'polyfolio API' }, paths: {} },
    },
  },
});
