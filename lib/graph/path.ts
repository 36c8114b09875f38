import type { PrerequisiteClosure } from '../stores/graph/types.js';

/** One concept to learn and its direct prerequisites (some may already be known). */
export interface PathStep {
  slug: string;
  title: string;
  requires: string[];
}

export interface LearningPath {
  target: PathStep;
  /** Every unmet transitive prerequisite of the target, each after all of its own unmet prerequisites. */
  steps: PathStep[];
  /** Groups of concepts that require each other (sorted slugs); empty in a well-formed graph. */
  cycles: string[][];
  /** Slugs given as known that are not concepts (ignored). */
  unknownKnown: string[];
}

/**
 * The learning path to `target`, from the REQUIRES closure of the target and the known concepts.
 *
 * Rule: a concept is *met* when it is known or is a transitive prerequisite of a known concept
 * (knowing a concept implies knowing what it builds on). The steps are every transitive prerequisite of
 * the target that is not met, the target itself excluded. Order: strongly connected components in
 * dependency order (Tarjan's algorithm from the target, prerequisites visited in slug order), so each
 * step comes after all of its prerequisites and the order is deterministic. Concepts on a cycle cannot
 * be ordered that way: they are listed together (by slug) where the cycle as a whole fits, and the
 * cycle is reported in `cycles`. Nothing loops: every concept is visited once.
 *
 * Returns null when the target is not a concept.
 */
export function learningPath(
  closure: PrerequisiteClosure,
  target: string,
  known: string[],
): LearningPath | null {
  const titles = new Map(closure.concepts.map((c) => [c.slug, c.title]));
  const targetTitle = titles.get(target);
  if (targetTitle === undefined) return null;
  const requires = new Map<string, string[]>();
  for (const e of closure.edges) {
    if (!titles.has(e.to)) continue;
    const list = requires.get(e.from) ?? [];
    list.push(e.to);
    requires.set(e.from, list);
  }
  for (const list of requires.values()) list.sort(compare);
  const prereqs = (slug: string) => requires.get(slug) ?? [];

  const knownSlugs = [...new Set(known)].filter((k) => titles.has(k));
  const met = new Set([...knownSlugs, ...reachable(knownSlugs, prereqs)]);
  const needed = new Set([...reachable([target], prereqs)].filter((s) => s !== target && !met.has(s)));

  const within = (slug: string) => prereqs(slug).filter((p) => needed.has(p) || p === target);
  const components = tarjan([target, ...[...needed].sort(compare)], within);
  const steps: PathStep[] = [];
  const cycles: string[][] = [];
  const step = (slug: string): PathStep => ({
    slug,
    title: titles.get(slug) ?? slug,
    requires: prereqs(slug),
  });
  for (const component of components) {
    const members = [...component].sort(compare);
    const selfLoop =
      members.length === 1 && members[0] !== undefined && within(members[0]).includes(members[0]);
    if (members.length > 1 || selfLoop) cycles.push(members);
    for (const slug of members) if (slug !== target) steps.push(step(slug));
  }
  return {
    target: step(target),
    steps,
    cycles,
    unknownKnown: [...new Set(known)].filter((k) => !titles.has(k)).sort(compare),
  };
}

/** Everything reachable from `starts` (the starts themselves only when reached again). */
function reachable(starts: string[], next: (slug: string) => string[]): Set<string> {
  const seen = new Set<string>();
  const stack = starts.flatMap(next);
  for (let slug = stack.pop(); slug !== undefined; slug = stack.pop()) {
    if (seen.has(slug)) continue;
    seen.add(slug);
    stack.push(...next(slug));
  }
  return seen;
}

/**
 * Tarjan's strongly connected components, iterative (no recursion depth limit). A component is emitted
 * after every component it reaches, i.e. prerequisites first.
 */
function tarjan(roots: string[], next: (slug: string) => string[]): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
  };
  for (const root of roots) {
    if (index.has(root)) continue;
    visit(root);
    const work: { v: string; edges: string[]; i: number }[] = [{ v: root, edges: next(root), i: 0 }];
    while (work.length) {
      const frame = work[work.length - 1] as (typeof work)[number];
      const w = frame.edges[frame.i];
      if (w !== undefined) {
        frame.i++;
        if (!index.has(w)) {
          visit(w);
          work.push({ v: w, edges: next(w), i: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.v, Math.min(low.get(frame.v) ?? 0, index.get(w) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v) ?? 0, low.get(frame.v) ?? 0));
      if (low.get(frame.v) === index.get(frame.v)) {
        const component: string[] = [];
        for (let x = stack.pop(); x !== undefined; x = stack.pop()) {
          onStack.delete(x);
          component.push(x);
          if (x === frame.v) break;
        }
        out.push(component);
      }
    }
  }
  return out;
}

/** Code-point order: the same everywhere, whatever the locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
