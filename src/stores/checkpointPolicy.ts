// Checkpoints by policy (issue 9 §2): every N events and/or every T milliseconds, signed from the
// tree a ledger keeps current (LedgerOptions.merkle) and kept as <dir>/merkle/checkpoint.

import { LedgerValidationError } from '../errors/errors.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Checkpoint } from '../proofs/checkpoint.js';
import type { NoteSigner, NoteVerifier } from '../proofs/note.js';
import { takeCheckpoint, type CheckpointKeeper } from './merkleLog.js';

/** When to sign (every N events, every T ms), with which key, and where the checkpoint is kept. */
export interface CheckpointPolicyOptions {
  /** Where the latest checkpoint is kept: the directory store's directory (merkle/checkpoint), or a keeper (immudb: `store.checkpointKeeper()`). */
  readonly dir: string | CheckpointKeeper;
  /** The log's signer (its name is the origin) and its verifier (to read the previous checkpoint). */
  readonly signer: NoteSigner;
  readonly verifier: NoteVerifier;
  /** Sign once this many events were appended since the last checkpoint. */
  readonly every?: number;
  /** Sign at this period (milliseconds) when events were appended since the last checkpoint. */
  readonly everyMs?: number;
  /** Each new signed checkpoint. */
  readonly onCheckpoint?: (checkpoint: Checkpoint, signed: string) => void;
  /** A checkpoint that could not be taken (the next trigger tries again); default: ignored. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Signs checkpoints of `ledger` as it grows. The ledger must keep its tree (`merkle: true`).
 *
 * @example
 * const ledger = await Ledger.open(await DirectoryStore.open(dir), { merkle: true });
 * const policy = CheckpointPolicy.start(ledger, { dir, signer, verifier, every: 1000, everyMs: 60_000 });
 * // … appends …
 * await policy.stop(); // waits for a checkpoint in progress; then close the ledger
 */
export class CheckpointPolicy {
  private since = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly subscription: { unsubscribe(): void };
  private readonly timer: NodeJS.Timeout | undefined;
  /** The last checkpoint this policy signed. */
  latest: { checkpoint: Checkpoint; signed: string } | undefined;

  private constructor(private readonly ledger: Ledger, private readonly options: CheckpointPolicyOptions) {
    const { every, everyMs } = options;
    this.subscription = ledger.events$.subscribe(() => {
      this.since++;
      if (every !== undefined && this.since >= every) this.trigger();
    });
    this.timer = everyMs === undefined ? undefined : setInterval(() => this.since > 0 && this.trigger(), everyMs);
    this.timer?.unref();
  }

  /** Starts signing checkpoints of `ledger` every `every` events and/or every `everyMs` ms; stop() ends it. */
  static start(ledger: Ledger, options: CheckpointPolicyOptions): CheckpointPolicy {
    if (ledger.merkle === undefined) throw new LedgerValidationError('merkle', 'a checkpoint policy needs the ledger to keep its tree: open it with { merkle: true }', undefined);
    const positive = (name: 'every' | 'everyMs') => {
      const v = options[name];
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) throw new LedgerValidationError(name, `expected a positive integer, got ${String(v)}`, v);
    };
    positive('every');
    positive('everyMs');
    if (options.every === undefined && options.everyMs === undefined) throw new LedgerValidationError('every', 'give every (events) and/or everyMs (milliseconds)', undefined);
    return new CheckpointPolicy(ledger, options);
  }

  /** Signs a checkpoint now (after one in progress); resolves once it is kept. */
  async now(): Promise<{ checkpoint: Checkpoint; signed: string } | undefined> {
    this.trigger();
    while (this.running) await this.running;
    return this.latest;
  }

  private trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        this.since = 0;
        try {
          const { dir, signer, verifier } = this.options;
          this.latest = await takeCheckpoint(dir, this.ledger.store, this.ledger.merkle!, signer, verifier);
          this.options.onCheckpoint?.(this.latest.checkpoint, this.latest.signed);
        } catch (e) {
          this.options.onError?.(e);
        }
      } while (this.again && !this.stopped);
      this.running = undefined;
    })();
  }

  /** Stops the triggers and waits for a checkpoint in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.subscription.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    while (this.running) await this.running;
  }
}
