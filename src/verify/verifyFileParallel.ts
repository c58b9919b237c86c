// Parallel cold verification (verifyFile(path, { workers: N }), N > 1). The per-line work (the
// canonical scan and SHA-256) is independent per line; only the link from one line to the
// next is sequential. So the file is cut at line starts into up to N byte ranges, each range
// is verified in a worker thread (verifyRangeWorker.ts), and the main thread stitches the
// ranges in order: each range's first line must extend the chain where the range before it
// ended, exactly as verifyLines would have checked it. The answer (valid, break_at, count,
// reason, torn_bytes, expectTip) is the sequential one for every file.
import type { FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { ChainCursor } from './chainCursor.js';
import { EventChecks, fingerprintKey, type IdSuspect } from './eventChecks.js';
import { GENESIS_HASH } from '../contract/hash.js';
import { openRegularFile, readLineBatches } from '../contract/lineReader.js';
import { confirmSuspect, endOfChain, withRepeats, type VerifyOptions, type VerifyResult } from './verifyChain.js';
import { RANGE_WORKER_TAG, verifyRange, type RangeResult, type RangeTask, type RangeWorkerData, type RangeWorkerMessage } from './verifyRangeWorker.js';

const WORKER_URL = new URL('./verifyRangeWorker.js', import.meta.url);

/** Below this size a file is verified on the calling thread: workers would cost more than they save. */
export const PARALLEL_MIN_BYTES = 1 << 20;

/**
 * The first range is verified on the calling thread, which starts at once, while each worker
 * thread first spends ~50-100 ms starting and loading its modules (~10-20 MiB of lines at one
 * thread's speed): the first range is longer by up to this much, so the threads end together.
 */
export const HEAD_START_BYTES = 16 << 20;

/** A byte range [start, end) of the file; start is a line start, end is just past a newline or Infinity (EOF). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** The offset of the first newline at or after `from` (before `size`), or -1. */
async function nextNewline(fh: FileHandle, from: number, size: number): Promise<number> {
  const buf = Buffer.alloc(64 * 1024);
  for (let pos = from; pos < size; ) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
    if (bytesRead === 0) break;
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    if (nl >= 0) return pos + nl;
    pos += bytesRead;
  }
  return -1;
}

/**
 * How verifyFile(path, { workers }) cuts the file: up to `workers` ranges, split where the
 * next newline after head + (size - head)*i/workers ends a line (head: the calling thread's
 * head start, HEAD_START_BYTES at most). One range (the whole file, read to EOF) means
 * the sequential path: a file under `minBytes`, or too few lines to cut. Every range but the
 * last holds at least one whole line; the last runs to EOF (its torn tail, if any, is the file's).
 */
export async function planRanges(path: string, workers: number, minBytes = PARALLEL_MIN_BYTES): Promise<ByteRange[]> {
  const fh = await openRegularFile(path);
  try {
    const { size } = await fh.stat();
    const starts = [0];
    if (workers > 1 && size >= minBytes) {
      // At most half a range of head start: a small file is still cut evenly enough.
      const head = Math.min(HEAD_START_BYTES, Math.floor(size / (2 * workers)));
      for (let i = 1; i < workers; i++) {
        const nl = await nextNewline(fh, Math.max(head + Math.floor(((size - head) * i) / workers), starts.at(-1)!), size);
        // No newline left, or only the file's last line after it: the ranges so far cover the rest.
        if (nl < 0 || nl + 1 >= size) break;
        starts.push(nl + 1);
      }
    }
    return starts.map((start, i) => ({ start, end: starts[i + 1] ?? Infinity }));
  } finally {
    await fh.close();
  }
}

/**
 * The line at a sequence of a ledger file, read from its start (used only to confirm an
 * event_id fingerprint match, which a valid ledger has with probability ~n²/2^65).
 */
export function fileLineAt(path: string): (sequence: number) => Promise<Buffer | undefined> {
  return async (sequence) => {
    let index = 0;
    for await (const batch of readLineBatches(path)) {
      if (sequence < index + batch.length) return Buffer.from(batch[sequence - index]!);
      index += batch.length;
    }
    return undefined;
  };
}

/** Runs one range in a worker thread (the ranges after the first); resolves with its result once the thread has exited. */
function runRange(task: RangeTask, control: Int32Array, onProgress: (lines: number) => void): Promise<RangeResult> {
  return new Promise((resolve, reject) => {
    const workerData: RangeWorkerData = { tag: RANGE_WORKER_TAG, task, control };
    const worker = new Worker(WORKER_URL, { workerData });
    let result: RangeResult | undefined;
    let error: unknown;
    worker.on('message', (m: RangeWorkerMessage) => {
      if (m.type === 'progress') onProgress(m.lines);
      else result = m.result;
    });
    worker.on('error', (e) => (error ??= e));
    worker.on('exit', (code) => {
      if (error === undefined && result) resolve(result);
      else reject(error ?? new Error(`verify worker for bytes ${task.start}..${task.end} of ${task.path} exited (code ${code}) without a result`));
    });
  });
}

/** True when a range's own answer already means a failure at or before its end. */
const failsItself = (r: RangeResult): boolean =>
  r.failure !== undefined || (r.first !== undefined && (!r.first.ok || r.first.computed !== r.first.hash));

type Outcome = { readonly ok: RangeResult } | { readonly error: unknown };

/**
 * Verifies the file range by range in worker threads (one per range) and stitches the ranges
 * into the answer verifyLines gives over the whole file from sequence 0 and GENESIS_HASH.
 * `ranges` must come from planRanges (a single range works, but only costs a thread).
 * With more than one range, onProgress receives the lines verified so far over all ranges.
 */
