// Helpers for the writer-lock specs: spawning children (under strace, as another user), reading
// the shared holder log that lockCycle children write, and making holder records of dead
// processes.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
export { startChild } from './childProcess.js';

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
