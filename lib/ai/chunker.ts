import { createHash } from 'node:crypto';

/** One chunk of a document, ready to embed. */
export interface Chunk {
  /** 0-based, contiguous, in document order: the same input always gives the same positions. */
  position: number;
  /** Heading path of the section, e.g. "Indexes > Partial indexes"; '' before the first heading. */
  heading: string;
  /** The chunk's Markdown (without its heading line; overlap from the previous chunk included). */
  text: string;
  /** SHA-256 (hex) of `embeddingInput(title, chunk)`: exactly what gets embedded. */
  hash: string;
  /** Approximate token count of `text` (see `estimateTokens`). */
  tokenCount: number;
}

export interface ChunkOptions {
  title: string;
  /** Markdown body (front matter already removed). */
  body: string;
  /** Token budget per chunk (default 512). */
  maxTokens?: number;
  /** Tokens of context repeated from the end of the previous chunk of the same section (default 48). */
  overlapTokens?: number;
}

export const DEFAULT_MAX_TOKENS = 512;
export const DEFAULT_OVERLAP_TOKENS = 48;

/**
 * Approximate tokens: about 4 characters per token for English prose (OpenAI's rule of thumb for its
 * BPE tokenizers), never fewer than the number of words. No tokenizer is loaded: chunk budgets only
 * need to be roughly right, and this keeps chunking free of model-specific data.
 */
export function estimateTokens(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '') return 0;
  const words = trimmed.split(/\s+/).length;
  return Math.max(words, Math.ceil(trimmed.length / 4));
}

/** The exact text embedded for a chunk: document title, heading path, then the chunk. */
export function embeddingInput(title: string, chunk: Pick<Chunk, 'heading' | 'text'>): string {
  const head = chunk.heading ? `${title}\n${chunk.heading}` : title;
  return `${head}\n\n${chunk.text}`;
}

export function hashText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Splits Markdown into chunks: first into sections by ATX headings (keeping the heading path), then
 * each section into chunks of at most `maxTokens`, packing whole paragraphs, list blocks and fenced
 * code blocks. A paragraph longer than the budget is split at sentence ends, then at words; a code
 * block is split (at line ends) only when it alone exceeds the budget. Consecutive chunks of a section
 * share up to `overlapTokens` of trailing prose, so a sentence cut at a boundary is still found.
 * Each section's chunks depend only on that section (and the title), so editing one section changes
 * only its chunks' hashes.
 */
export function chunkMarkdown(options: ChunkOptions): Chunk[] {
  const maxTokens = Math.max(16, options.maxTokens ?? DEFAULT_MAX_TOKENS);
  const overlapTokens = Math.max(0, Math.min(options.overlapTokens ?? DEFAULT_OVERLAP_TOKENS, maxTokens / 2));
  const out: Chunk[] = [];
  for (const section of splitSections(options.body)) {
    const heading = section.path.join(' > ');
    for (const text of packSection(section.blocks, maxTokens, overlapTokens)) {
      const piece = { heading, text };
      out.push({
        position: out.length,
        heading,
        text,
        hash: hashText(embeddingInput(options.title, piece)),
        tokenCount: estimateTokens(text),
      });
    }
  }
  return out;
}

interface Block {
  kind: 'prose' | 'code';
  text: string;
}

