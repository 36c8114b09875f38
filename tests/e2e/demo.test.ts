import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../../scripts/lib/local-server.js';
import { createPglite } from '../helpers/sql.js';

/**
 * The demo page (public/) in a real headless Chromium against the dev server started in-process on a
 * loopback port with its own DATA_DIR, seeded and indexed: search, a concept's graph and learning path,
 * and a streamed chat answer with citations. Saves out/e2e/demo.png (a CI artifact; out/ is ignored).
 */

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(
    `e2e demo test skipped: ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run does it)`,
  );

describe.skipIf(!hasChromium)('demo page in headless Chromium', () => {
  let server: LocalServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync('out/e2e', { recursive: true });
    [server, browser] = await Promise.all([
      createPglite().then((sql) => startLocalServer({ dataDir: 'out/e2e/data', sql })),
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
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    await page.goto(server.url, { waitUntil: 'load' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('happy: a search shows results with highlighted snippets', async () => {
    await page.fill('#search-input', 'hash tables');
    await page.click('#search-form button');
    await page.waitForSelector('#results li.result');
    const titles = await page.locator('#results li.result .result-head a').allTextContents();
    expect(titles.length).toBeGreaterThan(0);
    expect(await page.locator('#results .snippet mark').count()).toBeGreaterThan(0);
    expect(await page.textContent('#search-status')).toMatch(/result/);
  });

  it('happy: choosing a concept draws its neighbourhood and a learning path', async () => {
    await page.waitForSelector('#concept-select option', { state: 'attached' });
    const slugs = await page.$$eval('#concept-select option', (opts) =>
      opts.map((o) => (o as HTMLOptionElement).value),
    );
    // A concept with prerequisites gives both a graph and a non-trivial path.
    const target = slugs.includes('inverted-index') ? 'inverted-index' : (slugs[0] ?? '');
    await page.selectOption('#concept-select', target);
    await page.click('#concept-form button');
    await page.waitForSelector('#graph svg g.node.center');
    expect(await page.locator('#graph svg g.node').count()).toBeGreaterThan(1);
    expect(await page.locator('#graph svg line.edge').count()).toBeGreaterThan(0);
    await page.waitForSelector('#path-steps li.goal');
    expect(await page.textContent('#graph-status')).toMatch(/nodes/);
  });

  it('happy: the chat streams an answer with at least one citation link', async () => {
    await page.fill('#chat-input', 'How does reciprocal rank fusion work?');
    await page.click('#chat-send');
    await page.waitForSelector('#messages .msg.assistant.done', { timeout: 60_000 });
    const answer = (await page.textContent('#messages .msg.assistant .text')) ?? '';
    expect(answer.length).toBeGreaterThan(20);
    expect(await page.locator('#messages .msg.assistant .error').count()).toBe(0);
    const cites = page.locator('#messages .citations a');
    expect(await cites.count()).toBeGreaterThan(0);
    expect(await cites.first().getAttribute('href')).toMatch(/^https?:\/\//);
    await page.screenshot({ path: 'out/e2e/demo.png', fullPage: true });
  });

  it('security: snippets render only <mark> elements; any other markup stays text', async () => {
    // A string, so the test runner does not try to resolve the page's module itself.
    const result = (await page.evaluate(`(async () => {
      const { snippetNodes } = await import('/app.js');
      const box = document.createElement('p');
      box.append(snippetNodes('a &lt;b&gt; <mark>hit</mark> <img src=x onerror="window.pwned=1"><script>x</script>'));
      return { tags: [...box.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()), text: box.textContent };
    })()`)) as { tags: string[]; text: string };
    expect(result.tags).toEqual(['mark']);
    expect(result.text).toContain('<img src=x onerror="window.pwned=1">');
    expect(result.text).toContain('a <b> hit');
  });

  it('happy: the page raised no script errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
