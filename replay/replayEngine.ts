// Replay: the newest usable snapshot at or below the target, then every later event up to the
// target, each checked (hash, sequence, link) before it is folded. The result equals a full
// replay from genesis; snapshots only make it cheaper (cost grows with the distance from the
// snapshot, not with the ledger's length).
import { LedgerCorruptionError, LedgerNotFoundError, LedgerValidationError } from '../src/errors/errors.js';
import type { Provenance } from '../src/contract/event.js';
import { GENESIS_HASH, sha256 } from '../src/contract/hash.js';
import type { Ledger } from '../src/ledger/ledger.js';
import type { AnyProjection, Projection, StatesOf } from '../projections/projection.js';
import { ProjectionRegistry } from '../projections/projectionRegistry.js';
import { ProjectionRunner, type ProjectionStart, type ProjectionStates } from '../projections/projectionRunner.js';
import type { CheckpointStore } from '../snapshots/checkpointStore.js';
import { appendSnapshotCreated, type SnapshotCreatedPayload } from '../snapshots/snapshotCreated.js';
import { SnapshotError } from '../snapshots/snapshotErrors.js';
import { encodeSnapshot, SNAPSHOT_FORMAT_VERSION } from '../snapshots/snapshotFormat.js';
import { SnapshotStore, storeDirectory } from '../snapshots/snapshotStore.js';
import { verifyCheckpoint, verifySnapshot, type VerifiedSnapshot } from '../snapshots/verifySnapshot.js';
import { ChainVerifier } from '../src/verify/chainVerifier.js';
import { WRITE_SNAPSHOT } from './internal.js';
import type { UpcasterRegistry } from '../src/ledger/upcasters.js';
import { LiveProjections, type LiveOptions } from './liveProjections.js';
import { stderrLogger, type ReplayLogger } from './replayLogger.js';

/** Progress of a long replay, reported every `progressEvery` events. */
export interface ReplayProgress {
  /** The last event folded. */
  readonly sequence: number;
  /** The first event folded (after the snapshot) and the last one to fold. */
  readonly from: number;
  readonly to: number;
}

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
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Default 10000. */
  readonly progressEvery?: number;
  /** Old events are upcast to their current shape before projections fold them (hashes are checked on the stored bytes). */
  readonly upcasters?: UpcasterRegistry;
}

export interface ReplayOptions {
  /** The last event to fold (default: the tip when the replay starts). */
  readonly to?: number;
}

/** What takeSnapshot wrote and recorded. */
export interface SnapshotRecord extends SnapshotCreatedPayload {
  /** Absolute path of the snapshot file. */
  readonly path: string;
  /** Sequence of the snapshot_created event that records it. */
  readonly record_sequence: number;
}

/** The result of a fold: the runner at the target and the hash of its last event. */
export interface FoldResult {
  readonly runner: ProjectionRunner;
  readonly lastHash: string;
  /** The sequence the fold started from (snapshot, checkpoint, or -1 for genesis). */
  readonly startSequence: number;
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
  private readonly provenance: Provenance;
  private readonly recordSearchLimit: number;

  constructor(
    readonly ledger: Ledger,
    private readonly options: ReplayEngineOptions<P>,
  ) {
    this.registry = ProjectionRegistry.from(options.projections);
    this.snapshots =
      options.snapshots === false ? undefined : options.snapshots ?? (storeDirectory(ledger.store) !== undefined ? SnapshotStore.beside(ledger.store) : undefined);
    this.checkpoints = options.checkpoints;
    this.logger = options.logger ?? stderrLogger;
    this.provenance = options.provenance ?? DEFAULT_PROVENANCE;
    this.recordSearchLimit = options.recordSearchLimit ?? 10_000;
    if (!Number.isSafeInteger(this.recordSearchLimit) || this.recordSearchLimit < 1) {
      throw new LedgerValidationError('recordSearchLimit', 'expected a positive integer', this.recordSearchLimit);
    }
  }