export async function verifyRanges(path: string, ranges: readonly ByteRange[], options: Omit<VerifyOptions, 'start' | 'previousHash'> = {}): Promise<VerifyResult> {
  // verifyLines' defaults: the first line is sequence 0 and links to genesis.
  const start = 0;
  // The stream versions and the only id table live here; workers report spans and fingerprints.
  const key = fingerprintKey();
  const checks = new EventChecks('genesis', key, true, true); // ids compared once, at the end
  let cursor = new ChainCursor(start, GENESIS_HASH, checks);
  // Fingerprint matches in stitching order (ascending sequences), confirmed at the end.
  const suspects: IdSuspect[] = [];
  const takeSuspect = () => {
    if (checks.suspect !== undefined) suspects.push(checks.suspect);
    checks.suspect = undefined;
  };
  const every = options.progressEvery ?? 10_000;
  // control[0]: the last range whose answer can still matter; later ones stop reading.
  const control = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  control[0] = ranges.length - 1;
  const cut = (index: number) => {
    if (index < Atomics.load(control, 0)) Atomics.store(control, 0, index);
  };

  const outcomes: Array<Outcome | undefined> = new Array(ranges.length).fill(undefined);
  let next = 0; // the first range not yet stitched
  let decided: { readonly result: VerifyResult } | { readonly error: unknown } | undefined;

  /** Stitches every range whose answer is in, in order, until one decides the result. */
  const stitch = () => {
    for (; decided === undefined && next < ranges.length; next++) {
      const o = outcomes[next];
      if (o === undefined) return;
      if ('error' in o) {
        decided = o;
      } else {
        const r = o.ok;
        if (r.cancelled) throw new Error(`internal: range ${next} was cancelled before the result was decided`);
        if (r.first === undefined) continue; // no whole line in it (only the last range, read to EOF)
        const f = r.first;
        // The first line, checked as verifyLines checks it: sequence, own hash, link, streams, id, in that order.
        const why = f.ok ? cursor.advanceChecked(f.sequence, f.hash, f.computed, f.previous_hash, f) : f.reason;
        takeSuspect();
        if (why !== undefined) decided = { result: { valid: false, break_at: cursor.next, count: cursor.next - start, reason: why } };
        else {
          // Accepted: the cursor is now where the worker's own cursor began, so its failure is
          // verifyLines' unless a stream of the range does not continue the ranges before it.
          let at = r.failure ? r.failure.break_at : Infinity;
          let reason = r.failure?.reason;
          for (const [stream, span] of r.spans) {
            const broken = span.firstSequence < at ? checks.spanBreak(stream, span.firstVersion) : undefined;
            if (broken !== undefined) {
              at = span.firstSequence;
              reason = broken;
            }
          }
          // Ids of the lines before the break (all of them if none), in order.
          const base = f.ok ? f.sequence + 1 : 0;
          const n = Math.min(r.prints.length / 2, at - base);
          checks.addFingerprints(r.prints, n);
          if (reason !== undefined) decided = { result: { valid: false, break_at: at, count: at - start, reason } };
          else {
            for (const [stream, span] of r.spans) checks.setVersion(stream, span.lastVersion);
            cursor = new ChainCursor(r.lastSequence + 1, r.lastHash, checks);
          }
        }
      }
      if (decided !== undefined) cut(next);
    }
  };

  const lines = new Array<number>(ranges.length).fill(0);
  let reported = 0;
  const onProgress = options.onProgress;
  const runs = ranges.map((range, index) => {
    const task: RangeTask = { path, start: range.start, end: range.end, index, key, progressEvery: onProgress ? every : 0 };
    const progress = (n: number) => {
      lines[index] = n;
      const total = lines.reduce((a, b) => a + b, 0);
      if (total > reported) onProgress?.((reported = total));
    };
    // The first range on this thread, started once every worker is spawned (a microtask later):
    // the calling thread verifies instead of idling, and one thread fewer is started. Range 0
    // is always wanted (a cutoff never goes below it), so it is never cancelled.
    const run = index === 0 ? Promise.resolve().then(() => verifyRange(task, () => false, progress)) : runRange(task, control, progress);
    return run.then(
      (r) => {
        outcomes[index] = { ok: r };
        if (failsItself(r)) cut(index);
        stitch();
      },
      (error: unknown) => {
        outcomes[index] = { error };
        cut(index);
        stitch();
      },
    );
  });
  await Promise.all(runs);
  stitch();

  if (decided !== undefined && 'error' in decided) throw decided.error;
  // A confirmed repeat before the decided break (or anywhere, if none) is the first failure.
  const limit = decided === undefined ? Infinity : decided.result.break_at!;
  const lineAt = options.lineAt ?? fileLineAt(path);
  for (const suspect of suspects) {
    if (suspect.sequence >= limit) break;
    const repeat = await confirmSuspect(suspect, lineAt);
    if (repeat !== undefined) return { valid: false, break_at: suspect.sequence, count: suspect.sequence - start, reason: repeat };
  }
  const groups = checks.repeatGroups(start);
  if (decided !== undefined) return await withRepeats(decided.result, groups, start, lineAt);
  const result = await withRepeats(endOfChain(cursor, start, options.expectTip), groups, start, lineAt);
  const last = outcomes.at(-1);
  const torn = last && 'ok' in last ? last.ok.torn_bytes : 0;
  return torn > 0 && result.valid ? { ...result, torn_bytes: torn } : result;
}
