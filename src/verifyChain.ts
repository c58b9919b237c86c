// Chain verification over any ordered stream of lines: the same code checks a live store and
// an exported file, so online and cold verification cannot disagree.
import { checkLine } from './eventLine.js';
import { GENESIS_HASH } from './hash.js';
import type { Tip } from './ledgerStore.js';

export interface VerifyResult {
  readonly valid: boolean;
  /** The first sequence that fails (hash, link or sequence), or null when valid. */
  readonly break_at: number | null;
  /** How many events verified before the break (all of them when valid). */
  readonly count: number;
  /** Why `break_at` failed, for humans. */
  readonly reason?: string;
  /** verifyFile only: bytes after the last newline (an unfinished write), not counted. */
  readonly torn_bytes?: number;
}

export interface VerifyOptions {
  /** Sequence of the first line (default 0). */
  readonly start?: number;
  /** Hash the first line must link to: GENESIS_HASH at 0, else the stored hash of start - 1. */
  readonly previousHash?: string;
  /** A tip known from elsewhere (a receipt, a witness): catches whole-line truncation. */
  readonly expectTip?: Tip;
  /** Called every `progressEvery` events with the number verified so far. */
  readonly onProgress?: (count: number) => void;
  readonly progressEvery?: number;
}

/** Verifies lines in order; stops at the first failure. Memory stays flat. */
export async function verifyLines(lines: AsyncIterable<string>, options: VerifyOptions = {}): Promise<VerifyResult> {
  const start = options.start ?? 0;
  let previous = options.previousHash ?? GENESIS_HASH;
  let expected = start;
  const every = options.progressEvery ?? 10_000;
  const broken = (reason: string): VerifyResult => ({ valid: false, break_at: expected, count: expected - start, reason });

  for await (const line of lines) {
    const c = checkLine(line);
    if (!c.ok) return broken(c.reason);
    if (c.sequence !== expected) return broken(`expected sequence ${expected}, found ${c.sequence}`);
    if (c.computed !== c.hash) return broken(`stored hash ${c.hash} but content hashes to ${c.computed}`);
    if (c.previous_hash !== previous) {
      return broken(`previous_hash ${c.previous_hash} does not link to ${expected === 0 ? 'genesis' : `sequence ${expected - 1}`} (${previous})`);
    }
    previous = c.hash;
    expected++;
    if (options.onProgress && (expected - start) % every === 0) options.onProgress(expected - start);
  }
  const tip = options.expectTip;
  if (tip && tip.sequence_number >= expected) {
    return broken(`the chain ends at sequence ${expected - 1} but the expected tip is ${tip.sequence_number}: events are missing`);
  }
  if (tip && (tip.sequence_number !== expected - 1 || tip.hash !== previous)) {
    // Only the last hash is kept while streaming, so a mismatch is reported at the tip given.
    return { valid: false, break_at: tip.sequence_number, count: tip.sequence_number - start, reason: `expected tip ${tip.sequence_number} ${tip.hash}; the chain's tip is ${expected - 1} ${previous}` };
  }
  return { valid: true, break_at: null, count: expected - start };
}
