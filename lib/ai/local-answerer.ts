import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  LanguageModelV4Usage,
  SharedV4Warning,
} from '@ai-sdk/provider';
import { LOCAL_CHAT_MODEL_ID } from '../model-info.js';
import { estimateTokens } from './chunker.js';
import { type GroundingDocument, parseGroundedText, type RelatedItem } from './documents.js';
import { QUESTION_WORDS, standaloneQuestion } from './standalone.js';
import { terms, words } from './text-features.js';

export { LOCAL_CHAT_MODEL_ID };

/**
 * The local answerer: a real `LanguageModelV4` provider that needs no network and no weights. It is
 * extractive, not generative: it reads the `<documents>` block of the last user turn, picks the
 * sentences that best cover the question's terms (IDF-weighted), and streams them back with `[n]`
 * citations. When no sentence covers enough of the question it says plainly that the site's content
 * does not answer it. Deterministic: the same prompt gives the same answer.
 */

export const NOT_FOUND_ANSWER =
  "I could not find anything about that in this site's content, so I can't answer it from here. " +
  'Try rephrasing, or ask about the projects, posts and courses on this site.';

export interface LocalAnswererOptions {
  /** Most sentences quoted in one answer. */
  maxSentences?: number;
  /** Share of the question's (IDF-weighted) terms the best sentence must cover to count as relevant. */
  minCoverage?: number;
  /** Words per streamed text delta. */
  wordsPerDelta?: number;
  /** Pause between deltas, to pace the stream like a remote model (0 by default). */
  delayMs?: number;
}

interface Sentence {
  doc: GroundingDocument;
  position: number;
  text: string;
  terms: Set<string>;
  /** Terms of the section heading the sentence sits under: "RRF uses only ranks" under "Reciprocal rank fusion". */
  headingTerms: Set<string>;
  /** A whole sentence (see splitSentences): only these are quoted, the rest still count for relevance. */
  quotable: boolean;
}

/** A heading or title match counts for less than the sentence itself containing the term. */
const HEADING_WEIGHT = 0.85;
/** A document's title is what each of its sentences is about ("What is quarry?" and quarry's summary). */
const TITLE_WEIGHT = 1;
const CARRIED_WEIGHT = 0.5;
const ABSENT_NAME_WEIGHT = 3;

export interface ExtractiveAnswer {
  text: string;
  /** Document numbers cited, in order of first citation. */
  cited: number[];
  found: boolean;
}

export class LocalExtractiveModel implements LanguageModelV4 {
  readonly specificationVersion = 'v4';
  readonly provider = 'local';
  readonly modelId = LOCAL_CHAT_MODEL_ID;
  readonly supportedUrls: Record<string, RegExp[]> = {};
  private readonly options: Required<LocalAnswererOptions>;

  constructor(options: LocalAnswererOptions = {}) {
    this.options = {
      maxSentences: options.maxSentences ?? 4,
      minCoverage: options.minCoverage ?? 0.5,
      wordsPerDelta: options.wordsPerDelta ?? 3,
      delayMs: options.delayMs ?? 0,
    };
  }

