import { describe, expect, it } from 'vitest';
import type { GroundingDocument } from '../../lib/ai/documents.js';
import { renderDocuments } from '../../lib/ai/documents.js';
import { composeAnswer, LocalExtractiveModel, NOT_FOUND_ANSWER } from '../../lib/ai/local-answerer.js';
import { isFollowUp, standaloneQuestion } from '../../lib/ai/standalone.js';
import { terms } from '../../lib/ai/text-features.js';
import { spendsTokenBudget } from '../../lib/chat/limits.js';
import { type NamedItem, pickNamed, titleMatch } from '../../lib/chat/named.js';
import { type RetrievalDeps, retrieveContext, type SearchHit } from '../../lib/chat/retrieve.js';
import { citationUrl } from '../../lib/chat/turn.js';

describe('follow-ups made standalone', () => {
  it('happy: a follow-up takes the previous question’s topic words; a chain keeps its subject', () => {
    expect(
      standaloneQuestion(['How does reciprocal rank fusion work?', 'and what value of k is usually used?']),
    ).toEqual({
      question: 'and what value of k is usually used? (reciprocal rank fusion)',
      asked: 'and what value of k is usually used?',
      carried: ['reciprocal', 'rank', 'fusion'],
      followUp: true,
    });
    expect(standaloneQuestion(['What is postbox?', 'How does it keep events in order?']).carried).toEqual([
      'postbox',
    ]);
    expect(
      standaloneQuestion(['What is postbox?', 'How does it keep events in order?', 'why?']).carried,
    ).toEqual(['keep', 'events', 'order', 'postbox']);
    // words the follow-up already has are not carried twice
    expect(
      standaloneQuestion(['Why did the outbox grow?', 'and how did the outbox shrink?']).carried,
    ).toEqual(['grow']);
  });

  it('happy: a question that says enough on its own, or the first question, stands as asked', () => {
    const q = 'How do idempotent consumers make at-least-once delivery safe?';
    expect(standaloneQuestion(['What is postbox?', q])).toEqual({
      question: q,
      asked: q,
      carried: [],
      followUp: false,
    });
    expect(standaloneQuestion(['What is MVCC?']).followUp).toBe(false);
    expect(isFollowUp('What breaks when you switch to transaction-mode pooling?')).toBe(false);
    expect(isFollowUp('which one cost the most?')).toBe(true);
    expect(isFollowUp('What did they change in autovacuum?')).toBe(true);
    expect(isFollowUp('what about write skew?')).toBe(true);
  });
});

describe('items named by title', () => {
  const q = (text: string) => terms(text);
  it('happy: the name before a colon, the whole title, or its first words name an item', () => {
    expect(
      titleMatch(q('What is judgekit?'), 'judgekit: offline evaluation for search and retrieval', 1),
    ).toEqual({
      exact: true,
      name: true,
      length: 1,
    });
    expect(
      titleMatch(q('Summarize the outbox that ate our disk'), 'The outbox that ate our disk', 3),
    ).toMatchObject({
      exact: true,
      length: 3,
    });
    // a trailing parenthesis is not part of what people call it
    expect(
      titleMatch(
        q('Tell me about why my BM25 scores were wrong'),
        'Why my BM25 scores were wrong (three bugs in forty lines)',
        3,
      ),
    ).toMatchObject({ exact: true });
    expect(
      titleMatch(q('Tell me about the chunking strategies post'), 'Chunking strategies, measured', 2),
    ).toEqual({
      exact: false,
      name: false,
      length: 2,
    });
    expect(titleMatch(q('What is a B-tree?'), 'B-trees', 1)).toMatchObject({ exact: true });
  });

  it('happy: a word of a title is not its name: partial first words and one-word titles in a long question do not count', () => {
    // "connection pool" is two of five words: less than half the title
    expect(
      titleMatch(
        q('How big should a connection pool be?'),
        'Connection pool math for serverless functions',
        3,
      ),
    ).toBeNull();
    expect(
      titleMatch(q('How does caching interact with the outbox and the relay?'), 'Caching', 4),
    ).toBeNull();
    expect(titleMatch(q('Explain caching'), 'Caching', 1)).toMatchObject({ exact: true });
    expect(
      titleMatch(q('How do I deploy on Kubernetes?'), 'quarry: hybrid search inside Postgres', 2),
    ).toBeNull();
  });

  it('happy: the longest match ranks first, names count double, at most two are kept', () => {
    const row = (kind: string, slug: string, title: string) => ({
      kind,
      id: `${slug}-id`,
      slug,
      title,
      summary: `${title} summary.`,
      url: null,
      chunk_id: null,
      heading: null,
      text: null,
      goals: kind === 'concept' ? ['Explain it'] : null,
      concepts: null,
    });
    const rows = [
      row('concept', 'connection-pooling', 'Connection pooling'),
      row('post', 'connection-pool-math-for-serverless', 'Connection pool math for serverless functions'),
      row('lesson', 'pooling-and-read-replicas', 'Pooling and read replicas'),
    ];
    const picked = pickNamed('Summarize the connection pool math post', rows, 2);
    expect(picked.map((p) => p.slug)).toEqual(['connection-pool-math-for-serverless', 'connection-pooling']);
    expect(picked[1]?.goals).toEqual(['Explain it']);
    expect(
      pickNamed(
        'What is quarry and how does it do hybrid search?',
        [
          row('project', 'quarry', 'quarry: hybrid search inside Postgres'),
          row('concept', 'hybrid-search', 'Hybrid search'),
        ],
        2,
      ).map((p) => p.slug),
    ).toEqual(['quarry', 'hybrid-search']);
    expect(pickNamed('How do I deploy on Kubernetes?', rows, 2)).toEqual([]);
  });
});

