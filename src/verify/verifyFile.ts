import { LedgerValidationError } from '../errors/errors.js';
import { openRegularFile } from '../contract/lineReader.js';
import type { VerifyOptions, VerifyResult } from './verifyChain.js';
import { PARALLEL_MIN_BYTES, verifyFileParallel, verifyFileSerial } from './verifyFileParallel.js';

/**
 * The most worker threads verifyFile starts. Each is a V8 isolate (tens of MiB) and a file is
 * cut into at most this many ranges; beyond the cores there is nothing to gain, and an
 * unbounded count (100,000 was tried) exhausts memory before verifying anything.
 */
export const MAX_VERIFY_WORKERS = 64;

/** Options of {@link verifyFile}: those of verifyLines, and worker threads. */
export interface VerifyFileOptions extends Omit<VerifyOptions, 'start' | 'previousHash'> {
  /**
   * Worker threads for the per-line work (default 1: the calling thread only; at most
   * MAX_VERIFY_WORKERS). With N > 1 a file of at least 1 MiB is cut at line starts into up to
   * N ranges verified in parallel and stitched in order; the answer is the same as with 1. The
   * calling thread verifies while the workers start and each worker's share is smaller by an
   * 8 MiB warm-up, so in practice a file under ~8 MiB is never split. onProgress then receives the lines
   * verified so far over all ranges (not a verified prefix, nor multiples of progressEvery).
   */
  readonly workers?: number;
}

/**
 * Cold verification of an exported ledger file (canonical JSONL, genesis first): needs
 * nothing but the file. Gives the same answer as Ledger.verifyChain() on the same events.
 * Bytes after the last newline are an unfinished write, not an event, exactly as the
 * directory store treats them; their count is reported as `torn_bytes`. Likewise an atomic
 * batch (issue 22) the file ends inside: its events are not counted and the result is the
 * chain before it, with `unfinished_batch` naming it; a batch cut anywhere else is invalid at
 * its first event. Lines are verified as
 * bytes: invalid UTF-8 is invalid at its sequence. A path that is not a regular file is
 * LedgerConnectionError; a line longer than MAX_LINE_BYTES is LedgerLineTooLongError.
 */
export async function verifyFile(path: string, options: VerifyFileOptions = {}): Promise<VerifyResult> {
  const workers = options.workers ?? 1;
  if (typeof workers !== 'number' || !Number.isSafeInteger(workers) || workers < 1 || workers > MAX_VERIFY_WORKERS) {
    throw new LedgerValidationError('workers', `expected an integer from 1 to ${MAX_VERIFY_WORKERS}, got ${String(workers)}`, workers);
  }
  // Only a regular file: a device (/dev/zero) or FIFO has no end and no size to plan by.
  let size: number;
  const fh = await openRegularFile(path);
  try {
    size = (await fh.stat()).size;
  } finally {
    await fh.close();
  }
  if (workers > 1 && size >= PARALLEL_MIN_BYTES) return await verifyFileParallel(path, workers, options);
  return await verifyFileSerial(path, options);
}
