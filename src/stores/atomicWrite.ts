import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncDirectory } from './fsyncDirectory.js';


/**
 * Writes `bytes` to `<dir>/<name>` so that a crash leaves either the old file or the new one,
 * never a torn one: temporary file, fsync, rename over the name, fsync the directory (which
 * makes the rename itself durable).
 */
export async function writeFileAtomic(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx');
  try {
    let written = 0;
    while (written < bytes.length) written += (await fh.write(bytes, written, bytes.length - written)).bytesWritten;
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDirectory(dir);
  return path;
}
