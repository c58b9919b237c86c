// Checks each replayed event on the way: its hash recomputed from canonical JSON, its
// sequence, and its link to the event before. Replay never folds an event it has not checked,
// so a tampered ledger yields LedgerCorruptionError at the broken sequence, not a wrong state.
import { canonicalJsonOfStored } from '../contract/canonicalJson.js';
import { LedgerCorruptionError } from '../errors/errors.js';
import type { LedgerEvent } from '../contract/event.js';
import { ChainCursor } from './chainCursor.js';
import { EventChecks, fingerprintKey } from './eventChecks.js';
import { checkLine, readEventLine, type LineFacts } from '../contract/eventLine.js';
import { sha256 } from '../contract/hash.js';

/**
 * The chain cursor of verifyChain, throwing: starts expecting `sequence` linked to
 * `previousHash`, and advances with every event it accepts.
 */
export class ChainVerifier {
  private readonly cursor: ChainCursor;

  constructor(sequence: number, previousHash: string) {
    // Streams are checked (from genesis when replay starts at 0); event ids are not: replay
    // cannot re-read a line to confirm a fingerprint match, and a live fold must not grow with
    // every event it sees. verifyChain and cold verification check ids.
    this.cursor = new ChainCursor(sequence, previousHash, new EventChecks(sequence === 0 ? 'genesis' : 'suffix', fingerprintKey(), false));
  }

  /** The sequence the next event must carry. */
  get next(): number {
    return this.cursor.next;
  }

  /** The hash of the last accepted event (the anchor given at construction before any). */
  get lastHash(): string {
    return this.cursor.lastHash;
  }

  /** Checks a stored line (the same recomputation as verifyChain) and returns its event. */
  acceptLine(line: string): LedgerEvent {
    const sequence = this.next;
    const facts: LineFacts = { exact: false };
    this.fail(this.cursor.advance(line, facts));
    // Read exactly as stored: JSON.parse only for a line the check proved canonical with safe
    // integers; otherwise strictly (LedgerUnreadableValueError rather than a rounded number).
    return readEventLine(line, sequence, facts.exact);
  }

  /**
   * acceptLine for a line given as its stored bytes (replay's byte path): checked as the bytes
   * it is (no encode), decoded once for the fold. The caller's bytes may be rearranged (the
   * line reader's views, not read again).
   */
  acceptBytes(bytes: Buffer): LedgerEvent {
    const sequence = this.next;
    const facts: LineFacts = { exact: false };
    // Decoded before the check may rearrange the bytes in place (no copy of the hash input);
    // the text is used only if the check accepts the bytes, and accepted bytes are valid
    // UTF-8 (the check refuses any other), so the decode is then exact.
    const line = bytes.toString('utf8');
    this.fail(this.cursor.advanceBytes(bytes, facts, true));
    return readEventLine(line, sequence, facts.exact);
  }

  /**
   * Checks lines[from...] on the WebAssembly run path (verifyChain's) and passes each accepted
   * line's event to `fold`, in order, only once the whole run has verified. Returns how many
   * were accepted; 0 when lines[from] must take acceptBytes (the reference, which gives its
   * verdict). A line that fails is LedgerCorruptionError at its sequence, thrown after the
   * lines before it are folded (as line by line). The bytes are not rearranged.
   */
  acceptRun(lines: readonly Buffer[], from: number, fold: (event: LedgerEvent) => void): number {
    const sequence = this.cursor.next;
    const safe = this.safe;
    const n = this.cursor.advanceRun(lines, from, safe);
    const why = this.cursor.runFailure;
    for (let k = 0; k < n; k++) {
      // Proven canonical: JSON.parse reads it exactly unless an integer is unsafe (then strictly).
      fold(readEventLine(lines[from + k]!.toString('utf8'), sequence + k, safe[k] !== 0));
    }
    if (why !== undefined) throw new LedgerCorruptionError(this.cursor.breakAt, why);
    return n;
  }

  private readonly safe: number[] = [];

  /** Checks an event object (from the live stream) by re-serialising it canonically. */
  acceptEvent<E extends LedgerEvent<unknown>>(event: E): E {
    const { hash, ...body } = event;
    let computed: string;
    try {
      computed = sha256(canonicalJsonOfStored(body));
    } catch (e) {
      throw new LedgerCorruptionError(this.next, `event is not canonical JSON: ${(e as Error).message}`, { cause: e });
    }
    const e = event as { stream_id?: unknown; stream_version?: unknown };
    if ((e.stream_id === undefined) !== (e.stream_version === undefined)) this.fail('stream_id and stream_version come together or not at all');
    const batch = (event as { batch?: { index: number; size: number } }).batch;
    const keys = {
      id: NO_ID,
      ...(e.stream_id === undefined ? {} : { stream_id: e.stream_id as string, stream_version: e.stream_version as number }),
      ...(batch === undefined ? {} : { batch }),
    };
    this.fail(this.cursor.advanceChecked(event.sequence, hash, computed, event.previous_hash, keys));
    return event;
  }

  private fail(why: string | undefined): void {
    if (why !== undefined) throw new LedgerCorruptionError(this.cursor.breakAt, why);
  }
}

const NO_ID = new Uint8Array(0);

/** Checks one stored line on its own (hash and sequence, no link): the anchor of a snapshot. */
export function checkAnchorLine(line: string, sequence: number): { hash: string; event: LedgerEvent } {
  const facts: LineFacts = { exact: false };
  const c = checkLine(line, facts);
  if (!c.ok) throw new LedgerCorruptionError(sequence, c.reason);
  if (c.sequence !== sequence) throw new LedgerCorruptionError(sequence, `expected sequence ${sequence}, found ${c.sequence}`);
  if (c.computed !== c.hash) throw new LedgerCorruptionError(sequence, `stored hash ${c.hash} but content hashes to ${c.computed}`);
  return { hash: c.hash, event: readEventLine(line, sequence, facts.exact) };
}
