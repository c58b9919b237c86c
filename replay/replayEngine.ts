// Replay: the newest usable snapshot at or below the target (chosen and verified by the
// snapshot layer), then every later event up to the target, each checked (hash, sequence,
// link) before it is folded. The result equals a full replay from genesis; snapshots only make
// it cheaper (cost grows with the distance from the snapshot, not with the ledger's length).
import { LedgerNotFoundError, LedgerValidationError } from '../src/errors/errors.js';
import type { Provenance } from '../src/contract/event.js';
import type { Ledger } from '../src/ledger/ledger.js';
import type { UpcasterRegistry } from '../src/ledger/upcasters.js';
import type { AnyProjection, Projection, StatesOf } from '../projections/projection.js';
import { ProjectionRegistry } from '../projections/projectionRegistry.js';
import type { ProjectionStates } from '../projections/projectionRunner.js';
import type { CheckpointStore } from '../snapshots/checkpointStore.js';
import { SnapshotError } from '../snapshots/snapshotErrors.js';
import { SnapshotStore } from '../snapshots/snapshotStore.js';
import { SnapshotWriter, type SnapshotRecord } from '../snapshots/snapshotWriter.js';
import { selectStartPoint } from '../snapshots/startPoint.js';
import { foldLedger, type FoldResult, type ReplayProgress } from './fold.js';
import { LiveProjections, type LiveOptions } from './liveProjections.js';
import { stderrLogger, type ReplayLogger } from './replayLogger.js';

export type { FoldResult, ReplayProgress, SnapshotRecord };

/** The projections a replay engine folds, where its snapshots are, and how it reports. */
export interface ReplayEngineOptions<P extends AnyProjection = AnyProjection> {
  /** The projections to fold (names must be unique); their names and states type `replay().states`. */
  readonly projections: ProjectionRegistry | Iterable<P>;
  /**
   * Where snapshots are read and written. Default: `snapshots/` beside a directory store's data;
   * none for other stores. `false`: never use snapshots (always replay from genesis).
   */
  readonly snapshots?: SnapshotStore | false;
  /** A consumer's checkpoint (written by live mode on snapshot_created, used as a start point). */
  readonly checkpoints?: CheckpointStore;
  /** Receives a warning for every snapshot or checkpoint skipped (default: stderr). */
  readonly logger?: ReplayLogger;
  /** Provenance of the snapshot_created events this engine appends. */
  readonly provenance?: Provenance;
  /** How far after a snapshot its snapshot_created record may be (default 10000 events). */
  readonly recordSearchLimit?: number;
  /** Called every `progressEvery` events of a long replay. */
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Default 10000. */
  readonly progressEvery?: number;
  /** Old events are upcast to their current shape before projections fold them (hashes are checked on the stored bytes). */
  readonly upcasters?: UpcasterRegistry;
}

/** How far a replay folds. */
export interface ReplayOptions {
  /** The last event to fold (default: the tip when the replay starts). */
  readonly to?: number;
}

const DEFAULT_PROVENANCE: Provenance = { framework_id: 'FMWK-001', pack_id: 'PC-001-ledger', actor: 'system' };

/**
 * Replays a ledger into projections, with snapshots.
 *
 * @example
 * const engine = new ReplayEngine(ledger, { projections: [graph] });
 * const { sequence, states } = await engine.replay();        // at the tip
 * const past = await engine.stateAt(41);                      // after event 41
 * await engine.takeSnapshot();                                // snapshots/<tip>.snapshot + snapshot_created
 * const live = engine.live();                                 // replay, then follow
 * live.states$.subscribe(({ states }) => render(states.graph));
 */
export class ReplayEngine<P extends AnyProjection = AnyProjection> {
  readonly registry: ProjectionRegistry;
  readonly snapshots: SnapshotStore | undefined;
  readonly checkpoints: CheckpointStore | undefined;
  readonly logger: ReplayLogger;
  private readonly recordSearchLimit: number;
  /** Hard-private: the writer records the states it is given, so only this engine's folds reach it. */
  readonly #writer: SnapshotWriter;

