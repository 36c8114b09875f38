import { sessionCookie } from '../../lib/auth/cookies.js';
import { limitAuthAttempt } from '../../lib/auth/limits.js';
import { burnPasswordWork, verifyPassword } from '../../lib/auth/password.js';
import { loginBody, loginResponse } from '../../lib/auth/schemas.js';
import { createSession, deleteSession, sessionTokenFrom } from '../../lib/auth/sessions.js';
import { sessionStoreCall } from '../../lib/auth/unavailable.js';
import { getUserByEmail, toSessionUser } from '../../lib/auth/users.js';
import { clientIp } from '../../lib/http/client-ip.js';
import { defineDocs } from '../../lib/http/docs.js';
import { ApiError } from '../../lib/http/errors.js';
import { methods } from '../../lib/http/handler.js';
import { json } from '../../lib/http/json.js';
import { parseJson } from '../../lib/http/validate.js';
import { log } from '../../lib/log.js';
import { getCache } from '../../lib/stores/cache/index.js';
import { getSql } from '../../lib/stores/sql/index.js';

const WRONG = 'The email or password is not correct.';

/**
 * POST /api/auth/login: a new session for valid credentials. Unknown email and wrong password answer
 * the same 401 after the same hashing work. Every login issues a fresh token, and a token the request
 * already carried is ended, never promoted (no session fixation).
 */
async function login(request: Request): Promise<Response> {
  const body = await parseJson(request, loginBody, { maxBytes: 4096 });
  const ip = clientIp(request);
  await limitAuthAttempt('login', ip, body.email);

  const { db } = await getSql();
  const user = await getUserByEmail({ db, email: body.email });
  let ok = false;
  if (user) ok = await verifyPassword(body.password, user.passwordHash);
  else await burnPasswordWork(body.password);
  if (!user || !ok) {
    log.info('login failed', { ip, reason: user ? 'wrong_password' : 'unknown_email' });
    throw new ApiError('unauthorized', WRONG);
  }

  const cache = await getCache();
  const previous = sessionTokenFrom(request);
  const session = await sessionStoreCall('create', async () => {
    if (previous) await deleteSession({ cache, token: previous });
    return createSession({ cache, user: toSessionUser(user) });
  });
  log.info('login', { userId: user.id, ip });
  return json(
    { user: toSessionUser(user), token: session.token, expiresAt: session.expiresAt.toISOString() },
    { headers: { 'set-cookie': sessionCookie(session.token, session.maxAgeSeconds) } },
  );
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ POST: login });

export const docs = defineDocs({
  POST: {
    summary: 'Log in',
    description:
      'Starts a session: sets the HttpOnly session cookie and returns the token for Bearer use. Rate limited per IP and per email.',
    tags: ['auth'],
    auth: 'none',
    body: loginBody,
    response: loginResponse,
    errors: ['unauthorized', 'rate_limited', 'service_unavailable'],
    example: {
      request: '{ "email": "ada@example.dev", "password": "correct horse battery staple" }',
      response: {
        user: { id: '0b6f…', email: 'ada@example.dev', name: 'Ada', role: 'member' },
        token: 'q3Jt…43 characters',
        expiresAt: '2025-07-01T12:00:00.000Z',
      },
    },
  },
});
