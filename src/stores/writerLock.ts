// The single-writer lock of a directory store: a lock file created with O_EXCL that names its
// holder. Node has no flock(), so a lock left by a killed process is recognised by asking
// whether its holder still lives (pid plus the kernel's start time, so a reused pid is not
// mistaken for the holder) and then stolen with a rename that only one contender can win.
import { readFileSync, renameSync, unlinkSync, openSync, closeSync, fsyncSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { LedgerLockedError } from '../errors/errors.js';

interface Holder {
  pid: number;
  hostname: string;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22). */
  start_ticks: string | null;
  acquired_at: string;
}

function startTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(h: Holder): boolean {
  if (h.hostname !== hostname()) return true; // cannot tell for another host: assume alive
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const ticks = startTicks(h.pid);
  return h.start_ticks === null || ticks === null || ticks === h.start_ticks;
}

const describeHolder = (h: Holder): string => `pid ${h.pid} on ${h.hostname} since ${h.acquired_at}`;

export class WriterLock {
  private released = false;
  private readonly onExit = () => this.releaseSync();

  private constructor(
    readonly path: string,
    private readonly content: string,
  ) {
    process.once('exit', this.onExit);
  }

  /** Takes the lock at `path` or throws LedgerLockedError naming the live holder. */
  static acquire(path: string): WriterLock {
    const me: Holder = { pid: process.pid, hostname: hostname(), start_ticks: startTicks(process.pid), acquired_at: new Date().toISOString() };
    const content = `${JSON.stringify(me)}\n`;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        try {
          writeSync(fd, content);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        return new WriterLock(path, content);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        continue; // released meanwhile: try again
      }
      let holder: Holder | undefined;
      try {
        holder = JSON.parse(text) as Holder;
      } catch {
        // A lock file is written whole before anyone can read it... unless its writer died
        // between create and write. An empty or torn file older than a moment is stale.
        holder = undefined;
      }
      if (holder && isAlive(holder)) {
        throw new LedgerLockedError(describeHolder(holder), `the ledger is locked by another writer (${describeHolder(holder)}); lock file ${path}`);
      }
      // Stale: move it aside. rename() is atomic, so of several contenders exactly one moves
      // this file; the others get ENOENT and retry the O_EXCL create.
      const aside = `${path}.stale-${process.pid}-${Date.now()}`;
      try {
        renameSync(path, aside);
      } catch {
        continue;
      }
      // If what we moved is not what we judged stale, a live writer took the lock in between:
      // put it back and report it.
      if (readFileSync(aside, 'utf8') !== text) {
        renameSync(aside, path);
        continue;
      }
      unlinkSync(aside);
    }
    throw new LedgerLockedError('unknown', `could not take the writer lock ${path}: it keeps changing hands`);
  }

  /** Removes the lock file if it is still ours. */
  releaseSync(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    try {
      if (readFileSync(this.path, 'utf8') === this.content) unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }
}
