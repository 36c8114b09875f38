import cliProgress from 'cli-progress';
import type { Progress } from '../../sync/types.js';

/**
 * A progress reporter on stderr: a cli-progress bar on a terminal, plain lines (about every 10%)
 * otherwise, so logs and CI output stay readable. Call `stop()` when done.
 */
export function progressReporter(
  title: string,
  stream: NodeJS.WriteStream = process.stderr,
): { progress: Progress; stop(): void } {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${title} [{bar}] {value}/{total} {label}`,
        stream,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      progress(done, total, label) {
        if (!started) {
          bar.start(total, 0, { label: '' });
          started = true;
        }
        bar.setTotal(total);
        bar.update(done, { label: label ?? '' });
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let lastDecile = -1;
  return {
    progress(done, total) {
      const decile = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      stream.write(`${title}: ${done}/${total}\n`);
    },
    stop() {},
  };
}
