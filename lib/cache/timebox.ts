import { lazyTimeout } from '../lazy-timeout.js';

/** Thrown when a cache call takes longer than its budget. */
export class CacheTimeoutError extends Error {
  constructor(ms: number) {
    super(`cache did not answer within ${ms} ms`);
    this.name = 'CacheTimeoutError';
  }
}

/**
 * Resolves with `promise` or rejects after `ms`, so a slow cache costs at most `ms` on the request
 * path. The slow call is not cancelled (the clients have no abort), only no longer awaited.
 * When the timer fires, the work gets one more turn of the event loop: if the loop itself was busy
 * (a long synchronous task), the answer that arrived meanwhile wins instead of a false timeout.
 */
export function timebox<T>(promise: Promise<T>, ms: number): Promise<T> {
  // One promise per call, and a timer only for a call still pending after this turn (this is on every
  // cache read's path; the in-memory cache answers within the turn).
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = lazyTimeout(() => {
      setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(new CacheTimeoutError(ms));
      }, 0);
    }, ms);
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        timer.clear();
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return; // a late rejection after the timeout is dropped, never unhandled
        settled = true;
        timer.clear();
        reject(err);
      },
    );
  });
}

/** Resolves to `fallback` if `work` fails or outlasts `ms`: for optional dependencies (cache, vectors). */
export async function timeboxed<T>(work: () => Promise<T>, ms: number, fallback: T): Promise<T> {
  try {
    return await timebox(Promise.resolve().then(work), ms);
  } catch {
    return fallback;
  }
}
