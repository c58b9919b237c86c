// Reading a small file kept beside a ledger or by a witness (state, a kept checkpoint): derived
// data that whoever owns the directory can replace, so it is read as untrusted input.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * The bytes of `path` if it is a regular file of at most `limit` bytes; undefined if it does not
 * exist. Never follows a symbolic link at `path` and never blocks on a FIFO (O_NOFOLLOW,
 * O_NONBLOCK, the type checked on the open descriptor). Anything else is `fail(why)`, thrown.
 */
export async function readSmallFile(path: string, limit: number, fail: (why: string, cause?: unknown) => Error): Promise<Buffer | undefined> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw fail(code === 'ELOOP' ? 'is a symbolic link' : `cannot be opened (${code ?? String(e)})`, e);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw fail(`is not a regular file (${st.isDirectory() ? 'a directory' : 'a FIFO, socket or device'})`);
    if (st.size > limit) throw fail(`is ${st.size} bytes, over the ${limit}-byte limit`);
    const buf = Buffer.alloc(st.size + 1);
    let got = 0;
    for (let n; got < buf.length && (n = (await fh.read(buf, got, buf.length - got, got)).bytesRead) > 0; ) got += n;
    if (got > st.size) throw fail('grew while being read');
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}
