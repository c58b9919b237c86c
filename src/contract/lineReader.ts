import { open, type FileHandle } from 'node:fs/promises';

const NEWLINE = 0x0a;

/**
 * Lines of a file between byte offsets [start, end), without their newline, read in large
 * chunks so that a million-line file streams in flat memory. A line exists only once its
 * newline does: bytes after the last newline are an unfinished write, never yielded, and
 * their count is passed to `onTornTail` (the same rule the directory store applies).
 */
export async function* readLines(
  file: string | FileHandle,
  start = 0,
  end = Infinity,
  onTornTail?: (bytes: number) => void,
  chunkSize = 1 << 20,
): AsyncGenerator<string> {
  const fh = typeof file === 'string' ? await open(file, 'r') : file;
  try {
    let buf = Buffer.alloc(chunkSize);
    let carry: Buffer | undefined;
    let pos = start;
    while (pos < end) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      let chunk = buf.subarray(0, bytesRead);
      if (carry) chunk = Buffer.concat([carry, chunk]);
      let from = 0;
      for (let nl = chunk.indexOf(NEWLINE, from); nl !== -1; nl = chunk.indexOf(NEWLINE, from)) {
        yield chunk.toString('utf8', from, nl);
        from = nl + 1;
      }
      carry = from < chunk.length ? Buffer.from(chunk.subarray(from)) : undefined;
      // A carry as big as the buffer means one line is longer than a chunk: grow.
      if (carry && carry.length >= buf.length / 2) buf = Buffer.alloc(buf.length * 2);
    }
    if (carry && carry.length > 0) onTornTail?.(carry.length);
  } finally {
    if (typeof file === 'string') await fh.close();
  }
}
