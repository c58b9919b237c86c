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
import { EventChecks, fingerprint, fingerprintKey, fp, type IdSuspect } from './eventChecks.js';
import { repeatGroupsOfRuns, type PrintRun } from './printRuns.js';
import { GENESIS_HASH } from '../contract/hash.js';
import { openRegularFile, readLineBatches, readLineRuns, type LineRun } from '../contract/lineReader.js';
import { confirmSuspect, endOfChain, verifyLineBatches, withRepeats, type VerifyOptions, type VerifyResult } from './verifyChain.js';
import { RANGE_WORKER_TAG, verifyRange, type RangeResult, type RangeTask, type SortedRange, type RangeTaskMessage, type RangeWorkerData, type RangeWorkerMessage, withOrder } from './verifyRangeWorker.js';

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

/** Tuning and test hooks of verifyFileParallel. @internal */
export interface ParallelTuning {
  /** Bytes the calling thread reads per window while no cut is decided (a cut falls on a window's end). */
  readonly windowBytes?: number;
  /** Bytes a worker's range is shorter than the calling thread's (WARM_UP_BYTES). */
  readonly warmUpBytes?: number;
  /** Tests: the calling thread waits for every worker before it reads, so the cut is the even one. */
  readonly waitForWorkers?: boolean;
  /** Tests: each worker thread as it is started. */
  readonly onWorker?: (worker: Worker, index: number) => void;
  /** Tests: the range starts once the rest is cut (before the workers are given them). */
  readonly onCut?: (starts: readonly number[]) => void;
  /** Benchmarks: named moments ('ready': every worker loaded, 'range <i>': its result is in, 'merged': ids compared). */
  readonly trace?: (moment: string) => void;
}

/**
 * A worker's range is this much shorter than the calling thread's: its code starts cold (not
 * yet compiled) and it sorts what it sends; measured, ranges ended ~50 ms apart without it.
 */
export const WARM_UP_BYTES = 8 << 20;

/** The calling thread reads this much at a time until the workers are ready and the rest is cut. */
export const WINDOW_BYTES = 4 << 20;

type Launcher = (ctx: {
  readonly key: Uint32Array;
  readonly control: Int32Array;
  readonly task: (range: ByteRange, index: number) => RangeTask;
  readonly progress: (index: number) => (lines: number) => void;
  /** Range `index` is under way; its result settles it. */
  readonly run: (index: number, result: Promise<SortedRange>) => void;
  /** How many ranges there are in all (once known; before, stitching waits at the last known). */
  readonly total: (n: number) => void;
}) => Promise<void>;

/** A worker thread for range `index`: started with its task, or (task undefined) waiting for one after 'ready'. */
function startWorker(task: RangeTask | undefined, control: Int32Array, onProgress: (lines: number) => void, onReady?: () => void): { worker: Worker; result: Promise<SortedRange> } {
  const workerData: RangeWorkerData = { tag: RANGE_WORKER_TAG, task, control };
  const worker = new Worker(WORKER_URL, { workerData });
  const result = new Promise<SortedRange>((resolve, reject) => {
    let result: SortedRange | undefined;
    let error: unknown;
    worker.on('message', (m: RangeWorkerMessage) => {
      if (m.type === 'progress') onProgress(m.lines);
      else if (m.type === 'ready') onReady?.();
      else result = m.result;
    });
    worker.on('error', (e) => (error ??= e));
    worker.on('exit', (code) => {
      if (error === undefined && result) resolve(result);
      else reject(error ?? new Error(`verify worker for ${task ? `bytes ${task.start}..${task.end} of ${task.path}` : 'a range'} exited (code ${code}) without a result`));
    });
  });
  // A worker never given a task (or that died before one) must not leave an unhandled rejection.
  result.catch(() => undefined);
  return { worker, result };
}

/**
 * verifyFile(path, { workers }) for N > 1: the calling thread starts verifying from the first
 * line at once while N - 1 worker threads load (a worker takes ~50 ms to start and ~100 ms
 * or more to load its modules, far longer than a fixed head start guessed). The calling
 * thread reads in windows (WINDOW_BYTES); at the first window end after every worker is
 * ready, what is left is cut evenly at line starts into N ranges: the calling thread keeps
 * the first, each worker gets one. If the calling thread reaches EOF first, no worker gets a
 * range (they are stopped) and the answer is the sequential one read on this thread. A worker
 * that dies before its range is given is left out. The answer is verifyLines' over the file.
 */