  constructor(
    readonly ledger: Ledger,
    private readonly options: ReplayEngineOptions<P>,
  ) {
    this.registry = ProjectionRegistry.from(options.projections);
    this.snapshots =
      options.snapshots === false ? undefined : options.snapshots ?? (ledger.location !== undefined ? SnapshotStore.beside(ledger) : undefined);
    this.checkpoints = options.checkpoints;
    this.logger = options.logger ?? stderrLogger;
    this.recordSearchLimit = options.recordSearchLimit ?? 10_000;
    if (!Number.isSafeInteger(this.recordSearchLimit) || this.recordSearchLimit < 1) {
      throw new LedgerValidationError('recordSearchLimit', 'expected a positive integer', this.recordSearchLimit);
    }
    this.#writer = new SnapshotWriter(ledger, this.registry, options.provenance ?? DEFAULT_PROVENANCE, this.snapshots, this.checkpoints);
  }

  /** Every projection's state after event `to` (default: the tip), typed by the projections: `states.graph` is a GraphState. */
  async replay(options: ReplayOptions = {}): Promise<ProjectionStates<StatesOf<P>>> {
    const target = options.to ?? (await this.ledger.getTip()).sequence_number;
    return (await this.foldTo(target)).runner.current() as ProjectionStates<StatesOf<P>>;
  }

  /** Every projection's state after event `sequence`. */
  async stateAt(sequence: number): Promise<ProjectionStates<StatesOf<P>>> {
    return this.replay({ to: sequence });
  }

  /**
   * The state of one registered projection after event `to` (default: the tip), typed by it.
   *
   * @example
   * const graph: GraphState = await engine.stateOf(graphProjection, { to: 41 });
   */
  async stateOf<S>(projection: Projection<S, any>, options: ReplayOptions = {}): Promise<S> {
    if (this.registry.get(projection.name) !== projection) {
      throw new LedgerValidationError('projection', `"${projection.name}" is not registered with this engine`, projection.name);
    }
    const target = options.to ?? (await this.ledger.getTip()).sequence_number;
    return (await this.foldTo(target)).runner.stateOf(projection.name) as S;
  }

  /**
   * Replays to `at` (default: the tip), writes `snapshots/<at>.snapshot` atomically, then
   * appends the snapshot_created event that records the file's hash.
   */
  async takeSnapshot(options: { readonly at?: number } = {}): Promise<SnapshotRecord> {
    this.#writer.requireSnapshots();
    const tip = (await this.ledger.getTip()).sequence_number;
    const at = options.at ?? tip;
    if (tip < 0) throw new SnapshotError('SNAPSHOT_UNAVAILABLE', 'at', 'the ledger is empty: there is no event to anchor a snapshot to', at);
    if (!Number.isSafeInteger(at) || at < 0 || at > tip) throw new SnapshotError('SNAPSHOT_UNAVAILABLE', 'at', `expected a sequence in 0..${tip}`, at);
    if (tip - at >= this.recordSearchLimit) {
      throw new SnapshotError('SNAPSHOT_UNAVAILABLE', 'at', `more than recordSearchLimit (${this.recordSearchLimit}) events before the tip: its record would be out of reach`, at);
    }
    const fold = await this.foldTo(at);
    return this.#writer.snapshot(fold.runner.current(), fold.lastHash);
  }

  /** Replays, then keeps folding live events; see LiveProjections. */
  live(options: LiveOptions = {}): LiveProjections<P> {
    return new LiveProjections<P>(this, this.#writer, options);
  }

  /** @internal Folds up to `target` from the best verified start point (LiveSource). */
  async foldTo(target: number): Promise<FoldResult> {
    const tip = (await this.ledger.getTip()).sequence_number;
    if (!Number.isSafeInteger(target) || target < -1) throw new LedgerValidationError('to', 'expected a sequence >= 0', target);
    if (target > tip) throw new LedgerNotFoundError(target, `no event at sequence ${target}: the tip is ${tip}`);
    const start =
      target < 0
        ? undefined
        : await selectStartPoint(this.ledger, target, tip, {
            registry: this.registry,
            snapshots: this.snapshots,
            checkpoints: this.checkpoints,
            logger: this.logger,
            recordSearchLimit: this.recordSearchLimit,
          });
    return foldLedger(this.ledger, this.registry, start, target, this.options);
  }
}
