// Checkpoints of the writer's index.sqlite, off the event loop. The index runs in WAL mode with
// synchronous = NORMAL: a commit appends to index.sqlite-wal without an fsync, and a checkpoint
// (copying the WAL back into the database) fsyncs both files. SQLite runs its automatic
// checkpoint inside the committing connection, which for the writer is the event loop's: an
// fsync of a few to ~20 ms every ~1000 pages, seen as the append bench's event-loop delay max.
// So the writer turns automatic checkpoints off (wal_autocheckpoint = 0) and this worker thread,
// with its own connection to the same file, runs a PASSIVE checkpoint when asked (PASSIVE never
// waits for, nor blocks, the writer or a reader). A worker that cannot start or dies hands the
// job back: the writer turns automatic checkpoints on again, so the WAL never grows unbounded.
import Database from 'better-sqlite3';
import { lstatSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

/** Marks workerData meant for this file, so importing it elsewhere runs nothing. */
const CHECKPOINT_WORKER_TAG = 'fmwk-ledger/indexCheckpointer';

/** SQLite's own default: the automatic checkpoint the writer falls back to. */
export const AUTO_CHECKPOINT_PAGES = 1000;

/** How long close() waits for the thread to let go of the database (it may be mid-checkpoint). */
const STOP_WAIT_MS = 5_000;

interface CheckpointWorkerData {
  readonly tag: typeof CHECKPOINT_WORKER_TAG;
  readonly path: string;
  /** [0]: set to 1 by the thread once its connection is closed (the writer may wait on it). */
  readonly closed: Int32Array;
}

type ToWorker = { readonly type: 'checkpoint' } | { readonly type: 'close' };
type FromWorker = { readonly type: 'done' } | { readonly type: 'failed'; readonly message: string };

/** The writer's side: asks for checkpoints, one at a time, and stops the thread before its own connection closes. */
export class IndexCheckpointer {
  private worker: Worker | undefined;
  private readonly closed = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  private inFlight = false;
  private again = false;
  private exited = false;
  /** Checkpoints the thread has completed (the tests read it). */
  completed = 0;

  /** `onLost` runs once, on the event loop, if the thread fails to start, fails a checkpoint or exits unasked. */
  constructor(
    private readonly path: string,
    private readonly onLost: (why: string) => void,
  ) {}

  /** A checkpoint soon: the thread starts on the first request; a request while one runs is kept for after it. */
  request(): void {
    if (this.exited) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const worker = this.worker ?? this.start();
    if (!worker) return;
    this.inFlight = true;
    worker.postMessage({ type: 'checkpoint' } satisfies ToWorker);
  }

  private start(): Worker | undefined {
    const data: CheckpointWorkerData = { tag: CHECKPOINT_WORKER_TAG, path: this.path, closed: this.closed };
    try {
      this.worker = new Worker(new URL(import.meta.url), { workerData: data });
    } catch (e) {
      this.lose(`the checkpoint thread did not start: ${(e as Error).message}`);
      return undefined;
    }
    // A store left open must not keep the process alive for this thread.
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => {
      this.inFlight = false;
      if (m.type === 'failed') return this.lose(`checkpoint failed: ${m.message}`);
      this.completed++;
      if (this.again) {
        this.again = false;
        this.request();
      }
    });
    this.worker.on('error', (e) => this.lose(`the checkpoint thread failed: ${e.message}`));
    this.worker.on('exit', () => this.lose('the checkpoint thread exited'));
    return this.worker;
  }

  private lose(why: string): void {
    if (this.exited) return;
    this.exited = true;
    this.inFlight = false;
    void this.worker?.terminate();
    this.onLost(why);
  }

  /**
   * Synchronous, so the index's close stays synchronous: the thread closes its connection (after
   * a checkpoint in progress, if any) before the writer closes its own, which must be the last
   * (SQLite removes the -wal and -shm files only then, and a rebuild swaps the file only after).
   */
  stop(): void {
    const worker = this.worker;
    if (!worker || this.exited) {
      this.exited = true;
      return;
    }
    this.exited = true; // its exit is asked for now, not a loss
    worker.postMessage({ type: 'close' } satisfies ToWorker);
    Atomics.wait(this.closed, 0, 0, STOP_WAIT_MS);
    void worker.terminate();
  }

  /** Tests: the thread, once started. @internal */
  get thread(): Worker | undefined {
    return this.worker;
  }
}

const data = workerData as CheckpointWorkerData | undefined;
if (!isMainThread && parentPort && data?.tag === CHECKPOINT_WORKER_TAG) {
  const port = parentPort;
  const { closed } = data;
  let db: Database.Database | undefined;
  const close = () => {
    try {
      db?.close();
    } finally {
      Atomics.store(closed, 0, 1);
      Atomics.notify(closed, 0);
    }
  };
  port.on('message', (m: ToWorker) => {
    if (m.type === 'close') {
      close();
      port.close();
      return;
    }
    try {
      // Opened on the first request: a writer that never needs a checkpoint never pays for it.
      // Never through a link planted since the writer checked the path (the writer then checkpoints itself).
      if (!db && !lstatSync(data.path).isFile()) throw new Error(`${data.path} is no longer a regular file`);
      db ??= new Database(data.path, { fileMustExist: true });
      // PASSIVE copies what no reader still needs; the rest goes back at the next request.
      db.pragma('wal_checkpoint(PASSIVE)');
      port.postMessage({ type: 'done' } satisfies FromWorker);
    } catch (e) {
      port.postMessage({ type: 'failed', message: (e as Error).message } satisfies FromWorker);
    }
  });
}
