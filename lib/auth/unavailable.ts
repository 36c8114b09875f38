import { ApiError } from '../http/errors.js';
import { log } from '../log.js';

/** Runs a session-store operation; a store failure becomes 503 (logged), never a 500 or a silent success. */
export async function sessionStoreCall<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    log.error(`session store unavailable: ${what}`, { err });
    throw new ApiError('service_unavailable', 'Sign-in is temporarily unavailable. Please try again.', {
      headers: { 'retry-after': '5' },
    });
  }
}