  async doGenerate(call: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
    const answer = this.answer(call.prompt);
    return {
      content: [{ type: 'text', text: answer.text }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: usageFor(call.prompt, answer.text),
      warnings: warningsFor(call),
      response: { modelId: this.modelId, timestamp: new Date() },
    };
  }

  async doStream(call: LanguageModelV4CallOptions): Promise<LanguageModelV4StreamResult> {
    const answer = this.answer(call.prompt);
    const pieces = splitIntoDeltas(answer.text, this.options.wordsPerDelta);
    const textId = 'txt-0';
    const signal = call.abortSignal;
    const delayMs = this.options.delayMs;
    const queue: LanguageModelV4StreamPart[] = [
      { type: 'stream-start', warnings: warningsFor(call) },
      { type: 'response-metadata', modelId: this.modelId, timestamp: new Date() },
      { type: 'text-start', id: textId },
    ];
    let next = 0;
    let sentText = false;
    // Pull-based: a part is produced only when the consumer asks for one, so a cancelled or aborted
    // stream stops generating at once.
    const stream = new ReadableStream<LanguageModelV4StreamPart>({
      async pull(controller) {
        if (signal?.aborted) {
          controller.error(signal.reason ?? new DOMException('Aborted', 'AbortError'));
          return;
        }
        const queued = queue.shift();
        if (queued) {
          controller.enqueue(queued);
          return;
        }
        if (next < pieces.length) {
          if (delayMs > 0 && sentText) await sleep(delayMs, signal);
          if (signal?.aborted) {
            controller.error(signal.reason ?? new DOMException('Aborted', 'AbortError'));
            return;
          }
          sentText = true;
          controller.enqueue({ type: 'text-delta', id: textId, delta: pieces[next++] ?? '' });
          return;
        }
        controller.enqueue({ type: 'text-end', id: textId });
        controller.enqueue({
          type: 'finish',
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: usageFor(call.prompt, answer.text),
        });
        controller.close();
      },
    });
    return { stream };
  }

  /** The extractive answer to the last user turn of a prompt. */
  answer(prompt: LanguageModelV4Prompt): ExtractiveAnswer {
    const { docs, related, question, carried } = lastUserTurn(prompt);
    return composeAnswer({ docs, related, question, carried, ...this.options });
  }
}

/** Picks the sentences that answer `question` from `docs` and writes the cited answer. */
export function composeAnswer(input: {
  docs: readonly GroundingDocument[];
  related?: readonly RelatedItem[];
  question: string;
  /** Topic words carried from earlier turns (a follow-up made standalone): they count for less. */
  carried?: readonly string[];
  maxSentences?: number;
  minCoverage?: number;
}): ExtractiveAnswer {
  const maxSentences = input.maxSentences ?? 4;
  const minCoverage = input.minCoverage ?? 0.5;
  const primary = questionTerms(input.question);
  const carried = [...new Set(termsOf((input.carried ?? []).join(' ')))].filter((t) => !primary.includes(t));
  const qTerms = [...primary, ...carried];
  const sentences = input.docs.flatMap(splitSentences);
  if (primary.length === 0 && carried.length === 0) return notFound();
  if (sentences.length === 0) return notFound();

  const titleTerms = new Map(input.docs.map((d) => [d.n, new Set(termsOf(d.title))]));
  const docTerms = new Map<number, Set<string>>();
  for (const d of input.docs)
    docTerms.set(d.n, new Set([...(titleTerms.get(d.n) ?? []), ...termsOf(d.text)]));
  const anywhere = (t: string) => [...docTerms.values()].some((set) => set.has(t));

  // IDF over the retrieved sentences; a question term found nowhere gets the highest weight, so a
  // question about something absent cannot be "answered" by its incidental words. A name the question
  // gives ("PyTorch", "Kubernetes") that no document has weighs three times as much: the question is
  // about it. Words carried from earlier turns weigh half.
  const df = new Map<string, number>();
  for (const s of sentences) for (const t of s.terms) df.set(t, (df.get(t) ?? 0) + 1);
  const n = sentences.length;
  const names = namesIn(input.question);
  const weight = new Map<string, number>();
  for (const t of qTerms) {
    let w = Math.log(1 + n / (df.get(t) ?? 0.5));
    if (!primary.includes(t)) w *= CARRIED_WEIGHT;
    else if (names.has(t) && !anywhere(t)) w *= ABSENT_NAME_WEIGHT;
    weight.set(t, w);
  }
  const totalWeight = qTerms.reduce((sum, t) => sum + (weight.get(t) ?? 0), 0);

  // Relevance is decided per document (title, headings and text), not per sentence: a document that
  // covers the question's terms between its title and its sentences is relevant even when no single
  // sentence repeats them all ("Why did the outbox table eat the disk?" against "The outbox that ate
  // our disk"). With no relevant document the answer says so.
  const docCoverage = new Map<number, number>();
  for (const d of input.docs) {
    const set = docTerms.get(d.n) ?? new Set<string>();
    let w = 0;
    for (const t of qTerms) if (set.has(t)) w += weight.get(t) ?? 0;
    docCoverage.set(d.n, totalWeight > 0 ? w / totalWeight : 0);
  }
  // A document whose title carries the question's terms is the one the question names.
  const titleCoverage = new Map<number, number>();
  for (const d of input.docs) {
    const set = titleTerms.get(d.n) ?? new Set<string>();
    let w = 0;
    for (const t of qTerms) if (set.has(t)) w += weight.get(t) ?? 0;
    titleCoverage.set(d.n, totalWeight > 0 ? w / totalWeight : 0);
  }
  const relevant = new Set(
    input.docs.filter((d) => (docCoverage.get(d.n) ?? 0) >= minCoverage).map((d) => d.n),
  );
  if (relevant.size === 0) return notFound();

  const match = (s: Sentence, t: string) =>
    s.terms.has(t)
      ? 1
      : s.headingTerms.has(t)
        ? HEADING_WEIGHT
        : titleTerms.get(s.doc.n)?.has(t)
          ? TITLE_WEIGHT
          : 0;
  const coverage = (s: Sentence, covered: ReadonlySet<string>) => {
    let w = 0;
    for (const t of qTerms) w += match(s, t) * (weight.get(t) ?? 0) * (covered.has(t) ? 0.35 : 1);
    return w / totalWeight;
  };
  const score = (s: Sentence, covered: ReadonlySet<string>) => {
    const words = s.text.split(/\s+/).length;
    const lengthPenalty = words < 6 ? 0.8 : words > 60 ? 0.85 : 1;
    // Documents come in retrieval order (named items first): a mild prior for the better-ranked ones
    // breaks near-ties, and so do the document's own coverage, a title that names the question's
    // subject, and an early place in the document (summaries and introductions say what a thing is).
    const rankPrior = 1 / (1 + 0.04 * (s.doc.n - 1));
    const docPrior = 0.75 + 0.25 * (docCoverage.get(s.doc.n) ?? 0);
    const titlePrior = 1 + 0.15 * (titleCoverage.get(s.doc.n) ?? 0);
    const positionPrior = 1 / (1 + 0.005 * s.position);
    return coverage(s, covered) * lengthPenalty * rankPrior * docPrior * titlePrior * positionPrior;
  };

  const empty = new Set<string>();
  const ranked = sentences
    .filter((s) => relevant.has(s.doc.n) && s.quotable)
    .map((s) => ({ s, cov: coverage(s, empty), score: score(s, empty) }))
    .filter((r) => r.cov > 0)
    .sort((a, b) => b.score - a.score || a.s.doc.n - b.s.doc.n || a.s.position - b.s.position);
  const best = ranked[0];
  if (!best) return notFound();

  // Greedy selection among sentences nearly as good as the best: each pick favours question terms
  // not yet covered (a light MMR), so the answer is not three paraphrases of one fact.
  const candidates = ranked.filter((r) => r.cov >= minCoverage * 0.6 && r.score >= best.score * 0.5);
  const chosen: Sentence[] = [best.s];
  const covered = new Set(qTerms.filter((t) => match(best.s, t) > 0));
  const seen = new Set([best.s.text]);
  while (chosen.length < maxSentences) {
    let pick: { s: Sentence; score: number } | undefined;
    for (const { s } of candidates) {
      if (seen.has(s.text)) continue;
      const sc = score(s, covered);
      if (!pick || sc > pick.score) pick = { s, score: sc };
    }
    if (!pick) break;
    chosen.push(pick.s);
    seen.add(pick.s.text);
    for (const t of qTerms) if (match(pick.s, t) > 0) covered.add(t);
  }
  // The best sentence's document leads: the answer cites first the item it comes from.
  const lead = best.s.doc.n;
  chosen.sort(
    (a, b) =>
      Number(b.doc.n === lead) - Number(a.doc.n === lead) || a.doc.n - b.doc.n || a.position - b.position,
  );

  const cited: number[] = [];
  const lines = chosen.map((s) => {
    if (!cited.includes(s.doc.n)) cited.push(s.doc.n);
    return `- ${s.text} [${s.doc.n}]`;
  });
  const intro =
    cited.length === 1
      ? `From "${input.docs.find((d) => d.n === cited[0])?.title ?? 'this site'}":`
      : "Here is what this site's content says:";
  let text = `${intro}\n\n${lines.join('\n')}`;
  const related = (input.related ?? []).slice(0, 3);
  if (related.length > 0) text += `\n\nRelated on this site: ${related.map((r) => r.title).join('; ')}.`;
  return { text, cited, found: true };
}

function notFound(): ExtractiveAnswer {
  return { text: NOT_FOUND_ANSWER, cited: [], found: false };
}

/**
 * The documents and question of the last user message, with the earlier user turns the prompt carries
 * as conversation: a follow-up is read as its standalone form (see standalone.ts).
 */
function lastUserTurn(prompt: LanguageModelV4Prompt): {
  docs: GroundingDocument[];
  related: RelatedItem[];
  question: string;
  carried: string[];
} {
  const userTexts: string[] = [];
  for (const m of prompt) {
    if (m.role !== 'user') continue;
    userTexts.push(
      m.content
        .map((p) => (p.type === 'text' ? p.text : ''))
        .filter(Boolean)
        .join('\n\n'),
    );
  }
  const last = userTexts.pop();
  if (last === undefined) return { docs: [], related: [], question: '', carried: [] };
  const { docs, related, question } = parseGroundedText(last);
  const standalone = standaloneQuestion([...userTexts.map((t) => parseGroundedText(t).question), question]);
  return { docs, related, question, carried: standalone.carried };
}

/** Content terms of a question, without the words every question has; single letters kept ("k"). */
function questionTerms(question: string): string[] {
  const kept = question
    .split(/\s+/)
    .filter((w) => !QUESTION_WORDS.has(w.toLowerCase().replace(/[^a-z]/g, '')))
    .join(' ');
  return [...new Set(termsOf(kept))];
}

/**
 * `terms`, plus the single letters that name things in technical prose ("k", "b", "m"), with one
 * Porter asymmetry evened out: "added" stems to "ad" but "add" stays "add", so a final double
 * consonant (other than l, s, z) is dropped on both sides.
 */
function termsOf(text: string): string[] {
  const out = terms(text).map((t) => (/([b-df-hj-knp-rtv-y])\1$/.test(t) ? t.slice(0, -1) : t));
  for (const w of words(text)) if (w.length === 1 && /[b-hj-rt-z]/.test(w)) out.push(w);
  return out;
}

/** Terms of the words a question capitalises after its first word: names ("PyTorch", "Lisbon"). */
function namesIn(question: string): Set<string> {
  const out = new Set<string>();
  const tokens = question.split(/\s+/);
  for (const [i, raw] of tokens.entries()) {
    const w = raw.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
    if (i === 0 || !/^\p{Lu}/u.test(w) || /[.!?]$/.test(tokens[i - 1] ?? '')) continue;
    for (const t of termsOf(w)) out.add(t);
  }
  return out;
}

/**
 * Prose sentences of a document: code blocks, tables and headings are not quoted, nor is a sentence
 * that is not whole: one that introduces a list, table or code ("The fix was three partial indexes:"),
 * one cut short by the context budget ("…"), or a fragment without an ending (a label, a list item
 * such as a learning goal without a full stop). Such text still counts for relevance.
 */
function splitSentences(doc: GroundingDocument): Sentence[] {
  const out: Sentence[] = [];
  let inCode = false;
  let position = 0;
  let headingTerms = new Set<string>();
  for (const raw of doc.text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('```') || line.startsWith('~~~')) {
      inCode = !inCode;
      continue;
    }
    if (inCode || line === '' || line.startsWith('|')) continue;
    if (line.startsWith('#')) {
      headingTerms = new Set(termsOf(line.replace(/^#+\s*/, '')));
      continue;
    }
    const prose = line
      .replace(/^([-*+]|\d+\.)\s+/, '')
      .replace(/^>\s*/, '')
      .replace(/\*\*|__|`/g, '')
      .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1');
    for (const part of sentencesOf(prose)) {
      const text = part.trim();
      if (text.length < 12) continue;
      out.push({
        doc,
        position: position++,
        text,
        terms: new Set(termsOf(text)),
        headingTerms,
        quotable: isWhole(text),
      });
    }
  }
  return out;
}

/** Abbreviations, initials and ellipses a sentence does not end at ("e.g.", "vs.", "3 a.m.", "SELECT ..."). */
const NOT_AN_END =
  /(?:(?:\b(?:e\.g|i\.e|vs|etc|cf|approx|incl|no|dr|mr|ms|mrs|st)|\b\p{L}|\.\p{L})\.|\.\.\.|…)$/iu;

/** A line's sentences: split after ., ! or ? and a space, except after an abbreviation or an initial. */
function sentencesOf(line: string): string[] {
  const out: string[] = [];
  for (const piece of line.split(/(?<=[.!?]["')\]]?)\s+/)) {
    const prev = out[out.length - 1];
    // a quoted question inside a sentence ("Should we ...?" is the question I get most) goes on
    const quoted = prev !== undefined && /[?!]["')\]]$/.test(prev) && /^\p{Ll}/u.test(piece);
    if (prev !== undefined && (quoted || NOT_AN_END.test(prev))) out[out.length - 1] = `${prev} ${piece}`;
    else out.push(piece);
  }
  return out;
}

function isWhole(text: string): boolean {
  return /[.!?]["')\]*_]*$/.test(text) && !text.endsWith('...');
}

function splitIntoDeltas(text: string, wordsPerDelta: number): string[] {
  const tokens = text.match(/\S+\s*|\s+/g) ?? [];
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i += wordsPerDelta)
    out.push(tokens.slice(i, i + wordsPerDelta).join(''));
  return out;
}

/**
 * Token counts are estimates (about four characters per token): no tokenizer runs locally. Shared by
 * the local models (tool results in the prompt count as their JSON).
 */
export function usageFor(prompt: LanguageModelV4Prompt, answer: string): LanguageModelV4Usage {
  let promptText = '';
  for (const m of prompt) {
    if (typeof m.content === 'string') promptText += m.content;
    else
      for (const p of m.content) {
        if (p.type === 'text') promptText += p.text;
        else if (p.type === 'tool-result') promptText += JSON.stringify(p.output);
      }
  }
  const input = estimateTokens(promptText);
  const output = estimateTokens(answer);
  return {
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
    raw: { estimated: true },
  };
}

function warningsFor(call: LanguageModelV4CallOptions): SharedV4Warning[] {
  const warnings: SharedV4Warning[] = [];
  if (call.tools?.length) warnings.push({ type: 'unsupported', feature: 'tools' });
  if (call.responseFormat?.type === 'json') warnings.push({ type: 'unsupported', feature: 'responseFormat' });
  return warnings;
}

/** Waits `ms`, or less when `signal` aborts (it resolves either way). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
