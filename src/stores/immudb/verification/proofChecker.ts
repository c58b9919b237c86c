// The store's side of verified reads and appends (ImmudbStoreOptions.verify): holds the trusted
// state, asks immudb for proofs of what the store read or wrote, checks them (immudbVerifier.ts)
// and moves the trusted state forward, persisting it to the configured file.
//
// First use: with no state in the file the server's CurrentState is trusted (as immudb's own
// clients do); from then on every answer must be consistent with it. Pin a known-good state by
// writing the file before first use.

import { LedgerCorruptionError } from '../../../errors/errors.js';
import type { EntryMsg, ImmudbSession, KeyValueMsg } from '../immudbRpc.js';
import { checkVerifiableEntry, checkVerifiableTx } from './immudbVerifier.js';
import { loadTrustedState, saveTrustedState, type TrustedState } from './trustedState.js';

/** Verification of immudb's proofs by the store (off unless given). */
export interface ImmudbVerifyOptions {
  /** Where the trusted state (last proven tx id and hash) is kept, per database; created 0600. */
  readonly trustedStateFile: string;
}

type ProofSession = Pick<ImmudbSession, 'verifiableGet' | 'verifiableTxById' | 'currentState'>;

/** Proofs per page in flight at once: enough to hide the round trip, few enough for a small server. */
const CONCURRENCY = 8;
/** The state file is rewritten at most this often (and on close): losing the newest state only trusts an older, still proven, one. */
const SAVE_INTERVAL_MS = 1_000;

export class ImmudbProofChecker {
  #state: TrustedState | undefined;
  #savedTxId = -1;
  #lastSave = 0;

  constructor(
    private readonly file: string,
    private readonly database: string,
    private readonly where: string,
  ) {
    this.#state = loadTrustedState(file, database);
    if (this.#state !== undefined) this.#savedTxId = this.#state.txId;
  }

  /** The trusted state now (undefined before first use). */
  get trusted(): TrustedState | undefined {
    return this.#state;
  }

  async #trusted(session: ProofSession): Promise<TrustedState> {
    if (this.#state === undefined) {
      const s = await session.currentState();
      this.#state = { txId: s.txId, txHash: s.txHash };
    }
    return this.#state;
  }

  #advance(next: TrustedState): void {
    // Checks run concurrently, each from the state it started with: keep the newest proven one.
    if (this.#state === undefined || next.txId > this.#state.txId) this.#state = next;
    if (Date.now() - this.#lastSave >= SAVE_INTERVAL_MS) this.flush();
  }

  /** Proves each scanned entry (the ledger's key N+k, at its tx) is the value immudb committed. */
  async checkEntries(session: ProofSession, entries: readonly EntryMsg[], firstSequence: number): Promise<void> {
    for (let at = 0; at < entries.length; at += CONCURRENCY) {
      // allSettled, then the lowest failing sequence: the error names the first bad entry, not the first to answer.
      const results = await Promise.allSettled(entries.slice(at, at + CONCURRENCY).map(async (entry, k) => {
        const trusted = await this.#trusted(session);
        const ctx = { sequence: firstSequence + at + k, where: this.where };
        const answer = await session.verifiableGet({ keyRequest: { key: entry.key, atTx: entry.tx }, proveSinceTx: trusted.txId });
        const next = checkVerifiableEntry(answer, entry.key, trusted, ctx, entry.value);
        if (answer.entry?.tx !== entry.tx) {
          throw new LedgerCorruptionError(ctx.sequence, `${this.where}: immudb proof check failed: the proof is for tx ${answer.entry?.tx}, the read entry is at tx ${entry.tx}`);
        }
        this.#advance(next);
      }));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    }
  }

  /** Proves tx `txId` (the append's ExecAll) holds exactly the values written, and advances the state to it. */
  async checkAppend(session: ProofSession, txId: number, written: readonly { kv: KeyValueMsg }[], sequence: number): Promise<void> {
    const trusted = await this.#trusted(session);
    const answer = await session.verifiableTxById({ tx: txId, proveSinceTx: trusted.txId });
    this.#advance(checkVerifiableTx(answer, txId, trusted, { sequence, where: this.where }, written.map((o) => o.kv)));
  }

  /** Writes the trusted state to the file if it moved since the last write. */
  flush(): void {
    const s = this.#state;
    this.#lastSave = Date.now();
    if (s === undefined || s.txId === 0 || s.txId === this.#savedTxId) return;
    saveTrustedState(this.file, this.database, s);
    this.#savedTxId = s.txId;
  }
}
