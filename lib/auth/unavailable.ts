import { timebox } from '../cache/timebox.js';
import { ApiError } from '../http/errors.js';
import { log } from '../log.js';

const SESSION_STORE_TIMEOUT_MS = 1000;

/** Runs a session-store operation; a store failure becomes 503 (logged), never a 500 or a silent success. */
export async function sessionStoreCall<T>(
  what: string,
  run: () => Promise<T>,
  timeoutMs = SESSION_STORE_TIMEOUT_MS,
): Promise<T> {
  try {
    // Time-boxed, so a slow cache answers 503 at once instead of at the request deadline.
    return await timebox(run(), timeoutMs);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    log.error(`session store unavailable: ${what}`, { err });
    throw new ApiError('service_unavailable', 'Sign-in is temporarily unavailable. Please try again.', {
      headers: { 'retry-after': '5' },
    });
  }
}
