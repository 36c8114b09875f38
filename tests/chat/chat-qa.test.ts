import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import matter from 'gray-matter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNamedItems } from '../../lib/chat/named.js';
import { askThrough, formatReport, loadChatQa, QA_CATEGORIES, runChatQa } from '../../lib/eval/chat-qa.js';
import type { TestApp } from '../helpers/app.js';
import { createUserAndLogin } from '../helpers/auth.js';
import { ask, citedSlugs, seededApp, userMessage } from './helpers.js';

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

  it('happy: the title lookup finds named content and concepts in one query, and nothing for an off-topic question', async () => {
    const db = t.sql.db;
    const slugs = async (q: string, asked?: string) =>
      (await findNamedItems(db, q, asked ? { asked } : {})).map((n) => `${n.kind}:${n.slug}`);
    expect(await slugs('What is judgekit?')).toEqual(['project:judgekit']);
    expect(await slugs('Summarize the MVCC and VACUUM lesson')).toEqual([
      'lesson:mvcc-and-vacuum',
      'concept:mvcc',
    ]);
    expect(await slugs('What is a B-tree?')).toEqual(['concept:b-trees']);
    expect(await slugs('How do I deploy on Kubernetes?')).toEqual([]);
    // a follow-up's own words name first; the carried words only when it names nothing itself
    expect(await slugs('What is MVCC? (postbox)', 'What is MVCC?')).toEqual(['concept:mvcc']);
    expect(
      await slugs('How does it keep events in order? (postbox)', 'How does it keep events in order?'),
    ).toEqual(['project:postbox']);
    const [judgekit] = await findNamedItems(db, 'What is judgekit?');
    expect(judgekit?.summary).toMatch(/^A Python command-line tool/);
    expect(judgekit?.chunk?.text).toBeTruthy();
    const [btrees] = await findNamedItems(db, 'What is a B-tree?');
    expect(btrees?.goals.length).toBeGreaterThan(0);
  });

  it('happy: an item created through the admin API with an empty body is cited by chat when a visitor names it', async () => {
    const admin = await createUserAndLogin(t, { role: 'admin' });
    const created = await t.request('POST', '/api/admin/content', {
      json: {
        slug: 'moonwalk',
        kind: 'project',
        title: 'moonwalk: a feature-flag service',
        summary: 'A feature-flag service in 300 lines of Go with percentage rollouts and an audit trail.',
      },
      headers: admin.headers,
    });
    expect(created.status).toBe(201);
    await t.settle();
    const a = await ask(t, {
      id: 'qa-moonwalk',
      messages: [userMessage('What is moonwalk?')],
      headers: { 'x-forwarded-for': '198.18.9.9' },
    });
    expect(citedSlugs(a.message)[0]).toBe('moonwalk');
    expect(a.text).toContain('percentage rollouts');
  });
});
