// Live mode: replay to the tip, then fold every new event from ledger.stream() as it is
// appended. Current states are a BehaviorSubject-backed observable. Seeing a snapshot_created
// event persists the consumer's checkpoint; an optional policy takes a snapshot every N events.
import { BehaviorSubject, filter, type Observable, type Subscription } from 'rxjs';
import type { LedgerEvent } from '../src/contract/event.js';
import type { Ledger } from '../src/ledger/ledger.js';
import type { ProjectionRunner, ProjectionStates } from '../projections/projectionRunner.js';
import type { AnyProjection, StatesOf } from '../projections/projection.js';
import { SNAPSHOT_CREATED } from '../snapshots/snapshotCreated.js';
import type { SnapshotRecord, SnapshotWriter } from '../snapshots/snapshotWriter.js';
import { ChainVerifier } from '../src/verify/chainVerifier.js';
import { LedgerValidationError } from '../src/errors/errors.js';
import type { FoldResult } from './fold.js';
import type { ReplayLogger } from './replayLogger.js';

/** The states of projections `P`, by name. */
type States<P extends AnyProjection> = ProjectionStates<StatesOf<P>>;

/**
 * What live mode needs of a replay engine: the ledger to follow, a fold to its tip from the
 * best verified start point, and where to report what it could not write. Kept this narrow so
 * live mode never depends on the engine (ReplayEngine satisfies it).
 */
export interface LiveSource {
  readonly ledger: Pick<Ledger, 'getTip' | 'stream'>;
  readonly logger: ReplayLogger;
  /** Folds every projection through event `target`, each event checked against the chain. */
  foldTo(target: number): Promise<FoldResult>;
}

/** How live mode takes snapshots as the ledger grows. */
export interface LiveOptions {
  /** Take a snapshot whenever this many events have passed since the last one (off by default). */
  readonly snapshotEvery?: number;
}

/**
 * Projections that follow the ledger. `states$` emits the states after the initial replay and
 * after every event since; it errors (and the runner stops) if an event fails its hash check or
 * a projection throws, and completes on stop() or when the ledger closes.
 *
 * @example
 * const live = new ReplayEngine(ledger, { projections: [graph] }).live({ snapshotEvery: 10_000 });
 * await live.ready;                                  // caught up with the tip
 * live.states$.subscribe(({ sequence, states }) => console.log(sequence, states.graph));
 * await ledger.append(nodeCreation);                 // folded and emitted
 * await live.stop();
 */
export class LiveProjections<P extends AnyProjection = AnyProjection> {
  /** The current states, then every change. */
  readonly states$: Observable<States<P>>;
  /** Resolves with the states once the initial replay has reached the tip. */
  readonly ready: Promise<States<P>>;
  private readonly subject = new BehaviorSubject<States<P> | undefined>(undefined);
  private subscription: Subscription | undefined;
  private stopped = false;
  private runner: ProjectionRunner | undefined;
  private chain: ChainVerifier | undefined;
  private lastSnapshotAt = -1;
  /** Checkpoint and snapshot writes run one at a time, in order. */
  private work: Promise<unknown> = Promise.resolve();
  private readonly snapshotEvery: number | undefined;

  /** Writes this engine's snapshots and checkpoints; held privately (see SnapshotWriter). */
  readonly #writer: SnapshotWriter;

  /** Made by ReplayEngine.live(); the writer is the engine's own. */
  constructor(
    private readonly source: LiveSource,
    writer: SnapshotWriter,
    options: LiveOptions = {},
  ) {
    this.#writer = writer;
    this.snapshotEvery = options.snapshotEvery;
    if (this.snapshotEvery !== undefined) {
      if (!Number.isSafeInteger(this.snapshotEvery) || this.snapshotEvery < 1) {
        throw new LedgerValidationError('snapshotEvery', 'expected a positive integer', this.snapshotEvery);
      }
      writer.requireSnapshots();
    }
    this.states$ = this.subject.pipe(filter((s): s is States<P> => s !== undefined));
    this.ready = this.start();
    this.ready.catch(() => undefined); // reported through states$ as well
  }

  /** The latest states, or undefined before the initial replay finishes. */
  get current(): States<P> | undefined {
    return this.latest;
  }

  /** Kept apart from the subject, whose getValue() throws once it has errored. */
  private latest: States<P> | undefined;

  private publish(states: States<P>): void {
    this.latest = states;
    this.subject.next(states);
  }

  private async start(): Promise<States<P>> {
    let fold;
    let states: States<P>;
    try {
      const tip = (await this.source.ledger.getTip()).sequence_number;
      fold = await this.source.foldTo(tip);
      states = fold.runner.current() as States<P>;
    } catch (e) {
      this.subject.error(e);
      throw e;
    }
    this.runner = fold.runner;
    this.chain = new ChainVerifier(states.sequence + 1, fold.lastHash);
    this.lastSnapshotAt = fold.startSequence;
    this.latest = states;
    if (this.stopped) return states;
    this.subject.next(states);
    // The chain is checked here (this.chain, anchored to the fold's last hash), so the stream
    // need not hash every event a second time.
    this.subscription = this.source.ledger.stream({ from: states.sequence + 1, verify: false }).subscribe({
      next: (e) => this.fold(e),
      error: (e) => this.fail(e),
      complete: () => this.subject.complete(),
    });
    return states;
  }

  private fold(event: LedgerEvent): void {
    const runner = this.runner!;
    try {
      this.chain!.acceptEvent(event);
      runner.apply(event);
    } catch (e) {
      this.fail(e);
      return;
    }
    let states: States<P>;
    try {
      states = runner.current() as States<P>; // a mutable state that cannot be serialised fails here
    } catch (e) {
      this.fail(e);
      return;
    }
    this.publish(states);
    const { checkpoints } = this.#writer;
    if (event.event_type === SNAPSHOT_CREATED && checkpoints) {
      this.enqueue(`checkpoint at ${event.sequence}`, () => this.#writer.checkpoint(checkpoints, states, event.hash));
    }
    if (this.snapshotEvery !== undefined && event.sequence - this.lastSnapshotAt >= this.snapshotEvery) {
      this.lastSnapshotAt = event.sequence;
      this.enqueue(`snapshot at ${event.sequence}`, () => this.#writer.snapshot(states, event.hash));
    }
  }

  private enqueue(what: string, task: () => Promise<unknown>): void {
    this.work = this.work.then(task).catch((e) => this.source.logger.warn(`${what} not written: ${e instanceof Error ? e.message : String(e)}`));
  }

  private fail(error: unknown): void {
    this.subscription?.unsubscribe();
    this.stopped = true;
    this.subject.error(error);
  }

  /** Snapshots the current states (after the initial replay) and records it in the ledger. */
  async takeSnapshot(): Promise<SnapshotRecord> {
    await this.ready;
    this.#writer.requireSnapshots();
    const states = this.current!;
    const anchor = this.chain!.lastHash;
    if (states.sequence < 0) return this.#writer.snapshot(states, anchor); // empty ledger: refused, saying why
    const result = this.work.then(() => this.#writer.snapshot(states, anchor));
    this.work = result.catch(() => undefined);
    return result;
  }

  /** Stops following the ledger, waits for pending checkpoint and snapshot writes, completes states$. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.subscription?.unsubscribe();
    await this.ready.catch(() => undefined);
    this.subscription?.unsubscribe();
    await this.work;
    this.subject.complete(); // a no-op after an error
  }
}
