import { createHash } from 'node:crypto';
import type { Nodes, RootContent } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { toString as mdastText } from 'mdast-util-to-string';
import { gfm } from 'micromark-extension-gfm';

/** One chunk of a document, ready to embed. */
export interface Chunk {
  /** 0-based, contiguous, in document order: the same input always gives the same positions. */
  position: number;
  /** Heading path of the section, e.g. "Indexes > Partial indexes"; '' before the first heading. */
  heading: string;
  /** The chunk's plain text (code kept as fenced code; overlap from the previous chunk included). */
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
  return Math.max(countWords(trimmed), Math.ceil(trimmed.length / 4));
}

/** Whitespace-separated words of a trimmed string (`split(/\s+/).length` without the array). */
function countWords(trimmed: string): number {
  let words = 1;
  const re = /\s+/g;
  while (re.exec(trimmed) !== null) words++;
  return words;
}

/** The exact text embedded for a chunk: document title, heading path, then the chunk. */
export function embeddingInput(title: string, chunk: Pick<Chunk, 'heading' | 'text'>): string {
  const head = chunk.heading ? `${title}\n${chunk.heading}` : title;
  return `${head}\n\n${chunk.text}`;
}

/** An item as search sees it: a content item, or a concept (goals as its body). */
export interface SearchDocument {
  title: string;
  summary?: string;
  tags?: readonly string[];
  /** Markdown body (front matter already removed); may be empty. */
  body: string;
}

/**
 * The GFM syntax and tree extensions, built once: they are plain configuration (constructs and
 * handlers, no state), and combining them on every call cost more than parsing a short item.
 */
const MICROMARK_GFM = [gfm()];
const MDAST_GFM = [gfmFromMarkdown()];

/** A chunk with the item's fields, as the `chunks` table stores it. */
export interface DocumentChunk extends Chunk {
  title: string;
  /** The item's summary (lead chunk only, else ''). */
  summary: string;
  /** The item's tags, space-separated (lead chunk only, else ''). */
  tags: string;
}

/**
 * Chunks of a whole item. Position 0 is the lead chunk: title, summary and tags, plus the body's first
 * chunk when that comes before any heading, so an item with an empty body (or only a title) is still a
 * document. The body's other chunks follow, each carrying the title as a field. Hashes cover every
 * field, and a section's chunks still depend only on that section.
 */
export function chunkDocument(
  doc: SearchDocument,
  options: Omit<ChunkOptions, 'title' | 'body'> = {},
): DocumentChunk[] {
  const title = doc.title.trim();
  const summary = (doc.summary ?? '').trim();
  const tags = (doc.tags ?? [])
    .map((t) => t.trim())
    .filter(Boolean)
    .join(' ');
  const body = chunkMarkdown({ ...options, title, body: doc.body });
  const first = body[0];
  const absorbed = first && first.heading === '' ? first : undefined;
  const leadText = absorbed?.text ?? '';
  const leadInput = `${embeddingInput(title, { heading: '', text: [summary, leadText].filter(Boolean).join('\n\n') })}${tags ? `\n\n${tags}` : ''}`;
  const lead: DocumentChunk = {
    position: 0,
    heading: '',
    title,
    summary,
    tags,
    text: leadText,
    hash: hashText(`lead\n${leadInput}`),
    tokenCount: estimateTokens(`${title} ${summary} ${leadText} ${tags}`),
  };
  const rest = body
    .slice(absorbed ? 1 : 0)
    .map((c, i) => ({ ...c, position: i + 1, title, summary: '', tags: '' }));
  return [lead, ...rest];
}

/** What is embedded for a stored chunk (its fields in reading order). */
export function documentEmbeddingInput(
  c: Pick<DocumentChunk, 'title' | 'heading' | 'summary' | 'tags' | 'text'>,
): string {
  const text = [c.summary, c.text].filter(Boolean).join('\n\n');
  return `${embeddingInput(c.title, { heading: c.heading, text })}${c.tags ? `\n\n${c.tags}` : ''}`;
}

export function hashText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Splits Markdown into chunks: the body is parsed with mdast (CommonMark + GFM), split into sections by
 * headings (keeping the heading path), then each section into chunks of at most `maxTokens`, packing
 * whole blocks: paragraphs, list items, table rows and fenced code. Chunk text is plain text: inline
 * syntax is gone (link text stays, URLs go), lists are `- item` lines, table rows `cell | cell` lines
 * (no rules), code stays as fenced code. A paragraph longer than the budget is split at sentence ends,
 * then at words; a code block is split (at line ends) only when it alone exceeds the budget.
 * Consecutive chunks of a section share up to `overlapTokens` of trailing prose, so a sentence cut at a
 * boundary is still found. Each section's chunks depend only on that section (and the title), so
 * editing one section changes only its chunks' hashes.
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
  /** Joined to the previous block with a newline (list items, table rows) instead of a blank line. */
  tight?: boolean;
}

