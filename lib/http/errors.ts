import * as z from 'zod';
import { log } from '../log.js';
import { isStoreUnavailable } from '../stores/unavailable.js';

export { isStoreUnavailable };

/** Every error code the API answers with, and its HTTP status. */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  precondition_required: 428,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
  /** The request ran past its deadline (a store too slow to answer). */
  timeout: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One field's problem, as `path` (dotted) and message. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** The one error type handlers throw; `toErrorResponse` turns it into `{ error: { code, message } }`. */
export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: { issues?: FieldIssue[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ApiError';
    this.status = ERROR_STATUS[code];
  }
}

export function issuesFromZod(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(root)',
    message: i.message,
  }));
}

/**
 * Any thrown value to a JSON error response: ours keep their code; zod errors are 400 with field
 * paths; a store outage is 503; anything else is logged and answered as a generic 500 with no internals.
 */
export function toErrorResponse(err: unknown, requestId?: string): Response {
  let apiError: ApiError;
  if (err instanceof ApiError) apiError = err;
  else if (err instanceof z.ZodError)
    apiError = new ApiError('validation_failed', 'The request is not valid.', { issues: issuesFromZod(err) });
  else if (isStoreUnavailable(err)) {
    // A store that cannot be reached is an outage the client can retry, not a bug: 503, never 500.
    log.warn('store unavailable', { requestId, err });
    apiError = new ApiError(
      'service_unavailable',
      'A service this request needs is unavailable. Please retry.',
      {
        headers: { 'retry-after': '5' },
      },
    );
  } else {
    log.error('unhandled error', { requestId, err });
    apiError = new ApiError('internal_error', 'Something went wrong on our side. Please try again.');
  }
  const body: { error: { code: ErrorCode; message: string; issues?: FieldIssue[]; requestId?: string } } = {
    error: { code: apiError.code, message: apiError.message },
  };
  if (apiError.options.issues?.length) body.error.issues = apiError.options.issues;
  if (requestId && apiError.status >= 500) body.error.requestId = requestId;
  return new Response(JSON.stringify(body), {
    status: apiError.status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...apiError.options.headers,
    },
  });
}