describe('retrieval with named items and concept hits', () => {
  const hit = (slug: string, kind = 'post', chunkId = `${slug}#0`): SearchHit => ({
    slug,
    kind,
    title: slug,
    heading: '',
    concepts: [],
    contentId: `${slug}-id`,
    chunkId,
  });
  const named = (slug: string, kind: string, extra: Partial<NamedItem> = {}): NamedItem => ({
    kind,
    slug,
    title: slug,
    contentId: `${slug}-id`,
    concepts: [],
    summary: `${slug} is what the summary says.`,
    goals: [],
    match: { exact: true, name: true, length: 1 },
    ...extra,
  });
  const deps = (results: SearchHit[], items: NamedItem[] | Error): RetrievalDeps => ({
    search: async () => ({ results, degraded: false }),
    loadChunks: async (ids) => ids.map((id) => ({ id, heading: 'Section', text: `Text of ${id}.` })),
    findNamed: async () => {
      if (items instanceof Error) throw items;
      return items;
    },
  });

  it('happy: named items lead the context, once, with their summary and their best chunk for the question', async () => {
    const r = await retrieveContext(
      { userTurns: ['What is judgekit?'] },
      deps(
        [hit('quarry', 'project'), hit('judgekit', 'project', 'judgekit#3')],
        [
          named('judgekit', 'project', {
            chunk: { chunkId: 'judgekit#2', heading: '', text: 'Best chunk.' },
          }),
        ],
      ),
    );
    expect(r.docs.map((d) => [d.n, d.slug])).toEqual([
      [1, 'judgekit'],
      [2, 'quarry'],
    ]);
    expect(r.docs[0]?.text).toBe('judgekit is what the summary says.\n\n## Section\nText of judgekit#2.');
  });

  it('happy: a named concept is quoted from its summary and goals; concept hits from search are loaded like chunks', async () => {
    const r = await retrieveContext(
      { userTurns: ['What is a B-tree?'] },
      deps(
        [
          hit('indexes-that-earn-their-keep', 'lesson'),
          hit('hash-tables', 'concept', 'concept:hash-tables#0'),
        ],
        [named('b-trees', 'concept', { goals: ['Explain page splits'] })],
      ),
    );
    expect(r.docs.map((d) => [d.slug, d.kind])).toEqual([
      ['b-trees', 'concept'],
      ['indexes-that-earn-their-keep', 'lesson'],
      ['hash-tables', 'concept'],
    ]);
    expect(r.docs[0]?.text).toBe(
      'b-trees is what the summary says.\n\nLearning goals:\n- Explain page splits',
    );
    expect(r.docs[2]?.text).toContain('Text of concept:hash-tables#0.');
  });

  it('happy: a concept both named and found by search appears once, its text not repeated', async () => {
    const concept = named('b-trees', 'concept', {
      summary: 'Text of concept:b-trees#0.',
      goals: ['Explain page splits'],
    });
    const r = await retrieveContext(
      { userTurns: ['What is a B-tree?'] },
      deps([hit('b-trees', 'concept', 'concept:b-trees#0')], [concept]),
    );
    expect(r.docs).toHaveLength(1);
    expect(r.docs[0]?.text).toBe(
      'Learning goals:\n- Explain page splits\n\n## Section\nText of concept:b-trees#0.',
    );
  });

  it('error: a failed title lookup costs only the promotion; search still answers', async () => {
    const r = await retrieveContext(
      { userTurns: ['What is judgekit?'] },
      deps([hit('judgekit', 'project')], new Error('down')),
    );
    expect(r.docs.map((d) => d.slug)).toEqual(['judgekit']);
  });

  it('happy: a concept citation links to its concept page, content to its content page', () => {
    expect(citationUrl('https://example.com/', 'bm25', 'concept')).toBe('https://example.com/concepts/bm25');
    expect(citationUrl('https://example.com', 'quarry', 'project')).toBe(
      'https://example.com/content/quarry',
    );
  });
});

