import { describe, expect, it } from 'vitest';
import {
  chunkDocument,
  chunkMarkdown,
  type DocumentChunk,
  documentEmbeddingInput,
  embeddingInput,
  estimateTokens,
  hashText,
} from '../../lib/ai/chunker.js';

const doc = `Lead paragraph before any heading.

# Indexes

Why indexes matter.

## Partial indexes

Index only the rows queries look at.

\`\`\`sql
-- # not a heading inside a fence

CREATE INDEX ON orders (id) WHERE status = 'open';
\`\`\`

## Expression indexes

Index lower(email).

# Vacuum

Dead tuples pile up.
`;

const longParagraph = (seed: string, sentences: number) =>
  Array.from({ length: sentences }, (_, i) => `Sentence ${i} about ${seed} and why it matters here.`).join(
    ' ',
  );

describe('chunkMarkdown', () => {
  it('happy: splits by headings and keeps the heading path', () => {
    const chunks = chunkMarkdown({ title: 'Postgres', body: doc });
    expect(chunks.map((c) => c.heading)).toEqual([
      '',
      'Indexes',
      'Indexes > Partial indexes',
      'Indexes > Expression indexes',
      'Vacuum',
    ]);
    expect(chunks.map((c) => c.position)).toEqual([0, 1, 2, 3, 4]);
    expect(chunks[2]?.text).toContain('-- # not a heading inside a fence');
    expect(chunks[2]?.text).toContain("WHERE status = 'open';\n```");
    expect(chunks.every((c) => !c.text.startsWith('#'))).toBe(true);
  });

  it('happy: the hash is the SHA-256 of exactly what is embedded (title, heading, text)', () => {
    const [, second] = chunkMarkdown({ title: 'Postgres', body: doc });
    if (!second) throw new Error('expected a second chunk');
    expect(embeddingInput('Postgres', second)).toBe(`Postgres\nIndexes\n\n${second.text}`);
    expect(second.hash).toBe(hashText(embeddingInput('Postgres', second)));
    expect(second.hash).toMatch(/^[0-9a-f]{64}$/);
    const renamed = chunkMarkdown({ title: 'Postgres, revised', body: doc });
    expect(renamed[1]?.hash).not.toBe(second.hash);
  });

  it('happy: is deterministic', () => {
    expect(chunkMarkdown({ title: 'T', body: doc })).toEqual(chunkMarkdown({ title: 'T', body: doc }));
  });

  it('happy: editing one section changes only that section’s chunk hashes', () => {
    const body = `# One\n\n${longParagraph('one', 40)}\n\n# Two\n\n${longParagraph('two', 40)}\n\n# Three\n\n${longParagraph('three', 40)}`;
    const edited = body.replace('Sentence 3 about two', 'Sentence 3 about owt'); // same length, same split;
    const before = chunkMarkdown({ title: 'T', body, maxTokens: 120 });
    const after = chunkMarkdown({ title: 'T', body: edited, maxTokens: 120 });
    expect(after.map((c) => c.position)).toEqual(before.map((c) => c.position));
    const changed = after.filter((c, i) => c.hash !== before[i]?.hash);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((c) => c.heading === 'Two')).toBe(true);
    expect(after.filter((c) => c.heading === 'Two').length).toBeGreaterThan(1);
    const firstTwo = after.findIndex((c) => c.heading === 'Two');
    expect(after[firstTwo]?.hash).not.toBe(before[firstTwo]?.hash); // the edit is in its first chunk
    expect(after[firstTwo + 2]?.hash).toBe(before[firstTwo + 2]?.hash); // later chunks of it are not
  });

  it('happy: long sections respect the token budget and overlap the previous chunk', () => {
    const chunks = chunkMarkdown({
      title: 'T',
      body: longParagraph('budgets', 60),
      maxTokens: 100,
      overlapTokens: 20,
    });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) {
      expect(c.tokenCount).toBeLessThanOrEqual(100);
      expect(c.tokenCount).toBe(estimateTokens(c.text));
    }
    for (let i = 1; i < chunks.length; i++) {
      const prevLast = chunks[i - 1]?.text.split(/(?<=\.) /).at(-1) ?? '';
      expect(chunks[i]?.text.startsWith(prevLast)).toBe(true);
    }
  });

  it('happy: keeps a fenced code block whole when it fits, even with blank lines inside', () => {
    const code = [
      '```ts',
      ...Array.from({ length: 12 }, (_, i) => (i % 4 === 0 ? '' : `const x${i} = ${i};`)),
      '```',
    ].join('\n');
    const body = `${longParagraph('intro', 8)}\n\n${code}\n\n${longParagraph('outro', 8)}`;
    const chunks = chunkMarkdown({ title: 'T', body, maxTokens: 120 });
    const holders = chunks.filter((c) => c.text.includes('const x1 ='));
    expect(holders).toHaveLength(1);
    expect(holders[0]?.text).toContain(code);
  });

  it('edge: splits a code block larger than the budget at line ends, each piece fenced', () => {
    const code = [
      '```python',
      ...Array.from({ length: 80 }, (_, i) => `value_${i} = compute(${i})`),
      '```',
    ].join('\n');
    const chunks = chunkMarkdown({ title: 'T', body: code, maxTokens: 100 });
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.text.startsWith('```python\n')).toBe(true);
      expect(c.text.endsWith('\n```')).toBe(true);
      expect(c.tokenCount).toBeLessThanOrEqual(100);
    }
    const lines = chunks.flatMap((c) => c.text.split('\n').filter((l) => l.startsWith('value_')));
    expect(lines).toHaveLength(80);
  });

  it('edge: an empty body, or headings without text, give no chunks', () => {
    expect(chunkMarkdown({ title: 'T', body: '' })).toEqual([]);
    expect(chunkMarkdown({ title: 'T', body: '# A\n\n## B\n' })).toEqual([]);
  });

  it('edge: strips inline Markdown from headings and handles closing hashes and CRLF', () => {
    const chunks = chunkMarkdown({
      title: 'T',
      body: '# The `pg_stat` [views](http://x) ##\r\n\r\nText.\r\n',
    });
    expect(chunks[0]?.heading).toBe('The pg_stat views');
    expect(chunks[0]?.text).toBe('Text.');
  });
});

