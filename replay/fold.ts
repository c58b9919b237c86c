// The fold itself: from a verified start point (or genesis) to the target, every stored line
// checked (hash, sequence, link) before a projection sees its event. Choosing the start point
// and writing snapshots are the snapshot layer's job; this is only the folding.
import { LedgerCorruptionError } from '../src/errors/errors.js';
import { GENESIS_HASH } from '../src/contract/hash.js';
import type { LedgerEvent } from '../src/contract/event.js';
import type { Ledger } from '../src/ledger/ledger.js';
import type { UpcasterRegistry } from '../src/ledger/upcasters.js';
import { ChainVerifier } from '../src/verify/chainVerifier.js';
import type { ProjectionRegistry } from '../projections/projectionRegistry.js';
import { ProjectionRunner, type ProjectionStart } from '../projections/projectionRunner.js';
import type { VerifiedSnapshot } from '../snapshots/verifySnapshot.js';

/** Progress of a long replay, reported every `progressEvery` events. */
export interface ReplayProgress {
  /** The last event folded. */
  readonly sequence: number;
  /** The first event folded (after the snapshot) and the last one to fold. */
  readonly from: number;
  readonly to: number;
}

/** The result of a fold: the runner at the target and the hash of its last event. */
export interface FoldResult {
  readonly runner: ProjectionRunner;
  readonly lastHash: string;
  /** The sequence the fold started from (snapshot, checkpoint, or -1 for genesis). */
  readonly startSequence: number;
}

export interface FoldOptions {
  readonly upcasters?: UpcasterRegistry | undefined;
  readonly onProgress?: ((progress: ReplayProgress) => void) | undefined;
  /** Default 10000. */
  readonly progressEvery?: number | undefined;
}

/**
 * Folds `ledger` into the projections of `registry` from `start` (undefined: genesis) through
 * event `target`, which the caller has checked is at or below the tip.
 */
export async function foldLedger(ledger: Ledger, registry: ProjectionRegistry, start: VerifiedSnapshot | undefined, target: number, options: FoldOptions = {}): Promise<FoldResult> {
  const starts = new Map<string, ProjectionStart>();
  for (const p of start?.projections ?? []) starts.set(p.name, { sequence: start!.sequence, state: p.state });
  const runner = new ProjectionRunner(registry, starts, options.upcasters ? { upcasters: options.upcasters } : {});
  const from = runner.sequence;
  const chain = new ChainVerifier(from + 1, from < 0 ? GENESIS_HASH : start!.anchorHash);
  const onProgress = options.onProgress;
  const every = onProgress ? (options.progressEvery ?? 10_000) : 0;
  const batches = target > from ? ledger.readLineBatches(from + 1, target) : undefined;
  if (batches) {
    // The byte path: each line checked as stored (no decode, re-encode, decode), then parsed.
    const fold = (event: LedgerEvent): void => {
      runner.apply(event);
      if (every > 0 && (event.sequence - from) % every === 0) onProgress!({ sequence: event.sequence, from: from + 1, to: target });
    };
    for await (const batch of batches) {
      // Runs of lines on verifyChain's WebAssembly path; a line it leaves takes acceptBytes.
      for (let i = 0; i < batch.length; ) {
        const n = chain.acceptRun(batch, i, fold);
        if (n > 0) i += n;
        else fold(chain.acceptBytes(batch[i++]!));
      }
    }
  } else if (target > from) {
    for await (const { line } of ledger.readLines(from + 1, target)) {
      const event = chain.acceptLine(line);
      runner.apply(event);
      if (every > 0 && (event.sequence - from) % every === 0) onProgress!({ sequence: event.sequence, from: from + 1, to: target });
    }
  }
  if (chain.next !== target + 1) throw new LedgerCorruptionError(chain.next, `${ledger.description} ended before sequence ${target}`);
  if (every > 0) onProgress!({ sequence: target, from: from + 1, to: target });
  return { runner, lastHash: chain.lastHash, startSequence: from };
}
