// Where snapshot files live: `<dir>/<sequence>.snapshot`, by default `snapshots/` beside the
// directory store's ledger.jsonl. The store only moves bytes; verifying them against the
// ledger is verifySnapshot's job, so nothing read here is trusted.
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Ledger } from '../src/ledger/ledger.js';
import type { LedgerStore } from '../src/ledger/ledgerStore.js';
import { writeFileAtomic } from '../src/stores/atomicWrite.js';
import { SnapshotError } from './snapshotErrors.js';

const KIND: Array<[string, (s: Stats) => boolean]> = [
  ['directory', (s) => s.isDirectory()], ['symbolic link', (s) => s.isSymbolicLink()], ['FIFO', (s) => s.isFIFO()],
  ['socket', (s) => s.isSocket()], ['character device', (s) => s.isCharacterDevice()], ['block device', (s) => s.isBlockDevice()],
];
const kindOf = (s: Stats): string => KIND.find(([, is]) => is(s))?.[0] ?? 'special file';

/**
 * The bytes of `path` if it is a regular file, undefined if it does not exist. Anything else (a
 * FIFO would block a reader forever, a symlink or device could point anywhere) is a
 * SnapshotError(SNAPSHOT_INVALID) and is never read: lstat first, then open without following
 * links and without blocking, and check the descriptor is that same regular file.
 */
export async function readRegularFile(path: string): Promise<Buffer | undefined> {
  let before;
  try {
    before = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if (!before.isFile()) throw new SnapshotError('SNAPSHOT_INVALID', '(file)', `is a ${kindOf(before)}, not a regular file: not read`);
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.ino !== before.ino || st.dev !== before.dev) {
      throw new SnapshotError('SNAPSHOT_INVALID', '(file)', `was replaced while being opened (now a ${st.isFile() ? 'different file' : kindOf(st)}): not read`);
    }
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

const SNAPSHOT_NAME = /^(0|[1-9]\d{0,15})\.snapshot$/;

/** A ledger (or, as before, its store): where files kept beside it go, and its name for messages. */
export type LedgerHome = Pick<Ledger, 'location' | 'description'> | Pick<LedgerStore, 'dir' | 'description'>;

/** The local directory of a ledger (or store) that keeps its data in one (a directory store), else undefined. */
export function homeDirectory(home: LedgerHome): string | undefined {
  const dir = 'location' in home ? home.location : home.dir;
  return typeof dir === 'string' ? dir : undefined;
}

/**
 * The snapshot files of one ledger.
 *
 * @example
 * const snapshots = SnapshotStore.beside(ledger);   // <ledger dir>/snapshots (a directory store)
 * const immudbSnapshots = SnapshotStore.at('/var/lib/app/snapshots');
 * await snapshots.list(); // [1200, 600] (newest first)
 */
export class SnapshotStore {
  private constructor(readonly dir: string) {}

  /** Snapshots in `dir` (for stores without a directory of their own, e.g. immudb). */
  static at(dir: string): SnapshotStore {
    if (typeof dir !== 'string' || dir.length === 0) throw new SnapshotError('SNAPSHOT_UNAVAILABLE', 'dir', 'expected a directory path', dir);
    return new SnapshotStore(resolve(dir)); // once: a later process.chdir must not move the snapshots
  }

  /** `<dir>/snapshots` of a ledger on a directory store; other stores need SnapshotStore.at(dir). */
  static beside(home: LedgerHome, subdirectory = 'snapshots'): SnapshotStore {
    const dir = homeDirectory(home);
    if (dir === undefined) {
      throw new SnapshotError('SNAPSHOT_UNAVAILABLE', 'store', `${home.description} keeps no local directory: pass SnapshotStore.at(dir)`, home.description);
    }
    return SnapshotStore.at(join(dir, subdirectory));
  }

  /** `<sequence>.snapshot`: the name seed 003 fixes. */
  static fileName(sequence: number): string {
    return `${sequence}.snapshot`;
  }

  /** The sequences that have a snapshot file, newest first; [] if the directory does not exist. */
  async list(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names.flatMap((n) => (SNAPSHOT_NAME.test(n) ? [Number(n.slice(0, -'.snapshot'.length))] : [])).sort((a, b) => b - a);
  }

  /** The bytes of the snapshot at `sequence`, undefined if there is none; SnapshotError if it is not a regular file. */
  async read(sequence: number): Promise<Buffer | undefined> {
    return readRegularFile(this.path(sequence));
  }

  /** Writes the snapshot at `sequence` atomically (see writeFileAtomic); returns its path. */
  async write(sequence: number, bytes: Uint8Array): Promise<string> {
    return writeFileAtomic(this.dir, SnapshotStore.fileName(sequence), bytes);
  }

  /** The path of the snapshot file for `sequence`. */
  path(sequence: number): string {
    return join(this.dir, SnapshotStore.fileName(sequence));
  }
}
