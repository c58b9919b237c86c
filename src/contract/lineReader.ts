// Reading the lines of a ledger file as bytes. Lines are handed out as Buffer views (no UTF-8
// decode): verification judges and hashes the bytes themselves. Where a string is needed, it
// is decoded strictly: invalid UTF-8 is an error, never replacement characters, since a
// replaced line would be a different line than the one stored.
import { isUtf8 } from 'node:buffer';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { LedgerConnectionError, LedgerCorruptionError, LedgerLineTooLongError } from '../errors/errors.js';

const NEWLINE = 0x0a;
const EMPTY: Buffer = Buffer.alloc(0);
/** Room before each chunk for the previous chunk's unfinished line: longer lines are joined apart. */
export const CARRY_ROOM = 64 * 1024;

/**
 * The longest line (without its newline) that the reader accepts: 64 MiB. A longer line is
 * refused with LedgerLineTooLongError instead of growing the buffer without bound (a file of
 * zeros without a newline would otherwise take all memory). Far above any event a writer with
 * the default payload limit (1 MiB) produces.
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * Opens `path` for reading only if it is a regular file. O_NONBLOCK keeps open() of a FIFO from
 * waiting for a writer; the type is then checked on the open descriptor (no race with a rename).
 */
export async function openRegularFile(path: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new LedgerConnectionError(`cannot open ${path} for reading: ${(e as Error).message}`, { cause: e });
  }
  let regular: boolean;
  try {
    regular = (await fh.stat()).isFile();
  } catch (e) {
    await fh.close();
    throw new LedgerConnectionError(`cannot stat ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!regular) {
    await fh.close();
    throw new LedgerConnectionError(`${path} is not a regular file (a device, FIFO, socket or directory): refusing to read it as a ledger`);
  }
  return fh;
}

/**
 * A batch of lines as offsets into one buffer: line k is bytes[starts[k], ends[k]) (without its
 * newline), k < count. No view per line: a verifier that reads the bytes where they lie (the
 * WebAssembly scan) makes no object per line. Valid only until the next batch is requested.
 */
export interface LineRun {
  readonly bytes: Buffer;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly count: number;
}

/**
 * The lines of a file between byte offsets [start, end), without their newline, in batches
 * (one per chunk read) of offsets into a reused buffer: valid only until the next batch is
 * requested. A line exists only once its newline does: bytes after the last newline are an
 * unfinished write, never yielded, and their count is passed to `onTornTail` (the same rule
 * the directory store applies). A line longer than MAX_LINE_BYTES throws
 * LedgerLineTooLongError. A path is opened with openRegularFile. readLineBatches is this, as views.
 */
export async function* readLineRuns(
  file: string | FileHandle,
  start = 0,
  end = Infinity,
  onTornTail?: (bytes: number) => void,
  chunkSize = 1 << 20,
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<LineRun> {
  const fh = typeof file === 'string' ? await openRegularFile(file) : file;
  const name = typeof file === 'string' ? file : `file descriptor ${fh.fd}`;
  // The read in flight (settled or not), awaited before the file is closed or the caller goes on.
  let inFlight: Promise<unknown> | undefined;
  try {
    // Two buffers in turn: the next chunk is read into one while the consumer works on the
    // other's lines (the read, a copy out of the page cache or a wait on the disk, runs on the
    // thread pool meanwhile; serial reads left the verifying thread idle ~15% of a cold verify).
    // Each has CARRY_ROOM bytes in front, where the previous chunk's unfinished line is copied.
    const bufs: Buffer[] = [Buffer.allocUnsafe(CARRY_ROOM + chunkSize)];
    let which = 0;
    // Reused offset tables, grown (doubled) when a chunk holds more lines.
    let starts = new Uint32Array(1024);
    let ends = new Uint32Array(1024);
    // The start of a line whose newline is not read yet (a view into the previous chunk).
    let carry: Buffer = EMPTY;
    let pos = start;
    const readAt = (b: Buffer, length: number): Promise<number> => {
      const p = fh.read(b, CARRY_ROOM, length, pos).then((r) => r.bytesRead);
      inFlight = p.catch(() => undefined);
      return p;
    };
    let next: Promise<number> | undefined = pos < end ? readAt(bufs[0]!, Math.min(chunkSize, end - pos)) : undefined;
    while (next !== undefined) {
      const bytesRead = await next;
      next = undefined;
      if (bytesRead === 0) break;
      pos += bytesRead;
      const chunk = bufs[which]!;
      let view: Buffer;
      if (carry.length <= CARRY_ROOM) {
        carry.copy(chunk, CARRY_ROOM - carry.length);
        view = chunk.subarray(CARRY_ROOM - carry.length, CARRY_ROOM + bytesRead);
      } else {
        // A line longer than CARRY_ROOM goes on: joined in a buffer of its own (rare; the reads
        // grow with the line, below, so the copies stay linear in its length).
        view = Buffer.allocUnsafe(carry.length + bytesRead);
        carry.copy(view, 0);
        chunk.copy(view, carry.length, CARRY_ROOM, CARRY_ROOM + bytesRead);
      }
      // The next chunk, into the other buffer, before this one's lines are handed out. Its
      // length covers the unfinished line so far when that is long (reads double with it).
      if (pos < end) {
        const length = Math.min(carry.length > CARRY_ROOM ? Math.max(chunkSize, view.length) : chunkSize, end - pos);
        const other = which ^ 1;
        if (bufs[other] === undefined || bufs[other].length < CARRY_ROOM + length) bufs[other] = Buffer.allocUnsafe(CARRY_ROOM + Math.max(chunkSize, length));
        next = readAt(bufs[other], length);
        which = other;
      }
      let count = 0;
      let from = 0;
      // The carried bytes hold no newline: search only the new ones.
      for (let nl = view.indexOf(NEWLINE, carry.length); nl !== -1; nl = view.indexOf(NEWLINE, from)) {
        if (nl - from > maxLineBytes) throw new LedgerLineTooLongError(name, pos - view.length + from, maxLineBytes);
        if (count === starts.length) {
          const s = new Uint32Array(count * 2);
          s.set(starts);
          starts = s;
          const e = new Uint32Array(count * 2);
          e.set(ends);
          ends = e;
        }
        starts[count] = from;
        ends[count++] = nl;
        from = nl + 1;
      }
      carry = view.subarray(from);
      if (carry.length > maxLineBytes) throw new LedgerLineTooLongError(name, pos - carry.length, maxLineBytes);
      // The consumer is done with the batch when it asks for the next; the unfinished line stays
      // where it is until then (the read in flight writes only the other buffer, after its room).
      if (count > 0) yield { bytes: view, starts, ends, count };
    }
    if (carry.length > 0) onTornTail?.(carry.length);
  } finally {
    await inFlight;
    if (typeof file === 'string') await fh.close();
  }
}

/**
 * readLineRuns' lines as Buffer views (same rules, same bounds): valid only until the next
 * batch is requested.
 */
export async function* readLineBatches(
  file: string | FileHandle,
  start = 0,
  end = Infinity,
  onTornTail?: (bytes: number) => void,
  chunkSize = 1 << 20,
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<Buffer[]> {
  for await (const run of readLineRuns(file, start, end, onTornTail, chunkSize, maxLineBytes)) {
    const lines: Buffer[] = new Array<Buffer>(run.count);
    for (let k = 0; k < run.count; k++) lines[k] = run.bytes.subarray(run.starts[k]!, run.ends[k]!);
    yield lines;
  }
}

/** The offset of the first byte of `bytes` that is not part of well-formed UTF-8 (-1 if none). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const c = bytes[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    // Lead byte: length and the allowed range of the second byte (no overlongs, no surrogates, <= U+10FFFF).
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + n > bytes.length) return i;
    const second = bytes[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k < n; k++) {
      const b = bytes[i + k]!;
      if (b < 0x80 || b > 0xbf) return i;
    }
    i += n;
  }
  return -1;
}

/**
 * A stored line as a string, decoded strictly: invalid UTF-8 is LedgerCorruptionError at
 * `sequence` (the bytes are not the line that was written), never U+FFFD.
 */
export function decodeLine(bytes: Buffer, sequence: number): string {
  if (!isUtf8(bytes)) throw new LedgerCorruptionError(sequence, `the line is not valid UTF-8 (byte ${firstInvalidUtf8(bytes)} of the line)`);
  return bytes.toString('utf8');
}

/**
 * The lines of a file as strings (see readLineBatches), decoded strictly with decodeLine; the
 * sequence an invalid line is reported at is its index among the lines read (from `start`).
 */
export async function* readLines(
  file: string | FileHandle,
  start = 0,
  end = Infinity,
  onTornTail?: (bytes: number) => void,
  chunkSize = 1 << 20,
): AsyncGenerator<string> {
  let index = 0;
  for await (const batch of readLineBatches(file, start, end, onTornTail, chunkSize)) {
    for (const bytes of batch) yield decodeLine(bytes, index++);
  }
}