describe('local answerer: grounded, whole sentences, refusing only when nothing is relevant', () => {
  const outbox: GroundingDocument = {
    n: 1,
    slug: 'the-outbox-that-ate-our-disk',
    kind: 'post',
    title: 'The outbox that ate our disk',
    text: '## What happened\nAt 04:40 the disk usage alert fired at 85%. The outbox table and its indexes were 310 GB.\n\n## The fix afterwards\nPublishing now deletes the row instead of updating it.',
  };
  const hybrid: GroundingDocument = {
    n: 2,
    slug: 'hybrid-search-in-practice',
    kind: 'post',
    title: 'Hybrid search in practice',
    text: "## The language filter trap\nThe fix was three partial indexes:\n```sql\nCREATE INDEX docs_emb_nl ON docs USING hnsw (embedding vector_cosine_ops) WHERE lang = 'nl';\n```\nWith a matching predicate, recall for Dutch queries rose from 0.49 to 0.71. The planner then uses the Dutch index, e.g. for a prepared plan with the language as a literal …",
  };

  it('happy: relevance is judged per document, so a question no single sentence repeats is answered from it', () => {
    const a = composeAnswer({
      docs: [outbox],
      question: 'Why did the outbox table eat the disk, and how was it fixed?',
    });
    expect(a.found).toBe(true);
    expect(a.cited).toEqual([1]);
    expect(a.text).toContain('The outbox table and its indexes were 310 GB. [1]');
  });

  it('happy: a sentence that introduces a list, table or code, or one cut short, is never quoted', () => {
    const a = composeAnswer({ docs: [hybrid], question: 'How was Dutch recall fixed with partial indexes?' });
    expect(a.found).toBe(true);
    expect(a.text).not.toContain('three partial indexes:');
    expect(a.text).not.toContain('…');
    expect(a.text).not.toContain('CREATE INDEX');
    expect(a.text).toContain(
      'With a matching predicate, recall for Dutch queries rose from 0.49 to 0.71. [2]',
    );
  });

  it('happy: the document the best sentence comes from is cited first', () => {
    const a = composeAnswer({
      docs: [hybrid, { ...outbox, n: 3 }],
      question: 'How big did the outbox table get on disk?',
    });
    expect(a.cited[0]).toBe(3);
  });

  it('happy: an off-topic question, or one about a name no document has, is refused cleanly', () => {
    for (const question of ['How do I deploy on Kubernetes?', 'How big is the disk of a Tesla Model 3?']) {
      expect(composeAnswer({ docs: [outbox, hybrid], question })).toEqual({
        text: NOT_FOUND_ANSWER,
        cited: [],
        found: false,
      });
    }
  });

  it('happy: the model reads a follow-up in its conversation, from the earlier user turns of the prompt', () => {
    const ann: GroundingDocument = {
      n: 1,
      slug: 'embeddings-and-vector-search',
      kind: 'lesson',
      title: 'Embeddings and vector search',
      text: '## Approximate nearest neighbors\nThe value k = 10 is usually used for the number of neighbours returned.',
    };
    const rrf: GroundingDocument = {
      n: 2,
      slug: 'hybrid-search-with-rrf',
      kind: 'lesson',
      title: 'Hybrid search with RRF',
      text: '## Reciprocal rank fusion\nThe value k = 60 comes from the original experiments and is usually used as the default.',
    };
    const model = new LocalExtractiveModel();
    const prompt = (turns: string[]) =>
      turns.map((text, i) => ({
        role: 'user' as const,
        content:
          i < turns.length - 1
            ? [{ type: 'text' as const, text }]
            : [
                { type: 'text' as const, text: renderDocuments([ann, rrf]) },
                { type: 'text' as const, text },
              ],
      }));
    const followUp = model.answer(
      prompt(['How does reciprocal rank fusion work?', 'and what value of k is usually used?']),
    );
    expect(followUp.cited[0]).toBe(2);
    expect(followUp.text).toContain('The value k = 60 comes from the original experiments');
    // asked alone, the same words lead with the better-ranked document
    expect(model.answer(prompt(['and what value of k is usually used?'])).cited[0]).toBe(1);
  });
});

describe('the daily token budget', () => {
  it('happy: counts provider models only; the local answerer spends nothing', () => {
    expect(spendsTokenBudget(new LocalExtractiveModel())).toBe(false);
    expect(spendsTokenBudget('openai/gpt-4.1-mini')).toBe(true);
    expect(spendsTokenBudget({ ...new LocalExtractiveModel(), provider: 'openai.responses' } as never)).toBe(
      true,
    );
  });
});
