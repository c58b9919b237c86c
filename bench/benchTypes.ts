// The contract between bench/run.ts and each benchmark (append, verify, and helpers such as
// replayBench / immudbBench): a function of BenchOptions that resolves with table rows.

export interface BenchOptions {
  /** Events for the big-file benchmarks (verify: 1,000,000 by default; `--events N`). */
  readonly events: number;
  /** Events in the streams benchmark's ledger (`--ledger N`, default 20,000). */
  readonly ledgerEvents?: number;
  /** Appends per round for the fsync-bound append benchmark (`--append N`). */
  readonly appendEvents: number;
  /** Rounds of each paired comparison (at least 5; see bench/paired.ts). */
  readonly rounds: number;
  /** A fresh temporary directory for this benchmark (removed afterwards unless `--keep`). */
  readonly dir: string;
  /** Progress lines on stderr. */
  readonly log: (message: string) => void;
  /**
   * Artefacts earlier benchmarks left for later ones, e.g. `ledgerDir`: a directory store
   * holding `events` generated events (written by the verify benchmark), for replay.
   */
  readonly shared: Record<string, string | number | undefined>;
}

export interface BenchRow {
  /** Benchmark name: append, verify, replay, immudb, ... */
  readonly bench: string;
  /** What was measured, e.g. "Ledger.append (DirectoryStore)". */
  readonly metric: string;
  readonly value: number;
  /** e.g. "events/s", "MB", "ms". */
  readonly unit: string;
  /** The reference it is compared with, same unit. */
  readonly baseline?: { readonly metric: string; readonly value: number };
  /** The median of the per-round ratios value / baseline (paired rounds; see bench/paired.ts). */
  readonly ratio?: number;
  /** The spread of the per-round ratios, and every round's ratio. */
  readonly ratioSpread?: { readonly min: number; readonly max: number; readonly rounds: readonly number[] };
  /** Human-readable target, e.g. ">= 0.85" or "< 200 MB". */
  readonly target?: string;
  readonly pass?: boolean;
  readonly note?: string;
}

export type BenchFn = (options: BenchOptions) => Promise<readonly BenchRow[]>;
