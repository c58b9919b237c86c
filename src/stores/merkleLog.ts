// The Merkle tree kept beside a ledger: derived data, brought up to date from the ledger's lines
// on open, never the source of truth.
//
// Directory store layout: <dir>/merkle/hashes holds the stored hashes (merkle.ts layout), 32
// bytes each, and <dir>/merkle/checkpoint the latest signed checkpoint. Hashes are written at
// their fixed offsets (positional writes), so two processes catching up at once write the same
// bytes to the same places and cannot interleave into a wrong file; no lock is needed.
//
// Trust before signing (signCheckpoint below): a signed root cannot be taken back, and a wrong
// one would make every later honest checkpoint look like a split view. So the hashes file is
// not trusted blindly: the part covered by the previous signed checkpoint is checked by
// recomputing that checkpoint's root from the file (O(log n) reads), and every stored hash added
// since is recomputed from the ledger's lines and compared (O(new events), amortised O(1) per
// event). The first checkpoint therefore reads the whole ledger once; later ones only the new part.

import { readSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { LedgerCorruptionError, LedgerProofError } from '../errors/errors.js';
import { writeFileAtomic } from './atomicWrite.js';
import { readSmallFile } from './smallFile.js';
import type { LedgerStore, MerkleLog, MerkleOpenOptions } from '../ledger/ledgerStore.js';
import { openCheckpoint, signCheckpoint, type Checkpoint } from '../proofs/checkpoint.js';
import {
  consistencyProof, HASH_SIZE, hashesForAppend, inclusionProof, leafHash, nodeHash, storedCount, storedIndex, storedPosition, treeRoot, verifyConsistency, verifyInclusion, type HashReader,
} from '../proofs/merkle.js';
import type { NoteSigner, NoteVerifier } from '../proofs/note.js';

/** The folder beside a directory store's ledger that holds its Merkle hashes and latest checkpoint. */
export const MERKLE_DIR = 'merkle';
/** The file of stored tree hashes (32 bytes each, tlog index order) in `MERKLE_DIR`. */
export const HASHES_FILE = 'hashes';
/** The latest signed checkpoint in `MERKLE_DIR`. */
export const CHECKPOINT_FILE = 'checkpoint';

export type { MerkleLog, MerkleOpenOptions } from '../ledger/ledgerStore.js';

const FLUSH_HASHES = 1 << 15;


/** Largest n whose stored hashes fit in `count` hashes. */
function leavesWithin(count: number): number {
  let n = Math.floor(count / 2);
  while (storedCount(n + 1) <= count) n++;
  while (n > 0 && storedCount(n) > count) n--;
  return n;
}

/**
 * Where a MerkleLog keeps its stored hashes (merkle.ts layout): a file beside a directory store,
 * keys beside an immudb store's events. Only this differs between stores.
 */
export interface HashStorage {
  /** Where the hashes are, for messages: the file's path, or the immudb keys' prefix. */
  readonly description: string;
  /** Leaves the stored hashes cover (what was written and recorded, possibly torn). */
  leaves(): Promise<number>;
  /** Stored hashes by position; an index not stored is LedgerProofError 'out_of_range'. */
  read(indexes: readonly number[]): Promise<Buffer[]>;
  /** Writes `hashes` from stored index `first` on; they complete the tree of `leaves` leaves. */
  write(first: number, hashes: readonly Buffer[], leaves: number, sync: boolean): Promise<void>;
  /** Forgets every hash (before a rebuild from the ledger). */
  reset(): Promise<void>;
  /** Writes out what is pending and releases the file. */
  close(): Promise<void>;
}

/** The stored hashes in one file, 32 bytes each at their fixed offsets. */
export class FileHashStorage implements HashStorage {
  private constructor(private readonly fh: FileHandle, readonly description: string) {}

  /** Opens (creating if needed) the hashes file at `file`. */
  static async open(file: string): Promise<FileHashStorage> {
    return new FileHashStorage(await open(file, 'a+').then(async (h) => (await h.close(), open(file, 'r+'))), file);
  }

  async leaves(): Promise<number> {
    return leavesWithin(Math.floor((await this.fh.stat()).size / HASH_SIZE));
  }

  read(indexes: readonly number[]): Promise<Buffer[]> {
    return readAt(this.fh, indexes);
  }

  async write(first: number, hashes: readonly Buffer[], _leaves: number, sync: boolean): Promise<void> {
    if (hashes.length > 0) {
      const buf = hashes.length === 1 ? hashes[0]! : Buffer.concat(hashes);
      await this.fh.write(buf, 0, buf.length, first * HASH_SIZE);
    }
    if (sync) await this.fh.datasync();
  }

  reset(): Promise<void> {
    return this.fh.truncate(0);
  }

  /** Writes out what is pending and releases the file. */
  close(): Promise<void> {
    return this.fh.close();
  }
}

/** A MerkleLog over a ledger store, its hashes in a HashStorage (for the directory store: <dir>/merkle/hashes). */
export class StoredMerkleLog implements MerkleLog {
  private leaves: number;
  private readonly pending: Buffer[] = [];
  /** Hashes written since the last sync. */
  private unsynced = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** The right edge (the complete subtrees of the current tree): what the next append reads. */
  private readonly edge = new Map<number, Buffer>();

  private constructor(private readonly storage: HashStorage, private readonly lines: LedgerStore, leaves: number) {
    this.leaves = leaves;
  }

  /**
   * Opens the tree kept in `storage` for `ledger` and catches up. Stored hashes covering more
   * events than the ledger holds, or whose last leaf is not the ledger's line, are rebuilt from
   * the ledger (derived data); the rebuild is reported through `onRebuild`.
   */
  static async open(storage: HashStorage, ledger: LedgerStore, options: MerkleOpenOptions = {}): Promise<StoredMerkleLog> {
    try {
      let n = await storage.leaves();
      const tip = (await ledger.tip()).sequence_number + 1;
      let why: string | undefined;
      if (options.rebuild === true) why = 'asked for (rebuild)';
      else if (n > tip) why = `the hashes cover ${n} events but the ledger holds ${tip}`;
      else if (n > 0) {
        const line = await ledger.readLine(n - 1);
        const stored = await storage.read([storedIndex(0, n - 1)]).then((h) => h[0], () => undefined);
        if (line === undefined || stored === undefined || !leafHash(line).equals(stored)) why = `the stored leaf hash of event ${n - 1} is not the hash of its line`;
      }
      if (why !== undefined) {
        options.onRebuild?.(why);
        await storage.reset();
        n = 0;
      }
      const log = new StoredMerkleLog(storage, ledger, n);
      await log.loadEdge();
      await log.catchUpNow();
      return log;
    } catch (e) {
      await storage.close().catch(() => undefined);
      throw e;
    }
  }

  get size(): number {
    return this.leaves;
  }

  private async loadEdge(): Promise<void> {
    const ix: number[] = [];
    // The complete subtrees of the tree of `leaves` leaves, left to right.
    for (let at = 0, rest = this.leaves; rest > 0; ) {
      let level = 0;
      while (2 ** (level + 1) <= rest) level++;
      ix.push(storedIndex(level, at / 2 ** level));
      at += 2 ** level;
      rest -= 2 ** level;
    }
    const hs = ix.length ? await this.storage.read(ix) : [];
    ix.forEach((i, j) => this.edge.set(i, hs[j]!));
  }

  /** Stored hashes by their tlog index. */
  async readHashes(indexes: readonly number[]): Promise<Buffer[]> {
    if (indexes.every((i) => this.edge.has(i))) return indexes.map((i) => this.edge.get(i)!);
    const base = storedCount(this.leaves) - this.pending.length;
    const fromFile = indexes.filter((i) => i < base);
    const read = fromFile.length ? await this.storage.read(fromFile) : [];
    let r = 0;
    return indexes.map((i) => {
      if (i < base) return read[r++]!;
      const h = this.pending[i - base];
      if (h === undefined) throw new LedgerProofError('out_of_range', 'stored hash', `index ${i} is beyond the ${this.leaves} events hashed`);
      return h;
    });
  }

  /** Appends, catch-ups and close run one at a time (a policy checkpoint catches up while the ledger appends). */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => undefined);
    return run;
  }

  catchUp(): Promise<number> {
    return this.serial(() => this.catchUpNow());
  }

  private async catchUpNow(): Promise<number> {
    for await (const { sequence, line } of this.lines.scanLines(this.leaves)) {
      if (sequence !== this.leaves) throw new LedgerCorruptionError(sequence, `expected sequence ${this.leaves} while hashing the ledger`);
      await this.addLeaf(line);
      if (this.pending.length >= FLUSH_HASHES) await this.flush(true);
    }
    await this.flush(true);
    return this.leaves;
  }

  /**
   * The per-append path (Ledger's `merkle` option): the siblings come from the in-memory edge,
   * so an append hashes O(log n) and reads nothing. New hashes are written in batches of
   * FLUSH_HASHES, synced on close: a write beside every append would make the ledger's own
   * fdatasync flush it too (one journal on most filesystems). The file is derived data: a crash
   * leaves it behind (caught up from the lines at the next open) or torn (rebuilt by open, or
   * refused by the recheck before signing, takeCheckpoint). A failed write keeps the hashes
   * pending, is retried by the next batch, and is reported by close().
   */
  append(sequence: number, line: string): Promise<void> {
    return this.serial(async () => {
      if (sequence > this.leaves) await this.catchUpNow();
      if (sequence < this.leaves) return; // caught up above, or already hashed
      await this.addLeaf(line);
      if (this.pending.length >= FLUSH_HASHES) await this.flush(false).catch(() => undefined);
    });
  }

  private async addLeaf(line: string): Promise<void> {
    const added = await hashesForAppend(this, this.leaves, leafHash(line));
    this.pending.push(...added);
    // The siblings just combined leave the edge; the new top subtree joins it.
    for (let level = 0, k = this.leaves; level < added.length - 1; level++, k = Math.floor(k / 2)) this.edge.delete(storedIndex(level, k - 1));
    this.leaves++;
    this.edge.set(storedCount(this.leaves) - 1, added[added.length - 1]!);
  }

  private async flush(sync: boolean): Promise<void> {
    if (this.pending.length > 0 || (sync && this.unsynced > 0)) {
      const first = storedCount(this.leaves) - this.pending.length;
      await this.storage.write(first, this.pending, this.leaves, sync);
      this.unsynced = sync ? 0 : this.unsynced + this.pending.length;
      this.pending.length = 0;
    }
  }

  private checkSize(size: number | undefined): number {
    const n = size ?? this.leaves;
    if (!Number.isSafeInteger(n) || n < 0 || n > this.leaves) throw new LedgerProofError('out_of_range', 'tree size', `${String(n)} is not within the ${this.leaves} events hashed`);
    return n;
  }

  /**
   * Stored hashes read for an answer (a root, a proof), each checked before use against the
   * level next to it: a subtree hash against its two stored children, a leaf hash against its
   * sibling and their parent. O(1) extra reads per hash and no line read, so a root or proof
   * stays O(log n). (The one leaf with no parent, the last when the size is odd, was checked
   * against its line at open or hashed from it since.) Any single changed hash among those an
   * answer uses (or next to them) is caught; a whole subtree recomputed over a forged leaf is
   * not (only the recheck before signing, which reads every new event, is: takeCheckpoint), and
   * `leafHash` compares with the event's line itself.
   */
  private readonly checked: HashReader = {
    readHashes: async (indexes) => {
      const at = indexes.map(storedPosition);
      const extra = at.flatMap(([level, k]): number[] => {
        if (level > 0) return [storedIndex(level - 1, 2 * k), storedIndex(level - 1, 2 * k + 1)];
        const left = k - (k % 2);
        return left + 1 < this.leaves ? [storedIndex(0, left), storedIndex(0, left + 1), storedIndex(1, left / 2)] : [];
      });
      const read = await this.readHashes([...indexes, ...extra]).catch((e: unknown) => {
        throw e instanceof LedgerProofError && e.kind === 'out_of_range' ? this.corrupted(`a stored hash the answer needs is missing (${e.message})`, e) : e;
      });
      let c = indexes.length;
      for (let j = 0; j < indexes.length; j++) {
        const [level, k] = at[j]!;
        if (level > 0) {
          const first = k * 2 ** level;
          if (!nodeHash(read[c++]!, read[c++]!).equals(read[j]!)) this.fail(indexes[j]!, `the subtree hash of events ${first}..${first + 2 ** level - 1}`, 'is not the hash of its two children');
        } else if (k - (k % 2) + 1 < this.leaves) {
          const [left, right, parent] = [read[c++]!, read[c++]!, read[c++]!];
          if (!nodeHash(left, right).equals(parent) || !(k % 2 === 0 ? left : right).equals(read[j]!)) this.fail(indexes[j]!, `the leaf hash of event ${k}`, 'does not hash with its sibling into their parent');
        }
      }
      return read.slice(0, indexes.length);
    },
  };

  private corrupted(why: string, cause?: unknown): LedgerProofError {
    return new LedgerProofError('inconsistent', this.storage.description, `${why}: the Merkle hashes are corrupted; they are derived data, rebuild them from the ledger (open with rebuild: true; CLI: prove --rebuild)`, cause === undefined ? undefined : { cause });
  }

  private fail(index: number, what: string, why: string): never {
    throw this.corrupted(`stored hash ${index} (${what}) ${why}`);
  }

  /** The RFC 6962 root of the first `n` events (default: all), from checked hashes. */
  root(size?: number): Promise<Buffer> {
    return treeRoot(this.checked, this.checkSize(size));
  }

  /** Event `index`'s leaf hash, checked against its sibling and parent and against the event's line. */
  async leafHash(index: number): Promise<Buffer> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.leaves) throw new LedgerProofError('out_of_range', 'leaf index', `${String(index)} is not below the ${this.leaves} events hashed`);
    const [[h], line] = await Promise.all([this.checked.readHashes([storedIndex(0, index)]), this.lines.readLine(index)]);
    if (line === undefined || !leafHash(line).equals(h!)) this.fail(storedIndex(0, index), `the leaf hash of event ${index}`, line === undefined ? 'has no event in the ledger' : 'is not the hash of the event\'s line');
    return h!;
  }

  /**
   * Event `index`'s leaf hash, the root of the tree of size `n` and the audit path between them,
   * verified (RFC 9162) before they are returned: a corrupted hash is an error, never a proof
   * that does not verify.
   */
  async inclusion(index: number, size?: number): Promise<{ leafHash: Buffer; root: Buffer; proof: Buffer[] }> {
    const n = this.checkSize(size);
    const proof = await inclusionProof(this.checked, index, n); // checks the index first
    const [root, leaf] = await Promise.all([this.root(n), this.leafHash(index)]);
    try {
      verifyInclusion(leaf, index, n, proof, root);
    } catch (e) {
      throw this.corrupted(`the inclusion proof of event ${index} in the tree of size ${n} does not verify (${(e as Error).message})`, e);
    }
    return { leafHash: leaf, root, proof };
  }

  /** The roots of sizes `from` and `to` and the consistency proof between them, verified before they are returned. */
  async consistency(from: number, to?: number): Promise<{ oldRoot: Buffer; newRoot: Buffer; proof: Buffer[] }> {
    const n = this.checkSize(to);
    const proof = await consistencyProof(this.checked, from, n); // checks the sizes first
    const [oldRoot, newRoot] = await Promise.all([this.root(from), this.root(n)]);
    try {
      verifyConsistency(from, n, proof, oldRoot, newRoot);
    } catch (e) {
      throw this.corrupted(`the consistency proof from size ${from} to ${n} does not verify (${(e as Error).message})`, e);
    }
    return { oldRoot, newRoot, proof };
  }

  /** The audit path of event `index` in the tree of size `n`, verified (see `inclusion`). */
  async inclusionProof(index: number, size?: number): Promise<Buffer[]> {
    return (await this.inclusion(index, size)).proof;
  }

  /** The consistency proof from size `m` to size `n`, verified (see `consistency`). */
  async consistencyProof(from: number, to?: number): Promise<Buffer[]> {
    return (await this.consistency(from, to)).proof;
  }

  /** Writes out what is pending and releases the file. */
  close(): Promise<void> {
    return this.serial(async () => {
      try {
        await this.flush(true);
      } finally {
        await this.storage.close();
      }
    });
  }
}

