// Whether a process of this host still runs: how files left by a killed process (a writer lock,
// a temporary file) are told from those of a live one. Node has no flock(), so a file names its
// process by pid and kernel start ticks; a pid alone can be reused by an unrelated process.
import { readFileSync } from 'node:fs';

/** Start time of process `pid` in clock ticks since boot (/proc/<pid>/stat field 22), or null where unknown. */
export function startTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** True when no process `pid` exists (ESRCH); a process of another user still counts as alive. */
export const pidIsDead = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
};

/** True only when process `pid` (started at `ticks`, if known) certainly no longer runs on this host. */
export function processGone(pid: number, ticks: string | null): boolean {
  if (pidIsDead(pid)) return true;
  const now = startTicks(pid);
  return ticks !== null && now !== null && now !== ticks;
}
