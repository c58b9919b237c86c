// The single-writer lock of a directory store: a file `ledger.lock` that names its holder.
//
// Taking it. The holder record (pid, host, kernel start ticks, time, a random nonce) is written
// to a private temp file (unpredictable name, O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600) and
// fsync'd, then link()ed to the lock path. link() never replaces and never follows a link at
// its target: it fails with EEXIST if anything is there. So a lock file is never visible
// without a complete record naming its holder, and of several contenders exactly one links.
//
// Stale locks. Node has no flock(), so a lock left by a killed process is recognised by asking
// whether its holder is provably gone: same host, and its pid is dead or now belongs to a
// process with other start ticks. Anything else (another host, a record that cannot be read or
// parsed, an empty file, a directory, a symlink) is refused with LedgerLockedError: only a
// person can tell whether it is safe to remove.
//
// Removing a stale lock without ever removing a live one. Unlinking by path after judging the
// content is not safe: between the judgement and the unlink, another contender may have
// removed the stale file and linked its own live lock, which the unlink would then destroy.
// Moving it aside with rename() and putting back what was wrongly moved leaves a gap in which
// a fresh acquirer can link, so the put-back holder and the fresh one would both hold it.
// Instead, removing a file F with content T requires holding a *claim* on (F, T): a file
// `ledger.lock.reap-<hash of F's name and T>` made the same way (record first, then link), so
// one claimant at a time. The claimant re-reads F and unlinks it only if it still holds T.
// This cannot remove a live lock:
//  - a lock file with content T is unlinked only by its holder (release) or by the holder of
//    the claim on T, and the claim is taken only after T's holder was judged provably gone;
//  - between the claimant's re-read and its unlink, F cannot change: replacing F requires
//    removing T first, which only the (dead) holder or the claim holder itself could do;
//  - every record carries a fresh nonce, so no live lock ever has the content T of a dead one.
// A claim whose claimant died is itself a stale lock on the claim's name, removed by the same
// rule one level up (bounded depth); claims and temp files of dead processes are cleared by the
// next holder. Release unlinks the lock only while it still holds this holder's record.
import { randomBytes, createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, linkSync, lstatSync, openSync, readSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { LedgerConnectionError, LedgerLockedError } from '../errors/errors.js';
import { pidIsDead, processGone, startTicks } from './processLiveness.js';

interface Holder {
  pid: number;
  hostname: string;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22). */
  start_ticks: string | null;
  acquired_at: string;
  /** Random, so no two records are ever the same bytes. */
  nonce?: string;
}

/** A holder record is a few hundred bytes; anything larger is not one. */
const MAX_RECORD_BYTES = 4096;
/** How many claims on claims may be followed (each level needs a claimant to have died). */
const MAX_REAP_DEPTH = 8;
const MAX_ATTEMPTS = 50;

/** True only when the holder certainly no longer runs: same host, and pid dead or reused. */
function provablyGone(h: Holder): boolean {
  if (h.hostname !== hostname()) return false; // another host's processes cannot be examined
  return processGone(h.pid, h.start_ticks);
}

const describeHolder = (h: Holder): string => `pid ${h.pid} on ${h.hostname} since ${h.acquired_at}`;

function isHolder(v: unknown): v is Holder {
  if (typeof v !== 'object' || v === null) return false;
  const h = v as Record<string, unknown>;
  return (
    Number.isSafeInteger(h.pid) && (h.pid as number) > 0 &&
    typeof h.hostname === 'string' &&
    (h.start_ticks === null || typeof h.start_ticks === 'string') &&
    typeof h.acquired_at === 'string'
  );
}

type Found =
  | { readonly kind: 'gone' }
  | { readonly kind: 'record'; readonly text: string; readonly holder: Holder }
  | { readonly kind: 'unjudgeable'; readonly why: string };

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;
const cause = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Reads a lock or claim file without following a symlink and without blocking on a FIFO;
 * anything that is not a small regular file holding a holder record cannot be judged.
 */
