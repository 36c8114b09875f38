/**
 * Tool parts as they stream: `input-streaming`/`input-available` while the tool runs, then its output
 * (or its error). A learning path is an ordered list of its steps.
 */

export interface ToolPart {
  type: `tool-${string}`;
  toolCallId: string;
  state: string;
  input?: unknown;
  output?: unknown;
  errorText?: string;
}

interface Step {
  slug: string;
  title: string;
}

const LABELS: Record<string, string> = {
  learningPath: 'Learning path',
  shortestPath: 'Path through the graph',
  relatedContent: 'Related content',
  explainConcept: 'Concept',
  searchContent: 'Search',
};

export function ToolView({ part }: { part: ToolPart }) {
  const name = part.type.slice('tool-'.length);
  const label = LABELS[name] ?? name;
  const running = part.state === 'input-streaming' || part.state === 'input-available';
  return (
    <div className={`tool tool-${name}`} data-state={part.state}>
      <p className="tool-label">
        {label}
        {running ? ' …' : ''}
      </p>
      {part.state === 'output-error' ? <p className="tool-error">{part.errorText}</p> : null}
      {part.state === 'output-available' ? <ToolOutput name={name} output={part.output} /> : null}
    </div>
  );
}

function ToolOutput({ name, output }: { name: string; output: unknown }) {
  const o = (output ?? {}) as Record<string, unknown>;
  if (o.found === false) return <p className="tool-empty">Nothing found on this site.</p>;
  if (name === 'learningPath') {
    const steps = (o.steps as Step[] | undefined) ?? [];
    const target = o.target as Step | undefined;
    return (
      <ol className="learning-path">
        {steps.map((s) => (
          <li key={s.slug} data-slug={s.slug}>
            {s.title}
          </li>
        ))}
        {target ? (
          <li className="goal" data-slug={target.slug}>
            {target.title}
          </li>
        ) : null}
      </ol>
    );
  }
  if (name === 'shortestPath') {
    const nodes = (o.nodes as { id: string; title: string }[] | undefined) ?? [];
    return <p className="graph-path">{nodes.map((n) => n.title).join(' → ')}</p>;
  }
  return null;
}
