// The one place where a line is judged against the chain: its own hash, its sequence, its link,
// and the ledger-wide rules of issue 13 (stream versions, unique event ids: eventChecks.ts).
// verifyChain/verifyFile report the first failure; replay turns it into LedgerCorruptionError.
import { hash as digest } from 'node:crypto';
import { checkLine, checkLineBytes, type LineFacts } from '../contract/eventLine.js';
import { chainLine, scanChainLine } from '../contract/canonicalLine.js';
import { EventChecks, fingerprint, fingerprintUuid, type EventKeys } from './eventChecks.js';

/** `sha256:` + 64 lowercase hex digits: the only hashes the byte fast path compares as bytes. */
const SHA_SHAPE = /^sha256:[0-9a-f]{64}$/;

/** A position in the chain: the sequence expected next and the hash it must link to. */
export class ChainCursor {
  /**
   * The stream and event-id rules. Default: from genesis when the chain starts at 0 (a stream's
   * first event must be version 0), else a suffix (a stream's first event seen fixes its place).
   */
  readonly checks: EventChecks;
  /**
   * The hash to link to, as its text (`text`) or, after a line checked on the fast path, as the
   * digest as the 32 characters of its latin1 string (`digest`: what crypto.hash gives
   * cheapest; the text is then made only if asked).
   */
  private text: string | undefined;
  private digest: string | undefined;

  constructor(
    private expected: number,
    previous: string,
    checks?: EventChecks,
  ) {
    this.checks = checks ?? new EventChecks(expected === 0 ? 'genesis' : 'suffix');
    this.text = previous;
  }

  /** The sequence the next event must carry. */
  get next(): number {
    return this.expected;
  }

  /** The hash of the last accepted event (the starting link before any). */
  get lastHash(): string {
    return (this.text ??= `sha256:${Buffer.from(this.digest!, 'latin1').toString('hex')}`);
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
   *
   * Fast path (every line a conforming writer stores): scanChainLine proves the bytes
   * canonical; the sequence and the link are compared on the bytes before anything is
   * touched, the digest's hex digits against the stored ones; no string, no object per line.
   * Any other line, and any line that breaks the sequence or the link, takes checkLineBytes
   * (the reference) on the untouched bytes, which gives the verdict and its reason.
   */
  advanceBytes(bytes: Buffer, facts?: LineFacts, consume = false): string | undefined {
    // The link as bytes: decoded once after a line checked on another path (it has the shape
    // of every stored hash, else this line takes the reference path).
    if (this.digest === undefined && SHA_SHAPE.test(this.text!)) this.digest = Buffer.from(this.text!.slice(7), 'hex').toString('latin1');
    if (this.digest !== undefined && scanChainLine(bytes)) {
      const c = chainLine;
      if (c.sequence === this.expected && same32(c.previous, this.digest)) {
        const cut = c.hashTo - c.hashFrom;
        const n = bytes.length - cut;
        // Ids first: consume moves the head (where event_id is) over the hash member.
        const checks = this.checks;
        if (checks.ids) {
          if (c.isUuid) fingerprintUuid(c.uuid[0]!, c.uuid[1]!, c.uuid[2]!, c.uuid[3]!, checks.key);
          else fingerprint(bytes.subarray(c.idFrom, c.idTo), checks.key);
        }
        let computed: string;
        let idShift = 0;
        if (consume) {
          bytes.copyWithin(cut, 0, c.hashFrom);
          computed = digest('sha256', new Uint8Array(bytes.buffer, bytes.byteOffset + cut, n), 'binary'); // 'binary' is latin1: the 32 bytes as 32 characters
          idShift = cut;
        } else {
          if (scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
          bytes.copy(scratch, 0, 0, c.hashFrom);
          bytes.copy(scratch, c.hashFrom, c.hashTo);
          computed = digest('sha256', new Uint8Array(scratch.buffer, scratch.byteOffset, n), 'binary'); // 'binary' is latin1: the 32 bytes as 32 characters
        }
        if (facts) facts.exact = c.safeIntegers;
        if (!same32(c.hash, computed)) {
          return `stored hash sha256:${Buffer.from(c.hash).toString('hex')} but content hashes to sha256:${Buffer.from(computed, 'latin1').toString('hex')}`;
        }
        const why = checks.checkScanned(this.expected, c.streamId, c.streamVersion, bytes, c.idFrom + idShift, c.idTo + idShift);
        if (why !== undefined) return why;
        this.digest = computed;
        this.text = undefined;
        this.expected++;
        return undefined;
      }
    }
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
    const previous = this.lastHash;
    if (previousHash !== previous) {
      return `previous_hash ${previousHash} does not link to ${expected === 0 ? 'genesis' : `sequence ${expected - 1}`} (${previous})`;
    }
    if (keys !== undefined) {
      const why = this.checks.check(sequence, keys);
      if (why !== undefined) return why;
    }
    this.text = hash;
    this.digest = undefined;
    this.expected = expected + 1;
    return undefined;
  }
}

/** Reused buffer for the hash input when the caller's bytes may not be rearranged. */
let scratch = Buffer.allocUnsafe(64 * 1024);

/** True if the 32 bytes are the digest given as a latin1 string. */
function same32(a: Uint8Array, b: string): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b.charCodeAt(i)) return false;
  return true;
}
