// The embedded default store: <dir>/ledger.jsonl, one canonical event per line.
//
// Durability: a line is written with one write() on an O_APPEND | O_DSYNC descriptor, which
// returns only once the line is durable, before append() resolves. Crash safety follows from the line format: a write interrupted by
// a crash leaves a last line without its newline (a torn tail), which was never acknowledged.
// An atomic batch (issue 22) is one write of all its lines, each carrying `batch`: a crash
// inside it leaves complete lines of an unfinished batch, torn too (the tail ends at the last
// complete batch). Opening for write moves such a tail to <dir>/torn/ and truncates it away;
// readers ignore it.
// A complete line that fails to parse, anywhere, is corruption and is reported, never dropped.
import { constants, fstatSync, ftruncateSync, readSync, watch, write, type FSWatcher } from 'node:fs';
import { mkdir, open, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LedgerConnectionError, LedgerCorruptionError, LedgerError, LedgerSequenceError } from '../errors/errors.js';
import { scanCanonicalEventBytes } from '../contract/canonicalLine.js';
import { checkLine, checkLineBytes, type LineCheck } from '../contract/eventLine.js';
import { fsyncDirectory } from './fsyncDirectory.js';
import { GENESIS_HASH } from '../contract/hash.js';
import type { AppendRecord, IndexEntry, LedgerIndex, LedgerStore, MerkleLog, MerkleOpenOptions, StoredLine, Tip } from '../ledger/ledgerStore.js';
import { DirectoryIndex, lineSequence, placeOf, type IndexRow, type LedgerFileView } from './directoryIndex.js';
import { decodeLine, readLineBatches, readLines } from '../contract/lineReader.js';
import { WriterLock } from './writerLock.js';
import { openDirectoryMerkleLog } from './merkleLog.js';
import { verifyLineBatches, verifyLines } from '../verify/verifyChain.js';

export const LEDGER_FILE = 'ledger.jsonl';
export const LOCK_FILE = 'ledger.lock';
const NEWLINE = 0x0a;
/** readLineBytes: lines at most this far apart are read in one run, of at most RUN_MAX bytes. */
const RUN_GAP = 4096;
const RUN_MAX = 1024 * 1024;
const EMPTY_TIP: Tip = { sequence_number: -1, hash: GENESIS_HASH };
/**
 * The writer's descriptor: reads anywhere (pread), writes at the end, and every write() is
 * synchronized. O_DSYNC is POSIX "synchronized I/O data integrity completion": write() returns
 * only once the bytes and the metadata needed to read them back (the file size) are on stable
 * storage, the guarantee of write() followed by fdatasync(), in one system call.
 */
const WRITER_FLAGS = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC;

/** How a directory store is opened (for writing, the default, or read-only). */
export interface DirectoryStoreOptions {
  /** Open without the writer lock; append() is refused. Several readers may share a directory. */
  readonly readOnly?: boolean;
  /**
   * Read-only: how many lines past index.sqlite (appended since its writer last indexed, or all
   * lines when there is no index) are indexed in memory; beyond that, index calls fail with a
   * clear error until a writer catches the index up. Default 100,000.
   */
  readonly maxUnindexed?: number;
}

// Test hook (the crash tests' child processes set it to N): SIGKILL right after the process's
// Nth line is durable and before its index row is written, an instant no signal sent from
// outside can be sure to hit. Read once: an append costs no environment lookup.
let killAfterSync = Number(process.env.FMWK_LEDGER_TEST_KILL_AFTER_SYNC ?? 0) || 0;
// Test hook (issue 22's crash tests): "B:N" SIGKILLs the process in its Bth append of two or
// more records, after the first N bytes of the batch are durable (one synchronized write) and
// before the rest: a batch cut anywhere, between its lines or inside one.
const killInBatch = ((v) => {
  const m = /^(\d+):(\d+)$/.exec(v ?? '');
  return m ? { batch: Number(m[1]), bytes: Number(m[2]) } : undefined;
})(process.env.FMWK_LEDGER_TEST_KILL_IN_BATCH);

/** Where the last complete line is, and where the file's complete lines end. */
interface Tail {
  readonly tip: Tip;
  /** Offset just past the last newline: everything before it is whole lines. */
  readonly end: number;
  /** Bytes after `end` (a torn, unacknowledged write). */
  readonly tornBytes: number;
}


/** One write() of `bytes` from `from` on the thread pool; resolves with the count written. */
function writeAt(fd: number, bytes: Buffer, from: number): Promise<number> {
  return new Promise((resolve, reject) => write(fd, bytes, from, bytes.length - from, null, (err, n) => (err ? reject(err) : resolve(n))));
}