export async function verifyFileParallel(path: string, workers: number, options: Omit<VerifyOptions, 'start' | 'previousHash'> = {}, tuning: ParallelTuning = {}): Promise<VerifyResult> {
  const fh = await openRegularFile(path);
  const started: Array<{ worker: Worker; result: Promise<SortedRange>; ready: boolean; dead: boolean }> = [];
  try {
    return await stitchRanges(path, options, tuning.trace, async ({ key, control, task, progress, run, total }) => {
      let waiting = workers - 1;
      let allReady!: () => void;
      const everyReady = new Promise<void>((resolve) => (allReady = resolve));
      for (let w = 1; w < workers; w++) {
        const slot = { ready: false, dead: false } as (typeof started)[number];
        const settle = () => {
          if (--waiting === 0) allReady();
        };
        Object.assign(slot, startWorker(undefined, control, progress(w), () => ((slot.ready = true), settle())));
        slot.result.catch(() => {
          if (!slot.ready && !slot.dead) settle();
          slot.dead = true;
        });
        started.push(slot);
        tuning.onWorker?.(slot.worker, w);
      }
      if (tuning.trace) void everyReady.then(() => tuning.trace!('ready'));
      if (tuning.waitForWorkers) await everyReady;
      const window = tuning.windowBytes ?? WINDOW_BYTES;
      const { size } = await fh.stat();
      let cut = false;
      // The calling thread's lines: window after window until every worker is ready, then up to the cut.
      async function* ownRuns(onTorn: (bytes: number) => void): AsyncGenerator<LineRun> {
        for (let pos = 0; ; ) {
          const live = started.filter((s) => s.ready && !s.dead);
          if (waiting === 0 && live.length > 0) {
            // Shares of [pos, size) at line starts: this thread's, then one per live worker, each
            // worker's shorter by its warm-up (its code starts cold; this thread's is compiled).
            const starts = [pos];
            const w = live.length;
            const warm = tuning.warmUpBytes ?? WARM_UP_BYTES;
            const share = Math.min(Math.floor((size - pos + w * warm) / (w + 1)), size - pos);
            for (let i = 1; i <= w; i++) {
              const at = pos + share + Math.floor(((size - pos - share) * (i - 1)) / w);
              const nl = await nextNewline(fh, Math.max(at, starts.at(-1)!), size);
              if (nl < 0 || nl + 1 >= size) break;
              starts.push(nl + 1);
            }
            cut = true;
            tuning.onCut?.(starts);
            tuning.trace?.(`cut ${starts.join(' ')}`);
            total(starts.length);
            for (let i = 1; i < starts.length; i++) {
              const slot = live[i - 1]!;
              const t = task({ start: starts[i]!, end: starts[i + 1] ?? Infinity }, i);
              slot.worker.postMessage({ type: 'task', task: t } satisfies RangeTaskMessage);
              // A worker that dies (killed, out of memory) costs time, not the answer: its range is
              // verified here instead (an error of the range itself, e.g. a line too long, recurs).
              run(i, slot.result.catch(async () => withOrder(await verifyRange(t, () => Atomics.load(control, 0) < i, progress(i)))));
            }
            for (const slot of live.slice(starts.length - 1)) void slot.worker.terminate();
            yield* readLineRuns(fh, pos, starts[1] ?? Infinity, onTorn);
            return;
          }
          const nl = await nextNewline(fh, pos + window, size);
          // The file's last line is in this window: no cut; read to EOF (the file may have grown).
          if (nl < 0 || nl + 1 >= size) {
            yield* readLineRuns(fh, pos, Infinity, onTorn);
            return;
          }
          yield* readLineRuns(fh, pos, nl + 1, onTorn);
          pos = nl + 1;
        }
      }
      run(0, verifyRange(task({ start: 0, end: Infinity }, 0), () => false, progress(0), ownRuns).then(withOrder));
    });
  } finally {
    // Workers without a range (this thread read to EOF first, or the verification failed):
    // stopped, and gone before the answer (no thread outlives the call).
    await Promise.all(started.map((s) => s.worker.terminate()));
    await fh.close();
  }
}
/** True when a range's own answer already means a failure at or before its end. */
const failsItself = (r: RangeResult): boolean =>
  r.failure !== undefined || (r.first !== undefined && (!r.first.ok || r.first.computed !== r.first.hash));

type Outcome = { readonly ok: SortedRange } | { readonly error: unknown };

/**
 * Verifies the file range by range in worker threads (one per range) and stitches the ranges
 * into the answer verifyLines gives over the whole file from sequence 0 and GENESIS_HASH.
 * `ranges` must come from planRanges (a single range works, but only costs a thread).
 * With more than one range, onProgress receives the lines verified so far over all ranges.
 */
export async function verifyRanges(path: string, ranges: readonly ByteRange[], options: Omit<VerifyOptions, 'start' | 'previousHash'> = {}): Promise<VerifyResult> {
  return await stitchRanges(path, options, undefined, async ({ control, task, progress, run, total }) => {
    total(ranges.length);
    // The first range on this thread, started once every worker is spawned (a microtask later):
    // the calling thread verifies instead of idling, and one thread fewer is started. Range 0
    // is always wanted (a cutoff never goes below it), so it is never cancelled.
    ranges.forEach((range, index) => {
      const t = task(range, index);
      run(index, index === 0 ? Promise.resolve().then(async () => withOrder(await verifyRange(t, () => false, progress(index)))) : startWorker(t, control, progress(index)).result);
    });
  });
}

/**
 * The ranges `launch` starts (range 0 from the file's start, each next one where the one before
 * ends), stitched in order into verifyLines' answer over the whole file.
 */
