// The one way a small file kept beside a ledger or named by a caller (state, a kept checkpoint,
// a key, a config, a list of signers) is read: whoever can write the directory, or name the
// path, can put anything there. `/dev/zero` would be read until memory runs out and a FIFO
// would block the open or the read forever, so: opened non-blocking (a FIFO's open returns at
// once), judged by fstat on the descriptor that is read (no race between a check and the open),
// regular files only, read to at most a limit. Files the ledger writes itself are read without
// following a symbolic link; files a caller names may be links (mounted secrets are).
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/** What a file that is not a regular one is, for messages. */
export function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a directory';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

/** readSmallFile's options. */
export interface SmallFileOptions {
  /** Follow a symbolic link at the path (files a caller names); default false (files the ledger keeps). */
  readonly followLinks?: boolean;
}

/** A small file's bytes and the status of the descriptor they were read from. */
export interface SmallFile {
  readonly bytes: Buffer;
  readonly stats: Stats;
}

const errno = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String(e);

/**
 * The bytes of `path` if it is a regular file of at most `limit` bytes; undefined if it does not
 * exist. Anything else is `fail(why)`, thrown: a symbolic link (unless followed), not a regular
 * file, over the limit, grown while read, or an open or read that failed.
 */
export async function readSmallFile(path: string, limit: number, fail: (why: string, cause?: unknown) => Error, options: SmallFileOptions = {}): Promise<SmallFile | undefined> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | (options.followLinks ? 0 : constants.O_NOFOLLOW));
  } catch (e) {
    const code = errno(e);
    if (code === 'ENOENT') return undefined;
    throw fail(code === 'ELOOP' && !options.followLinks ? 'is a symbolic link' : `cannot be opened (${code})`, e);
  }
  try {
    let stats: Stats;
    let got = 0;
    let buf: Buffer;
    try {
      stats = await fh.stat();
      if (!stats.isFile()) throw fail(`is not a regular file (${kindOf(stats)})`);
      if (stats.size > limit) throw fail(`is ${stats.size} bytes, over the ${limit}-byte limit`);
      // One byte past the size: a file that grew after fstat is told apart.
      buf = Buffer.alloc(stats.size + 1);
      for (let n; got < buf.length && (n = (await fh.read(buf, got, buf.length - got, got)).bytesRead) > 0; ) got += n;
    } catch (e) {
      if (e instanceof Error && (e as NodeJS.ErrnoException).syscall === undefined) throw e;
      throw fail(`cannot be read (${errno(e)})`, e);
    }
    if (got > stats.size) throw fail('grew while being read');
    return { bytes: buf.subarray(0, got), stats };
  } finally {
    await fh.close();
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `bytes` as UTF-8 text, or undefined if they are not valid UTF-8 (never replacement characters). */
export function strictUtf8Text(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}
