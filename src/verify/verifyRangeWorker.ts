// One byte range of a ledger file, verified in a worker thread for parallel cold verification
// (verifyFileParallel.ts). The range starts at a line start; its lines are streamed with
// readLineRuns as bytes (flat memory) and judged with the same checkLineBytes/ChainCursor as verifyLines. The
// first line is checked against nothing before it: its facts go back to the main thread, which
// alone knows what it must link to. Every later line is checked exactly as verifyLines would,
// from a cursor at the first line's sequence + 1 and hash.
import { stat } from 'node:fs/promises';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ChainCursor } from './chainCursor.js';
import { EventChecks, type StreamSpan } from './eventChecks.js';
import { checkLineBytes, type LineCheck } from '../contract/eventLine.js';
import { readLineRuns, type LineRun } from '../contract/lineReader.js';
import { scanner } from '../contract/wasm/chainScanner.js';
import { progress } from './verifyChain.js';
import { sortPrints, sortedFirstWords } from './printRuns.js';

/** What a worker is asked to verify. */
export interface RangeTask {
  readonly path: string;
  /** Byte offset of the range's first line. */
  readonly start: number;
  /** Byte offset just past its last newline; Infinity for the last range (read to EOF). */
  readonly end: number;
  /** The range's index: the worker stops once `control[0]` (the cutoff) is below it. */
  readonly index: number;
  /** The fingerprint key of this verification (the same in every range). */
  readonly key: Uint32Array;
  /** Post a progress message every this many lines (0: none). */
  readonly progressEvery: number;
}

/** A range's answer: enough for the main thread to stitch it to the range before. */
export interface RangeResult {
  /** The first line's facts (its own hash is NOT compared), or undefined if the range holds no line. */
  readonly first?: LineCheck;
  /**
   * Sequence and hash of the last line that extended the range's own chain (the first line's
   * when nothing after it did). Meaningless unless `first` is ok with computed === hash.
   */
  readonly lastSequence: number;
  readonly lastHash: string;
  /** Lines that extended the range's chain, the first included once its own hash matched. */
  readonly count: number;
  /**
   * The first line after the first that fails (as verifyLines reports it), given that the
   * first line is accepted. Absent when the range verified to its end or stopped early.
   */
  readonly failure?: { readonly break_at: number; readonly reason: string; readonly count: number };
  /** Bytes after the range's last newline (only the last range, read to EOF, can have any). */
  readonly torn_bytes: number;
  /** Stopped on request (a range before this one already decides the result). */
  readonly cancelled?: boolean;
  /** Per stream, its first and last version among the lines after the first that extended the chain. */
  readonly spans: Map<string, StreamSpan>;
  /** The event_id fingerprints of those lines, two words each, in order (the first line's is its `first.id`). */
  readonly prints: Uint32Array;
  /** A line with a batch member (issue 22) was seen: the file is then verified again on one thread. */
  readonly sawBatch?: boolean;
}

/** A range's result with its fingerprints sorted in the range's own thread (the calling thread only merges): withOrder. */
export interface SortedRange extends RangeResult {
  /** sortPrints(prints) and its sorted first words. */
  readonly order: Uint32Array;
  readonly keys: Uint32Array;
}

/**
 * The result with its fingerprints sorted (see printRuns.ts): by the WebAssembly module when
 * loaded (compiled from the first entry on), else by sortPrints, the reference.
 */
export function withOrder(r: RangeResult): SortedRange {
  const sorted = scanner()?.sortPrints(r.prints, r.prints.length >>> 1);
  if (sorted !== undefined) return { ...r, ...sorted };
  const order = sortPrints(r.prints);
  return { ...r, order, keys: sortedFirstWords(r.prints, order) };
}

/**
 * Verifies one range. `cancelled()` is polled per line; `onProgress` gets the lines checked so
 * far every `task.progressEvery` lines. Stops at the first failure: nothing after it matters.
 * `runs`: the range's lines, when the caller reads them itself (the calling thread's first
 * range, whose end is decided while it is read); by default task.start..task.end of task.path.
 */
