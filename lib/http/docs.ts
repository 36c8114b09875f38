import type * as z from 'zod';
import type { ErrorCode } from './errors.js';
import type { HttpMethod } from './handler.js';

/**
 * What an endpoint accepts and answers, for the OpenAPI document (GET /api/openapi.json). Every api/*
 * file exports `docs = defineDocs({...})` built from the same zod schemas its handler validates with,
 * so the reference cannot drift from the code.
 */
export interface OperationDoc {
  summary: string;
  description?: string;
  tags?: string[];
  /** Path parameters (`[slug]` segments). */
  params?: z.ZodObject;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Successful response body. */
  response?: z.ZodType;
  /** Status of the successful response (default 200). */
  status?: number;
  /** `text/event-stream` for streaming endpoints (chat). */
  responseContentType?: string;
  /** Who may call it. */
  auth?: 'none' | 'optional' | 'member' | 'admin' | 'cron';
  /** Error codes this operation can answer with (beyond validation). */
  errors?: ErrorCode[];
  /** Example request and response, used by the README's API reference. */
  example?: { request?: string; response?: unknown };
}

export type RouteDocs = Partial<Record<Exclude<HttpMethod, 'HEAD' | 'OPTIONS'>, OperationDoc>>;

export function defineDocs(docs: RouteDocs): RouteDocs {
  return docs;
}
