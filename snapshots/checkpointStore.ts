// A consumer's checkpoint: the position and states its live runner had reached when it last
// saw a snapshot_created event, in `<dir>/<consumer>.checkpoint` (same format as a snapshot,
// kind "checkpoint"). A restart resumes from it instead of genesis.
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../src/stores/atomicWrite.js';
import { SnapshotError } from './snapshotErrors.js';
import { homeDirectory, readRegularFile, type LedgerHome } from './snapshotStore.js';

const CONSUMER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/**
 * The checkpoint file of one consumer (one live runner).
 *
 * @example
 * const checkpoints = CheckpointStore.beside(ledger, 'graph');  // <ledger dir>/checkpoints/graph.checkpoint
 */
export class CheckpointStore {
  private constructor(
    readonly dir: string,
    readonly consumer: string,
  ) {}

  /** The checkpoint of `consumer` in `dir` (the directory is created when it is first written). */
  static at(dir: string, consumer = 'default'): CheckpointStore {
    if (typeof dir !== 'string' || dir.length === 0) throw new SnapshotError('SNAPSHOT_UNAVAILABLE', 'dir', 'expected a directory path', dir);
    if (!CONSUMER.test(consumer)) throw new SnapshotError('SNAPSHOT_UNAVAILABLE', 'consumer', 'expected 1-100 letters, digits, _ . - (a file name)', consumer);
    return new CheckpointStore(resolve(dir), consumer); // once: a later process.chdir must not move the file
  }

  /** `<dir>/checkpoints/<consumer>.checkpoint` of a ledger on a directory store. */
  static beside(home: LedgerHome, consumer = 'default'): CheckpointStore {
    const dir = homeDirectory(home);
    if (dir === undefined) {
      throw new SnapshotError('SNAPSHOT_UNAVAILABLE', 'store', `${home.description} keeps no local directory: pass CheckpointStore.at(dir)`, home.description);
    }
    return CheckpointStore.at(join(dir, 'checkpoints'), consumer);
  }

  /** The checkpoint file's name. */
  get fileName(): string {
    return `${this.consumer}.checkpoint`;
  }

  /** The checkpoint file's absolute path. */
  get path(): string {
    return join(this.dir, this.fileName);
  }

  /** The checkpoint's bytes, undefined if there is none; SnapshotError if it is not a regular file. */
  async read(): Promise<Buffer | undefined> {
    return readRegularFile(this.path);
  }

  /** Replaces the checkpoint atomically. */
  async write(bytes: Uint8Array): Promise<string> {
    return writeFileAtomic(this.dir, this.fileName, bytes);
  }
}