async function readAt(fh: FileHandle, indexes: readonly number[]): Promise<Buffer[]> {
  // Runs of consecutive indexes (a recheck reads thousands) become one read each.
  const out: Buffer[] = [];
  for (let i = 0; i < indexes.length; ) {
    let j = i + 1;
    while (j < indexes.length && indexes[j] === indexes[j - 1]! + 1) j++;
    const b = Buffer.alloc((j - i) * HASH_SIZE);
    // Proof reads are a few dozen 32-byte reads from the page cache: synchronous reads avoid a
    // thread-pool round trip each; big runs (a recheck) stay async.
    const bytesRead = b.length <= 4096 ? readSync(fh.fd, b, 0, b.length, indexes[i]! * HASH_SIZE) : (await fh.read(b, 0, b.length, indexes[i]! * HASH_SIZE)).bytesRead;
    if (bytesRead !== b.length) throw new LedgerProofError('out_of_range', 'stored hash', `index ${indexes[i]! + Math.floor(bytesRead / HASH_SIZE)} is not in the hashes file`);
    for (let k = 0; k < j - i; k++) out.push(b.subarray(k * HASH_SIZE, (k + 1) * HASH_SIZE));
    i = j;
  }
  return out;
}

/** Opens the Merkle log of a directory store's directory (its files under <dir>/merkle). */
export async function openDirectoryMerkleLog(dir: string, ledger: LedgerStore, options: MerkleOpenOptions = {}): Promise<StoredMerkleLog> {
  await mkdir(join(dir, MERKLE_DIR), { recursive: true });
  return StoredMerkleLog.open(await FileHashStorage.open(join(dir, MERKLE_DIR, HASHES_FILE)), ledger, options);
}

