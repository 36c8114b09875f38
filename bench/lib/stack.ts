import { serveApp } from '../../lib/dev/node-server.js';
import type { App } from '../../lib/dev/router.js';
import { type LoadFigure, loadFromChild, startBareServer } from './http.js';
import { round } from './machine.js';

/** Our stack next to a trivial Web handler in the same server, and bare node:http (issue 14, goal 4). */
export interface StackComparison {
  endpoint: string;
  bytes: number;
  rounds: number;
  secondsPerRun: number;
  connections: number;
  /** A `(Request) => Response` returning the same bytes, served by the same node server as the app. */
  trivial: LoadFigure;
  /** Our endpoint from cache, through the router and the function's handler. */
  ours: LoadFigure;
  /** node:http writing the same bytes, nothing else. */
  bare: LoadFigure;
  /** ours rps / trivial rps: 0.9 or more meets "at most 10% over a trivial handler". */
  ratio: number;
  /** ours rps / bare rps. */
  ratioBare: number;
}

export const TRIVIAL_PATH = '/__bench/trivial';

/**
 * Serves the app and a trivial Web-standard handler from ONE dev server (the same node:http to
 * Request/Response conversion), warms our endpoint's cache entry, then loads the three targets in
 * alternation, `rounds` times each, autocannon in a child process. Figures are the means over rounds.
 */
export async function compareStack(
  app: App,
  path: string,
  label: string,
  options: { seconds: number; connections: number; rounds: number },
): Promise<StackComparison> {
  const warm = await app.fetch(new Request(`http://localhost${path}`));
  const body = Buffer.from(await warm.arrayBuffer());
  await app.settle();
  const contentType = warm.headers.get('content-type') ?? 'application/json; charset=utf-8';
  const trivial = (_request: Request) =>
    new Response(body, { status: 200, headers: { 'content-type': contentType } });
  const combined: App = {
    ...app,
    fetch: (request) =>
      new URL(request.url).pathname === TRIVIAL_PATH ? Promise.resolve(trivial(request)) : app.fetch(request),
  };
  const server = serveApp(combined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const bare = await startBareServer(
    new Map([[path, { status: 200, body, headers: { 'content-type': contentType } }]]),
  );
  const runs: Record<'trivial' | 'ours' | 'bare', LoadFigure[]> = { trivial: [], ours: [], bare: [] };
  try {
    const { seconds, connections } = options;
    for (let i = 0; i < options.rounds; i++) {
      runs.trivial.push(await loadFromChild(`${url}${TRIVIAL_PATH}`, 'trivial', seconds, connections));
      runs.ours.push(await loadFromChild(`${url}${path}`, label, seconds, connections));
      runs.bare.push(await loadFromChild(`${bare.url}${path}`, 'bare', seconds, connections));
    }
  } finally {
    server.closeAllConnections();
    server.close();
    bare.server.closeAllConnections();
    bare.server.close();
  }
  const mean = (figures: LoadFigure[], label: string): LoadFigure => {
    const avg = (f: (x: LoadFigure) => number) => figures.reduce((s, x) => s + f(x), 0) / figures.length;
    return {
      endpoint: label,
      rps: round(
        avg((x) => x.rps),
        0,
      ),
      p50Ms: round(
        avg((x) => x.p50Ms),
        2,
      ),
      p99Ms: round(
        avg((x) => x.p99Ms),
        2,
      ),
      non2xx: figures.reduce((s, x) => s + x.non2xx, 0),
      errors: figures.reduce((s, x) => s + x.errors, 0),
    };
  };
  const t = mean(runs.trivial, 'trivial Web handler (same server)');
  const o = mean(runs.ours, label);
  const b = mean(runs.bare, 'bare node:http');
  return {
    endpoint: label,
    bytes: body.byteLength,
    rounds: options.rounds,
    secondsPerRun: options.seconds,
    connections: options.connections,
    trivial: t,
    ours: o,
    bare: b,
    ratio: round(o.rps / Math.max(1, t.rps), 3),
    ratioBare: round(o.rps / Math.max(1, b.rps), 3),
  };
}
