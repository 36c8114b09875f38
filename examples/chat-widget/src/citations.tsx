import type { UIMessage } from 'ai';
import type { ReactNode } from 'react';

export type SourcePart = Extract<UIMessage['parts'][number], { type: 'source-url' }>;

/** The `n` a source is cited by (`[n]` in the text), from `providerMetadata.polyfolio`. */
function numberOf(s: SourcePart): number | undefined {
  const n = (s.providerMetadata?.polyfolio as { n?: unknown } | undefined)?.n;
  return typeof n === 'number' ? n : undefined;
}

/** Answer text with each `[n]` a link to the source it cites; text stays text (no HTML is parsed). */
export function AnswerText({ text, sources }: { text: string; sources: SourcePart[] }) {
  const byN = new Map(sources.flatMap((s) => (numberOf(s) !== undefined ? [[numberOf(s), s] as const] : [])));
  const out: ReactNode[] = [];
  let last = 0;
  for (const m of text.matchAll(/\[(\d{1,3})\]/g)) {
    const at = m.index ?? 0;
    out.push(text.slice(last, at));
    const source = byN.get(Number(m[1]));
    out.push(
      source ? (
        <a key={at} className="cite" href={source.url} title={source.title}>
          [{m[1]}]
        </a>
      ) : (
        m[0]
      ),
    );
    last = at + m[0].length;
  }
  out.push(text.slice(last));
  return <div className="text">{out}</div>;
}

export function Sources({ sources }: { sources: SourcePart[] }) {
  if (sources.length === 0) return null;
  return (
    <ul className="citations">
      {sources.map((s) => (
        <li key={s.sourceId}>
          <a href={s.url}>{s.title ?? s.url}</a>
        </li>
      ))}
    </ul>
  );
}
