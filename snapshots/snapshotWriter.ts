// Writing snapshots and checkpoints: the file first (atomically), then, for a snapshot, the
// snapshot_created record that vouches for it. Not exported from the public entry point: the
// states written must come from the engine's own fold, or a caller could record any state.
import type { Provenance } from '../src/contract/event.js';
import { sha256 } from '../src/contract/hash.js';
import type { Ledger } from '../src/ledger/ledger.js';
import type { ProjectionRegistry } from '../projections/projectionRegistry.js';
import type { ProjectionStates } from '../projections/projectionRunner.js';
import type { CheckpointStore } from './checkpointStore.js';
import { appendSnapshotCreated, type SnapshotCreatedPayload } from './snapshotCreated.js';
import { SnapshotError } from './snapshotErrors.js';
import { encodeSnapshot, SNAPSHOT_FORMAT_VERSION, type SnapshotProjection } from './snapshotFormat.js';
import { SnapshotStore } from './snapshotStore.js';

/** What takeSnapshot wrote and recorded. */
export interface SnapshotRecord extends SnapshotCreatedPayload {
  /** Absolute path of the snapshot file. */
  readonly path: string;
  /** Sequence of the snapshot_created event that records it. */
  readonly record_sequence: number;
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Writes the snapshots and checkpoints of one engine: its ledger, its projections (whose names
 * and versions go into every file) and the provenance of its records. Not in the public entry
 * point; an engine keeps its writer in a private field and hands it only to its live mode.
 */
export class SnapshotWriter {
  constructor(
    private readonly ledger: Ledger,
    private readonly registry: ProjectionRegistry,
    private readonly provenance: Provenance,
    readonly snapshots: SnapshotStore | undefined,
    readonly checkpoints: CheckpointStore | undefined,
  ) {}

  /** The snapshot directory; SNAPSHOT_UNAVAILABLE if there is none. */
  requireSnapshots(): SnapshotStore {
    if (!this.snapshots) {
      throw new SnapshotError('SNAPSHOT_UNAVAILABLE', 'snapshots', `no snapshot directory for ${this.ledger.description}: pass { snapshots: SnapshotStore.at(dir) }`);
    }
    return this.snapshots;
  }

  /** Writes `<sequence>.snapshot` of `states` (anchored to the hash of event states.sequence), then its snapshot_created record. */
  async snapshot(states: ProjectionStates, anchorHash: string): Promise<SnapshotRecord> {
    const store = this.requireSnapshots();
    if (states.sequence < 0) {
      throw new SnapshotError('SNAPSHOT_UNAVAILABLE', 'at', 'the ledger is empty: there is no event to anchor a snapshot to', states.sequence);
    }
    const projections = this.entries(states);
    const bytes = encodeSnapshot({ kind: 'snapshot', sequence: states.sequence, anchor_hash: anchorHash, projections });
    const path = await store.write(states.sequence, bytes);
    const payload: SnapshotCreatedPayload = {
      sequence: states.sequence,
      file: SnapshotStore.fileName(states.sequence),
      file_hash: sha256(bytes),
      anchor_hash: anchorHash,
      format_version: SNAPSHOT_FORMAT_VERSION,
      projections: projections.map(({ name, version }) => ({ name, version })).sort(byName),
    };
    const { sequence: record_sequence } = await appendSnapshotCreated(this.ledger, this.provenance, payload);
    return { ...payload, path, record_sequence };
  }

  /** Replaces the consumer's checkpoint with `states` (anchored to the hash of event states.sequence); returns its path. */
  async checkpoint(store: CheckpointStore, states: ProjectionStates, anchorHash: string): Promise<string> {
    return store.write(encodeSnapshot({ kind: 'checkpoint', sequence: states.sequence, anchor_hash: anchorHash, projections: this.entries(states) }));
  }

  /** Each registered projection's name, version and state, as snapshots and checkpoints hold them. */
  private entries(states: ProjectionStates): SnapshotProjection[] {
    return this.registry.list().map((p) => ({ name: p.name, version: p.version, state: states.states[p.name] }));
  }
}
