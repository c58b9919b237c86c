// Reading the lines of a ledger file as bytes. Lines are handed out as Buffer views (no UTF-8
// decode): verification judges and hashes the bytes themselves. Where a string is needed, it
// is decoded strictly: invalid UTF-8 is an error, never replacement characters, since a
// replaced line would be a different line than the one stored.
import { isUtf8 } from 'node:buffer';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { LedgerConnectionError, LedgerCorruptionError, LedgerLineTooLongError } from '../errors/errors.js';

const NEWLINE = 0x0a;

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
  try {
    let buf = Buffer.allocUnsafe(chunkSize);
    // Reused offset tables, grown (doubled) when a chunk holds more lines.
    let starts = new Uint32Array(1024);
    let ends = new Uint32Array(1024);
    // buf[0, carry) holds the start of a line whose newline is not read yet.
    let carry = 0;
    let pos = start;
    while (pos < end) {
      const { bytesRead } = await fh.read(buf, carry, Math.min(buf.length - carry, end - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const filled = carry + bytesRead;
      const view = buf.subarray(0, filled);
      let count = 0;
      let from = 0;
      // The carried bytes hold no newline: search only the new ones.
      for (let nl = view.indexOf(NEWLINE, carry); nl !== -1; nl = view.indexOf(NEWLINE, from)) {
        if (nl - from > maxLineBytes) throw new LedgerLineTooLongError(name, pos - filled + from, maxLineBytes);
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
      if (count > 0) yield { bytes: view, starts, ends, count };
      // The consumer is done with the batch: the unfinished line moves to the front.
      carry = filled - from;
      if (carry > maxLineBytes) throw new LedgerLineTooLongError(name, pos - carry, maxLineBytes);
      if (carry > 0) buf.copyWithin(0, from, filled);
      // A carry as big as half the buffer means one line is longer than a chunk: grow.
      if (carry >= buf.length / 2) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, carry);
        buf = bigger;
      }
    }
    if (carry > 0) onTornTail?.(carry);
  } finally {
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
