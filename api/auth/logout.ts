import { clearedSessionCookie } from '../../lib/auth/cookies.js';
import { deleteSession, sessionTokenFrom } from '../../lib/auth/sessions.js';
import { sessionStoreCall } from '../../lib/auth/unavailable.js';
import { defineDocs } from '../../lib/http/docs.js';
import { methods } from '../../lib/http/handler.js';
import { getCache } from '../../lib/stores/cache/index.js';

/** POST /api/auth/logout: ends the session (the token stops working at once) and clears the cookie. Idempotent. */
async function logout(request: Request): Promise<Response> {
  const token = sessionTokenFrom(request);
  if (token) {
    const cache = await getCache();
    await sessionStoreCall('delete', () => deleteSession({ cache, token }));
  }
  return new Response(null, {
    status: 204,
    headers: { 'set-cookie': clearedSessionCookie(), 'cache-control': 'no-store' },
  });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = methods({ POST: logout });

export const docs = defineDocs({
  POST: {
    summary: 'Log out',
    description: 'Deletes the session server-side and clears the cookie. 204 even without a session.',
    tags: ['auth'],
    auth: 'optional',
    status: 204,
    errors: ['service_unavailable'],
    example: { request: 'Authorization: Bearer <token> (or the session cookie)' },
  },
});
