import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Absolute path of a compiled test-support script, e.g. script('appendLoop'). */
export const script = (name: string): string => fileURLToPath(new URL(`./${name}.js`, import.meta.url));

export interface RunningChild {
  readonly child: ChildProcess;
  /** Complete lines printed so far (a line cut by a kill is not included). */
  readonly lines: string[];
  /** Resolves when a printed line satisfies `pred`. */
  waitFor(pred: (line: string) => boolean): Promise<string>;
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<number | NodeJS.Signals>;
}

/** Spawns `command args`, collecting stdout line by line. */
export function startChild(command: string, args: string[], options: SpawnOptions = {}): RunningChild {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: Array<{ pred: (l: string) => boolean; resolve: (l: string) => void }> = [];
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) if (w.pred(line)) waiters.splice(waiters.indexOf(w), 1), w.resolve(line);
    }
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code ?? -1)));
  return {
    child,
    lines,
    exited,
    waitFor(pred) {
      const hit = lines.find(pred);
      if (hit !== undefined) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        waiters.push({ pred, resolve });
        void exited.then((c) => reject(new Error(`child exited (${c}) before the awaited line; output:\n${lines.join('\n')}`)));
      });
    },
  };
}

/** Spawns `node script args`, collecting stdout line by line. */
export const startNode = (file: string, args: string[]): RunningChild => startChild(process.execPath, [file, ...args]);
