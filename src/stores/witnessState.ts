// The state a witness or a log client keeps per origin (the last checkpoint it cosigned or
// trusted), in files: the stateful side of src/proofs/cosignature.ts, whose checks are pure.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LedgerProofError } from '../errors/errors.js';
import { openCheckpoint, type Checkpoint } from '../proofs/checkpoint.js';
import { addCosignature, checkExtends, verifyCosignedCheckpoint, type Cosigner, type WitnessState } from '../proofs/cosignature.js';
import type { NoteVerifier } from '../proofs/note.js';
import { writeFileAtomic } from './atomicWrite.js';

/** A witness's key and the directory of its per-origin state. */
export interface WitnessOptions {
  readonly cosigner: Cosigner;
  /** Directory of per-origin state files. */
  readonly stateDir: string;
  /** Seconds since the epoch for the cosignature timestamp (default: the system clock). */
  readonly clock?: () => number;
}

/** Per-origin (size, root) files in a directory, written atomically and fsynced. */
export class OriginStates {
  constructor(readonly dir: string) {}

  private file(origin: string): string {
    return join(this.dir, `${createHash('sha256').update(origin, 'utf8').digest('hex')}.json`);
  }

  /** The state kept for `origin`, or undefined. */
  async get(origin: string): Promise<WitnessState | undefined> {
    let text: string;
    try {
      text = await readFile(this.file(origin), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const s = JSON.parse(text) as WitnessState;
    if (s.origin !== origin || !Number.isSafeInteger(s.size) || typeof s.root !== 'string') {
      throw new LedgerProofError('malformed_checkpoint', 'state', `file for ${JSON.stringify(origin)} is not a valid state`);
    }
    return s;
  }

  /** Replaces the state of `s.origin` atomically (temporary file, fsync, rename). */
  async set(s: WitnessState): Promise<void> {
    const file = this.file(s.origin);
    await writeFileAtomic(this.dir, file.slice(this.dir.length + 1), Buffer.from(`${JSON.stringify(s)}\n`, 'utf8'));
  }

}

/**
 * A witness: cosigns a log's checkpoint only if it is consistent with the last one it cosigned
 * for that origin. State is written (atomically, fsynced) before the cosignature is returned,
 * so a crash can never leave a cosignature the state does not account for. One witness process
 * per state directory.
 */
export class Witness {
  private readonly states: OriginStates;
  constructor(private readonly options: WitnessOptions) {
    this.states = new OriginStates(options.stateDir);
  }

  /** The last checkpoint this witness cosigned for `origin`, if any. */
  state(origin: string): Promise<WitnessState | undefined> {
    return this.states.get(origin);
  }

  /**
   * Cosigns `signedNote` (a checkpoint signed by `logVerifier`) given a consistency proof from
   * the last cosigned size to the new one. Returns the note with the cosignature line added.
   * The first checkpoint seen for an origin is trusted as is (trust on first use).
   */
  async cosign(signedNote: string, logVerifier: NoteVerifier, proof: readonly Uint8Array[]): Promise<string> {
    const { checkpoint: cp } = openCheckpoint(signedNote, logVerifier);
    const last = await this.state(cp.origin);
    checkExtends(last, cp, proof);
    if (last === undefined || cp.size > last.size) await this.states.set({ origin: cp.origin, size: cp.size, root: cp.root.toString('base64') });
    const time = (this.options.clock ?? (() => Math.floor(Date.now() / 1000)))();
    return addCosignature(signedNote, this.options.cosigner, time);
  }
}

/**
 * A log client's memory: the last checkpoint it trusted per origin. `accept` takes a newer signed
 * checkpoint only if a consistency proof links it to the last one (else 'split_view': the
 * history was rewritten between two visits), optionally requiring k of n witness cosignatures.
 */
export class TrustedCheckpoints {
  private readonly states: OriginStates;
  constructor(stateDir: string) {
    this.states = new OriginStates(stateDir);
  }

  /** The last checkpoint this client trusted for `origin`, if any. */
  last(origin: string): Promise<WitnessState | undefined> {
    return this.states.get(origin);
  }

  /** Trusts a newer signed checkpoint only if a consistency proof links it to the last one (else `split_view`). */
  async accept(signedNote: string, logVerifier: NoteVerifier, proof: readonly Uint8Array[], quorum?: { witnesses: readonly NoteVerifier[]; k: number }): Promise<Checkpoint> {
    const cp = quorum ? verifyCosignedCheckpoint(signedNote, logVerifier, quorum.witnesses, quorum.k).checkpoint : openCheckpoint(signedNote, logVerifier).checkpoint;
    const last = await this.states.get(cp.origin);
    checkExtends(last, cp, proof);
    if (last === undefined || cp.size > last.size) await this.states.set({ origin: cp.origin, size: cp.size, root: cp.root.toString('base64') });
    return cp;
  }
}