/** A signed checkpoint with its cosignatures is a few KiB. */
const MAX_CHECKPOINT_BYTES = 64 * 1024;

/**
 * The latest signed checkpoint kept beside the ledger, or undefined. Read as untrusted: a
 * symbolic link, FIFO, device or a file over 64 KiB at <dir>/merkle/checkpoint is a
 * LedgerProofError ('malformed_checkpoint') naming it, never a read that blocks or fills memory.
 */
export async function readLatestCheckpoint(dir: string): Promise<string | undefined> {
  const file = join(dir, MERKLE_DIR, CHECKPOINT_FILE);
  const bytes = await readSmallFile(file, MAX_CHECKPOINT_BYTES, (why, cause) => new LedgerProofError('malformed_checkpoint', file, `${why}: not a kept checkpoint`, cause === undefined ? undefined : { cause }));
  return bytes?.bytes.toString('utf8');
}

/** Where the latest signed checkpoint is kept: a file beside a directory store, a key in immudb. */
export interface CheckpointKeeper {
  /** The latest signed checkpoint kept, or undefined. */
  readCheckpoint(): Promise<string | undefined>;
  /** Keeps `text` as the latest signed checkpoint, replacing the previous one atomically. */
  writeCheckpoint(text: string): Promise<void>;
}

