import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { log } from '../log.js';

/**
 * Routes requests to `api/**` handlers the way Vercel does, in-process: file-system routes (`index`,
 * `[param]` segments passed in the query string, static segments before dynamic ones), `vercel.json`
 * rewrites and headers, JSON 404 for unknown API paths, and `public/` for everything else.
 * Used by the dev server and by the API tests, so both exercise the same routing.
 */

export interface ApiRoute {
  /** e.g. `/api/content/[slug]` */
  pattern: string;
  file: string;
  regex: RegExp;
  params: string[];
  /** Static routes sort before dynamic ones. */
  dynamicSegments: number;
}

interface VercelJson {
  rewrites?: { source: string; destination: string }[];
  headers?: { source: string; headers: { key: string; value: string }[] }[];
  crons?: { path: string; schedule: string }[];
}

export interface AppOptions {
  root?: string;
  /** Called with each background promise registered through `waitUntil`. */
  onBackground?: (promise: Promise<unknown>) => void;
}

export interface App {
  routes: ApiRoute[];
  crons: { path: string; schedule: string }[];
  fetch(request: Request): Promise<Response>;
  /**
   * The URL a handler will see for `url` (rewrites applied, route parameters in the query), so a
   * server can build its Request with it once instead of the router copying the Request per call.
   */
  resolve?(url: URL): URL;
  /** Waits until all `waitUntil` work so far has settled (tests). */
  settle(): Promise<void>;
}

const REQUEST_CONTEXT = Symbol.for('@vercel/request-context');
interface RequestContext {
  waitUntil(promise: Promise<unknown>): void;
}
const contextStorage = new AsyncLocalStorage<RequestContext>();
/** The first app's context: what `waitUntil` reaches outside `contextStorage` (see below). */
let firstContext: RequestContext | undefined;
let apps = 0;

/**
 * Makes `waitUntil` from `@vercel/functions` work here as on Vercel: the promise is kept and awaited.
 * While one app is the only one in the process (the dev server, the bench) every request's context is
 * that app's, so requests run without an AsyncLocalStorage context: on Node 20 entering one turns on
 * promise hooks, which slow every promise of every request. From the second app on (tests build
 * several), requests run inside their app's context; anything outside one goes to the first app.
 */
function installRequestContext(context: RequestContext): void {
  apps++;
  firstContext ??= context;
  const g = globalThis as unknown as Record<symbol, unknown>;
  g[REQUEST_CONTEXT] = { get: () => contextStorage.getStore() ?? firstContext ?? {} };
}

export function scanApiRoutes(apiDir: string): ApiRoute[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith('_') || name.startsWith('.')) continue; // Vercel ignores these
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (['.ts', '.js', '.mjs'].includes(extname(name)) && !name.endsWith('.d.ts')) files.push(full);
    }
  };
  if (existsSync(apiDir)) walk(apiDir);
  const routes = files.map((file) => {
    const rel = relative(apiDir, file).split(sep).join('/');
    let path = `/api/${rel.slice(0, -extname(rel).length)}`;
    path = path.replace(/\/index$/, '') || '/api';
    const params: string[] = [];
    let dynamicSegments = 0;
    const regex = path
      .split('/')
      .map((segment) => {
        const catchAll = /^\[\.\.\.(\w+)\]$/.exec(segment);
        if (catchAll?.[1]) {
          params.push(catchAll[1]);
          dynamicSegments += 10;
          return '(.+)';
        }
        const m = /^\[(\w+)\]$/.exec(segment);
        if (m?.[1]) {
          params.push(m[1]);
          dynamicSegments++;
          return '([^/]+)';
        }
        return escapeRegex(segment);
      })
      .join('/');
    return { pattern: path, file, regex: new RegExp(`^${regex}/?$`), params, dynamicSegments };
  });
  return routes.sort((a, b) => a.dynamicSegments - b.dynamicSegments || b.pattern.length - a.pattern.length);
}

/** path-to-regexp style sources as Vercel accepts them: `:name`, `:name*`, `(.*)`. */
export function sourceToRegex(source: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  let pattern = '';
  let i = 0;
  let group = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    const named = /^:(\w+)(\*|\+|\?)?/.exec(rest);
    if (named?.[1]) {
      names.push(named[1]);
      pattern += named[2] === '*' ? '(.*)' : named[2] === '+' ? '(.+)' : '([^/]+)';
      i += named[0].length;
    } else if (rest.startsWith('(')) {
      const end = rest.indexOf(')');
      names.push(String(group++));
      pattern += rest.slice(0, end + 1);
      i += end + 1;
    } else {
      pattern += escapeRegex(source[i] ?? '');
      i++;
    }
  }
  return { regex: new RegExp(`^${pattern}$`), names };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

