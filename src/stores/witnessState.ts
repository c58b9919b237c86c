// The state a witness or a log client keeps per origin (the last checkpoint it cosigned or
// trusted), in files: the stateful side of src/proofs/cosignature.ts, whose checks are pure.
//
// Layout of a state directory (resolved once, at construction, to an absolute path; file names
// are built from the origin, never cut out of a joined path):
//   <sha256(origin) hex>.json  {"origin","size","root"}: the last (size, root) for that origin
//   origins.json               {"origins":[…]}: every origin a state file was written for.
//                              This is how a missing state file is told apart from a first
//                              visit: an origin listed here whose file is gone is an error,
//                              never trust on first use again. Written after the state file, so
//                              a crash between the two leaves a file the list does not name yet
//                              (still read: the origins are the list and the files present).
//   witness.lock               held (WriterLock) while a check-and-record runs, so two
//                              processes cannot both accept a different root for one size.
// Every file is derived from what this witness saw and is read as untrusted input: a symbolic
// link, a FIFO or device, a file over the size limit, invalid UTF-8 or JSON, another origin's
// state or a malformed value is LedgerProofError 'bad_state' naming the file, never "no state".
// Deleting the whole directory (or the list together with the file) is not detectable here:
// that is the owner of the directory forgetting, which no file of its own can prevent.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LedgerLockedError, LedgerProofError } from '../errors/errors.js';
import { openCheckpoint, type Checkpoint } from '../proofs/checkpoint.js';
import { addCosignature, checkExtends, verifyCosignedCheckpoint, type Cosigner, type WitnessState } from '../proofs/cosignature.js';
import { HASH_SIZE } from '../proofs/merkle.js';
import type { NoteVerifier } from '../proofs/note.js';
import { writeFileAtomic } from './atomicWrite.js';
import { readSmallFile } from './smallFile.js';
import { WriterLock } from './writerLock.js';

/** A witness's key and the directory of its per-origin state. */
export interface WitnessOptions {
  readonly cosigner: Cosigner;
  /** Directory of per-origin state files (relative paths are resolved once, when constructed). */
  readonly stateDir: string;
  /** Seconds since the epoch for the cosignature timestamp (default: the system clock). */
  readonly clock?: () => number;
}

/** The list of origins a state directory holds state for. */
export const ORIGINS_FILE = 'origins.json';
/** The lock held while a check-and-record runs. */
export const STATE_LOCK_FILE = 'witness.lock';
/** A state file is under 1 KiB for any sane origin; the list grows by one origin per log. */
const MAX_STATE_BYTES = 64 * 1024;
const MAX_ORIGINS_BYTES = 16 * 1024 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const badState = (file: string, why: string, cause?: unknown): LedgerProofError =>
  new LedgerProofError('bad_state', file, `${why}; the state cannot be read, so nothing is accepted or recorded (restore the file from a backup, or move the directory aside to start over on purpose)`, cause === undefined ? undefined : { cause });