function readRecord(path: string): Found {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if (errno(e) === 'ENOENT') return { kind: 'gone' };
    if (errno(e) === 'ELOOP') return { kind: 'unjudgeable', why: 'is a symbolic link, not a lock file' };
    return { kind: 'unjudgeable', why: `cannot be read (${cause(e)})` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { kind: 'unjudgeable', why: `is not a regular file (${st.isDirectory() ? 'a directory' : 'a special file'})` };
    if (st.size === 0) return { kind: 'unjudgeable', why: 'is empty (left by an older version, or by a writer that died while creating it)' };
    if (st.size > MAX_RECORD_BYTES) return { kind: 'unjudgeable', why: `is ${st.size} bytes, too large for a holder record` };
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    let text: string;
    let parsed: unknown;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, got));
      parsed = JSON.parse(text);
    } catch {
      return { kind: 'unjudgeable', why: 'does not hold a readable holder record' };
    }
    if (!isHolder(parsed)) return { kind: 'unjudgeable', why: 'does not hold a holder record (pid, hostname, start_ticks, acquired_at)' };
    return { kind: 'record', text, holder: parsed };
  } catch (e) {
    return { kind: 'unjudgeable', why: `cannot be read (${cause(e)})` };
  } finally {
    closeSync(fd);
  }
}

function refuseByHand(path: string, why: string): LedgerLockedError {
  return new LedgerLockedError(
    `unknown (${path} ${why})`,
    `the writer lock ${path} ${why}, so whether a writer holds it cannot be told; ` +
      `check that no process uses this store (e.g. \`fuser -v ${path}\`, or look for the writer by hand), then remove ${path} by hand`,
  );
}

/** link() that reports EEXIST as false; any other failure is the store being unwritable. */
function tryLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (e) {
    if (errno(e) === 'EEXIST') return false;
    throw new LedgerConnectionError(`cannot create the writer lock ${to}: ${cause(e)}`, { cause: e });
  }
}

const unlinkQuietly = (path: string): void => {
  try {
    unlinkSync(path);
  } catch {
    /* already gone, or cleared by another holder */
  }
};

const sleepSync = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** Who holds a lock file: its device, inode and change time, fixed once it is ours. */
interface Identity {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly ctimeNs: bigint;
}

export class WriterLock {
  private released = false;
  private readonly onExit = () => this.releaseSync();

  private constructor(
    readonly path: string,
    private readonly content: string,
    private readonly identity: Identity,
  ) {
    process.once('exit', this.onExit);
  }

  /**
   * Takes the lock at `path`. Throws LedgerLockedError naming the holder (or saying why the
   * lock cannot be judged), or LedgerConnectionError naming the path and cause if the
   * directory cannot be written (full, read-only, no permission). Leaves no file behind on
   * failure.
   */
  static acquire(path: string): WriterLock {
    const me: Holder = {
      pid: process.pid,
      hostname: hostname(),
      start_ticks: startTicks(process.pid),
      acquired_at: new Date().toISOString(),
      nonce: randomBytes(16).toString('hex'),
    };
    const content = `${JSON.stringify(me)}\n`;
    // Refuse a live or unjudgeable lock before writing anything (saves a temp file and an fsync
    // per refused open); the link() below remains the only thing that grants the lock.
    judge(path, readRecord(path));
    const temp = join(dirname(path), `${basename(path)}.tmp-${process.pid}-${randomBytes(16).toString('hex')}`);
    writePrivateFile(temp, content);
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        if (tryLink(temp, path)) {
          unlinkQuietly(temp);
          const st = lstatSync(path, { bigint: true });
          const lock = new WriterLock(path, content, { dev: st.dev, ino: st.ino, ctimeNs: st.ctimeNs });
          clearLeftovers(path);
          return lock;
        }
        const found = readRecord(path);
        if (found.kind === 'gone') continue; // released meanwhile
        judge(path, found);
        if (found.kind === 'record' && !reap(path, path, found.text, temp, 0)) sleepSync(2 + Math.random() * 8); // another process is reaping it
      }
      throw new LedgerLockedError('unknown', `could not take the writer lock ${path}: it keeps changing hands`);
    } finally {
      unlinkQuietly(temp);
    }
  }

  /**
   * Throws unless the lock file is still the one this holder linked (same inode, untouched).
   * Cheap (one lstat, a few microseconds) next to an append's fdatasync.
   */
  assertHeld(): void {
    const st = this.released ? undefined : lstatSync(this.path, { bigint: true, throwIfNoEntry: false });
    if (!st || st.dev !== this.identity.dev || st.ino !== this.identity.ino || st.ctimeNs !== this.identity.ctimeNs) {
      throw new LedgerLockedError(
        'unknown',
        `this writer no longer holds the lock ${this.path}: it was ${st ? 'replaced or changed' : 'removed'} while held (by hand?); refusing to write`,
      );
    }
  }

  /** Removes the lock file if it is still ours. */
  releaseSync(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    // Only this holder, alive, can remove a file holding its record: safe to unlink by path.
    const found = readRecord(this.path);
    if (found.kind === 'record' && found.text === this.content) unlinkQuietly(this.path);
  }
}

