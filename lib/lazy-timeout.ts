/**
 * A timeout that costs no timer when the work finishes within the current turn of the event loop (a
 * cached read from the in-memory cache answers in microtasks). Timeouts asked for in one turn are
 * collected; one `setImmediate` at the end of the turn arms a real timer for each still pending, with
 * what is left of its budget, so it fires when `setTimeout(fire, ms)` would have.
 */
export interface LazyTimeout {
  clear(): void;
}

interface Pending extends LazyTimeout {
  start: number;
  ms: number;
  fire: () => void;
  done: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

let queue: Pending[] = [];
let scheduled = false;

function armPending(): void {
  scheduled = false;
  const pending = queue;
  queue = [];
  const now = performance.now();
  for (const p of pending) if (!p.done) p.timer = setTimeout(p.fire, Math.max(0, p.start + p.ms - now));
}

export function lazyTimeout(fire: () => void, ms: number): LazyTimeout {
  const p: Pending = {
    start: performance.now(),
    ms,
    fire,
    done: false,
    timer: undefined,
    clear() {
      p.done = true;
      if (p.timer !== undefined) clearTimeout(p.timer);
    },
  };
  queue.push(p);
  if (!scheduled) {
    scheduled = true;
    setImmediate(armPending);
  }
  return p;
}
