// Helpers for the writer-lock specs: spawning children (under strace, as another user), reading
// the shared holder log that lockCycle children write, and making holder records of dead
// processes.
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { RunningChild } from './childProcess.js';

/** Spawns `command args`, collecting stdout line by line (like startNode, any command). */
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

export interface HolderLogCheck {
  /** How many holds the log records. */
  readonly holds: number;
  /** Every moment a second process entered while another held the lock. */
  readonly doubles: string[];
  /** Order in which tags entered. */
  readonly order: string[];
}

/**
 * Checks a holder log: "enter TAG PID" / "leave TAG" lines (and "killed TAG", written by a test
 * after a holder it SIGKILLed has exited, before any other contender was started).
 */
export function checkHolderLog(path: string): HolderLogCheck {
  let current: string | undefined;
  const doubles: string[] = [];
  const order: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
    const [what, tag] = line.split(' ');
    if (what === 'enter') {
      if (current !== undefined) doubles.push(`${tag} entered while ${current} held the lock`);
      current = tag;
      order.push(tag!);
    } else if (what === 'leave' || what === 'killed') {
      if (current !== tag) doubles.push(`${tag} left while ${current ?? 'nobody'} held the lock`);
      current = undefined;
    }
  }
  return { holds: order.length, doubles, order };
}

/** The pid of a process that has exited and been reaped. */
export function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

/** The text of a holder record as the lock writes it. */
export function holderText(pid: number, options: { host?: string; startTicks?: string | null } = {}): string {
  const record = { pid, hostname: options.host ?? hostname(), start_ticks: options.startTicks === undefined ? '1' : options.startTicks, acquired_at: '2026-01-01T00:00:00.000Z', nonce: 'ab'.repeat(16) };
  return `${JSON.stringify(record)}\n`;
}

/** This process's start ticks, as the lock records them. */
export function ownStartTicks(): string {
  const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

/** Names in `dir` that belong to the lock (the lock itself, temp files, removal claims). */
export const lockLeftovers = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('ledger.lock'));