/** `file` as strict UTF-8 JSON (see readSmallFile); undefined if it does not exist. */
async function readStateJson(file: string, limit: number): Promise<unknown> {
  const bytes = (await readSmallFile(file, limit, (why, cause) => badState(file, why === 'is a symbolic link' ? `${why} (state files are regular files written by the witness itself)` : why, cause)))?.bytes;
  if (bytes === undefined) return undefined;
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch (e) {
    throw badState(file, 'is not UTF-8', e);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw badState(file, `is not JSON (${(e as Error).message})`, e);
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Per-origin (size, root) files in a directory, written atomically and fsynced (layout above). */
export class OriginStates {
  /** The absolute path of the directory, resolved once. */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** The name of `origin`'s state file in `dir`. */
  static fileName(origin: string): string {
    return `${createHash('sha256').update(origin, 'utf8').digest('hex')}.json`;
  }

  /** The path of `origin`'s state file. */
  file(origin: string): string {
    return join(this.dir, OriginStates.fileName(origin));
  }

  /** The origins recorded in origins.json (empty when there is no list yet). */
  async origins(): Promise<string[]> {
    const file = join(this.dir, ORIGINS_FILE);
    const v = await readStateJson(file, MAX_ORIGINS_BYTES);
    if (v === undefined) return [];
    if (!isObject(v) || Object.keys(v).join() !== 'origins' || !Array.isArray(v.origins) || !v.origins.every((o) => typeof o === 'string')) {
      throw badState(file, 'is not {"origins":[strings]}');
    }
    return v.origins as string[];
  }

  /** The state kept for `origin`, or undefined if none was ever recorded. */
  async get(origin: string): Promise<WitnessState | undefined> {
    const file = this.file(origin);
    const v = await readStateJson(file, MAX_STATE_BYTES);
    if (v === undefined) {
      if ((await this.origins()).includes(origin)) {
        throw badState(file, `is missing, but ${join(this.dir, ORIGINS_FILE)} records that state was kept for ${JSON.stringify(origin)}`);
      }
      return undefined;
    }
    if (!isObject(v) || Object.keys(v).sort().join() !== 'origin,root,size') throw badState(file, 'is not {"origin","size","root"}');
    if (v.origin !== origin) throw badState(file, `holds the state of ${JSON.stringify(v.origin)}, not of ${JSON.stringify(origin)}`);
    if (!Number.isSafeInteger(v.size) || (v.size as number) < 0) throw badState(file, `size ${JSON.stringify(v.size)} is not a non-negative integer`);
    const root = typeof v.root === 'string' ? Buffer.from(v.root, 'base64') : undefined;
    if (root === undefined || root.length !== HASH_SIZE || root.toString('base64') !== v.root) throw badState(file, `root ${JSON.stringify(v.root)} is not the base64 of ${HASH_SIZE} bytes`);
    return { origin, size: v.size as number, root: v.root as string };
  }

  /** Replaces the state of `s.origin` atomically (temporary file, fsync, rename), then lists the origin. */
  async set(s: WitnessState): Promise<void> {
    await writeFileAtomic(this.dir, OriginStates.fileName(s.origin), Buffer.from(`${JSON.stringify(s)}\n`, 'utf8'));
    const origins = await this.origins();
    if (!origins.includes(s.origin)) {
      await writeFileAtomic(this.dir, ORIGINS_FILE, Buffer.from(`${JSON.stringify({ origins: [...origins, s.origin] })}\n`, 'utf8'));
    }
  }

  /**
   * Records `cp` if it is the first for its origin or extends the last recorded one by `proof`
   * (else 'split_view', nothing recorded); alone, see `exclusive`.
   */
  advance(cp: Checkpoint, proof: readonly Uint8Array[]): Promise<void> {
    return this.exclusive(async () => {
      const last = await this.get(cp.origin);
      checkExtends(last, cp, proof);
      if (last === undefined || cp.size > last.size) await this.set({ origin: cp.origin, size: cp.size, root: cp.root.toString('base64') });
    });
  }

  /**
   * Runs `f` (a read, check and record) alone: one at a time per directory in this process,
   * and under witness.lock against other processes. A lock held by a live process is
   * LedgerLockedError naming it.
   */
  exclusive<T>(f: () => Promise<T>): Promise<T> {
    const previous = queues.get(this.dir) ?? Promise.resolve();
    const run = previous.then(async () => {
      await mkdir(this.dir, { recursive: true });
      const lockPath = join(this.dir, STATE_LOCK_FILE);
      let lock: WriterLock;
      try {
        lock = WriterLock.acquire(lockPath);
      } catch (e) {
        if (e instanceof LedgerLockedError) throw new LedgerLockedError(e.holder, `the state directory ${this.dir} is in use by another process: ${e.message}`);
        throw e;
      }
      try {
        return await f();
      } finally {
        lock.releaseSync();
      }
    });
    const settled = run.then(() => undefined, () => undefined);
    queues.set(this.dir, settled);
    void settled.then(() => {
      if (queues.get(this.dir) === settled) queues.delete(this.dir);
    });
    return run;
  }
}

/** The tail of the check-and-record queue of each state directory in this process. */
const queues = new Map<string, Promise<void>>();

/**
 * A witness: cosigns a log's checkpoint only if it is consistent with the last one it cosigned
 * for that origin. State is written (atomically, fsynced) before the cosignature is returned,
 * so a crash can never leave a cosignature the state does not account for. Checks and records
 * run one at a time per state directory (see OriginStates.exclusive).
 */
export class Witness {
  private readonly states: OriginStates;
  constructor(private readonly options: WitnessOptions) {
    this.states = new OriginStates(options.stateDir);
  }

  /** The last checkpoint this witness cosigned for `origin`, if any. */
  state(origin: string): Promise<WitnessState | undefined> {
    return this.states.get(origin);
  }

  /**
   * Cosigns `signedNote` (a checkpoint signed by `logVerifier`) given a consistency proof from
   * the last cosigned size to the new one. Returns the note with the cosignature line added.
   * The first checkpoint seen for an origin is trusted as is (trust on first use); state that
   * cannot be read is an error ('bad_state'), not a first visit.
   */
  async cosign(signedNote: string, logVerifier: NoteVerifier, proof: readonly Uint8Array[]): Promise<string> {
    const { checkpoint: cp } = openCheckpoint(signedNote, logVerifier);
    await this.states.advance(cp, proof);
    const time = (this.options.clock ?? (() => Math.floor(Date.now() / 1000)))();
    return addCosignature(signedNote, this.options.cosigner, time);
  }
}

/**
 * A log client's memory: the last checkpoint it trusted per origin. `accept` takes a newer signed
 * checkpoint only if a consistency proof links it to the last one (else 'split_view': the
 * history was rewritten between two visits), optionally requiring k of n witness cosignatures.
 */
export class TrustedCheckpoints {
  private readonly states: OriginStates;
  constructor(stateDir: string) {
    this.states = new OriginStates(stateDir);
  }

  /** The last checkpoint this client trusted for `origin`, if any. */
  last(origin: string): Promise<WitnessState | undefined> {
    return this.states.get(origin);
  }

  /** Trusts a newer signed checkpoint only if a consistency proof links it to the last one (else `split_view`). */
  async accept(signedNote: string, logVerifier: NoteVerifier, proof: readonly Uint8Array[], quorum?: { witnesses: readonly NoteVerifier[]; k: number }): Promise<Checkpoint> {
    const cp = quorum ? verifyCosignedCheckpoint(signedNote, logVerifier, quorum.witnesses, quorum.k).checkpoint : openCheckpoint(signedNote, logVerifier).checkpoint;
    await this.states.advance(cp, proof);
    return cp;
  }
}
