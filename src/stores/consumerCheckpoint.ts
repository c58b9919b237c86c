// A named consumer's durable position (ledger.consume), kept in a file: `<dir>/<name>.checkpoint.json`
// holding `{"consumer":NAME,"sequence":N,"hash":H}`, the last event its handler finished.
//
// Where: a directory store's ledger keeps them in `<ledger dir>/consumers/`; for other stores
// (immudb) the caller names a local directory. Writes are atomic and durable (temporary file,
// fsync, rename, fsync of the directory), so a crash leaves the old position or the new one.
//
// One process per consumer name: `<dir>/<name>.lock` is taken with the directory store's writer
// lock (a record naming its holder; a lock left by a killed process is recognised and taken
// over), so two processes never advance one position and a second is refused with
// LedgerLockedError naming the holder.
//
// The file is untrusted input (whoever can write the directory can edit it): it is opened
// without following a symlink or blocking on a FIFO, must be a small regular file holding
// exactly that record for this name, and ledger.consume checks the position against the ledger
// (at most its tip, the hash the ledger holds there). Anything else is
// LedgerConsumerCheckpointError and nothing is delivered. A removed file starts the consumer
// again from its first event: repeats, never a skip.
import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { HashString } from '../contract/event.js';
import { LedgerConsumerCheckpointError, LedgerLockedError, LedgerValidationError, isLedgerError } from '../errors/errors.js';
import type { ConsumerCheckpoint, ConsumerPosition } from '../ledger/subscriptions.js';
import { writeFileAtomic } from './atomicWrite.js';
import { WriterLock } from './writerLock.js';

/** The directory under a directory store's ledger where consumers' positions are kept. */
export const CONSUMERS_DIR = 'consumers';

/** A checkpoint record is well under this; a larger file is not one. */
const MAX_CHECKPOINT_BYTES = 4096;

const CONSUMER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** A consumer name: 1-100 letters, digits, `_ . -`, starting with a letter or digit (it names files). */
export function checkConsumerName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !CONSUMER_NAME.test(name)) {
    throw new LedgerValidationError('consumer', 'expected 1-100 characters of letters, digits, _ . - (starting with a letter or digit)', name);
  }
}

/** A consumer's position kept in a file, locked to one process; see the file comment. */
export class FileConsumerCheckpoint implements ConsumerCheckpoint {
  private closed = false;

  private constructor(
    readonly name: string,
    /** The checkpoint file. */
    readonly path: string,
    private readonly dir: string,
    private readonly lock: WriterLock,
  ) {}

  /**
   * Takes consumer `name`'s lock and returns its checkpoint. `where` is the directory to keep
   * it in, or a ledger whose store has a local directory (then `<dir>/consumers`). A consumer
   * running in another live process is LedgerLockedError; close() releases it.
   *
   * @example
   * const consumer = await FileConsumerCheckpoint.open('mailer', ledger);
   * ledger.consume({ streamPrefix: 'order-' }, consumer, sendMail).subscribe();
   */
  static async open(name: string, where: string | { readonly location: string | undefined }): Promise<FileConsumerCheckpoint> {
    checkConsumerName(name);
    let dir: string;
    if (typeof where === 'string' && where !== '') dir = where;
    else if (typeof where === 'object' && where !== null && typeof where.location === 'string') dir = join(where.location, CONSUMERS_DIR);
    else throw new LedgerValidationError('dir', 'expected a directory, or a ledger whose store keeps a local directory (a directory store); for another store pass a directory', typeof where === 'object' ? '<ledger without a directory>' : where);
    await mkdir(dir, { recursive: true });
    let lock: WriterLock;
    try {
      lock = WriterLock.acquire(join(dir, `${name}.lock`));
    } catch (e) {
      if (!isLedgerError(e, 'LEDGER_LOCKED')) throw e;
      throw new LedgerLockedError((e as LedgerLockedError).holder, `consumer "${name}" is running in another process: ${e.message}`);
    }
    return new FileConsumerCheckpoint(name, join(dir, `${name}.checkpoint.json`), dir, lock);
  }

  private fail(message: string, cause?: unknown): LedgerConsumerCheckpointError {
    return new LedgerConsumerCheckpointError(this.name, this.path, `consumer "${this.name}": ${this.path} ${message}`, cause === undefined ? undefined : { cause });
  }

  /** The saved position, undefined if there is none yet; LedgerConsumerCheckpointError if the file is not a checkpoint of this consumer. */
  async load(): Promise<ConsumerPosition | undefined> {
    let fh;
    try {
      fh = await open(this.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ELOOP') throw this.fail('is a symbolic link, not a checkpoint file; refusing to follow it');
      throw this.fail(`cannot be read (${(e as Error).message})`, e);
    }
    let text: string;
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw this.fail(`is not a regular file (${st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : 'a special file'})`);
      if (st.size > MAX_CHECKPOINT_BYTES) throw this.fail(`is ${st.size} bytes, too large for a checkpoint (at most ${MAX_CHECKPOINT_BYTES})`);
      const buf = Buffer.alloc(MAX_CHECKPOINT_BYTES + 1);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      if (bytesRead > MAX_CHECKPOINT_BYTES) throw this.fail(`grew past ${MAX_CHECKPOINT_BYTES} bytes while read`);
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, bytesRead));
      } catch (e) {
        throw this.fail('is not UTF-8 text', e);
      }
    } finally {
      await fh.close();
    }
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (e) {
      throw this.fail(`is not JSON (${(e as Error).message})`, e);
    }
    const r = record as Record<string, unknown>;
    if (typeof record !== 'object' || record === null || Array.isArray(record) || Object.keys(r).sort().join(',') !== 'consumer,hash,sequence') {
      throw this.fail('does not hold a checkpoint {"consumer","sequence","hash"}');
    }
    if (r.consumer !== this.name) throw this.fail(`is the checkpoint of consumer ${JSON.stringify(r.consumer)}, not of "${this.name}"`);
    if (typeof r.sequence !== 'number' || !Number.isSafeInteger(r.sequence) || r.sequence < 0) throw this.fail(`holds sequence ${JSON.stringify(r.sequence)}: expected an integer >= 0`);
    if (!HashString.is(r.hash)) throw this.fail(`holds hash ${JSON.stringify(r.hash)}: expected sha256:<64 lowercase hex>`);
    return { sequence: r.sequence, hash: r.hash };
  }

  /** Makes `position` the saved one, durably (atomic replace, fsynced). */
  async save(position: ConsumerPosition): Promise<void> {
    if (this.closed) throw new LedgerValidationError('consumer', `consumer "${this.name}" is closed`, this.name);
    this.lock.assertHeld();
    const record = { consumer: this.name, sequence: position.sequence, hash: position.hash };
    await writeFileAtomic(this.dir, `${this.name}.checkpoint.json`, Buffer.from(`${JSON.stringify(record)}\n`, 'utf8'));
  }

  /** Releases the consumer's lock; the position stays. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lock.releaseSync();
  }
}