/** <dir>/merkle/checkpoint, replaced atomically. */
export function directoryCheckpointKeeper(dir: string): CheckpointKeeper {
  return { readCheckpoint: () => readLatestCheckpoint(dir), writeCheckpoint: async (text) => void (await writeFileAtomic(join(dir, MERKLE_DIR), CHECKPOINT_FILE, Buffer.from(text, 'utf8'))) };
}

/**
 * Takes a checkpoint of the whole ledger: checks the hashes file against the previous signed
 * checkpoint and the ledger's new lines (see the header), signs `<origin>\n<size>\n<root>\n`
 * with `signer` (whose name is the origin), keeps it (a directory: <dir>/merkle/checkpoint; or
 * any CheckpointKeeper, e.g. the immudb store's) and returns it.
 */
export async function takeCheckpoint(where: string | CheckpointKeeper, ledger: LedgerStore, log: MerkleLog, signer: NoteSigner, verifier: NoteVerifier): Promise<{ checkpoint: Checkpoint; signed: string }> {
  const size = await log.catchUp();
  const keeper = typeof where === 'string' ? directoryCheckpointKeeper(where) : where;
  const previous = await keeper.readCheckpoint();
  let from = 0;
  if (previous !== undefined) {
    const { checkpoint: last } = openCheckpoint(previous, verifier);
    if (last.size > size) throw new LedgerCorruptionError(size, `the ledger holds ${size} events but the last signed checkpoint covers ${last.size}: events were cut`);
    if (last.size > 0 && !(await log.root(last.size)).equals(last.root)) {
      throw new LedgerProofError('inconsistent', 'merkle hashes', `the root of the first ${last.size} events is not the one the last checkpoint signed`);
    }
    from = last.size;
  }
  await recheck(ledger, log, from, size);
  const root = await log.root(size);
  if (previous !== undefined && from > 0) {
    const { checkpoint: last } = openCheckpoint(previous, verifier);
    verifyConsistency(from, size, await log.consistencyProof(from, size), last.root, root);
  }
  const checkpoint: Checkpoint = { origin: signer.name, size, root };
  const signed = signCheckpoint(checkpoint, signer);
  await keeper.writeCheckpoint(signed);
  return { checkpoint, signed };
}