  /** Every projection's state after event `to` (default: the tip). */
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
    const store = this.requireSnapshots();
    const tip = (await this.ledger.getTip()).sequence_number;
    const at = options.at ?? tip;
    if (tip < 0) throw new SnapshotError('SNAPSHOT_UNAVAILABLE', 'at', 'the ledger is empty: there is no event to anchor a snapshot to', at);
    if (!Number.isSafeInteger(at) || at < 0 || at > tip) throw new SnapshotError('SNAPSHOT_UNAVAILABLE', 'at', `expected a sequence in 0..${tip}`, at);
    if (tip - at >= this.recordSearchLimit) {
      throw new SnapshotError('SNAPSHOT_UNAVAILABLE', 'at', `more than recordSearchLimit (${this.recordSearchLimit}) events before the tip: its record would be out of reach`, at);
    }
    const fold = await this.foldTo(at);
    return this[WRITE_SNAPSHOT](store, fold.runner.current(), fold.lastHash);
  }

  /** Replays, then keeps folding live events; see LiveProjections. */
  live(options: LiveOptions = {}): LiveProjections<P> {
    return new LiveProjections<P>(this, options);
  }

  // ---- internals shared with LiveProjections -------------------------------------------------

  /** @internal Folds up to `target` from the best verified start point. */
  async foldTo(target: number): Promise<FoldResult> {
    const tip = (await this.ledger.getTip()).sequence_number;
    if (!Number.isSafeInteger(target) || target < -1) throw new LedgerValidationError('to', 'expected a sequence >= 0', target);
    if (target > tip) throw new LedgerNotFoundError(target, `no event at sequence ${target}: the tip is ${tip}`);
    const start = target < 0 ? undefined : await this.startPoint(target, tip);
    const starts = new Map<string, ProjectionStart>();
    for (const p of start?.projections ?? []) starts.set(p.name, { sequence: start!.sequence, state: p.state });
    const runner = new ProjectionRunner(this.registry, starts, this.options.upcasters ? { upcasters: this.options.upcasters } : {});
    const from = runner.sequence;
    const chain = new ChainVerifier(from + 1, from < 0 ? GENESIS_HASH : start!.anchorHash);
    const every = this.options.onProgress ? (this.options.progressEvery ?? 10_000) : 0;
    if (target > from) {
      for await (const { line } of this.ledger.store.scanLines(from + 1, target)) {
        const event = chain.acceptLine(line);
        runner.apply(event);
        if (every > 0 && (event.sequence - from) % every === 0) this.options.onProgress!({ sequence: event.sequence, from: from + 1, to: target });
      }
    }
    if (chain.next !== target + 1) throw new LedgerCorruptionError(chain.next, `${this.ledger.store.description} ended before sequence ${target}`);
    if (every > 0) this.options.onProgress!({ sequence: target, from: from + 1, to: target });
    return { runner, lastHash: chain.lastHash, startSequence: from };
  }

  /**
   * Writes the snapshot file of `states`, then its snapshot_created record. Keyed by a symbol the
   * public entry point does not export: the states must come from this engine's own fold, or a
   * caller could record any state it likes.
   */
  async [WRITE_SNAPSHOT](store: SnapshotStore, states: ProjectionStates, anchorHash: string): Promise<SnapshotRecord> {
    const projections = this.entries(states);
    const bytes = encodeSnapshot({ kind: 'snapshot', sequence: states.sequence, anchor_hash: anchorHash, projections });
    const path = await store.write(states.sequence, bytes);
    const payload: SnapshotCreatedPayload = {
      sequence: states.sequence,
      file: SnapshotStore.fileName(states.sequence),
      file_hash: sha256(bytes),
      anchor_hash: anchorHash,
      format_version: SNAPSHOT_FORMAT_VERSION,
      projections: projections.map(({ name, version }) => ({ name, version })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    };
    const record_sequence = await appendSnapshotCreated(this.ledger, this.provenance, payload);
    return { ...payload, path, record_sequence };
  }

  /** @internal Replaces the consumer's checkpoint with `states` (anchored to event states.sequence). */
  async writeCheckpoint(store: CheckpointStore, states: ProjectionStates, anchorHash: string): Promise<string> {
    return store.write(encodeSnapshot({ kind: 'checkpoint', sequence: states.sequence, anchor_hash: anchorHash, projections: this.entries(states) }));
  }

  /** Each registered projection's name, version and state, as snapshots and checkpoints hold them. */
  private entries(states: ProjectionStates): Array<{ name: string; version: number; state: unknown }> {
    return this.registry.list().map((p) => ({ name: p.name, version: p.version, state: states.states[p.name] }));
  }

  /** @internal */
  requireSnapshots(): SnapshotStore {
    if (!this.snapshots) {
      throw new SnapshotError('SNAPSHOT_UNAVAILABLE', 'snapshots', `no snapshot directory for ${this.ledger.store.description}: pass { snapshots: SnapshotStore.at(dir) }`);
    }
    return this.snapshots;
  }

  /**
   * The newest snapshot or checkpoint at or below `target` that passes every check and holds at
   * least one registered projection at its registered version. Projections it lacks, or holds
   * at another version, start from genesis.
   */
  private async startPoint(target: number, tip: number): Promise<VerifiedSnapshot | undefined> {
    if (this.registry.size === 0) return undefined;
    let checkpoint: VerifiedSnapshot | undefined;
    if (this.checkpoints) {
      const verdict = await verifyCheckpoint(this.ledger, this.checkpoints, { tip });
      if (verdict && !verdict.ok) this.logger.warn(`checkpoint ${this.checkpoints.path} skipped: ${verdict.reason}`);
      if (verdict?.ok && verdict.snapshot.sequence <= target) checkpoint = verdict.snapshot;
    }
    const sequences = this.snapshots ? (await this.snapshots.list()).filter((s) => s <= target) : [];
    for (const sequence of sequences) {
      if (checkpoint && checkpoint.sequence >= sequence) {
        const usable = this.usable(checkpoint);
        if (usable) return usable;
        checkpoint = undefined;
      }
      const verdict = await verifySnapshot(this.ledger, this.snapshots!, sequence, { tip, recordSearchLimit: this.recordSearchLimit });
      if (!verdict.ok) {
        this.logger.warn(`snapshot ${this.snapshots!.path(sequence)} skipped: ${verdict.reason}`);
        continue;
      }
      const usable = this.usable(verdict.snapshot);
      if (usable) return usable;
    }
    return checkpoint ? this.usable(checkpoint) : undefined;
  }

  /** Keeps the projections whose version matches; undefined (with a warning) if none does. */
  private usable(snapshot: VerifiedSnapshot): VerifiedSnapshot | undefined {
    const projections = [];
    const stale: string[] = [];
    for (const p of this.registry.list()) {
      const stored = snapshot.projections.find((s) => s.name === p.name);
      if (stored && stored.version === p.version) projections.push(stored);
      else stale.push(`"${p.name}" (registered version ${p.version}, ${stored ? `${snapshot.kind} has version ${stored.version}` : `not in the ${snapshot.kind}`})`);
    }
    if (projections.length === 0) {
      this.logger.warn(`${snapshot.kind} ${snapshot.file} skipped: no registered projection at its version: ${stale.join(', ')}`);
      return undefined;
    }
    if (stale.length > 0) this.logger.warn(`${snapshot.kind} ${snapshot.file}: rebuilding from genesis ${stale.join(', ')}`);
    return { ...snapshot, projections };
  }
}