/** Reads backwards from the end of the file to the last complete line. */
async function readTail(fh: FileHandle, file: string): Promise<Tail> {
  const size = (await fh.stat()).size;
  let end = size;
  // Find the last newline: everything after it is torn.
  let lineEnd = -1;
  const chunk = Buffer.alloc(64 * 1024);
  for (let pos = size; pos > 0 && lineEnd < 0; ) {
    const from = Math.max(0, pos - chunk.length);
    const { bytesRead } = await fh.read(chunk, 0, pos - from, from);
    const nl = chunk.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (nl >= 0) lineEnd = from + nl;
    pos = from;
  }
  if (lineEnd < 0) return { tip: EMPTY_TIP, end: 0, tornBytes: size };
  end = lineEnd + 1;
  // The last complete line: from the newline before it (or the file start) to lineEnd.
  let lineStart = 0;
  for (let pos = lineEnd; pos > 0; ) {
    const from = Math.max(0, pos - chunk.length);
    const { bytesRead } = await fh.read(chunk, 0, pos - from, from);
    const nl = chunk.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (nl >= 0) {
      lineStart = from + nl + 1;
      break;
    }
    pos = from;
  }
  const buf = Buffer.alloc(lineEnd - lineStart);
  await fh.read(buf, 0, buf.length, lineStart);
  // Judged as bytes: a line that is not valid UTF-8 fails here, never decoded with replacements.
  const check = checkLineBytes(buf);
  if (!check.ok || check.computed !== check.hash) {
    // Name the sequence that verification of the file names (the line's own sequence field may
    // be the damaged part): a full pass, only on this error path.
    const r = await verifyLineBatches(readLineBatches(fh, 0, end), { lineAt: lineAtPosition(fh, end) });
    const what = check.ok ? `the last event's stored hash does not match its content` : `the last complete line is not a valid event (${check.reason})`;
    throw new LedgerCorruptionError(r.break_at ?? r.count, `${file}: ${what}${r.reason ? `; verification: ${r.reason}` : ''}`);
  }
  // Issue 22: a last line inside an atomic batch (not its last event) ends an unfinished batch
  // (a write cut short by a crash): none of the batch is committed, its lines count as torn.
  if (check.batch !== undefined && check.batch.index < check.batch.size - 1) return unfinishedBatch(fh, file, size, lineStart, check.sequence, check.batch.index, check.batch.size);
  return { tip: { sequence_number: check.sequence, hash: check.hash }, end, tornBytes: size - end };
}

/**
 * The tail when the file's last complete line, at `lineStart`, is event `index` (< size - 1)
 * of an atomic batch: the lines before it back to the batch's event 0 (each the batch's event
 * before, of the same size) are cut off with it; the tip is the line before the batch. Lines
 * that do not form such a batch are corruption (LedgerCorruptionError), never cut off.
 */
async function unfinishedBatch(fh: FileHandle, file: string, size: number, lineStart: number, lastSequence: number, index: number, batchSize: number): Promise<Tail> {
  const lineBefore = async (start: number): Promise<{ start: number; check: LineCheck }> => {
    const from = (await lastNewlineBefore(fh, start - 1)) + 1;
    const buf = Buffer.alloc(start - 1 - from);
    await fh.read(buf, 0, buf.length, from);
    return { start: from, check: checkLineBytes(buf) };
  };
  let start = lineStart;
  for (let i = index; i > 0; i--) {
    const at = lastSequence - index + i - 1; // where the batch's event i - 1 belongs
    if (start === 0) throw new LedgerCorruptionError(Math.max(0, at), `${file}: the file ends inside an atomic batch whose first events are missing (it starts with event ${i} of ${batchSize})`);
    const before = await lineBefore(start);
    const c = before.check;
    if (!c.ok || c.computed !== c.hash || c.batch?.index !== i - 1 || c.batch.size !== batchSize) {
      throw new LedgerCorruptionError(Math.max(0, at), `${file}: the file ends inside an atomic batch of ${batchSize} events (event ${index} is the last line), but the line before event ${i} is not its event ${i - 1}${c.ok ? '' : ` (${c.reason})`}`);
    }
    start = before.start;
  }
  if (start === 0) return { tip: EMPTY_TIP, end: 0, tornBytes: size };
  const before = await lineBefore(start);
  const c = before.check;
  if (!c.ok || c.computed !== c.hash) {
    throw new LedgerCorruptionError(Math.max(0, lastSequence - index - 1), `${file}: the line before the unfinished atomic batch at the end is not an intact event${c.ok ? '' : ` (${c.reason})`}`);
  }
  return { tip: { sequence_number: c.sequence, hash: c.hash }, end: start, tornBytes: size - start };
}

