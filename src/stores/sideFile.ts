// The one reader of side files: files named by the caller beside a store (a key, a checkpoint,
// a list of signers, a config, a proof, a trusted-state file): smallFile's rules (non-blocking,
// fstat on the descriptor read, regular files only, a size limit) with a limit per kind, decoded
// as strict UTF-8 (a key or a password is never silently changed by replacement characters).
// Symbolic links are followed: key and config files are commonly links (mounted secrets); what
// the link names is judged like any other path.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { LedgerFileError } from '../errors/errors.js';
import { kindOf, readSmallFile } from './smallFile.js';

/** What a side file holds, which sets its size limit. */
export type SideFileKind = 'key' | 'checkpoint' | 'signers' | 'config' | 'proof' | 'state';

/**
 * The largest file of each kind that is read, in bytes: a key is ~100 bytes, a checkpoint with
 * cosignatures or a list of verifier keys a few KiB, a consistency proof ~3 KiB.
 */
export const SIDE_FILE_LIMITS: Readonly<Record<SideFileKind, number>> = {
  key: 64 * 1024,
  checkpoint: 1024 * 1024,
  signers: 1024 * 1024,
  config: 1024 * 1024,
  proof: 1024 * 1024,
  state: 1024 * 1024,
};

/** A side file's text, and the file's status (the mode of a secret key is checked by its caller). */
export interface SideFile {
  readonly text: string;
  readonly stats: Stats;
}

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

const errno = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

function judge(option: string, path: string, st: Stats, limit: number): void {
  if (!st.isFile()) throw new LedgerFileError(option, path, `is not a regular file (${kindOf(st)})`);
  if (st.size > limit) throw new LedgerFileError(option, path, `is ${st.size} bytes, over the ${limit}-byte limit`);
}

function decode(option: string, path: string, bytes: Uint8Array, limit: number): string {
  // A file that grew after fstat: read one byte past the limit to tell.
  if (bytes.length > limit) throw new LedgerFileError(option, path, `is over the ${limit}-byte limit for this file`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new LedgerFileError(option, path, 'is not valid UTF-8');
  }
}

/**
 * Reads side file `path`, named by `option` (`--key`, `config file`...), as UTF-8 text.
 * A LedgerFileError naming both when it cannot be opened, is not a regular file, is larger than
 * the limit of `kind`, or is not UTF-8. `ENOENT` is left to callers that accept a missing file
 * (`missingOk`), which then get undefined.
 */
export async function readSideFile(option: string, path: string, kind: SideFileKind, missingOk?: false): Promise<SideFile>;
export async function readSideFile(option: string, path: string, kind: SideFileKind, missingOk: true): Promise<SideFile | undefined>;
export async function readSideFile(option: string, path: string, kind: SideFileKind, missingOk = false): Promise<SideFile | undefined> {
  const limit = SIDE_FILE_LIMITS[kind];
  const file = await readSmallFile(path, limit, (why, cause) => new LedgerFileError(option, path, why, cause === undefined ? undefined : { cause }), { followLinks: true });
  if (file === undefined) {
    if (missingOk) return undefined;
    throw new LedgerFileError(option, path, 'cannot be opened (ENOENT)');
  }
  return { text: decode(option, path, file.bytes, limit), stats: file.stats };
}

/** readSideFile, synchronously (for the synchronous config readers). */
export function readSideFileSync(option: string, path: string, kind: SideFileKind, missingOk?: false): SideFile;
export function readSideFileSync(option: string, path: string, kind: SideFileKind, missingOk: true): SideFile | undefined;
export function readSideFileSync(option: string, path: string, kind: SideFileKind, missingOk = false): SideFile | undefined {
  const limit = SIDE_FILE_LIMITS[kind];
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (e) {
    if (missingOk && errno(e) === 'ENOENT') return undefined;
    throw new LedgerFileError(option, path, `cannot be opened (${errno(e)})`, { cause: e });
  }
  try {
    const stats = fstatSync(fd);
    judge(option, path, stats, limit);
    const buf = Buffer.alloc(Math.min(stats.size, limit) + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, n)) > 0; ) n += r;
    return { text: decode(option, path, buf.subarray(0, n), limit), stats };
  } catch (e) {
    if (e instanceof LedgerFileError) throw e;
    throw new LedgerFileError(option, path, `cannot be read (${errno(e)})`, { cause: e });
  } finally {
    closeSync(fd);
  }
}
