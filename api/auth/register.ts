import { registerMember, WeakPasswordError } from '../../lib/auth/accounts.js';
import { limitAuthAttempt } from '../../lib/auth/limits.js';
import { registerBody, registerResponse } from '../../lib/auth/schemas.js';
import { clientIp } from '../../lib/http/client-ip.js';
import { defineDocs } from '../../lib/http/docs.js';
import { ApiError } from '../../lib/http/errors.js';
import { methods } from '../../lib/http/handler.js';
import { json } from '../../lib/http/json.js';
import { parseJson } from '../../lib/http/validate.js';
import { log } from '../../lib/log.js';
import { getSql } from '../../lib/stores/sql/index.js';

const ACCEPTED = {
  status: 'accepted',
  message: 'If this email was not registered yet, the account is ready: log in to continue.',
} as const;

/**
 * POST /api/auth/register: creates a member. A taken email gets the same 202 and body as a new one,
 * after the same hashing work, and no session is issued either way (a session would reveal which
 * case happened). Roles other than member are never assignable here.
 */
async function register(request: Request): Promise<Response> {
  const body = await parseJson(request, registerBody, { maxBytes: 4096 });
  const ip = clientIp(request);
  await limitAuthAttempt('register', ip, body.email);
  const { db } = await getSql();
  let result: Awaited<ReturnType<typeof registerMember>>;
  try {
    result = await registerMember({ db, ...body });
  } catch (err) {
    if (err instanceof WeakPasswordError) {
      throw new ApiError('validation_failed', 'The request is not valid.', {
        issues: [{ path: 'password', message: err.message }],
      });
    }
    throw err;
  }
  if (result.created) log.info('account created', { userId: result.user.id, ip });
  else log.info('register: email already taken', { ip });
  return json(ACCEPTED, { status: 202 });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ POST: register });

export const docs = defineDocs({
  POST: {
    summary: 'Register a member account',
    description:
      'Always answers 202 with the same body, whether or not the email was taken, so it cannot be used to find accounts. Log in afterwards.',
    tags: ['auth'],
    auth: 'none',
    body: registerBody,
    response: registerResponse,
    status: 202,
    errors: ['rate_limited', 'service_unavailable'],
    example: {
      request: '{ "email": "ada@example.dev", "password": "correct horse battery staple", "name": "Ada" }',
      response: ACCEPTED,
    },
  },
});