/**
 * The line at a position of the file (the verifier's sequence when it reads from byte 0), for
 * verifyLines' exact confirmation of an event_id fingerprint match. A scan from the start: it
 * runs only on a match, on an error path, where the file may be too damaged for the index or
 * the binary search.
 */
function lineAtPosition(fh: FileHandle, end: number): (position: number) => Promise<Uint8Array | undefined> {
  return async (position) => {
    let i = 0;
    for await (const batch of readLineBatches(fh, 0, end)) {
      if (position < i + batch.length) return Uint8Array.from(batch[position - i]!);
      i += batch.length;
    }
    return undefined;
  };
}

/** Offset of the last newline before `pos`, or -1: scans backwards in chunks. */
async function lastNewlineBefore(fh: FileHandle, pos: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  for (let to = pos; to > 0; ) {
    const from = Math.max(0, to - chunk.length);
    const { bytesRead } = await fh.read(chunk, 0, to - from, from);
    const nl = chunk.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (nl >= 0) return from + nl;
    to = from;
  }
  return -1;
}

/**
 * Refuses to write on top of a tail that does not link: the last complete line must follow the
 * one before it (sequence + 1, previous_hash = its hash, both lines intact), or be event 0 on
 * the genesis hash when it is the only line. readTail checks only the last line's own hash; a
 * fork at the tail (two lines claiming one sequence, each self-consistent) passes that check,
 * and a writer appending after it would extend the fork. Two line reads, on open only.
 */
async function checkTailLinks(fh: FileHandle, file: string, tail: Tail): Promise<void> {
  if (tail.end === 0) return;
  const strict = new TextDecoder('utf-8', { fatal: true });
  const lineAt = async (start: number, end: number): Promise<LineCheck> => {
    const buf = Buffer.alloc(end - start);
    await fh.read(buf, 0, buf.length, start);
    try {
      return checkLine(strict.decode(buf));
    } catch {
      return { ok: false, reason: 'line is not valid UTF-8' };
    }
  };
  const lastEnd = tail.end - 1; // the newline ending the last complete line
  const beforeLast = await lastNewlineBefore(fh, lastEnd);
  const last = await lineAt(beforeLast + 1, lastEnd);
  let problem: string | undefined;
  if (!last.ok || last.computed !== last.hash) {
    problem = `the last complete line is not an intact event (${last.ok ? 'stored hash does not match content' : last.reason})`;
  } else if (beforeLast < 0) {
    if (last.sequence !== 0 || last.previous_hash !== GENESIS_HASH) {
      problem = `the only line has sequence ${last.sequence} and previous_hash ${last.previous_hash}, not event 0 on the genesis hash`;
    }
  } else {
    const prevStart = (await lastNewlineBefore(fh, beforeLast)) + 1;
    const prev = await lineAt(prevStart, beforeLast);
    if (!prev.ok || prev.computed !== prev.hash) {
      problem = `the line before the last is not an intact event (${prev.ok ? 'stored hash does not match content' : prev.reason})`;
    } else if (last.sequence !== prev.sequence + 1 || last.previous_hash !== prev.hash) {
      problem =
        `the last two lines do not link: sequence ${prev.sequence} (hash ${prev.hash}) is followed by ` +
        `sequence ${last.sequence} with previous_hash ${last.previous_hash}`;
    }
  }
  if (problem === undefined) return;
  // Name the sequence that verification of the file names: a full pass, on this error path only.
  const r = await verifyLines(readLines(fh, 0, tail.end), { lineAt: lineAtPosition(fh, tail.end) });
  const at = r.break_at ?? (last.ok ? last.sequence : r.count);
  throw new LedgerCorruptionError(at, `${file}: ${problem}; a fork or damage at the tail is never built upon${r.reason ? `; verification: ${r.reason}` : ''}`);
}

