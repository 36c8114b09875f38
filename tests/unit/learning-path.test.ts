import { describe, expect, it } from 'vitest';
import { learningPath } from '../../lib/graph/path.js';
import type { PrerequisiteClosure } from '../../lib/stores/graph/types.js';

const closure = (edges: [string, string][], extra: string[] = []): PrerequisiteClosure => {
  const slugs = [...new Set([...edges.flat(), ...extra])];
  return {
    concepts: slugs.map((slug) => ({ slug, title: slug.toUpperCase() })),
    edges: edges.map(([from, to]) => ({ from, to })),
  };
};
const order = (c: PrerequisiteClosure, target: string, known: string[] = []) =>
  learningPath(c, target, known)?.steps.map((s) => s.slug);

describe('learningPath', () => {
  it('happy: orders a diamond with prerequisites first, ties by slug', () => {
    const c = closure([
      ['t', 'b'],
      ['t', 'a'],
      ['a', 'base'],
      ['b', 'base'],
    ]);
    expect(order(c, 't')).toEqual(['base', 'a', 'b']);
    expect(learningPath(c, 't', [])?.target).toEqual({ slug: 't', title: 'T', requires: ['a', 'b'] });
  });

  it('happy: a known concept removes itself and everything it builds on', () => {
    const c = closure([
      ['t', 'a'],
      ['t', 'k'],
      ['a', 'p'],
      ['k', 'p'],
      ['p', 'q'],
    ]);
    // p is reached through a (unknown) too, but knowing k implies knowing p and q.
    expect(order(c, 't', ['k'])).toEqual(['a']);
    expect(order(c, 't', ['t'])).toEqual([]);
  });

  it('edge: cycles are reported, listed together, and never looped on', () => {
    const c = closure([
      ['t', 'x'],
      ['x', 'y'],
      ['y', 'x'],
      ['y', 'base'],
    ]);
    const path = learningPath(c, 't', []);
    expect(path?.steps.map((s) => s.slug)).toEqual(['base', 'x', 'y']);
    expect(path?.cycles).toEqual([['x', 'y']]);
  });

  it('edge: a cycle through the target is reported and the target is never a step', () => {
    const path = learningPath(
      closure([
        ['t', 'a'],
        ['a', 't'],
      ]),
      't',
      [],
    );
    expect(path?.steps.map((s) => s.slug)).toEqual(['a']);
    expect(path?.cycles).toEqual([['a', 't']]);
  });

  it('edge: a long chain does not overflow the stack', () => {
    const edges: [string, string][] = Array.from({ length: 10_000 }, (_, i) => [`c${i}`, `c${i + 1}`]);
    const steps = order(closure(edges), 'c0') ?? [];
    expect(steps).toHaveLength(10_000);
    expect(steps[0]).toBe('c10000');
  });

  it('error: an unknown target is null; unknown known slugs are reported', () => {
    expect(learningPath(closure([['a', 'b']]), 'nope', [])).toBeNull();
    expect(learningPath(closure([['a', 'b']]), 'a', ['zz'])?.unknownKnown).toEqual(['zz']);
  });
});