/** Recomputes the stored hashes of events [from, to) from the ledger's lines and compares them. */
async function recheck(ledger: LedgerStore, log: HashReader, from: number, to: number): Promise<void> {
  // In chunks, so memory stays flat: reads below `base` come from the file, and are either the
  // pieces of the tree of size `from` (checked against the previous checkpoint's root) or
  // hashes an earlier chunk already compared.
  for (let start = from; start < to; ) {
    const end = Math.min(to, start + RECHECK_EVENTS);
    const base = storedCount(start);
    const fresh: Buffer[] = [];
    const overlay: HashReader = {
      readHashes: async (ix) => {
        const old = await log.readHashes(ix.filter((i) => i < base));
        let o = 0;
        return ix.map((i) => (i < base ? old[o++]! : fresh[i - base]!));
      },
    };
    let n = start;
    for await (const { line } of ledger.scanLines(start, end - 1)) fresh.push(...(await hashesForAppend(overlay, n++, leafHash(line))));
    if (n !== end) throw new LedgerCorruptionError(n, `the ledger ended while rechecking events ${start}..${end - 1}`);
    const stored = await log.readHashes(fresh.map((_, i) => base + i));
    const bad = stored.findIndex((h, i) => !h.equals(fresh[i]!));
    if (bad >= 0) throw new LedgerProofError('inconsistent', 'merkle hashes', `stored hash ${base + bad} does not match the ledger's events (recomputed from the lines before signing)`);
    start = end;
  }
}

const RECHECK_EVENTS = 8192;
