import type { CliIO } from './command.js';

export interface Progress {
  update(done: number): void;
  finish(): void;
}

const NONE: Progress = { update() {}, finish() {} };

/**
 * A progress bar on stderr, only when stderr is a terminal (pipes and CI logs stay clean).
 * Redraws at most ten times a second.
 */
export function progressBar(io: CliIO, label: string, total?: number): Progress {
  const err = io.stderr;
  if (!err.isTTY) return NONE;
  let last = 0;
  const draw = (done: number) => {
    const width = Math.max(10, Math.min(40, (err.columns ?? 80) - label.length - 30));
    if (total && total > 0) {
      const f = Math.min(1, done / total);
      const bar = '#'.repeat(Math.round(f * width)).padEnd(width, '.');
      err.write(`\r${label} [${bar}] ${done}/${total} ${(f * 100).toFixed(0)}%`);
    } else {
      err.write(`\r${label} ${done}`);
    }
  };
  return {
    update(done) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      draw(done);
    },
    finish() {
      err.write('\r\x1b[K');
    },
  };
}