export async function verifyRange(
  task: RangeTask,
  cancelled: () => boolean = () => false,
  onProgress?: (lines: number) => void,
  runs?: (onTornTail: (bytes: number) => void) => AsyncIterable<LineRun>,
): Promise<RangeResult> {
  let torn = 0;
  let first: LineCheck | undefined;
  let cursor: ChainCursor | undefined;
  let count = 0;
  const every = task.progressEvery;
  // Streams continue from where the range's first line left them; ids go to the main thread.
  const checks = new EventChecks('range', task.key);
  const partial = (): Omit<RangeResult, 'torn_bytes'> => ({
    first, count, lastSequence: cursor ? cursor.next - 1 : -1, lastHash: cursor ? cursor.lastHash : '',
    spans: checks.spans!, prints: checks.fingerprints(), sawBatch: checks.sawBatch || (first?.ok === true && first.batch !== undefined),
  });
  const onTorn = (bytes: number) => (torn = bytes);
  checks.expect(await expectedEvents(task));
  for await (const batch of runs ? runs(onTorn) : readLineRuns(task.path, task.start, task.end, onTorn)) {
    for (let i = 0; i < batch.count; ) {
      if (cancelled()) return { ...partial(), torn_bytes: 0, cancelled: true };
      if (cursor !== undefined) {
        // A run of lines on the WebAssembly path (ids are recorded, never suspects, in a range).
        const run = cursor.advanceRun(batch, i);
        const why = cursor.runFailure;
        if (every > 0 && onProgress) progress(count, count + run, 0, every, onProgress);
        count += run;
        i += run;
        if (why !== undefined) return { ...partial(), torn_bytes: 0, failure: { break_at: cursor.next, reason: why, count } };
        if (run > 0) continue;
      }
      // A view only for a line off the WebAssembly path (the range's first line, a declined one).
      const line = batch.bytes.subarray(batch.starts[i]!, batch.ends[i]!);
      i++;
      if (cursor === undefined) {
        first = checkLineBytes(line, undefined, true);
        // A copy: a view would clone the reader's whole buffer into the message.
        if (first.ok) first = { ...first, id: Uint8Array.from(first.id) };
        // A first line that is not even self-consistent breaks the chain here whatever precedes it.
        if (!first.ok || first.computed !== first.hash) return { ...partial(), torn_bytes: 0 };
        cursor = new ChainCursor(first.sequence + 1, first.hash, checks);
        count = 1;
      } else {
        const why = cursor.advanceBytes(line, undefined, true);
        if (why !== undefined) return { ...partial(), torn_bytes: 0, failure: { break_at: cursor.next, reason: why, count } };
        count++;
      }
      if (every > 0 && count % every === 0) onProgress?.(count);
    }
  }
  return { ...partial(), torn_bytes: torn };
}

/** Bytes of event line assumed per event when sizing a range's fingerprint record (lines run ~300-600 bytes). */
export const BYTES_PER_EVENT_HINT = 400;
/** The most entries reserved ahead (32 MiB of fingerprints): a range of few, long lines reserves no more; beyond, it grows. */
export const MAX_EXPECTED_EVENTS = 1 << 22;

/**
 * About how many events `task`'s range holds, from its byte size (the last range's, read to
 * EOF, from the file's size now): its fingerprints are recorded without doubling copies. Only a
 * hint: a file that changes or lines of another size cost a copy, never the answer.
 */
export async function expectedEvents(task: RangeTask): Promise<number> {
  let end = task.end;
  if (!Number.isFinite(end)) {
    try {
      end = (await stat(task.path)).size;
    } catch {
      return 0; // the reader reports what is wrong with the path
    }
  }
  return Math.min(Math.ceil(Math.max(0, end - task.start) / BYTES_PER_EVENT_HINT), MAX_EXPECTED_EVENTS);
}

/** Marks workerData meant for this file, so importing it elsewhere runs nothing. */
export const RANGE_WORKER_TAG = 'fmwk-ledger/verifyRange';

export interface RangeWorkerData {
  readonly tag: typeof RANGE_WORKER_TAG;
  /** The range to verify at once; absent: the worker posts 'ready' once loaded and waits for a 'task' message. */
  readonly task?: RangeTask;
  /** Int32Array over a SharedArrayBuffer: [0] is the index of the last range still wanted. */
  readonly control: Int32Array;
}

/** Messages from the worker to the main thread. */
export type RangeWorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly lines: number }
  | { readonly type: 'done'; readonly result: SortedRange };

/** The main thread's message to a worker started without a task. */
export interface RangeTaskMessage {
  readonly type: 'task';
  readonly task: RangeTask;
}

/** The worker's life: its task (given or awaited), verified, the result posted back. */
async function runAsWorker(port: NonNullable<typeof parentPort>, data: RangeWorkerData): Promise<void> {
  const { control } = data;
  // Without a task: loaded (the module graph and the WebAssembly scanner, the slow part of a
  // start), so say so; the main thread cuts the rest of the file when every worker is ready.
  const task =
    data.task ??
    (await new Promise<RangeTask>((resolve) => {
      scanner(); // compiled now, not on the first run of lines
      port.once('message', (m: RangeTaskMessage) => resolve(m.task));
      port.postMessage({ type: 'ready' } satisfies RangeWorkerMessage);
    }));
  const result = withOrder(
    await verifyRange(
      task,
      () => Atomics.load(control, 0) < task.index,
      (lines) => port.postMessage({ type: 'progress', lines } satisfies RangeWorkerMessage),
    ),
  );
  // The fingerprints (8 bytes an event), their order and the first id are this range's own copies: moved, not copied.
  const moved: ArrayBuffer[] = [];
  if (result.prints.buffer instanceof ArrayBuffer) moved.push(result.prints.buffer);
  if (result.order?.buffer instanceof ArrayBuffer) moved.push(result.order.buffer);
  if (result.keys?.buffer instanceof ArrayBuffer) moved.push(result.keys.buffer);
  if (result.first?.ok && result.first.id.buffer instanceof ArrayBuffer && result.first.id.buffer !== result.prints.buffer) moved.push(result.first.id.buffer);
  port.postMessage({ type: 'done', result } satisfies RangeWorkerMessage, moved);
}

// Not a top-level await: the package's entry points reach this file, and require() of an ES
// module graph holding one fails (ERR_REQUIRE_ASYNC_MODULE). A failure is rethrown as an
// uncaught exception, which ends the worker with an 'error' event, whatever the process's
// --unhandled-rejections mode.
const data = workerData as RangeWorkerData | undefined;
if (!isMainThread && parentPort && data?.tag === RANGE_WORKER_TAG) {
  runAsWorker(parentPort, data).catch((e: unknown) => setImmediate(() => { throw e; }));
}