/** An I/O failure while opening for writing, as LedgerConnectionError naming the path and cause. */
function asConnectionError(e: unknown, path: string): unknown {
  if (e instanceof LedgerError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const at = (e as NodeJS.ErrnoException).path ?? path;
  return new LedgerConnectionError(`cannot open ${path} for writing: ${code ? `${code} at ${at}: ` : ''}${(e as Error).message ?? String(e)}`, { cause: e });
}

/** The embedded default store: `<dir>/ledger.jsonl`, one canonical line per event, each line synchronized (O_DSYNC) before its append resolves, one writer at a time. */
export class DirectoryStore implements LedgerStore {
  readonly description: string;
  private tail: Tail;
  /** Set when a synchronized write failed after copying bytes: the file's durable state is unknown until reopened. */
  private failed: Error | undefined;
  /** An append's write is on the thread pool: a second append must not pass the checks meanwhile. */
  private writing = false;
  private idx!: DirectoryIndex;

  private constructor(
    readonly dir: string,
    private readonly fh: FileHandle,
    tail: Tail,
    private readonly lock: WriterLock | undefined,
  ) {
    this.description = `directory:${dir}`;
    this.tail = tail;
  }

  /** The path of the ledger file, `<dir>/ledger.jsonl`. */
  get file(): string {
    return join(this.dir, LEDGER_FILE);
  }

  /**
   * Opens (creating if needed) the store in `path` (resolved to an absolute path). For writing it takes the single-writer
   * lock and recovers a torn tail; the tip comes from the last line, without a full re-hash.
   */
  static async open(path: string, options: DirectoryStoreOptions = {}): Promise<DirectoryStore> {
    // Resolved once: the lock, the index, the torn-tail folder and the Merkle files are found
    // from `dir` after open too, and a relative path would follow a later process.chdir.
    const dir = resolve(path);
    const file = join(dir, LEDGER_FILE);
    if (options.readOnly) {
      let fh: FileHandle;
      try {
        fh = await open(file, 'r');
      } catch (e) {
        throw new LedgerConnectionError(`cannot open ${file} for reading: ${(e as Error).message}`, { cause: e });
      }
      const store = new DirectoryStore(dir, fh, await readTail(fh, file).catch(async (e) => { await fh.close(); throw e; }), undefined);
      try {
        store.idx = await DirectoryIndex.openReader(dir, store.fileView(), options.maxUnindexed);
      } catch (e) {
        await fh.close();
        throw e;
      }
      return store;
    }
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw new LedgerConnectionError(`cannot create ${dir}: ${(e as Error).message}`, { cause: e });
    }
    const lock = WriterLock.acquire(join(dir, LOCK_FILE));
    let fh: FileHandle | undefined;
    try {
      fh = await open(file, WRITER_FLAGS, 0o666);
      await fsyncDirectory(dir); // make the file's directory entry durable too
      let tail = await readTail(fh, file);
      await checkTailLinks(fh, file, tail);
      if (tail.tornBytes > 0) tail = await DirectoryStore.quarantineTornTail(dir, fh, tail);
      const store = new DirectoryStore(dir, fh, tail, lock);
      // Under the lock, before any append: the index is current (caught up or rebuilt).
      store.idx = await DirectoryIndex.openWriter(dir, store.fileView());
      return store;
    } catch (e) {
      await fh?.close().catch(() => undefined);
      lock.releaseSync();
      throw asConnectionError(e, file);
    }
  }

  /** Copies the torn tail to <dir>/torn/ (for forensics), then cuts it off the ledger file. */
  private static async quarantineTornTail(dir: string, fh: FileHandle, tail: Tail): Promise<Tail> {
    const bytes = Buffer.alloc(tail.tornBytes);
    await fh.read(bytes, 0, bytes.length, tail.end);
    const tornDir = join(dir, 'torn');
    await mkdir(tornDir, { recursive: true });
    const name = join(tornDir, `${LEDGER_FILE}.${tail.end}.${Date.now()}.torn`);
    await writeFile(name, bytes, { flush: true });
    await fsyncDirectory(tornDir);
    await fh.truncate(tail.end);
    await fh.datasync();
    return { ...tail, tornBytes: 0 };
  }

  /** What the index reads of the ledger file; a reader looks at the file's tail again. */
  private fileView(): LedgerFileView {
    return { file: this.file, fh: this.fh, current: async () => (this.lock ? this.tail : readTail(this.fh, this.file)) };
  }

  /**
   * The indexes in `<dir>/index.sqlite` (stores/directoryIndex.ts): stream heads, event ids,
   * hashes and queries, derived from the lines and never trusted.
   */
  get index(): LedgerIndex {
    return this.idx;
  }

  /**
   * The line of `sequence` through the index's offset: one read, used only if the bytes there
   * are one whole line claiming `sequence`; otherwise (no row, a stale or tampered row) the
   * binary search over the file decides.
   */
  private async locate(sequence: number, end: number): Promise<{ start: number; bytes: Buffer } | undefined> {
    try {
      const row = await this.idx.knownRow(sequence);
      const bytes = row && (await this.idx.lineAt(row, end));
      if (bytes && lineSequence(bytes) === sequence) return { start: row!.offset, bytes };
    } catch {
      /* the index is an accelerator here: the file search below is the answer */
    }
    return this.findLine(sequence, end);
  }

  async *scanLinesBackward(from: number, to: number): AsyncIterable<StoredLine> {
    const { tip, end } = this.lock ? this.tail : await readTail(this.fh, this.file);
    if (from > tip.sequence_number) throw new LedgerSequenceError(`${this.description}: scanLinesBackward from ${from} but the tip is ${tip.sequence_number}`);
    to = Math.max(0, to);
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < to) return;
    const at = await this.locate(from, end);
    if (!at) throw new LedgerCorruptionError(from, `${this.file}: no line holds sequence ${from} although the tip is ${tip.sequence_number}`);
    // Chunks read from the end of line `from` towards the file start; `carry` holds the part of
    // a line whose start is not read yet. Memory: one chunk plus the longest line.
    const chunkSize = 1 << 16;
    let pos = at.start + at.bytes.length; // just before line `from`'s newline
    let carry: Buffer = Buffer.alloc(0);
    let sequence = from;
    while (sequence >= to) {
      const fromPos = Math.max(0, pos - chunkSize);
      const chunk = Buffer.alloc(pos - fromPos);
      if (chunk.length > 0) await this.fh.read(chunk, 0, chunk.length, fromPos);
      const buf: Buffer = carry.length ? Buffer.concat([chunk, carry]) : chunk;
      let cut = buf.length;
      for (;;) {
        // (lastIndexOf with a negative offset would count from the end: guard cut = 0.)
        const nl = cut > 0 ? buf.lastIndexOf(NEWLINE, cut - 1) : -1;
        if (nl < 0 && fromPos > 0) break; // the line's start is in an earlier chunk
        const bytes = buf.subarray(nl + 1, cut);
        const claimed = lineSequence(bytes);
        if (claimed !== sequence) throw new LedgerCorruptionError(sequence, `${this.file}: the line before sequence ${sequence + 1} claims sequence ${claimed ?? '(unreadable)'}`);
        yield { sequence, line: decodeLine(bytes, sequence) };
        if (--sequence < to || nl < 0) break;
        cut = nl;
      }
      if (sequence < to) return;
      if (fromPos === 0) {
        throw new LedgerCorruptionError(sequence, `${this.file}: the file starts before sequence ${sequence} was found reading backwards`);
      }
      carry = Buffer.from(buf.subarray(0, cut));
      pos = fromPos;
    }
  }

  async tip(): Promise<Tip> {
    // A reader sees the file grow under it: look again. A writer's tail is always current.
    if (!this.lock) {
      let tail: Tail;
      try {
        tail = await readTail(this.fh, this.file);
      } catch (e) {
        // Lines cut while readTail read them look like a damaged tail: if the file is now
        // shorter than what was read before, read it again as it is and judge the cut below.
        if ((await this.fh.stat()).size >= this.tail.end) throw e;
        tail = await readTail(this.fh, this.file);
      }
      await this.checkStillTheLedger(tail);
      this.tail = tail;
    }
    return this.tail.tip;
  }

  /**
   * A reader's guard (follow, a read-only stream): the writer only ever appends, so the file it
   * opened must still be the one named ledger.jsonl, and its whole lines never fewer. A file
   * renamed over the name would otherwise leave the reader polling the old one forever, and
   * whole lines cut away would leave it waiting for sequences that are gone.
   */
  private async checkStillTheLedger(tail: Tail): Promise<void> {
    const [open, named] = await Promise.all([this.fh.stat(), stat(this.file).catch((e: NodeJS.ErrnoException) => e)]);
    if (named instanceof Error) {
      throw new LedgerConnectionError(`${this.description}: ${LEDGER_FILE} is no longer there (${named.code ?? named.message}) while it was being read; reopen the store`);
    }
    if (named.ino !== open.ino || named.dev !== open.dev) {
      throw new LedgerConnectionError(`${this.description}: ${LEDGER_FILE} was replaced by another file (inode ${named.ino}, was ${open.ino}) while it was being read; an append-only ledger is never replaced: reopen the store to read the new file`);
    }
    if (tail.end < this.tail.end) {
      throw new LedgerCorruptionError(tail.tip.sequence_number + 1, `${this.file}: the file shrank to ${tail.end} bytes of whole lines from ${this.tail.end} (tip ${tail.tip.sequence_number}, was ${this.tail.tip.sequence_number}) while it was being read: events were cut away`);
    }
  }

  async append(records: readonly AppendRecord[]): Promise<void> {
    if (!this.lock) throw new LedgerConnectionError(`${this.description} is open read-only`);
    if (this.failed) throw new LedgerConnectionError(`${this.description}: an earlier synchronized write failed; reopen the store`, { cause: this.failed });
    // The batch's own rules, then the stream-version and event-id checks against the index this
    // writer keeps current; from here to the write nothing yields, so the checks and the write
    // are one step under the lock.
    await this.idx.checkAppend(records);
    const first = records[0]!;
    const last = records.at(-1)!;
    // Appends are sequential (the Ledger queues them); a caller driving the store directly gets
    // the second of two overlapping appends refused, as if another writer had moved the tip.
    if (this.writing) throw new LedgerSequenceError(`${this.description}: append of sequence ${first.sequence} while another append is being written; appends to a store are sequential`);
    const expected = this.tail.tip.sequence_number + 1;
    if (first.sequence !== expected) {
      throw new LedgerSequenceError(`${this.description}: append of sequence ${first.sequence} but the next sequence is ${expected}`);
    }
    // fstat is a fast syscall on an open descriptor: done synchronously it saves a thread-pool
    // round trip per append (measured: ~15% of append/s on a disk whose fdatasync is ~0.1 ms).
    const size = fstatSync(this.fh.fd).size;
    if (size !== this.tail.end) {
      throw new LedgerSequenceError(`${this.description}: ${LEDGER_FILE} changed under the writer (size ${size}, expected ${this.tail.end}); refusing to fork`);
    }
    this.lock.assertHeld(); // defence in depth: the lock file is still the one this writer linked
    // A batch is one buffer and one synchronized write (one durable write); its lines carry
    // `batch`, so a write cut short by a crash leaves an unfinished batch that readTail cuts off.
    const bytes = Buffer.from(records.length === 1 ? `${first.line}\n` : `${records.map((r) => r.line).join('\n')}\n`, 'utf8');
    // One thread-pool hop per append, and nothing on the event loop for the disk: the write,
    // synchronized by O_DSYNC (WRITER_FLAGS), goes to the pool and returns once the lines are
    // durable. The callback API skips the FileHandle promise machinery around that hop.
    const fd = this.fh.fd;
    this.writing = true;
    let written = 0;
    try {
      if (killInBatch !== undefined && records.length > 1 && --killInBatch.batch === 0) {
        // Test hook: the first `bytes` bytes of this batch durable, then the process dies.
        const cut = Math.min(killInBatch.bytes, bytes.length);
        while (written < cut) written += await writeAt(fd, bytes.subarray(0, cut), written);
        process.kill(process.pid, 'SIGKILL');
      }
      while (written < bytes.length) written += await writeAt(fd, bytes, written);
    } catch (e) {
      // Two kinds of failure. Refused before any byte was copied (a full disk, a file size
      // limit): the bytes written so far are a partial batch or line (never acknowledged),
      // taken back so the file stays whole lines and batches, and appends may go on.
      // Copied but not synchronized (an I/O error at writeback): what is durable is unknown, so
      // the store refuses further appends until it is reopened and its tail read again.
      let size = -1;
      try {
        size = fstatSync(fd).size;
      } catch {
        /* unknown size: treated as the unknown case */
      }
      try {
        ftruncateSync(fd, this.tail.end);
      } catch {
        /* the write's error is the one to report */
      }
      if (size !== this.tail.end + written) {
        this.failed = e as Error;
        throw new LedgerConnectionError(`${this.description}: synchronized write of sequence ${first.sequence} failed after copying bytes (durable state unknown): ${(e as Error).message}`, { cause: e });
      }
      throw new LedgerConnectionError(`${this.description}: write failed: ${(e as Error).message}`, { cause: e });
    } finally {
      this.writing = false;
    }
    if (killAfterSync > 0 && --killAfterSync === 0) process.kill(process.pid, 'SIGKILL');
    let offset = this.tail.end;
    this.tail = { tip: { sequence_number: last.sequence, hash: last.hash }, end: offset + bytes.length, tornBytes: 0 };
    // After the lines are durable: the lines are the truth, the rows are derived (one
    // transaction for the batch's rows).
    for (let i = 0; i < records.length; i++) {
      const length = records.length === 1 ? bytes.length - 1 : Buffer.byteLength(records[i]!.line, 'utf8');
      this.idx.recordAppended(records[i]!, offset, length, i === records.length - 1);
      offset += length + 1;
    }
  }

  async readLine(sequence: number): Promise<string | undefined> {
    const { tip, end } = this.lock ? this.tail : await readTail(this.fh, this.file);
    if (!Number.isSafeInteger(sequence) || sequence < 0 || sequence > tip.sequence_number) return undefined;
    const at = await this.locate(sequence, end);
    return at && decodeLine(at.bytes, sequence);
  }

  /**
   * The bytes of the lines of `sequences` (index-served reads): their index rows, sorted by
   * offset and grouped into runs of nearby lines, each run one read; a line is taken from a run
   * only if the row frames one whole line claiming its sequence, otherwise (no row, a stale or
   * tampered row) the binary search over the file decides, as for readLine.
   */
  async readLineBytes(entries: readonly IndexEntry[]): Promise<Array<Uint8Array | undefined>> {
    const sequences = entries.map((e) => e.sequence);
    const { tip, end } = this.lock ? this.tail : await readTail(this.fh, this.file);
    const out = new Array<Uint8Array | undefined>(sequences.length).fill(undefined);
    const valid = (s: number) => Number.isSafeInteger(s) && s >= 0 && s <= tip.sequence_number;
    let rows: ReadonlyArray<Pick<IndexRow, 'offset' | 'length'> | undefined> = [];
    try {
      // Entries from this store's index say where their line is (an untrusted hint, checked below);
      // others are looked up.
      const places = entries.map(placeOf);
      rows = places.every((p) => p !== undefined) ? places : await this.idx.rows(sequences);
    } catch {
      /* the index is an accelerator here: the file search below is the answer */
    }
    const framed = (r: Pick<IndexRow, 'offset' | 'length'> | undefined): r is Pick<IndexRow, 'offset' | 'length'> =>
      r !== undefined && Number.isSafeInteger(r.offset) && Number.isSafeInteger(r.length) && r.offset >= 0 && r.length >= 0 && r.offset + r.length + 1 <= end;
    const order = sequences.map((_, i) => i).filter((i) => valid(sequences[i]!) && framed(rows[i])).sort((a, b) => rows[a]!.offset - rows[b]!.offset);
    const runs: Array<{ from: number; to: number; members: number[] }> = [];
    for (let k = 0; k < order.length; ) {
      // A run: from the byte before its first line (the newline that must precede it) to the
      // newline after its last; lines closer than RUN_GAP join it, up to RUN_MAX bytes.
      const first = rows[order[k]!]!;
      const run = { from: first.offset === 0 ? 0 : first.offset - 1, to: first.offset + first.length + 1, members: [order[k]!] };
      for (k++; k < order.length; k++) {
        const r = rows[order[k]!]!;
        const stop = r.offset + r.length + 1;
        if (r.offset - run.to > RUN_GAP || stop - run.from > RUN_MAX) break;
        run.to = Math.max(run.to, stop);
        run.members.push(order[k]!);
      }
      runs.push(run);
    }
    // Synchronous reads, as the index's lineAt: the lines' pages are almost always cached, and a
    // thread-pool round trip per run costs more than the copy (measured on the streams bench).
    for (const { from, to, members } of runs) {
      const buf = Buffer.allocUnsafe(to - from);
      const bytesRead = readSync(this.fh.fd, buf, 0, buf.length, from);
      for (const i of members) {
        const r = rows[i]!;
        const a = r.offset - from;
        const b = a + r.length;
        if (b >= bytesRead || buf[b] !== NEWLINE || (r.offset > 0 && buf[a - 1] !== NEWLINE)) continue;
        const bytes = buf.subarray(a, b);
        if (bytes.indexOf(NEWLINE) < 0 && lineSequence(bytes) === sequences[i]) out[i] = bytes;
      }
    }
    for (let i = 0; i < sequences.length; i++) {
      if (out[i] === undefined && valid(sequences[i]!)) out[i] = (await this.findLine(sequences[i]!, end))?.bytes;
    }
    return out;
  }

  async *scanLines(from: number, to?: number): AsyncIterable<StoredLine> {
    const { tip, end } = this.lock ? this.tail : await readTail(this.fh, this.file);
    const last = Math.min(to ?? tip.sequence_number, tip.sequence_number);
    if (from > last) return;
    // From sequence 0, start at byte 0: a binary search could land on a duplicate of line 0, or
    // trip over a corrupt line, and skip what comes before it.
    const at = from <= 0 ? { start: 0 } : await this.locate(from, end);
    if (!at) throw new LedgerCorruptionError(from, `${this.file}: no line holds sequence ${from} although the tip is ${tip.sequence_number}`);
    let sequence = Math.max(0, from);
    // Positions count from the located line; the verifier checks each line's own sequence.
    // Without `to`, every whole line to the end of the file is yielded, so lines past the tip's
    // position (a duplicate, an insertion) reach the verifier instead of being cut off.
    for await (const batch of readLineBatches(this.fh, at.start, end)) {
      for (const bytes of batch) {
        // Strictly decoded: invalid UTF-8 is corruption at this sequence (so export, read and
        // online verify fail there), never a line with replacement characters.
        yield { sequence, line: decodeLine(bytes, sequence) };
        if (++sequence > last && to !== undefined) return;
      }
    }
  }

  /**
   * scanLines as the stored bytes, in batches of views into one reused buffer (valid until the
   * next batch): same bounds, same stray-line rule (without `to`, every whole line to the end of
   * the file), no decode. Invalid UTF-8 is left to the verifier, which fails it at its sequence
   * with the reason decodeLine gives.
   */
  async *scanLineBatches(from: number, to?: number): AsyncIterable<readonly Buffer[]> {
    const { tip, end } = this.lock ? this.tail : await readTail(this.fh, this.file);
    const last = Math.min(to ?? tip.sequence_number, tip.sequence_number);
    if (from > last) return;
    // From sequence 0, start at byte 0 (see scanLines).
    const at = from <= 0 ? { start: 0 } : await this.locate(from, end);
    if (!at) throw new LedgerCorruptionError(from, `${this.file}: no line holds sequence ${from} although the tip is ${tip.sequence_number}`);
    let left = to === undefined ? Infinity : last - Math.max(0, from) + 1;
    for await (const batch of readLineBatches(this.fh, at.start, end)) {
      if (batch.length < left) {
        left -= batch.length;
        yield batch;
        continue;
      }
      yield batch.slice(0, left);
      return;
    }
  }

  /**
   * Binary search over byte offsets for the line holding `sequence` (lines are in sequence
   * order): O(log n) small reads, so reads and replays near the tip do not scan the file.
   */
  private async findLine(sequence: number, end: number): Promise<{ start: number; bytes: Buffer } | undefined> {
    let lo = 0;
    let hi = end;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const at = await this.lineAtOrAfter(mid, end);
      if (!at || at.start >= hi) {
        hi = mid;
        continue;
      }
      // Only to steer the search: a damaged line elsewhere must not stop a read here. The line
      // found is then decoded strictly and read strictly (its sequence checked) by the caller.
      const seq = lineSequence(at.bytes);
      if (seq === undefined) throw new LedgerCorruptionError(sequence, `${this.file}: line at byte ${at.start} has no readable sequence (while locating sequence ${sequence})`);
      if (seq === sequence) return at;
      if (seq < sequence) lo = at.next;
      else hi = mid;
    }
    return undefined;
  }

  /** The first whole line starting at or after `pos`. */
  private async lineAtOrAfter(pos: number, end: number): Promise<{ start: number; next: number; bytes: Buffer } | undefined> {
    let start = pos;
    if (pos > 0) {
      const nl = await this.indexOfNewline(pos - 1, end);
      if (nl < 0) return undefined;
      start = nl + 1;
    }
    if (start >= end) return undefined;
    const nl = await this.indexOfNewline(start, end);
    if (nl < 0) return undefined;
    const buf = Buffer.alloc(nl - start);
    await this.fh.read(buf, 0, buf.length, start);
    return { start, next: nl + 1, bytes: buf };
  }

  private async indexOfNewline(from: number, end: number): Promise<number> {
    const chunk = Buffer.alloc(4096);
    for (let pos = from; pos < end; pos += chunk.length) {
      const { bytesRead } = await this.fh.read(chunk, 0, Math.min(chunk.length, end - pos), pos);
      if (bytesRead === 0) break;
      const i = chunk.subarray(0, bytesRead).indexOf(NEWLINE);
      if (i >= 0) return pos + i;
    }
    return -1;
  }

  /**
   * A reader's view of its writer's appends (another process): the file's change events,
   * with polling as the fallback where watching is unreliable (network and some container
   * file systems). A writer holds the lock, so every append is its own: no watch.
   */
  get watch(): ((onChange: () => void, intervalMs: number) => () => void) | undefined {
    if (this.lock) return undefined;
    return (onChange, intervalMs) => {
      let watcher: FSWatcher | undefined;
      try {
        watcher = watch(this.file, { persistent: false }, () => onChange());
        watcher.on('error', () => watcher?.close());
      } catch {
        watcher = undefined; // polling alone
      }
      const timer = setInterval(onChange, intervalMs);
      return () => {
        clearInterval(timer);
        watcher?.close();
      };
    };
  }

  /** The Merkle tree in <dir>/merkle (stores/merkleLog.ts), caught up from this store's lines. */
  openMerkleLog(options: MerkleOpenOptions = {}): Promise<MerkleLog> {
    return openDirectoryMerkleLog(this.dir, this, options);
  }

  /** Closes the file and releases the writer lock if this instance holds it. */
  async close(): Promise<void> {
    // The lock goes back even when the index or the file fails to close (an I/O error): a
    // writer kept locked out by a dead handle could not reopen the store to recover.
    try {
      this.idx.close();
    } finally {
      try {
        await this.fh.close();
      } finally {
        this.lock?.releaseSync();
      }
    }
  }
}
