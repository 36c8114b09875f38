import * as z from 'zod';
import { ApiError } from '../../http/errors.js';
import type { SqlStore } from '../../stores/sql/index.js';
import type { Progress } from '../../sync/types.js';
import { createConcept, updateConcept } from '../concept-writes.js';
import { createContent, updateContent } from '../content-writes.js';
import {
  type ConceptDoc,
  type ContentDoc,
  conceptCreateSchema,
  contentCreateSchema,
  toConceptDoc,
  toContentDoc,
} from '../schemas.js';
import { diffConcept, diffContent, loadConceptDocs, loadContentDocs, type Stored } from '../snapshot.js';
import type { RawBundle, RawRecord } from './sources.js';

/**
 * Imports a bundle through the same write path as the admin API (outbox and audit included).
 * Compares with what is stored first, so a second import of the same source writes nothing.
 * Bad records and references to things that exist nowhere are reported and skipped, never fatal.
 * References to records created later in the same run (cycles of `related`) are set in a second pass.
 */

export interface Dangling {
  source: string;
  /** `prerequisites`, `concepts`, `related` or `course`. */
  field: string;
  from: string;
  to: string;
}

export interface ImportReport {
  created: { concepts: number; content: number };
  updated: { concepts: number; content: number };
  unchanged: { concepts: number; content: number };
  problems: { source: string; message: string }[];
  dangling: Dangling[];
}

export interface ImportOptions {
  sql: SqlStore;
  bundle: RawBundle;
  /** Audit actor (default `cli:import`). */
  actor?: string;
  now?: () => Date;
  progress?: Progress;
}

/**
 * References in imported records are any non-empty string: one that is not a valid slug cannot
 * exist, so it is reported as dangling rather than rejecting the whole record.
 */
const reference = z.string().trim().min(1).max(300);

/** Metacademy concepts also carry `seeAlso` and `questions`, which this site does not store. */
const importedConceptSchema = z
  .object({
    ...conceptCreateSchema.shape,
    prerequisites: z
      .array(z.object({ slug: reference, reason: z.string().max(2000).nullable().optional() }).strict())
      .max(500)
      .optional(),
    seeAlso: z.string().optional(),
    questions: z.array(z.string()).optional(),
  })
  .strict();

const importedContentSchema = z
  .object({
    ...contentCreateSchema.shape,
    course: reference.nullable().optional(),
    concepts: z.array(reference).max(500).optional(),
    related: z.array(reference).max(500).optional(),
  })
  .strict();

interface Item<D> {
  source: string;
  doc: D;
}

