/**
 * Structured JSON logs, one line each. Values under secret-looking keys are redacted, and errors are
 * reduced to name and message (stacks only at debug level), so secrets never reach the logs.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|credential/i;

let threshold: number = ORDER.info;
let sink: (line: string) => void = (line) => console.log(line);

/** Sets the minimum level and, for tests, where lines go. */
export function configureLog(options: { level?: Level | 'silent'; sink?: (line: string) => void }): void {
  if (options.level) threshold = ORDER[options.level];
  if (options.sink) sink = options.sink;
}

/** Scrubs credentials that show up inside strings: URL passwords, bearer tokens, key=value secrets. */
export function scrub(text: string): string {
  return text
    .replace(/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1[redacted]@')
    .replace(/\b(bearer|basic)\s+[\w.~+/=-]+/gi, '$1 [redacted]')
    .replace(
      /\b(pass(?:word)?|secret|token|api[-_]?key|apikey)(["']?\s*[=:]\s*["']?)[^\s&"',;]+/gi,
      '$1$2[redacted]',
    );
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: scrub(value.message) };
    if (threshold <= ORDER.debug && value.stack) out.stack = scrub(value.stack);
    if (value.cause !== undefined && depth < 3) out.cause = redact(value.cause, depth + 1);
    return out;
  }
  if (Array.isArray(value)) return depth > 4 ? '[…]' : value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    if (depth > 4) return '[…]';
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
    return out;
  }
  return value;
}

function write(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (ORDER[level] < threshold) return;
  const data = fields ? (redact(fields) as Record<string, unknown>) : {};
  sink(JSON.stringify({ level, msg: scrub(msg), time: new Date().toISOString(), ...data }));
}

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => write('debug', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write('info', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write('warn', msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write('error', msg, fields),
};
