import { waitUntil } from '@vercel/functions';
import { log } from '../log.js';
import { syncNow } from './run.js';

/** Bounds of one kick: a write enqueues a few rows, so one batch within a few seconds is plenty. */
const KICK_BATCHES = 2;
const KICK_BUDGET_MS = 4_000;

let running: Promise<void> | undefined;
let again = false;

/**
 * Best-effort immediate sync after an admin write, kept alive after the response with `waitUntil`
 * (so search reflects the write within seconds). Never throws: whatever it misses, the cron finishes.
 * Kicks during a running kick coalesce into one more run.
 */
export function kickSync(): void {
  try {
    waitUntil(kick());
  } catch (err) {
    log.warn('sync kick failed to start', { err });
  }
}

function kick(): Promise<void> {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    try {
      do {
        again = false;
        const stats = await syncNow({ maxBatches: KICK_BATCHES, budgetMs: KICK_BUDGET_MS });
        log.debug('sync kick', { ...stats });
      } while (again);
    } catch (err) {
      log.warn('sync kick failed; the cron will retry', { err });
    } finally {
      running = undefined;
    }
  })();
  return running;
}
