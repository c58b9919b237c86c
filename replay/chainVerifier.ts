// Checks each replayed event on the way: its hash recomputed from canonical JSON, its
// sequence, and its link to the event before. Replay never folds an event it has not checked,
// so a tampered ledger yields LedgerCorruptionError at the broken sequence, not a wrong state.
import { canonicalJson } from '../src/canonicalJson.js';
import { LedgerCorruptionError } from '../src/errors.js';
import type { LedgerEvent } from '../src/event.js';
import { checkLine, parseEventLine } from '../src/eventLine.js';
import { sha256 } from '../src/hash.js';

/**
 * A cursor over the chain: starts expecting `sequence` linked to `previousHash`, and advances
 * with every event it accepts.
 */
export class ChainVerifier {
  constructor(
    private nextSequence: number,
    private previousHash: string,
  ) {}

  /** The sequence the next event must carry. */
  get next(): number {
    return this.nextSequence;
  }

  /** The hash of the last accepted event (the anchor given at construction before any). */
  get lastHash(): string {
    return this.previousHash;
  }

  /** Checks a stored line (the same recomputation as verifyChain) and returns its event. */
  acceptLine(line: string): LedgerEvent {
    const c = checkLine(line);
    const sequence = this.nextSequence;
    if (!c.ok) throw new LedgerCorruptionError(sequence, c.reason);
    this.check(c.sequence, c.hash, c.computed, c.previous_hash);
    // checkLine has parsed the line already; reuse its object if it hands it out.
    return (c as { event?: LedgerEvent }).event ?? parseEventLine(line);
  }

  /** Checks an event object (from the live stream) by re-serialising it canonically. */
  acceptEvent(event: LedgerEvent): LedgerEvent {
    const { hash, ...body } = event;
    let computed: string;
    try {
      computed = sha256(canonicalJson(body));
    } catch (e) {
      throw new LedgerCorruptionError(this.nextSequence, `event is not canonical JSON: ${(e as Error).message}`, { cause: e });
    }
    this.check(event.sequence, hash, computed, event.previous_hash);
    return event;
  }

  private check(sequence: number, hash: string, computed: string, previous: string): void {
    const expected = this.nextSequence;
    if (sequence !== expected) throw new LedgerCorruptionError(expected, `expected sequence ${expected}, found ${sequence}`);
    if (computed !== hash) throw new LedgerCorruptionError(expected, `stored hash ${hash} but content hashes to ${computed}`);
    if (previous !== this.previousHash) {
      throw new LedgerCorruptionError(expected, `previous_hash ${previous} does not link to ${expected === 0 ? 'genesis' : `sequence ${expected - 1}`} (${this.previousHash})`);
    }
    this.previousHash = hash;
    this.nextSequence = expected + 1;
  }
}

/** Checks one stored line on its own (hash and sequence, no link): the anchor of a snapshot. */
export function checkAnchorLine(line: string, sequence: number): { hash: string; event: LedgerEvent } {
  const c = checkLine(line);
  if (!c.ok) throw new LedgerCorruptionError(sequence, c.reason);
  if (c.sequence !== sequence) throw new LedgerCorruptionError(sequence, `expected sequence ${sequence}, found ${c.sequence}`);
  if (c.computed !== c.hash) throw new LedgerCorruptionError(sequence, `stored hash ${c.hash} but content hashes to ${c.computed}`);
  return { hash: c.hash, event: parseEventLine(line) };
}