/** Throws unless what is at the lock path is absent or the record of a provably gone holder. */
function judge(path: string, found: Found): void {
  if (found.kind === 'unjudgeable') throw refuseByHand(path, found.why);
  if (found.kind === 'record' && !provablyGone(found.holder)) {
    throw new LedgerLockedError(describeHolder(found.holder), `the ledger is locked by another writer (${describeHolder(found.holder)}); lock file ${path}`);
  }
}

/** Writes `text` to a new file at `path` (never an existing file or link) and fsyncs it. */
function writePrivateFile(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    throw new LedgerConnectionError(`cannot create the writer lock in ${dirname(path)}: ${cause(e)}`, { cause: e });
  }
  try {
    const bytes = Buffer.from(text, 'utf8');
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkQuietly(path);
    throw new LedgerConnectionError(`cannot write the writer lock record ${path}: ${cause(e)}`, { cause: e });
  }
  closeSync(fd);
}

/** Where the claim to remove `target` (holding `text`) lives, next to the lock at `lockPath`. */
export const reapClaimPath = (lockPath: string, target: string, text: string): string =>
  `${lockPath}.reap-${createHash('sha256').update(`${basename(target)}\n${text}`).digest('hex').slice(0, 32)}`;

/**
 * Removes `target` if it still holds `judged` (whose holder is provably gone), under the claim
 * on (target, judged). Returns false when a live process holds that claim (it is reaping).
 */
function reap(lockPath: string, target: string, judged: string, temp: string, depth: number): boolean {
  if (depth > MAX_REAP_DEPTH) throw refuseByHand(lockPath, `has ${depth} abandoned removal claims (${basename(lockPath)}.reap-*) piled on it`);
  const claim = reapClaimPath(lockPath, target, judged);
  if (!tryLink(temp, claim)) {
    const found = readRecord(claim);
    if (found.kind === 'gone') return true;
    if (found.kind === 'unjudgeable') throw refuseByHand(claim, found.why);
    if (!provablyGone(found.holder)) return false;
    // The claimant died mid-removal: its claim is a stale lock on the claim's name.
    reap(lockPath, claim, found.text, temp, depth + 1);
    return true;
  }
  try {
    const now = readRecord(target);
    if (now.kind === 'record' && now.text === judged) unlinkSync(target);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw new LedgerConnectionError(`cannot remove the stale writer lock ${target}: ${cause(e)}`, { cause: e });
  } finally {
    unlinkQuietly(claim); // ours, and only we (alive) could remove it
  }
  return true;
}

/**
 * Clears temp files and removal claims left by processes that died mid-way. Run by a holder:
 * while it holds the lock, no claim can target the lock's current record, so removing any
 * claim of a dead claimant cannot lead to a live lock being removed.
 */
function clearLeftovers(lockPath: string): void {
  const dir = dirname(lockPath);
  const base = basename(lockPath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const tempName = new RegExp(`^${base.replace(/\./g, '\\.')}\\.tmp-(\\d+)-[0-9a-f]{32}$`);
  for (const name of names) {
    const tmp = tempName.exec(name);
    if (tmp) {
      if (Number(tmp[1]) !== process.pid && pidIsDead(Number(tmp[1]))) unlinkQuietly(join(dir, name));
    } else if (name.startsWith(`${base}.reap-`)) {
      const found = readRecord(join(dir, name));
      if (found.kind === 'record' && provablyGone(found.holder)) unlinkQuietly(join(dir, name));
    }
  }
}