interface Section {
  path: string[];
  blocks: Block[];
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$|^ {0,3}(#{1,6})[ \t]*$/;

/** Sections by heading, each a list of blocks (paragraphs and fenced code, never split here). */
function splitSections(body: string): Section[] {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  const sections: Section[] = [];
  const stack: { level: number; title: string }[] = [];
  let current: Section = { path: [], blocks: [] };
  let para: string[] = [];
  let fence: { marker: string; lines: string[] } | undefined;

  const flushPara = () => {
    const text = para.join('\n').trim();
    if (text) current.blocks.push({ kind: 'prose', text });
    para = [];
  };

  for (const line of lines) {
    if (fence) {
      fence.lines.push(line);
      const close = FENCE.exec(line);
      if (close?.[1] && close[1][0] === fence.marker[0] && close[1].length >= fence.marker.length) {
        if (line.trim() === close[1] || /^[`~]+$/.test(line.trim())) {
          current.blocks.push({ kind: 'code', text: fence.lines.join('\n') });
          fence = undefined;
        }
      }
      continue;
    }
    const open = FENCE.exec(line);
    if (open?.[1]) {
      flushPara();
      fence = { marker: open[1], lines: [line] };
      continue;
    }
    const heading = ATX.exec(line);
    if (heading) {
      flushPara();
      if (current.blocks.length > 0) sections.push(current);
      const level = (heading[1] ?? heading[3] ?? '#').length;
      const title = cleanHeading(heading[2] ?? '');
      while (stack.length > 0 && (stack.at(-1)?.level ?? 0) >= level) stack.pop();
      stack.push({ level, title });
      current = { path: stack.map((s) => s.title).filter(Boolean), blocks: [] };
      continue;
    }
    if (line.trim() === '') flushPara();
    else para.push(line);
  }
  // An unclosed fence runs to the end of the document, as in CommonMark.
  if (fence) current.blocks.push({ kind: 'code', text: fence.lines.join('\n') });
  flushPara();
  if (current.blocks.length > 0) sections.push(current);
  return sections;
}

/** Heading text without inline Markdown decoration, so the path reads as plain text. */
function cleanHeading(raw: string): string {
  return raw
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[*`]+/g, '')
    .replace(/(^|[^\p{L}\p{N}])_+|_+(?=[^\p{L}\p{N}]|$)/gu, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A unit that is packed whole: a block, or a piece of a block too large for one chunk. */
interface Unit {
  text: string;
  tokens: number;
  /** Joined to the previous unit with a space (same paragraph) or a blank line (new block). */
  joinWithSpace: boolean;
  prose: boolean;
  /** Repeated from the previous chunk for context. */
  overlap?: boolean;
}

function packSection(blocks: Block[], maxTokens: number, overlapTokens: number): string[] {
  const units: Unit[] = [];
  for (const block of blocks) units.push(...splitBlock(block, maxTokens));

  const chunks: string[] = [];
  let current: Unit[] = [];
  let tokens = 0;
  for (const unit of units) {
    if (current.length > 0 && tokens + unit.tokens > maxTokens) {
      chunks.push(render(current));
      current = overlapTail(current, Math.min(overlapTokens, maxTokens - unit.tokens));
      tokens = current.reduce((n, u) => n + u.tokens, 0);
    }
    current.push(unit);
    tokens += unit.tokens;
  }
  if (current.some((u) => !u.overlap)) chunks.push(render(current));
  return chunks;
}

/** Trailing prose units of a finished chunk, marked as overlap, within `budget` tokens. */
function overlapTail(units: Unit[], budget: number): Unit[] {
  const tail: Unit[] = [];
  let used = 0;
  for (let i = units.length - 1; i >= 0; i--) {
    const u = units[i];
    if (!u?.prose || used + u.tokens > budget) break;
    tail.unshift({ ...u, overlap: true });
    used += u.tokens;
  }
  return tail;
}

function render(units: Unit[]): string {
  let out = '';
  for (const [i, u] of units.entries()) {
    if (i > 0) out += u.joinWithSpace ? ' ' : '\n\n';
    out += u.text;
  }
  return out;
}

function splitBlock(block: Block, maxTokens: number): Unit[] {
  const tokens = estimateTokens(block.text);
  if (tokens <= maxTokens)
    return [{ text: block.text, tokens, joinWithSpace: false, prose: block.kind === 'prose' }];
  const pieces = block.kind === 'code' ? splitCode(block.text, maxTokens) : splitProse(block.text, maxTokens);
  return pieces.map((text, i) => ({
    text,
    tokens: estimateTokens(text),
    joinWithSpace: block.kind === 'prose' && i > 0,
    prose: block.kind === 'prose',
  }));
}

/** A paragraph over budget: its sentences, and a run-on sentence in word runs within budget. */
function splitProse(text: string, maxTokens: number): string[] {
  const sentences = text.split(/(?<=[.!?])\s+(?=[A-Z0-9"'([*`_-])/);
  const pieces: string[] = [];
  for (const s of sentences) {
    if (estimateTokens(s) <= maxTokens) pieces.push(s);
    else pieces.push(...splitWords(s, maxTokens));
  }
  return pieces;
}

function splitWords(text: string, maxTokens: number): string[] {
  const words = text.split(/\s+/);
  const out: string[] = [];
  let current: string[] = [];
  for (const w of words) {
    if (current.length > 0 && estimateTokens([...current, w].join(' ')) > maxTokens) {
      out.push(current.join(' '));
      current = [];
    }
    current.push(w);
  }
  if (current.length > 0) out.push(current.join(' '));
  return out;
}

/** A code block too large for one chunk: split at line ends, each piece fenced again so it renders. */
function splitCode(text: string, maxTokens: number): string[] {
  const lines = text.split('\n');
  const open = lines[0] ?? '```';
  const marker = FENCE.exec(open)?.[1] ?? '```';
  const last = lines.at(-1) ?? '';
  const closed = lines.length > 1 && FENCE.test(last);
  const inner = lines.slice(1, closed ? -1 : undefined);
  const budget = maxTokens - estimateTokens(`${open}\n${marker}`);
  const out: string[] = [];
  let current: string[] = [];
  const flush = () => {
    if (current.length > 0) out.push([open, ...current, marker].join('\n'));
    current = [];
  };
  for (const line of inner) {
    for (const part of estimateTokens(line) > budget ? splitWords(line, budget) : [line]) {
      if (current.length > 0 && estimateTokens(current.concat(part).join('\n')) > budget) flush();
      current.push(part);
    }
  }
  flush();
  return out;
}
