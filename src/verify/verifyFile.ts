import { LedgerValidationError } from '../errors/errors.js';
import { openRegularFile, readLineRuns } from '../contract/lineReader.js';
import { verifyLineBatches, type VerifyOptions, type VerifyResult } from './verifyChain.js';
import { fileLineAt, PARALLEL_MIN_BYTES, verifyFileParallel } from './verifyFileParallel.js';

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
 * directory store treats them; their count is reported as `torn_bytes`. Lines are verified as
 * bytes: invalid UTF-8 is invalid at its sequence. A path that is not a regular file is
 * LedgerConnectionError; a line longer than MAX_LINE_BYTES is LedgerLineTooLongError.
 */
export async function verifyFile(path: string, options: VerifyFileOptions = {}): Promise<VerifyResult> {
  const workers = options.workers ?? 1;
  if (typeof workers !== 'number' || !Number.isSafeInteger(workers) || workers < 1 || workers > MAX_VERIFY_WORKERS) {
    throw new LedgerValidationError('workers', `expected an integer from 1 to ${MAX_VERIFY_WORKERS}, got ${String(workers)}`, workers);
  }
  // Only a regular file: a device (/dev/zero) or FIFO has no end and no size to plan by.
  const fh = await openRegularFile(path);
  try {
    const { size } = await fh.stat();
    if (workers > 1 && size >= PARALLEL_MIN_BYTES) return await verifyFileParallel(path, workers, options);
    let torn = 0;
    const result = await verifyLineBatches(readLineRuns(fh, 0, Infinity, (bytes) => (torn = bytes)), { lineAt: fileLineAt(path), ...options }, { fileBytes: size });
    return torn > 0 && result.valid ? { ...result, torn_bytes: torn } : result;
  } finally {
    await fh.close();
  }
}
