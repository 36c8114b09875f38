import { createServer, type Server, type Socket } from 'node:net';

/**
 * Fault injection at the adapter boundary: wrap a store (a port implementation) so every call fails as
 * a down store does, or hangs as a slow one does. Non-function properties (`name`, `adapter`) pass
 * through, so health and logs still name the adapter.
 */
export type FaultMode = 'down' | 'slow';

export function faulty<T extends object>(store: T, mode: FaultMode, options: { delayMs?: number } = {}): T {
  const delayMs = options.delayMs ?? 60_000;
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'constructor' || prop === 'close') return value;
      if (mode === 'down') {
        return () =>
          awaitable(Promise.reject(new Error(`injected fault: ${String(prop)} failed (store down)`)));
      }
      return (...args: unknown[]) =>
        awaitable(
          new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
              Promise.resolve((value as (...a: unknown[]) => unknown).apply(target, args)).then(
                resolve,
                reject,
              );
            }, delayMs);
            timer.unref?.();
          }),
        );
    },
  });
}

/**
 * A result callers may `await` or `for await` (methods such as `listIds()` return async iterables): a
 * faulted iterator fails or stalls on its first step, as a real one would, instead of `for await`
 * throwing a TypeError and leaving the rejected promise unhandled.
 */
function awaitable(promise: Promise<unknown>): Promise<unknown> & AsyncIterable<unknown> {
  promise.catch(() => {}); // awaited or iterated by the caller; never an unhandled rejection
  return Object.assign(promise, {
    async *[Symbol.asyncIterator]() {
      yield* (await promise) as AsyncIterable<unknown>;
    },
  });
}

/**
 * A TCP port that accepts connections and never answers: what a hung database or Redis looks like to
 * a driver. Close it when done.
 */
export async function blackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening: connection refused, as when a store is down. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}
