import { configureLog } from '../../lib/log.js';

/** Captures structured log lines (every level) until `restore()`; tests grep them for leaks. */
export function captureLogs(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  configureLog({ level: 'debug', sink: (line) => lines.push(line) });
  return {
    lines,
    restore() {
      configureLog({ level: 'silent', sink: (line) => console.log(line) });
    },
  };
}
