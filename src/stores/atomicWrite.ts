// Files written aside and renamed into place (export --out, checkpoints, witness state), and
// the cleanup of the temporary files a killed writer leaves behind.
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { LedgerFileError } from '../errors/errors.js';
import { fsyncDirectory } from './fsyncDirectory.js';
import { processGone, startTicks } from './processLiveness.js';

/** A file being written aside, that appears under its name whole (commit) or not at all (abort). */
export interface AtomicFile {
  /** The temporary file, opened for writing. */
  readonly handle: FileHandle;
  readonly tempPath: string;
  /** fsync, rename over the final name, fsync the directory; returns the final path. */
  commit(): Promise<string>;
  /** Closes and removes the temporary file (never throws). */
  abort(): Promise<void>;
}

// O_EXCL: never an existing file, and (with O_CREAT) never through a symlink planted at the
// name; O_NOFOLLOW says the same for systems where O_EXCL alone would not.
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** This host, as temporary names carry it: 8 hex of SHA-256(hostname). */
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** The temporary names of `name`: `.<name>.<host>.<pid>.<start ticks|x>.<32 hex>.tmp`, or the older `.<name>.<pid>.<32 hex>.tmp`. */
const TEMP_NAME = /^\.(?:([0-9a-f]{8})\.)?([1-9]\d{0,9})\.(?:(\d{1,20}|x)\.)?[0-9a-f]{32}\.tmp$/;

const kindOf = (st: Stats): string =>
  st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isDirectory() ? 'a directory' : st.isSocket() ? 'a socket' : 'not a regular file';

/**
 * Refuses an existing `path` that is not a regular file (a device, a FIFO, a directory): the
 * rename would replace it (as root, `/dev/null` itself). A symbolic link is replaced, never
 * followed, so it passes; so does no file at all.
 */
async function checkReplaceable(path: string, option: string): Promise<void> {
  let st: Stats;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new LedgerFileError(option, path, `cannot be examined (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  if (!st.isFile() && !st.isSymbolicLink()) throw new LedgerFileError(option, path, `exists and is ${kindOf(st)}: only a regular file is replaced; nothing was written`);
}

/**
 * Removes the temporary files of `path` left in its directory by writers of this host that
 * were killed (their process is provably gone); a live writer's file is left alone. Never
 * throws: the cleanup is a courtesy, the write goes on without it.
 */
async function removeStaleTemps(dir: string, name: string): Promise<void> {
  const prefix = `.${name}.`;
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'));
  } catch {
    return;
  }
  for (const n of names) {
    const m = TEMP_NAME.exec(n.slice(prefix.length - 1));
    if (!m || (m[1] !== undefined && m[1] !== HOST_TAG)) continue;
    const pid = Number(m[2]);
    // (This process's own temp files carry its true start ticks: never judged gone.)
    if (!processGone(pid, m[3] === undefined || m[3] === 'x' ? null : m[3])) continue;
    await unlink(join(dir, n)).catch(() => undefined);
  }
}

/**
 * Starts writing `path` atomically: a temporary file in the same directory (so the rename
 * cannot cross file systems) under an unpredictable name naming its writer
 * (`.<name>.<host>.<pid>.<start ticks>.<32 hex>.tmp`), created exclusively. A crash leaves
 * the old file or the new one, never a torn one, and at worst a temporary file that the next
 * write of `path` on this host removes once its writer is provably gone. An existing `path`
 * that is not a regular file or a symbolic link is refused (LedgerFileError naming `option`).
 */
export async function createAtomicFile(path: string, option = 'output'): Promise<AtomicFile> {
  const dir = dirname(path);
  await checkReplaceable(path, option);
  await removeStaleTemps(dir, basename(path));
  const tempPath = join(dir, `.${basename(path)}.${HOST_TAG}.${process.pid}.${startTicks(process.pid) ?? 'x'}.${randomBytes(16).toString('hex')}.tmp`);
  const handle = await open(tempPath, CREATE_NEW, 0o666);
  let done = false;
  return {
    handle,
    tempPath,
    async commit() {
      if (done) throw new Error(`${tempPath}: already committed or aborted`);
      done = true;
      try {
        await handle.sync();
        await handle.close();
        // Again just before the rename: the target may have become a device or FIFO meanwhile.
        await checkReplaceable(path, option);
        await rename(tempPath, path);
      } catch (e) {
        await handle.close().catch(() => undefined);
        await unlink(tempPath).catch(() => undefined);
        throw e;
      }
      await fsyncDirectory(dir);
      return path;
    },
    async abort() {
      if (done) return;
      done = true;
      await handle.close().catch(() => undefined);
      await unlink(tempPath).catch(() => undefined);
    },
  };
}

/**
 * Writes `bytes` to `<dir>/<name>` so that a crash leaves either the old file or the new one,
 * never a torn one: temporary file, fsync, rename over the name, fsync the directory (which
 * makes the rename itself durable).
 */
export async function writeFileAtomic(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = await createAtomicFile(join(dir, name));
  try {
    let written = 0;
    while (written < bytes.length) written += (await file.handle.write(bytes, written, bytes.length - written)).bytesWritten;
  } catch (e) {
    await file.abort();
    throw e;
  }
  return file.commit();
}
