import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import matter from 'gray-matter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askThrough, formatReport, loadChatQa, QA_CATEGORIES, runChatQa } from '../../lib/eval/chat-qa.js';
import type { TestApp } from '../helpers/app.js';
import { seededApp } from './helpers.js';

/**
 * The chat QA set (tests/fixtures/chat-qa.json) through the real POST /api/chat with the local model,
 * on the sample content: the issue-11 targets are asserted as they are (cite@3 >= 95%, no wrong
 * refusal, off-topic refused >= 90%). `npm run eval:chat -- --failures` shows the same report by hand.
 */

const SET_PATH = 'tests/fixtures/chat-qa.json';
const set = loadChatQa(SET_PATH);

/** Slugs of the sample content and concepts, read from the seed files themselves. */
function seedSlugs(): { content: Set<string>; concepts: Set<string> } {
  const content = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.md')) content.add(String(matter(readFileSync(p, 'utf8')).data.slug));
    }
  };
  walk('db/seed/content');
  const concepts = JSON.parse(readFileSync('db/seed/concepts.json', 'utf8')) as {
    concepts: { slug: string }[];
  };
  return { content, concepts: new Set(concepts.concepts.map((c) => c.slug)) };
}

describe('the chat QA set', () => {
  it('happy: has at least 60 questions of every category, each expecting slugs that exist in the sample content', () => {
    expect(set.questions.length).toBeGreaterThanOrEqual(60);
    for (const c of QA_CATEGORIES)
      expect(set.questions.filter((q) => q.category === c).length).toBeGreaterThan(4);
    const { content, concepts } = seedSlugs();
    for (const q of set.questions) {
      for (const slug of q.cite)
        expect(content.has(slug) || concepts.has(slug), `${q.id} expects ${slug}`).toBe(true);
      // a concept question is answered from the concept's own document
      if (q.category === 'concept')
        expect(
          q.cite.every((s) => concepts.has(s)),
          q.id,
        ).toBe(true);
    }
  });
});

describe('chat QA with the local model', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await seededApp();
  }, 120_000);
  afterAll(() => t.close());

  it('happy: cite@3 >= 95%, no wrong refusal, off-topic questions refused >= 90%', async () => {
    let n = 0;
    const ips = new Map<string, string>();
    const report = await runChatQa(
      set,
      askThrough((request) => t.app.fetch(request), {
        ipFor: (chatId) => {
          if (!ips.has(chatId)) ips.set(chatId, `198.18.${Math.floor(++n / 250)}.${(n % 250) + 1}`);
          return ips.get(chatId) ?? '198.18.0.1';
        },
      }),
    );
    await t.settle();
    const summary = formatReport(report, { failures: true });
    expect(report.outcomes).toHaveLength(set.questions.length);
    for (const o of report.outcomes) expect(o.status, o.id).toBe(200);
    expect(report.overall.cite3Rate, summary).toBeGreaterThanOrEqual(0.95);
    expect(report.overall.wrongRefusals, summary).toBe(0);
    expect(report.overall.offTopicRefusedRate, summary).toBeGreaterThanOrEqual(0.9);
  }, 300_000);
});
