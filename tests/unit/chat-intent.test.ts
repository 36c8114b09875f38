import { describe, expect, it } from 'vitest';
import { detectIntent } from '../../lib/chat/intent.js';
import { matchName, type Named } from '../../lib/chat/names.js';

describe('detectIntent', () => {
  it('happy: graph questions map to one tool call each, names kept as written', () => {
    const cases: [string, ReturnType<typeof detectIntent>][] = [
      ['What should I learn before HNSW?', { tool: 'learningPath', input: { concept: 'HNSW' } }],
      [
        'what do I need to know before the Transactional outbox',
        { tool: 'learningPath', input: { concept: 'Transactional outbox' } },
      ],
      ['What are the prerequisites for BM25?', { tool: 'learningPath', input: { concept: 'BM25' } }],
      [
        'How do I get from tokenization to BM25?',
        { tool: 'shortestPath', input: { from: 'tokenization', to: 'BM25' } },
      ],
      ['How is MVCC related to VACUUM?', { tool: 'shortestPath', input: { from: 'MVCC', to: 'VACUUM' } }],
      ['What else is like tinyindex?', { tool: 'relatedContent', input: { item: 'tinyindex' } }],
      ['Is there anything similar to "quarry"?', { tool: 'relatedContent', input: { item: 'quarry' } }],
      ['What is MVCC?', { tool: 'explainConcept', input: { concept: 'MVCC' } }],
      ['Explain cosine similarity.', { tool: 'explainConcept', input: { concept: 'cosine similarity' } }],
      ['Find posts about caching', { tool: 'searchContent', input: { query: 'caching' } }],
    ];
    for (const [q, want] of cases) expect(detectIntent(q), q).toEqual(want);
  });

  it('happy: ordinary questions are left to retrieval', () => {
    for (const q of [
      'Why did the outbox table grow to 310 GB?',
      'How does reciprocal rank fusion work?',
      'How do I deploy on Kubernetes?',
      'What is the difference between BM25 and TF-IDF?',
      'What happened when the injection payloads were planted in runbook pages?',
      'What did they change in autovacuum?',
      '',
      'x'.repeat(400),
    ]) {
      expect(detectIntent(q), q).toBeNull();
    }
  });
});

describe('matchName', () => {
  const concepts: Named[] = [
    { slug: 'hnsw', title: 'HNSW', kind: 'concept' },
    { slug: 'vector-embeddings', title: 'Vector embeddings', kind: 'concept' },
    { slug: 'outbox-pattern', title: 'Transactional outbox', kind: 'concept' },
    { slug: 'b-trees', title: 'B-trees', kind: 'concept' },
    { slug: 'indexes', title: 'Database indexes', kind: 'concept' },
    { slug: 'inverted-index', title: 'Inverted index', kind: 'concept' },
  ];
  const content: Named[] = [
    { slug: 'tinyindex', title: 'tinyindex: a teaching search engine in TypeScript', kind: 'project' },
  ];

  it('happy: slugs, titles, case, plurals, articles and a title before its colon resolve', () => {
    expect(matchName('HNSW', concepts)?.slug).toBe('hnsw');
    expect(matchName('vector-embeddings', concepts)?.slug).toBe('vector-embeddings');
    expect(matchName('the vector embedding', concepts)?.slug).toBe('vector-embeddings');
    expect(matchName('B-tree', concepts)?.slug).toBe('b-trees');
    expect(matchName('outbox', concepts)?.slug).toBe('outbox-pattern');
    expect(matchName('Tinyindex', content)?.slug).toBe('tinyindex');
  });

  it('happy: ambiguous and unknown names resolve to nothing rather than a guess', () => {
    expect(matchName('index', concepts)).toBeNull(); // "Database indexes" or "Inverted index"
    expect(matchName('quantum basket weaving', concepts)).toBeNull();
    expect(matchName('  ', concepts)).toBeNull();
  });
});
