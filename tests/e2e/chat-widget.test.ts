import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalToolModel } from '../../lib/ai/local-tool-model.js';
import { setChatModel } from '../../lib/ai/models.js';
import { detectIntent } from '../../lib/chat/intent.js';
import { serveApp } from '../../lib/dev/node-server.js';
import { type LocalServer, startLocalServer } from '../../scripts/lib/local-server.js';
import { createPglite } from '../helpers/sql.js';

/**
 * examples/chat-widget (Vite + React + `useChat` from @ai-sdk/react), built with Vite and driven in
 * Debian's headless Chromium against the dev server (in-process, own DATA_DIR, seeded and indexed).
 * The widget is served from the same origin as the API, as a deployment would. The local model is
 * paced (a word every 50 ms) so there is time to stop and to reload mid-answer.
 * Screenshots: out/e2e/chat-widget-*.png (CI artifacts; out/ is ignored).
 */

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`chat widget e2e test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const DIST = resolve('out/e2e/chat-widget');
const QUESTION = 'What should I learn before HNSW?';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The built widget for every path outside /api; the dev server's router for /api. */
function widgetAndApi(local: LocalServer): Server {
  return serveApp({
    ...local.app,
    async fetch(request) {
      const { pathname } = new URL(request.url);
      if (pathname.startsWith('/api/')) return local.app.fetch(request);
      const file = resolve(DIST, `.${pathname === '/' ? '/index.html' : pathname}`);
      if (!file.startsWith(DIST + sep) || !existsSync(file) || !statSync(file).isFile())
        return new Response('Not found', { status: 404 });
      return new Response(readFileSync(file), {
        headers: { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' },
      });
    },
  });
}

describe.skipIf(!hasChromium)('chat widget (useChat) in headless Chromium', () => {
  let local: LocalServer;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let fullAnswer = '';

  beforeAll(async () => {
    mkdirSync('out/e2e', { recursive: true });
    const [built, started, launched] = await Promise.all([
      build({
        configFile: resolve('examples/chat-widget/vite.config.ts'),
        logLevel: 'warn',
        build: { outDir: DIST, emptyOutDir: true },
      }),
      createPglite().then((sql) => startLocalServer({ dataDir: 'out/e2e/widget-data', sql })),
      chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      }),
    ]);
    expect(built).toBeDefined();
    local = started;
    browser = launched;
    setChatModel(new LocalToolModel({ intent: detectIntent, delayMs: 50, wordsPerDelta: 1 }));
    server = widgetAndApi(local);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`${msg.text()} ${msg.location().url}`);
    });
  }, 180_000);

  afterAll(async () => {
    setChatModel(undefined);
    await browser?.close();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await local?.close();
  });

  const assistantText = (p: Page) => p.locator('.msg.assistant').last().locator('.text').allTextContents();
  const ready = (p: Page) => p.waitForSelector('section.chat[data-status="ready"]', { timeout: 60_000 });

  async function ask(p: Page, question: string): Promise<void> {
    await p.fill('#chat-input', question);
    await p.click('#chat-send');
  }

  it('happy: a question streams an answer with citation links and a learning path rendered from the tool part', async () => {
    await page.goto(`${base}/?chat=w-e2e-path`, { waitUntil: 'load' });
    await ask(page, QUESTION);
    // the tool part arrives first and is drawn as a list
    await page.waitForSelector(
      '.msg.assistant .tool-learningPath[data-state="output-available"] .learning-path li',
    );
    // the text streams: it grows while the widget says it is streaming
    await page.waitForFunction(
      () => (document.querySelector('.msg.assistant .text')?.textContent ?? '').length > 0,
    );
    const early = (await assistantText(page)).join('');
    expect(await page.getAttribute('section.chat', 'data-status')).toBe('streaming');
    await page.waitForFunction(
      (n) => (document.querySelector('.msg.assistant .text')?.textContent ?? '').length > n + 10,
      early.length,
    );
    await ready(page);

    const expected = (await (await fetch(`${base}/api/graph/path?to=hnsw`)).json()) as {
      target: { slug: string };
      steps: { slug: string }[];
    };
    const drawn = await page.$$eval('.learning-path li', (lis) =>
      lis.map((li) => li.getAttribute('data-slug')),
    );
    expect(drawn).toEqual([...expected.steps.map((s) => s.slug), expected.target.slug]);

    fullAnswer = (await assistantText(page)).join('');
    expect(fullAnswer).toMatch(/^Before HNSW \[\d+\], learn these/);
    const cites = page.locator('.msg.assistant a.cite');
    expect(await cites.count()).toBe(expected.steps.length + 1);
    // Relative links (SITE_URL is not set here), resolved against the page's origin.
    for (const href of await cites.evaluateAll((as) => as.map((a) => a.getAttribute('href'))))
      expect(href).toMatch(/^\/concepts\/[a-z0-9-]+$/);
    for (const href of await cites.evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href)))
      expect(href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/concepts\/[a-z0-9-]+$/);
    expect(await page.locator('.msg.assistant .citations a').count()).toBe(expected.steps.length + 1);
    await page.screenshot({ path: 'out/e2e/chat-widget-answer.png', fullPage: true });
  });

  it('happy: Stop ends the answer early, on the server too (the stored answer is marked aborted)', async () => {
    await page.goto(`${base}/?chat=w-e2e-stop`, { waitUntil: 'load' });
    await ask(page, 'What is MVCC?');
    await page.waitForFunction(
      () => (document.querySelector('.msg.assistant .text')?.textContent ?? '').length > 0,
    );
    await page.click('#chat-stop');
    await ready(page);
    const shown = (await assistantText(page)).join('');
    await local.app.settle();
    const stored = (await page.evaluate(async () => (await fetch('/api/chat/w-e2e-stop')).json())) as {
      messages: {
        role: string;
        metadata?: { aborted?: boolean };
        parts: { type: string; text?: string }[];
      }[];
    };
    const answer = stored.messages[1];
    expect(answer?.metadata?.aborted).toBe(true);
    const storedText = answer?.parts.map((p) => p.text ?? '').join('') ?? '';
    const concept = (await (await fetch(`${base}/api/concepts/mvcc`)).json()) as { summary: string };
    expect(storedText.length).toBeLessThan(concept.summary.length); // stopped well before the end
    expect(shown.length).toBeLessThanOrEqual(storedText.length + 1);
    await page.screenshot({ path: 'out/e2e/chat-widget-stopped.png', fullPage: true });
  });

  it('happy: a reload mid-answer resumes the same message to the end', async () => {
    await page.goto(`${base}/?chat=w-e2e-resume`, { waitUntil: 'load' });
    await ask(page, QUESTION);
    await page.waitForFunction(
      () => (document.querySelector('.msg.assistant .text')?.textContent ?? '').length > 0,
    );
    const idBefore = await page.getAttribute('.msg.assistant', 'data-message-id');
    const partial = (await assistantText(page)).join('');
    expect(partial.length).toBeLessThan(fullAnswer.length);
    await page.screenshot({ path: 'out/e2e/chat-widget-before-reload.png', fullPage: true });

    // useChat({ resume: true }) asks the server for the answer in progress as the page loads
    const resumed = page.waitForResponse((r) => r.url().endsWith('/api/chat/w-e2e-resume/stream'));
    await page.reload({ waitUntil: 'load' });
    expect((await resumed).status()).toBe(200);
    await page.waitForSelector('.msg.assistant');
    await ready(page);
    // the answer went on while the page was gone, and the resumed message is the same message
    expect(await page.locator('.msg.assistant').count()).toBe(1);
    expect(await page.getAttribute('.msg.assistant', 'data-message-id')).toBe(idBefore);
    expect((await assistantText(page)).join('')).toBe(fullAnswer);
    expect(await page.locator('.msg.assistant .learning-path li').count()).toBeGreaterThan(1);
    await page.screenshot({ path: 'out/e2e/chat-widget-resumed.png', fullPage: true });

    // finished answers are not replayed: the next load has nothing to resume
    const again = await page.evaluate(async () => (await fetch('/api/chat/w-e2e-resume/stream')).status);
    expect(again).toBe(204);
  });

  it('happy: the page raised no script errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
