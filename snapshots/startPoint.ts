// Where a replay starts: the newest snapshot or checkpoint at or below the target that passes
// every check against the ledger (verifySnapshot, verifyCheckpoint) and holds at least one
// registered projection at its registered version. Anything skipped is reported, never fatal:
// replay from genesis gives the same states, only slower.
import type { Ledger } from '../src/ledger/ledger.js';
import type { ProjectionRegistry } from '../projections/projectionRegistry.js';
import type { CheckpointStore } from './checkpointStore.js';
import type { SnapshotStore } from './snapshotStore.js';
import { verifyCheckpoint, verifySnapshot, type VerifiedSnapshot } from './verifySnapshot.js';

export interface StartPointOptions {
  readonly registry: ProjectionRegistry;
  readonly snapshots: SnapshotStore | undefined;
  readonly checkpoints: CheckpointStore | undefined;
  /** Receives one line per snapshot or checkpoint skipped, and why. */
  readonly logger: { warn(message: string): void };
  /** How many events after a snapshot its snapshot_created record may be. */
  readonly recordSearchLimit: number;
}

/**
 * The best verified start point for a replay to `target` on a ledger whose tip is `tip`, with
 * only the projections it holds at their registered versions (the others start from genesis);
 * undefined: replay from genesis.
 */
export async function selectStartPoint(ledger: Ledger, target: number, tip: number, options: StartPointOptions): Promise<VerifiedSnapshot | undefined> {
  const { registry, snapshots, checkpoints, logger } = options;
  if (registry.size === 0) return undefined;
  const usable = (snapshot: VerifiedSnapshot) => usableProjections(snapshot, registry, logger);
  let checkpoint: VerifiedSnapshot | undefined;
  if (checkpoints) {
    const verdict = await verifyCheckpoint(ledger, checkpoints, { tip });
    if (verdict && !verdict.ok) logger.warn(`checkpoint ${checkpoints.path} skipped: ${verdict.reason}`);
    if (verdict?.ok && verdict.snapshot.sequence <= target) checkpoint = verdict.snapshot;
  }
  const sequences = snapshots ? (await snapshots.list()).filter((s) => s <= target) : [];
  for (const sequence of sequences) {
    // A checkpoint at least as new as this snapshot is tried first (it needs no record search).
    if (checkpoint && checkpoint.sequence >= sequence) {
      const fromCheckpoint = usable(checkpoint);
      if (fromCheckpoint) return fromCheckpoint;
      checkpoint = undefined;
    }
    const verdict = await verifySnapshot(ledger, snapshots!, sequence, { tip, recordSearchLimit: options.recordSearchLimit });
    if (!verdict.ok) {
      logger.warn(`snapshot ${snapshots!.path(sequence)} skipped: ${verdict.reason}`);
      continue;
    }
    const fromSnapshot = usable(verdict.snapshot);
    if (fromSnapshot) return fromSnapshot;
  }
  return checkpoint ? usable(checkpoint) : undefined;
}

/** Keeps the projections whose version matches; undefined (with a warning) if none does. */
function usableProjections(snapshot: VerifiedSnapshot, registry: ProjectionRegistry, logger: StartPointOptions['logger']): VerifiedSnapshot | undefined {
  const projections = [];
  const stale: string[] = [];
  for (const p of registry.list()) {
    const stored = snapshot.projections.find((s) => s.name === p.name);
    if (stored && stored.version === p.version) projections.push(stored);
    else stale.push(`"${p.name}" (registered version ${p.version}, ${stored ? `${snapshot.kind} has version ${stored.version}` : `not in the ${snapshot.kind}`})`);
  }
  if (projections.length === 0) {
    logger.warn(`${snapshot.kind} ${snapshot.file} skipped: no registered projection at its version: ${stale.join(', ')}`);
    return undefined;
  }
  if (stale.length > 0) logger.warn(`${snapshot.kind} ${snapshot.file}: rebuilding from genesis ${stale.join(', ')}`);
  return { ...snapshot, projections };
}