export async function importBundle(options: ImportOptions): Promise<ImportReport> {
  const { sql } = options;
  const actor = options.actor ?? 'cli:import';
  const now = options.now ?? (() => new Date());
  const report: ImportReport = {
    created: { concepts: 0, content: 0 },
    updated: { concepts: 0, content: 0 },
    unchanged: { concepts: 0, content: 0 },
    problems: [...options.bundle.problems],
    dangling: [],
  };

  const concepts = parseAll(options.bundle.concepts, report, (data) => {
    const { seeAlso: _s, questions: _q, ...rest } = importedConceptSchema.parse(data);
    return toConceptDoc(rest);
  });
  const content = parseAll(options.bundle.content, report, (data) =>
    toContentDoc(importedContentSchema.parse(data)),
  );

  const storedConcepts = await loadConceptDocs(sql);
  const storedContent = await loadContentDocs(sql);
  const conceptSlugs = new Set([...storedConcepts.keys(), ...concepts.map((c) => c.doc.slug)]);
  const contentSlugs = new Set([...storedContent.keys(), ...content.map((c) => c.doc.slug)]);
  const courseSlugs = new Set([
    ...[...storedContent.values()].filter((s) => s.doc.kind === 'course').map((s) => s.doc.slug),
    ...content.filter((c) => c.doc.kind === 'course').map((c) => c.doc.slug),
  ]);

  // Drop references to things that exist nowhere; report each.
  for (const { source, doc } of concepts) {
    doc.prerequisites = doc.prerequisites.filter((p) =>
      keep(conceptSlugs.has(p.slug), { source, field: 'prerequisites', from: doc.slug, to: p.slug }, report),
    );
  }
  for (const { source, doc } of content) {
    const from = doc.slug;
    doc.concepts = doc.concepts.filter((s) =>
      keep(conceptSlugs.has(s), { source, field: 'concepts', from, to: s }, report),
    );
    doc.related = doc.related.filter((s) =>
      keep(contentSlugs.has(s), { source, field: 'related', from, to: s }, report),
    );
    if (
      doc.course !== null &&
      !keep(courseSlugs.has(doc.course), { source, field: 'course', from, to: doc.course }, report)
    )
      doc.course = null;
  }

  const total = concepts.length + content.length;
  let done = 0;
  const tick = (label: string) => options.progress?.(++done, total, label);
  const ctx = { sql, actor, now };
  const created = new Set<string>();

  // Pass 1: concepts in prerequisite order, then courses before the rest.
  const conceptState = new Map(storedConcepts);
  const deferredConcepts: Item<ConceptDoc>[] = [];
  for (const item of orderByPrerequisites(concepts)) {
    await guard(report, item.source, async () => {
      const ready = (s: string) => conceptState.has(s);
      const refsReady = item.doc.prerequisites.every((p) => ready(p.slug));
      const partial = { ...item.doc, prerequisites: item.doc.prerequisites.filter((p) => ready(p.slug)) };
      const outcome = await upsertConcept(ctx, conceptState, refsReady ? item.doc : partial, !refsReady);
      count(report, 'concepts', outcome, false);
      if (outcome === 'created') created.add(`concept:${item.doc.slug}`);
      if (!refsReady) deferredConcepts.push(item);
    });
    tick(item.doc.slug);
  }

  const contentState = new Map(storedContent);
  const deferredContent: Item<ContentDoc>[] = [];
  const ordered = [
    ...content.filter((c) => c.doc.kind === 'course'),
    ...content.filter((c) => c.doc.kind !== 'course'),
  ];
  for (const item of ordered) {
    await guard(report, item.source, async () => {
      const ready = (s: string) => contentState.has(s);
      const { doc } = item;
      const refsReady =
        doc.related.every(ready) &&
        (doc.course === null || ready(doc.course)) &&
        doc.concepts.every((s) => conceptState.has(s));
      const partial: ContentDoc = {
        ...doc,
        related: doc.related.filter(ready),
        course: doc.course !== null && ready(doc.course) ? doc.course : null,
        concepts: doc.concepts.filter((s) => conceptState.has(s)),
      };
      const outcome = await upsertContent(ctx, contentState, refsReady ? doc : partial, !refsReady);
      count(report, 'content', outcome, false);
      if (outcome === 'created') created.add(`content:${doc.slug}`);
      if (!refsReady) deferredContent.push(item);
    });
    tick(item.doc.slug);
  }

  // Pass 2: the references that pointed forward now resolve.
  for (const item of deferredConcepts)
    await guard(report, item.source, async () => {
      const outcome = await upsertConcept(ctx, conceptState, item.doc, false);
      count(report, 'concepts', outcome, created.has(`concept:${item.doc.slug}`));
    });
  for (const item of deferredContent)
    await guard(report, item.source, async () => {
      const outcome = await upsertContent(ctx, contentState, item.doc, false);
      count(report, 'content', outcome, created.has(`content:${item.doc.slug}`));
    });
  return report;
}

interface Ctx {
  sql: SqlStore;
  actor: string;
  now: () => Date;
}