describe('chunkMarkdown: Markdown parsed (mdast, GFM) into clean text', () => {
  it('happy: tables become cell rows without rules, lists become item lines, links keep their text', () => {
    const body = [
      '## Results',
      '',
      'See [the benchmark](https://example.dev/bench) and **bold** _claims_.',
      '',
      '| engine | p99 |',
      '| ------ | --: |',
      '| walrus | 12 ms |',
      '',
      '- first item',
      '- second item with `code`',
      '  1. nested step',
      '',
      '> quoted words',
      '',
      '<div>raw html</div>',
      '',
      '```ts',
      'const x = [1](2);',
      '```',
    ].join('\n');
    const [c] = chunkMarkdown({ title: 'T', body });
    expect(c?.heading).toBe('Results');
    expect(c?.text).toBe(
      [
        'See the benchmark and bold claims.',
        '',
        'engine | p99\nwalrus | 12 ms',
        '',
        '- first item\n- second item with code\n  1. nested step',
        '',
        'quoted words',
        '',
        '```ts\nconst x = [1](2);\n```',
      ].join('\n'),
    );
  });

  it('happy: setext headings and headings in lists are understood, and # inside code is not a heading', () => {
    const chunks = chunkMarkdown({
      title: 'T',
      body: 'Top\n===\n\nUnder it.\n\n```\n# not a heading\n```\n',
    });
    expect(chunks.map((c) => c.heading)).toEqual(['Top']);
    expect(chunks[0]?.text).toContain('# not a heading');
  });
});

describe('chunkDocument: the lead chunk', () => {
  it('happy: title, summary and tags make a lead chunk even when the body is empty', () => {
    const [lead, ...rest] = chunkDocument({
      title: 'Quokka exporter',
      summary: 'Exports telemetry.',
      tags: ['otel'],
      body: '',
    });
    expect(rest).toEqual([]);
    expect(lead).toMatchObject({
      position: 0,
      heading: '',
      title: 'Quokka exporter',
      summary: 'Exports telemetry.',
      tags: 'otel',
      text: '',
    });
  });

  it('happy: the prose before the first heading joins the lead; sections follow with the title as a field', () => {
    const chunks = chunkDocument({ title: 'Post', body: 'Intro words.\n\n# Part one\n\nMore words.' });
    expect(chunks.map((c) => [c.position, c.heading, c.text, c.title])).toEqual([
      [0, '', 'Intro words.', 'Post'],
      [1, 'Part one', 'More words.', 'Post'],
    ]);
  });

  it("happy: editing one section changes only that chunk's hash; a new summary changes only the lead", () => {
    const doc = { title: 'Post', summary: 'S', body: 'Intro.\n\n# A\n\nAlpha.\n\n# B\n\nBeta.' };
    const before = chunkDocument(doc);
    const edited = chunkDocument({ ...doc, body: doc.body.replace('Beta.', 'Beta, revised.') });
    expect(edited.map((c, i) => c.hash === before[i]?.hash)).toEqual([true, true, false]);
    const summarised = chunkDocument({ ...doc, summary: 'S2' });
    expect(summarised.map((c, i) => c.hash === before[i]?.hash)).toEqual([false, true, true]);
    expect(documentEmbeddingInput(before[0] as DocumentChunk)).toBe('Post\n\nS\n\nIntro.');
  });
});

describe('estimateTokens', () => {
  it('happy: about four characters per token, never fewer than the words', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('a b c d e f')).toBe(6);
    expect(estimateTokens('x'.repeat(400))).toBe(100);
  });
});
