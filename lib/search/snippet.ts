import { STOP_WORDS, stem } from '../ai/text-features.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Stems of a query's content words (what snippets mark). */
export function queryStems(q: string): Set<string> {
  const out = new Set<string>();
  for (const w of q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (STOP_WORDS.has(w)) continue;
    out.add(stem(w));
  }
  return out;
}

/**
 * A plain-text window of `text` around the densest run of query terms, HTML-escaped, with every word
 * whose stem is a query stem wrapped in `<mark>`. Markdown syntax is flattened first, so the snippet
 * is safe to drop into HTML as is.
 */
export function makeSnippet(text: string, stems: Set<string>, maxChars = 220): string {
  const plain = text
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^\s*>+/gm, ' ')
    .replace(/[#*_`|]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const tokens = [...plain.matchAll(/[\p{L}\p{N}]+/gu)].map((m) => ({
    start: m.index ?? 0,
    end: (m.index ?? 0) + m[0].length,
    hit: stems.has(stem(m[0].toLowerCase())),
  }));
  // Slide a window of maxChars over the text and keep the start with the most hits.
  let bestStart = 0;
  let best = -1;
  let j = 0;
  let hits = 0;
  for (let i = 0; i < tokens.length; i++) {
    const start = tokens[i]?.start ?? 0;
    while (j < tokens.length && (tokens[j]?.end ?? 0) - start <= maxChars) {
      if (tokens[j]?.hit) hits++;
      j++;
    }
    if (hits > best) {
      best = hits;
      bestStart = start;
    }
    if (tokens[i]?.hit) hits--;
  }
  // Start a little before the window's first hit (a quarter of the window), at a word boundary.
  const firstHit = tokens.find((t) => t.start >= bestStart && t.hit)?.start ?? bestStart;
  let from = firstHit;
  if (from > 0) {
    const back = plain.lastIndexOf(' ', Math.max(0, from - Math.floor(maxChars / 4)));
    from = back > 0 ? back + 1 : 0;
  }
  let to = Math.min(plain.length, from + maxChars);
  if (to < plain.length) {
    const cut = plain.lastIndexOf(' ', to);
    if (cut > from) to = cut;
  }
  let out = '';
  let pos = from;
  for (const t of tokens) {
    if (t.start < from || t.end > to) continue;
    out += escapeHtml(plain.slice(pos, t.start));
    const word = escapeHtml(plain.slice(t.start, t.end));
    out += t.hit ? `<mark>${word}</mark>` : word;
    pos = t.end;
  }
  out += escapeHtml(plain.slice(pos, to));
  return `${from > 0 ? '…' : ''}${out.trim()}${to < plain.length ? '…' : ''}`;
}
