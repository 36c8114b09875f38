import cliProgress from 'cli-progress';

/** A progress reporter for CLIs: a bar on stderr when it is a TTY, plain lines otherwise. */
export interface CliProgress {
  update: (done: number, total: number, label?: string) => void;
  stop: () => void;
}

export function createProgress(name: string, stream: NodeJS.WriteStream = process.stderr): CliProgress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${name.padEnd(10)} [{bar}] {value}/{total} {label}`, stream, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total, label = '') {
        if (!started) {
          bar.start(Math.max(total, 1), 0, { label });
          started = true;
        }
        bar.setTotal(Math.max(total, done, 1));
        bar.update(done, { label });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  // Not a TTY (CI, pipes): a line at each 10% step, so logs stay short.
  let lastStep = -1;
  return {
    update(done, total, label = '') {
      const step = total > 0 ? Math.floor((done / total) * 10) : 0;
      if (step === lastStep && done !== total) return;
      lastStep = step;
      stream.write(`${name}: ${done}/${total}${label ? ` ${label}` : ''}\n`);
    },
    stop() {},
  };
}
