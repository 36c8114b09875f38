import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import autocannon from 'autocannon';
import { round } from './machine.js';

export interface LoadFigure {
  endpoint: string;
  /** Requests per second (mean). */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

export interface EndpointComparison {
  endpoint: string;
  status: number;
  bytes: number;
  app: LoadFigure;
  bare: LoadFigure;
  /** app rps / bare rps, measured back to back in the same run. */
  ratio: number;
}

/** Runs autocannon against one URL for `seconds` with `connections`. */
export async function load(
  url: string,
  label: string,
  seconds: number,
  connections: number,
): Promise<LoadFigure> {
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1 });
  return figure(label, result);
}

/** A bare node:http server answering each path with fixed bytes: the floor the app is compared with. */
export async function startBareServer(
  routes: Map<string, { status: number; body: Buffer; headers: Record<string, string> }>,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const hit = routes.get(req.url ?? '');
    if (!hit) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(hit.status, { ...hit.headers, 'content-length': hit.body.byteLength });
    res.end(hit.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * autocannon in its own process (its CLI, JSON out), so the client's work does not share the server's
 * event loop: what is compared is the server's cost alone.
 */
export async function loadFromChild(
  url: string,
  label: string,
  seconds: number,
  connections: number,
): Promise<LoadFigure> {
  const cli = join(dirname(createRequire(import.meta.url).resolve('autocannon')), 'autocannon.js');
  const args = [cli, '-j', '-c', String(connections), '-d', String(seconds), url];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 16 * 2 ** 20 }, (err, out) =>
      err ? reject(err) : resolve(out),
    );
  });
  const result = JSON.parse(stdout) as autocannon.Result;
  return figure(label, result);
}

/** An autocannon result as a load figure. */
function figure(label: string, result: autocannon.Result): LoadFigure {
  return {
    endpoint: label,
    rps: round(result.requests.average, 0),
    p50Ms: round(result.latency.p50, 2),
    p99Ms: round(result.latency.p99, 2),
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
