// The one place where a line is judged against the chain: its own hash, its sequence, its link,
// and the ledger-wide rules of issue 13 (stream versions, unique event ids: eventChecks.ts).
// verifyChain/verifyFile report the first failure; replay turns it into LedgerCorruptionError.
import { checkLine, checkLineBytes, type LineFacts } from '../contract/eventLine.js';
import { EventChecks, type EventKeys } from './eventChecks.js';

/** A position in the chain: the sequence expected next and the hash it must link to. */
export class ChainCursor {
  /**
   * The stream and event-id rules. Default: from genesis when the chain starts at 0 (a stream's
   * first event must be version 0), else a suffix (a stream's first event seen fixes its place).
   */
  readonly checks: EventChecks;

  constructor(
    private expected: number,
    private previous: string,
    checks?: EventChecks,
  ) {
    this.checks = checks ?? new EventChecks(expected === 0 ? 'genesis' : 'suffix');
  }

  /** The sequence the next event must carry. */
  get next(): number {
    return this.expected;
  }

  /** The hash of the last accepted event (the starting link before any). */
  get lastHash(): string {
    return this.previous;
  }

  /**
   * Checks a stored line; advances and returns undefined if it extends the chain, else why not.
   * An event_id fingerprint match leaves `checks.suspect` set for the caller to confirm.
   */
  advance(line: string, facts?: LineFacts): string | undefined {
    const c = checkLine(line, facts);
    return c.ok ? this.advanceChecked(c.sequence, c.hash, c.computed, c.previous_hash, c) : c.reason;
  }

  /**
   * As advance(), for a line given as its stored bytes (hashed as they are, never decoded on
   * the fast path). `consume`: see checkLineBytes (the bytes may be rearranged).
   */
  advanceBytes(bytes: Buffer, facts?: LineFacts, consume = false): string | undefined {
    const c = checkLineBytes(bytes, facts, consume);
    return c.ok ? this.advanceChecked(c.sequence, c.hash, c.computed, c.previous_hash, c) : c.reason;
  }

  /**
   * As advance(), for an event whose hash was already recomputed (`computed`): replay's fast
   * path. `keys`: its event_id and stream for the ledger-wide rules (without them, none). @internal
   */
  advanceChecked(sequence: number, hash: string, computed: string, previousHash: string, keys?: EventKeys): string | undefined {
    const expected = this.expected;
    if (sequence !== expected) return `expected sequence ${expected}, found ${sequence}`;
    if (computed !== hash) return `stored hash ${hash} but content hashes to ${computed}`;
    if (previousHash !== this.previous) {
      return `previous_hash ${previousHash} does not link to ${expected === 0 ? 'genesis' : `sequence ${expected - 1}`} (${this.previous})`;
    }
    if (keys !== undefined) {
      const why = this.checks.check(sequence, keys);
      if (why !== undefined) return why;
    }
    this.previous = hash;
    this.expected = expected + 1;
    return undefined;
  }
}
