// The one place where a line is judged against the chain: its own hash, its sequence, its link,
// and the ledger-wide rules of issue 13 (stream versions, unique event ids: eventChecks.ts).
// verifyChain/verifyFile report the first failure; replay turns it into LedgerCorruptionError.
import { hash as digest } from 'node:crypto';
import { checkLine, checkLineBytes, type LineFacts } from '../contract/eventLine.js';
import { chainLine, scanChainLine } from '../contract/canonicalLine.js';
import { EventChecks, fingerprint, fingerprintUuid, fp, type EventKeys } from './eventChecks.js';
import type { LineRun } from '../contract/lineReader.js';
import { F_SAFE, F_STREAM, F_STREAM_ESCAPED, F_STREAM_NONASCII, R_FLAGS, R_HASH, R_ID_FROM, R_ID_TO, R_IN_FROM, R_IN_LEN, R_PRINT, R_STREAM_FROM, R_STREAM_TO, R_STREAM_VERSION, RECORD, scanner } from '../contract/wasm/chainScanner.js';

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

  /** Set by advanceRun: why the line after those it accepted fails (undefined if none failed). */
  runFailure: string | undefined;
  // The lines scanned by the last WebAssembly call and not yet hashed: lines[runAt, runEnd),
  // their records from runRecord (a caller may stop a run early, at an id suspect).
  private runLines: readonly Uint8Array[] | LineRun | undefined;
  private runAt = 0;
  private runEnd = 0;
  private runRecord = 0;
  private runGeneration = -1;
  // lines[runMismatch] is the first of the run whose stored hash differs from its digest (runEnd
  // if none); the run's digests are in the scanner's digest area.
  private runMismatch = 0;
  private runStart = 0;

  /** The sequence the next event must carry. */
  get next(): number {
    return this.expected;
  }

  /**
   * Where a failure of the line just refused is reported: the first event of the atomic batch
   * it cuts (issue 22) when the batch rule failed, else `next`. Read right after the failure.
   */
  get breakAt(): number {
    const at = this.checks.batchBreak;
    this.checks.batchBreak = undefined;
    return at ?? this.expected;
  }

  /** The hash the open batch's first event links to (undefined if none is open, or it began before this cursor). */
  beforeBatch: string | undefined;

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
          return hashMismatch(c.hash, computed);
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
   * advanceBytes over lines[from...] on the WebAssembly path: one call scans a run of lines
   * (the JavaScript scanner's checks, plus the sequence and the link to each line's stored
   * hash) and lays out each hash input; here each is only hashed (the run's digests compared
   * to the stored hashes in one call), and the stream and id rules applied, as advanceBytes'
   * fast path does. Returns how many lines extended the
   * chain. It stops after a line that leaves `checks.suspect` set (the caller confirms it),
   * and at a line that fails (`runFailure` says why, the reason advanceBytes gives). 0 without
   * a failure: lines[from] takes advanceBytes (the reference), which gives its verdict.
   * `lines`: views, or a reader's LineRun (offsets into one buffer: no object per line).
   * `safe`: if given, safe[k] is set for lines[from + k] accepted: nonzero when every integer
   * in it is safe (replay then reads the line with JSON.parse).
   */
  advanceRun(lines: readonly Uint8Array[] | LineRun, from: number, safe?: number[]): number {
    this.runFailure = undefined;
    const w = scanner();
    if (w === undefined) return 0;
    if (this.runLines !== lines || this.runAt !== from || from >= this.runEnd || this.runGeneration !== w.generation) {
      this.runLines = undefined;
      if (this.digest === undefined) {
        if (!SHA_SHAPE.test(this.text!)) return 0;
        this.digest = Buffer.from(this.text!.slice(7), 'hex').toString('latin1');
      }
      const n = w.scanRun(lines, from, this.expected, this.digest, this.checks.ids ? this.checks.key : undefined);
      if (n === 0) return 0;
      this.runLines = lines;
      this.runEnd = from + n;
      this.runRecord = w.records;
      this.runGeneration = w.generation;
      this.runStart = from;
      // Every line of the run hashed first, compared in one call: the first mismatch is then
      // known, and the loop below gives the verdicts in the same order as line by line.
      const u32 = w.u32;
      const memory = w.u8.buffer;
      for (let k0 = 0, r = w.records >> 2; k0 < n; k0 += CHUNK) {
        const m = Math.min(CHUNK, n - k0);
        for (let k = 0; k < m; k++, r += RECORD >> 2) {
          runDigests[k] = digest('sha256', new Uint8Array(memory, u32[r + (R_IN_FROM >> 2)]!, u32[r + (R_IN_LEN >> 2)]!), 'binary'); // 'binary' is latin1: the 32 bytes as 32 characters
        }
        runDigests.length = m;
        w.writeDigests(runDigests.join(''), k0);
      }
      this.runMismatch = from + w.firstMismatch(n);
    }
    const u8 = w.u8;
    const u32 = w.u32;
    const checks = this.checks;
    const ids = checks.ids;
    const end = this.runEnd;
    const mismatch = this.runMismatch;
    let expected = this.expected;
    let at = this.runRecord;
    let i = from;
    while (i < end) {
      const r = at >> 2;
      const flags = u32[r + (R_FLAGS >> 2)]!;
      if (safe !== undefined) safe[i - from] = flags & F_SAFE;
      const idFrom = u32[r + (R_ID_FROM >> 2)]!;
      const idTo = u32[r + (R_ID_TO >> 2)]!;
      if (ids) {
        // Computed by the scan (R_PRINT), the value fingerprint() gives.
        fp[0] = u32[r + (R_PRINT >> 2)]!;
        fp[1] = u32[r + (R_PRINT >> 2) + 1]!;
      }
      if (i === mismatch) {
        const d = w.digests + 32 * (i - this.runStart);
        this.runFailure = hashMismatch(u8.subarray(at + R_HASH, at + R_HASH + 32), u8.toString('latin1', d, d + 32));
        break;
      }
      let stream: string | undefined;
      let version = -1;
      if (flags & F_STREAM) {
        const s = u32[r + (R_STREAM_FROM >> 2)]!;
        const e = u32[r + (R_STREAM_TO >> 2)]!;
        stream = flags & F_STREAM_ESCAPED ? (JSON.parse(u8.toString('utf8', s, e)) as string) : flags & F_STREAM_NONASCII ? u8.toString('utf8', s + 1, e - 1) : u8.toString('latin1', s + 1, e - 1);
        version = w.f64[(at + R_STREAM_VERSION) >> 3]!;
      }
      const why = checks.checkScanned(expected, stream, version, u8, idFrom, idTo);
      if (why !== undefined) {
        this.runFailure = why;
        break;
      }
      expected++;
      i++;
      at += RECORD;
      if (checks.suspect !== undefined) break;
    }
    if (this.runFailure !== undefined) this.runLines = undefined;
    this.runAt = i;
    this.runRecord = at;
    if (expected !== this.expected) {
      this.expected = expected;
      const d = w.digests + 32 * (i - 1 - this.runStart);
      this.digest = u8.toString('latin1', d, d + 32);
      this.text = undefined;
    }
    return i - from;
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
      if (keys.batch?.index === 0) this.beforeBatch = previous;
    }
    this.text = hash;
    this.digest = undefined;
    this.expected = expected + 1;
    return undefined;
  }
}

/** Reused: the digests of a run's lines (latin1 strings), joined to be written at once. */
const runDigests: string[] = [];
/**
 * Lines a write: the joined string stays a small young object (the whole run, 4096 lines, in
 * one string is slower than the per-line compare it replaces).
 */
const CHUNK = 128;

/** Reused buffer for the hash input when the caller's bytes may not be rearranged. */
let scratch = Buffer.allocUnsafe(64 * 1024);

/** The reason a line's stored hash (32 bytes) differs from its digest (a latin1 string). */
function hashMismatch(stored: Uint8Array, computed: string): string {
  return `stored hash sha256:${Buffer.from(stored).toString('hex')} but content hashes to sha256:${Buffer.from(computed, 'latin1').toString('hex')}`;
}

/** True if the 32 bytes are the digest given as a latin1 string. */
function same32(a: Uint8Array, b: string): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b.charCodeAt(i)) return false;
  return true;
}