export function createApp(options: AppOptions = {}): App {
  const root = resolve(options.root ?? process.cwd());
  const routes = scanApiRoutes(join(root, 'api'));
  const vercelPath = join(root, 'vercel.json');
  const vercel: VercelJson = existsSync(vercelPath)
    ? (JSON.parse(readFileSync(vercelPath, 'utf8')) as VercelJson)
    : {};
  const rewrites = (vercel.rewrites ?? []).map((r) => ({ ...r, ...sourceToRegex(r.source) }));
  const headerRules = (vercel.headers ?? []).map((h) => ({ ...h, ...sourceToRegex(h.source) }));
  const modules = new Map<string, Promise<Record<string, unknown>>>();
  /** Modules once imported: the hot path reads them without awaiting. */
  const loaded = new Map<string, Record<string, unknown>>();
  const pending = new Set<Promise<unknown>>();

  const load = (file: string) => {
    let mod = modules.get(file);
    if (!mod) {
      mod = import(pathToFileURL(file).href) as Promise<Record<string, unknown>>;
      modules.set(file, mod);
      void mod.then(
        (m) => loaded.set(file, m),
        () => {},
      );
    }
    return mod;
  };

  const matchRoute = (pathname: string) => {
    for (const route of routes) {
      const m = route.regex.exec(pathname);
      if (m) return { route, values: m.slice(1).map((v) => decodeURIComponent(v)) };
    }
    return undefined;
  };

  const track = (promise: Promise<unknown>) => {
    const p = promise.catch((err: unknown) => log.error('background task failed', { err }));
    pending.add(p);
    void p.finally(() => pending.delete(p));
    options.onBackground?.(p);
  };
  const context: RequestContext = { waitUntil: track };
  installRequestContext(context);
  /** Resolved URLs (`resolve`) and their route, so `dispatch` does not match the same URL again. */
  const resolved = new Map<string, ReturnType<typeof route>>();

  /** Applies the first matching rewrite when no route matches; then the route's parameters. */
  const route = (original: URL) => {
    let url = original;
    let match = matchRoute(url.pathname);
    if (!match) {
      for (const r of rewrites) {
        const m = r.regex.exec(url.pathname);
        if (!m) continue;
        let dest = r.destination;
        r.names.forEach((name, idx) => {
          dest = dest.replaceAll(`:${name}`, m[idx + 1] ?? '').replaceAll(`$${idx + 1}`, m[idx + 1] ?? '');
        });
        const next = new URL(dest, url);
        for (const [k, v] of url.searchParams) if (!next.searchParams.has(k)) next.searchParams.set(k, v);
        url = next;
        match = matchRoute(url.pathname);
        break;
      }
    }
    if (match) {
      if (url === original && match.route.params.length > 0) url = new URL(url);
      for (const [i, name] of match.route.params.entries()) url.searchParams.set(name, match.values[i] ?? '');
    }
    return { url, match };
  };

  /** vercel.json headers for a path, matched once per path (bounded). */
  const rules = new Map<string, { key: string; value: string }[]>();
  const rulesFor = (pathname: string) => {
    let extra = rules.get(pathname);
    if (!extra) {
      extra = headerRules.filter((h) => h.regex.test(pathname)).flatMap((h) => h.headers);
      if (rules.size >= 1000) rules.clear();
      rules.set(pathname, extra);
    }
    return extra;
  };

  const validPath = (url: URL) => {
    try {
      decodeURIComponent(url.pathname);
      return true;
    } catch {
      return false;
    }
  };

  async function dispatch(
    request: Request,
    requestUrl: URL,
    known: ReturnType<typeof route> | undefined,
  ): Promise<Response> {
    // A malformed percent-encoding (`/api/content/%ff`) is the client's mistake: 400, as on Vercel.
    // A path that decodes whole decodes segment by segment too, so the matching below cannot throw.
    if (!known && !validPath(requestUrl)) {
      return jsonError(400, 'bad_request', 'The URL path is not valid percent-encoding.');
    }
    const { url, match } = known ?? route(requestUrl);
    if (match) {
      const mod = loaded.get(match.route.file) ?? (await load(match.route.file));
      const method = request.method.toUpperCase();
      const fn = (mod[method] ?? mod.default) as ((req: Request) => Promise<Response>) | undefined;
      // A server that built its Request from `resolve` hands over the URL the handler needs already.
      const routed = url.href === request.url ? request : new Request(url, request);
      if (typeof fn !== 'function') {
        return jsonError(405, 'method_not_allowed', `${method} is not allowed here.`);
      }
      if (apps === 1 && context === firstContext) return fn(routed);
      return contextStorage.run(context, () => fn(routed));
    }
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      return jsonError(404, 'not_found', `No API route matches ${url.pathname}.`);
    }
    return serveStatic(join(root, 'public'), url.pathname, request.method);
  }

  return {
    routes,
    crons: vercel.crons ?? [],
    async fetch(request) {
      // A URL this app resolved (a server built the Request with it) is routed already.
      const known = resolved.get(request.url);
      const url = known?.url ?? new URL(request.url);
      let response: Response;
      try {
        response = await dispatch(request, url, known);
      } catch (err) {
        log.error('router error', { err });
        response = jsonError(500, 'internal_error', 'Something went wrong on our side.');
      }
      const extra = rulesFor(url.pathname);
      if (extra.length === 0) return response;
      try {
        for (const { key, value } of extra) response.headers.set(key, value);
        return response;
      } catch {
        // A Response with immutable headers (one from fetch): copy it.
        const copy = new Response(response.body, response);
        for (const { key, value } of extra) copy.headers.set(key, value);
        return copy;
      }
    },
    resolve(url) {
      if (!validPath(url)) return url;
      const routed = route(url);
      // Bounded: a server resolves each request's URL once; the map only spares dispatch a second match.
      if (resolved.size >= 1000) resolved.clear();
      resolved.set(routed.url.href, routed);
      return routed.url;
    },
    async settle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

function jsonError(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/** A file under public/, as Vercel's CDN serves it: GET and HEAD only. */
function serveStatic(publicDir: string, pathname: string, method: string): Response {
  if (method !== 'GET' && method !== 'HEAD')
    return new Response('Method not allowed', {
      status: 405,
      headers: { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' },
    });
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return new Response('Bad request', { status: 400 });
  }
  const base = resolve(publicDir);
  let file = resolve(base, `.${rel}`);
  if (file !== base && !file.startsWith(base + sep)) return new Response('Not found', { status: 404 });
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
  if (!existsSync(file) || !statSync(file).isFile()) {
    return new Response('Not found', {
      status: 404,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }
  return new Response(method === 'HEAD' ? null : readFileSync(file), {
    headers: {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
    },
  });
}