async function stitchRanges(path: string, options: Omit<VerifyOptions, 'start' | 'previousHash'>, trace: ParallelTuning['trace'], launch: Launcher): Promise<VerifyResult> {
  // verifyLines' defaults: the first line is sequence 0 and links to genesis.
  const start = 0;
  // The stream versions and the only id table live here; workers report spans and fingerprints.
  const key = fingerprintKey();
  const checks = new EventChecks('genesis', key, true, true); // ids compared once, at the end
  let cursor = new ChainCursor(start, GENESIS_HASH, checks);
  // Fingerprint matches in stitching order (ascending sequences), confirmed at the end.
  const suspects: IdSuspect[] = [];
  // Every range's id fingerprints up to its break, compared once all are in.
  const runs: PrintRun[] = [];
  const takeSuspect = () => {
    if (checks.suspect !== undefined) suspects.push(checks.suspect);
    checks.suspect = undefined;
  };
  const every = options.progressEvery ?? 10_000;
  // control[0]: the last range whose answer can still matter; later ones stop reading.
  const control = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  control[0] = 0x7fffffff; // no range known yet to cut after
  let count = Infinity; // ranges in all, once known
  const cut = (index: number) => {
    if (index < Atomics.load(control, 0)) Atomics.store(control, 0, index);
  };

  const outcomes: Array<Outcome | undefined> = [];
  let next = 0; // the first range not yet stitched
  let decided: { readonly result: VerifyResult } | { readonly error: unknown } | undefined;

  /** Stitches every range whose answer is in, in order, until one decides the result. */
  const stitch = () => {
    for (; decided === undefined && next < count; next++) {
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
          // The first line's id as a run of its own, then the range's (sorted in its thread).
          if (f.ok) {
            fingerprint(f.id, key);
            runs.push({ prints: Uint32Array.of(fp[0]!, fp[1]!), order: Uint32Array.of(0), base: f.sequence, limit: 1 });
          }
          runs.push({ prints: r.prints, order: r.order, keys: r.keys, base, limit: n });
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

  const lines: number[] = [];
  let reported = 0;
  const onProgress = options.onProgress;
  const pending: Array<Promise<void>> = [];
  await launch({
    key,
    control,
    task: (range, index) => ({ path, start: range.start, end: range.end, index, key, progressEvery: onProgress ? every : 0 }),
    progress: (index) => (n) => {
      lines[index] = n;
      const total = lines.reduce((a, b) => a + (b ?? 0), 0);
      if (total > reported) onProgress?.((reported = total));
    },
    total: (n) => {
      count = n;
      cut(n - 1);
    },
    run: (index, result) => {
      pending.push(
        result.then(
          (r) => {
            trace?.(`range ${index}`);
            outcomes[index] = { ok: r };
            if (failsItself(r)) cut(index);
            stitch();
          },
          (error: unknown) => {
            outcomes[index] = { error };
            cut(index);
            stitch();
          },
        ),
      );
    },
  });
  // Ranges may be started while others run (the calling thread cuts the rest as it reads).
  for (let i = 0; i < pending.length; i++) await pending[i];
  if (count === Infinity) count = outcomes.length;
  stitch();
  // Issue 22: a batch may cross the ranges' seams; a file with batches is judged on one thread.
  if (checks.sawBatch || outcomes.some((o) => o !== undefined && 'ok' in o && o.ok.sawBatch)) return await verifyFileSerial(path, options);
  if (decided !== undefined && 'error' in decided) throw decided.error;
  // A confirmed repeat before the decided break (or anywhere, if none) is the first failure.
  const limit = decided === undefined ? Infinity : decided.result.break_at!;
  const lineAt = options.lineAt ?? fileLineAt(path);
  for (const suspect of suspects) {
    if (suspect.sequence >= limit) break;
    const repeat = await confirmSuspect(suspect, lineAt);
    if (repeat !== undefined) return { valid: false, break_at: suspect.sequence, count: suspect.sequence - start, reason: repeat };
  }
  const groups = repeatGroupsOfRuns(runs);
  trace?.('merged');
  if (decided !== undefined) return await withRepeats(decided.result, groups, start, lineAt);
  const result = await withRepeats(endOfChain(cursor, start, options.expectTip), groups, start, lineAt);
  const last = outcomes[count - 1];
  const torn = last && 'ok' in last ? last.ok.torn_bytes : 0;
  return torn > 0 && result.valid ? { ...result, torn_bytes: torn } : result;
}

/**
 * verifyFile on the calling thread alone: the file's lines as bytes from genesis, bytes after
 * the last newline counted as torn, an atomic batch unfinished at the end as unfinished_batch.
 * Internal.
 */
export async function verifyFileSerial(path: string, options: Omit<VerifyOptions, 'start' | 'previousHash'> = {}): Promise<VerifyResult> {
  const fh = await openRegularFile(path);
  try {
    const { size } = await fh.stat();
    let torn = 0;
    const result = await verifyLineBatches(readLineRuns(fh, 0, Infinity, (bytes) => (torn = bytes)), { lineAt: fileLineAt(path), ...options, wholeFile: true }, { fileBytes: size });
    return torn > 0 && result.valid ? { ...result, torn_bytes: torn } : result;
  } finally {
    await fh.close();
  }
}
