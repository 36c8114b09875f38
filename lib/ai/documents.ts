/**
 * The grounding format shared by the chat prompt builder and the local answerer: retrieved passages go
 * to the model inside one `<documents>` block, each `<document n="...">` numbered so answers can cite
 * `[n]`. Retrieved text is untrusted: anything in it that looks like one of these tags is neutralised,
 * so a document can neither close the block nor forge another document. User text gets the same
 * treatment, so a question cannot smuggle in fake documents either.
 */

/** A passage given to the model, cited as `[n]`. */
export interface GroundingDocument {
  n: number;
  slug: string;
  kind: string;
  title: string;
  /** The passages' text (headings and paragraphs), already trimmed to the context budget. */
  text: string;
}

/** Content reached through the concept graph: listed by title only, not quoted. */
export interface RelatedItem {
  slug: string;
  kind: string;
  title: string;
  /** The concept that links it to the retrieved content. */
  via: string;
}

const TAG_LOOKALIKE = /<(\/?)(documents|document|related|item|question)\b/gi;

/** Neutralises anything in untrusted text that could open or close one of our blocks. */
export function neutralise(text: string): string {
  return text.replace(TAG_LOOKALIKE, '&lt;$1$2');
}

function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function unattr(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Renders the `<documents>` block: the only place retrieved text appears in a prompt. */
export function renderDocuments(
  docs: readonly GroundingDocument[],
  related: readonly RelatedItem[] = [],
): string {
  const lines = ['<documents>'];
  for (const d of docs) {
    lines.push(
      `<document n="${d.n}" slug="${attr(d.slug)}" kind="${attr(d.kind)}" title="${attr(d.title)}">`,
      neutralise(d.text.trim()),
      '</document>',
    );
  }
  if (related.length > 0) {
    lines.push('<related>');
    for (const r of related) {
      lines.push(
        `<item slug="${attr(r.slug)}" kind="${attr(r.kind)}" title="${attr(r.title)}" via="${attr(r.via)}"></item>`,
      );
    }
    lines.push('</related>');
  }
  lines.push('</documents>');
  return lines.join('\n');
}

const BLOCK = /<documents>\n([\s\S]*?)\n?<\/documents>/;
const DOCUMENT =
  /<document n="(\d+)" slug="([^"]*)" kind="([^"]*)" title="([^"]*)">\n([\s\S]*?)\n<\/document>/g;
const ITEM = /<item slug="([^"]*)" kind="([^"]*)" title="([^"]*)" via="([^"]*)"><\/item>/g;

/** Splits a user turn into its documents block (if any) and the rest, the question. */
export function parseGroundedText(text: string): {
  docs: GroundingDocument[];
  related: RelatedItem[];
  question: string;
  hasBlock: boolean;
} {
  const block = BLOCK.exec(text);
  if (!block) return { docs: [], related: [], question: text.trim(), hasBlock: false };
  const inner = block[1] ?? '';
  const docs: GroundingDocument[] = [];
  for (const m of inner.matchAll(DOCUMENT)) {
    docs.push({
      n: Number(m[1]),
      slug: unattr(m[2] ?? ''),
      kind: unattr(m[3] ?? ''),
      title: unattr(m[4] ?? ''),
      text: m[5] ?? '',
    });
  }
  const related: RelatedItem[] = [];
  for (const m of inner.matchAll(ITEM)) {
    related.push({
      slug: unattr(m[1] ?? ''),
      kind: unattr(m[2] ?? ''),
      title: unattr(m[3] ?? ''),
      via: unattr(m[4] ?? ''),
    });
  }
  const question = (text.slice(0, block.index) + text.slice(block.index + block[0].length)).trim();
  return { docs, related, question, hasBlock: true };
}