interface Section {
  path: string[];
  blocks: Block[];
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** Sections by heading, each a list of blocks in document order. */
function splitSections(body: string): Section[] {
  const tree = fromMarkdown(body.replace(/\r\n?/g, '\n'), {
    extensions: MICROMARK_GFM,
    mdastExtensions: MDAST_GFM,
  });
  const sections: Section[] = [];
  const stack: { level: number; title: string }[] = [];
  let current: Section = { path: [], blocks: [] };
  for (const node of tree.children) {
    if (node.type === 'heading') {
      if (current.blocks.length > 0) sections.push(current);
      const title = inlineText(node);
      while (stack.length > 0 && (stack.at(-1)?.level ?? 0) >= node.depth) stack.pop();
      stack.push({ level: node.depth, title });
      current = { path: stack.map((s) => s.title).filter(Boolean), blocks: [] };
      continue;
    }
    current.blocks.push(...blocksOf(node));
  }
  if (current.blocks.length > 0) sections.push(current);
  return sections;
}

/** Plain text of inline content: text, inline code and link text; images give their alt text. */
function inlineText(node: Nodes): string {
  return mdastText(node, { includeImageAlt: true, includeHtml: false }).replace(/\s+/g, ' ').trim();
}

/** A block node as plain-text blocks (headings are handled by the caller). */
function blocksOf(node: RootContent, depth = 0): Block[] {
  switch (node.type) {
    case 'paragraph': {
      const text = inlineText(node);
      return text ? [{ kind: 'prose', text }] : [];
    }
    case 'code': {
      const fence = node.value.includes('```') ? '~~~' : '```';
      return [{ kind: 'code', text: `${fence}${node.lang ?? ''}\n${node.value}\n${fence}` }];
    }
    case 'list': {
      const out: Block[] = [];
      let n = node.start ?? 1;
      for (const item of node.children) {
        const marker = node.ordered ? `${n++}.` : '-';
        const indent = '  '.repeat(depth);
        const inner = item.children.flatMap((c) => blocksOf(c, depth + 1));
        const [first, ...rest] = inner;
        const lead = first && first.kind === 'prose' ? first.text : '';
        const check = item.checked === true ? '[x] ' : item.checked === false ? '[ ] ' : '';
        out.push({
          kind: 'prose',
          text: `${indent}${marker} ${check}${lead}`.trimEnd(),
          tight: out.length > 0,
        });
        for (const b of first && first.kind !== 'prose' ? inner : rest)
          out.push({ ...b, tight: b.kind === 'prose' });
      }
      if (out[0]) out[0] = { ...out[0], tight: false };
      return out;
    }
    case 'table':
      return node.children
        .map((row) => row.children.map((cell) => inlineText(cell)).join(' | '))
        .filter((line) => line.replace(/[|\s]/g, '') !== '')
        .map((text, i) => ({ kind: 'prose' as const, text, tight: i > 0 }));
    case 'blockquote':
    case 'footnoteDefinition':
      return node.children.flatMap((c) => blocksOf(c, depth));
    case 'heading': {
      // Only nested headings (in a blockquote or list) reach here: keep their words as prose.
      const text = inlineText(node);
      return text ? [{ kind: 'prose', text }] : [];
    }
    default:
      // html, thematicBreak, definition, yaml: nothing a reader sees as text.
      return [];
  }
}

/** A unit that is packed whole: a block, or a piece of a block too large for one chunk. */
interface Unit {
  text: string;
  tokens: number;
  /** Joined to the previous unit with a space (same paragraph), a newline (list items, rows) or a blank line. */
  join: ' ' | '\n' | '\n\n';
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
    if (i > 0) out += u.join;
    out += u.text;
  }
  return out;
}

function splitBlock(block: Block, maxTokens: number): Unit[] {
  const tokens = estimateTokens(block.text);
  if (tokens <= maxTokens)
    return [{ text: block.text, tokens, join: block.tight ? '\n' : '\n\n', prose: block.kind === 'prose' }];
  const pieces = block.kind === 'code' ? splitCode(block.text, maxTokens) : splitProse(block.text, maxTokens);
  return pieces.map((text, i) => ({
    text,
    tokens: estimateTokens(text),
    join: block.kind === 'prose' && i > 0 ? ' ' : block.tight ? '\n' : '\n\n',
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
  // The estimate of `current` joined with spaces, kept as counts (the words hold no whitespace; only
  // an empty first or last word, from whitespace at an end, is trimmed away by the estimate).
  let count = 0;
  let length = 0;
  for (const w of words) {
    const nextCount = count + (w ? 1 : 0);
    const nextLength = length + w.length;
    const estimate = nextCount === 0 ? 0 : Math.max(nextCount, Math.ceil((nextLength + nextCount - 1) / 4));
    if (current.length > 0 && estimate > maxTokens) {
      out.push(current.join(' '));
      current = [];
      count = 0;
      length = 0;
    }
    current.push(w);
    if (w) {
      count++;
      length += w.length;
    }
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