async function upsertConcept(
  ctx: Ctx,
  state: Map<string, Stored<ConceptDoc>>,
  doc: ConceptDoc,
  deferred: boolean,
): Promise<Outcome> {
  const current = state.get(doc.slug);
  if (!current) {
    const r = await createConcept({ sql: ctx.sql, actor: ctx.actor, doc, now: ctx.now() });
    state.set(doc.slug, { id: r.id, version: r.version, doc });
    return 'created';
  }
  if (deferred) return 'deferred'; // the whole update waits for pass 2
  const patch = diffConcept(current.doc, doc);
  if (Object.keys(patch).length === 0) return 'unchanged';
  const r = await updateConcept({
    sql: ctx.sql,
    actor: ctx.actor,
    target: { id: current.id },
    expectedVersion: current.version,
    patch,
    now: ctx.now(),
  });
  state.set(doc.slug, { id: r.id, version: r.version, doc });
  return 'updated';
}

async function upsertContent(
  ctx: Ctx,
  state: Map<string, Stored<ContentDoc>>,
  doc: ContentDoc,
  deferred: boolean,
): Promise<Outcome> {
  const current = state.get(doc.slug);
  if (!current) {
    const r = await createContent({ sql: ctx.sql, actor: ctx.actor, doc, now: ctx.now() });
    state.set(doc.slug, { id: r.id, version: r.version, doc });
    return 'created';
  }
  if (deferred) return 'deferred';
  const patch = diffContent(current.doc, doc);
  if (Object.keys(patch).length === 0) return 'unchanged';
  const r = await updateContent({
    sql: ctx.sql,
    actor: ctx.actor,
    target: { id: current.id },
    expectedVersion: current.version,
    patch,
    now: ctx.now(),
  });
  state.set(doc.slug, { id: r.id, version: r.version, doc: { ...current.doc, ...patch } });
  return 'updated';
}

type Outcome = 'created' | 'updated' | 'unchanged' | 'deferred';

/** Counts an outcome; a record created in pass 1 and completed in pass 2 counts once, as created. */
function count(
  report: ImportReport,
  kind: 'concepts' | 'content',
  outcome: Outcome,
  createdEarlier: boolean,
): void {
  if (outcome === 'deferred' || (createdEarlier && outcome !== 'created')) return;
  report[outcome][kind]++;
}

function parseAll<D extends { slug: string }>(
  records: RawRecord[],
  report: ImportReport,
  parse: (data: unknown) => D,
): Item<D>[] {
  const out: Item<D>[] = [];
  const seen = new Set<string>();
  for (const { source, data } of records) {
    try {
      const doc = parse(data);
      if (seen.has(doc.slug)) {
        report.problems.push({ source, message: `duplicate slug "${doc.slug}" (the first one wins)` });
        continue;
      }
      seen.add(doc.slug);
      out.push({ source, doc });
    } catch (err) {
      report.problems.push({ source, message: describe(err) });
    }
  }
  return out;
}

/** Prerequisites first (Kahn's order); members of a cycle keep their place at the end. */
function orderByPrerequisites(items: Item<ConceptDoc>[]): Item<ConceptDoc>[] {
  const bySlug = new Map(items.map((i) => [i.doc.slug, i]));
  const pending = new Map(
    items.map((i) => [
      i.doc.slug,
      new Set(i.doc.prerequisites.map((p) => p.slug).filter((s) => bySlug.has(s))),
    ]),
  );
  const out: Item<ConceptDoc>[] = [];
  let progressed = true;
  while (pending.size > 0 && progressed) {
    progressed = false;
    for (const [slug, deps] of pending) {
      if ([...deps].some((d) => pending.has(d))) continue;
      const item = bySlug.get(slug);
      if (item) out.push(item);
      pending.delete(slug);
      progressed = true;
    }
  }
  for (const slug of pending.keys()) {
    const item = bySlug.get(slug);
    if (item) out.push(item);
  }
  return out;
}

function keep(ok: boolean, dangling: Dangling, report: ImportReport): boolean {
  if (!ok) report.dangling.push(dangling);
  return ok;
}

async function guard(report: ImportReport, source: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err; // a store failure stops the run; a record problem does not
    report.problems.push({ source, message: err.message });
  }
}

function describe(err: unknown): string {
  if (err instanceof z.ZodError)
    return err.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ');
  return err instanceof Error ? err.message : String(err);
}
