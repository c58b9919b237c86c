import { constants } from 'node:fs';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncDirectory } from './fsyncDirectory.js';

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

/**
 * Starts writing `path` atomically: a temporary file in the same directory (so the rename
 * cannot cross file systems) under an unpredictable name (`.<name>.<pid>.<32 hex>.tmp`),
 * created exclusively. A crash leaves the old file or the new one, never a torn one, and at
 * worst a stray temporary file that readers ignore.
 */
export async function createAtomicFile(path: string): Promise<AtomicFile> {
  const dir = dirname(path);
  const tempPath = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(16).toString('hex')}.tmp`);
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
