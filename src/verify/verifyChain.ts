// Chain verification over any ordered stream of lines: the same code checks a live store and
// an exported file, so online and cold verification cannot disagree.
import { ChainCursor } from './chainCursor.js';
import { checkLineBytes } from '../contract/eventLine.js';
import { GENESIS_HASH } from '../contract/hash.js';
import { isWellFormed } from '../contract/canonicalLine.js';
import type { LineRun } from '../contract/lineReader.js';
import { isRun } from '../contract/wasm/chainScanner.js';
import type { Tip } from '../contract/tip.js';
import { EventChecks, fingerprintKey, idText, type IdSuspect } from './eventChecks.js';

/** The verdict on a chain: `{ valid, break_at, count }`, the same from every verifier. */
export interface VerifyResult {
  /**
   * True when every line hashes to its stored hash and links to the one before, each stream's
   * versions run 0, 1, 2... with no gap or repeat, and no event_id repeats.
   */
  readonly valid: boolean;
  /** The first sequence that fails (hash, link or sequence), or null when valid. */
  readonly break_at: number | null;
  /** How many events verified before the break (all of them when valid). */
  readonly count: number;
  /** Why `break_at` failed, for humans. */
  readonly reason?: string;
  /** verifyFile only: bytes after the last newline (an unfinished write), not counted. */
  readonly torn_bytes?: number;
  /**
   * verifyFile only (issue 22): the file ends inside an atomic batch (its first `events` of
   * `size` events, from `sequence`): an unfinished write like torn bytes, not committed and not
   * counted; the result is the chain up to the batch (`count` stops before `sequence`).
   */
  readonly unfinished_batch?: { readonly sequence: number; readonly events: number; readonly size: number };
}

/** Where a chain of lines starts, what tip it must end at, and progress reports. */
export interface VerifyOptions {
  /** Sequence of the first line (default 0). */
  readonly start?: number;
  /** Hash the first line must link to: GENESIS_HASH at 0, else the stored hash of start - 1. */
  readonly previousHash?: string;
  /** A tip known from elsewhere (a receipt, a witness): catches whole-line truncation. */
  readonly expectTip?: Tip;
  /** Called every `progressEvery` events with the number verified so far. */
  readonly onProgress?: (count: number) => void;
  /** How often onProgress is called, in events. */
  readonly progressEvery?: number;
  /**
   * The stored line at a sequence (string or bytes), to confirm an event_id fingerprint match
   * exactly (see eventChecks.ts); asked only on a match. Without it a match of the 64-bit keyed
   * fingerprints is reported as a repeat (a false match has probability ~2^-64 per pair).
   */
  readonly lineAt?: (sequence: number) => Promise<string | Uint8Array | undefined>;
  /**
   * The lines are a whole file (verifyFile): an atomic batch unfinished at its end is an
   * unfinished write (`unfinished_batch`), not a break. Otherwise a chain that ends inside a
   * batch is invalid at the batch's first event when it must end at a tip (`expectTip`), and
   * fine when it is a range that stops inside one. Internal.
   */
  readonly wholeFile?: boolean;
}

/** The canonical event_id of a stored line, or undefined if it is not a line that checks. */
function idOfLine(line: string | Uint8Array | undefined): Uint8Array | undefined {
  if (line === undefined || (typeof line === 'string' && !isWellFormed(line))) return undefined;
  const c = checkLineBytes(typeof line === 'string' ? Buffer.from(line, 'utf8') : Buffer.from(line.buffer, line.byteOffset, line.length));
  return c.ok ? Uint8Array.from(c.id) : undefined;
}

/**
 * Confirms a fingerprint match: the reason the event at `s.sequence` breaks the id rule, or
 * undefined if its event_id differs from that at `s.first` (two ids with one fingerprint). Internal.
 */
export async function confirmSuspect(s: IdSuspect, lineAt: VerifyOptions['lineAt']): Promise<string | undefined> {
  if (lineAt === undefined) {
    const shown = s.id.length > 0 ? `event_id ${idText(s.id)}` : 'its event_id';
    return `${shown} repeats the event_id of sequence ${s.first} (their 64-bit keyed fingerprints match; no re-read to confirm)`;
  }
  const id = s.id.length > 0 ? s.id : idOfLine(await lineAt(s.sequence));
  const first = idOfLine(await lineAt(s.first));
  if (id === undefined || first === undefined || Buffer.compare(id, first) !== 0) return undefined;
  return `event_id ${idText(id)} repeats: sequence ${s.first} holds it first`;
}

/**
 * Deferred ids (EventChecks' deferIds): `result` unless an event before its break (anywhere,
 * if valid) exactly repeats an earlier event_id; then the earliest such event is the failure.
 * `groups`: sequences whose fingerprints match, each ascending. Internal.
 */
export async function withRepeats(result: VerifyResult, groups: readonly number[][], start: number, lineAt: VerifyOptions['lineAt']): Promise<VerifyResult> {
  let at = result.valid ? Infinity : result.break_at!;
  let reason: string | undefined;
  for (const group of groups) {
    const members = group.filter((s) => s < at);
    if (members.length < 2) continue;
    if (lineAt === undefined) {
      at = members[1]!;
      reason = `its event_id repeats the event_id of sequence ${members[0]} (their 64-bit keyed fingerprints match; no re-read to confirm)`;
      continue;
    }
    // Exact: the ids themselves, each member read once (a group is two lines but by chance).
    const seen = new Map<string, number>();
    for (const s of members) {
      const id = idOfLine(await lineAt(s));
      if (id === undefined) continue;
      const k = Buffer.from(id.buffer, id.byteOffset, id.length).toString('latin1');
      const first = seen.get(k);
      if (first !== undefined) {
        at = s;
        reason = `event_id ${idText(id)} repeats: sequence ${first} holds it first`;
        break;
      }
      seen.set(k, s);
    }
  }
  return reason === undefined ? result : { valid: false, break_at: at, count: at - start, reason };
}

/** Verifies lines in order; stops at the first failure. Memory stays flat. */
export async function verifyLines(lines: AsyncIterable<string>, options: VerifyOptions = {}): Promise<VerifyResult> {
  const start = options.start ?? 0;
  const cursor = new ChainCursor(start, options.previousHash ?? GENESIS_HASH);
  const every = options.progressEvery ?? 10_000;
  const broken = (reason: string): VerifyResult => {
    const at = cursor.breakAt;
    return { valid: false, break_at: at, count: at - start, reason };
  };

  for await (const line of lines) {
    const why = cursor.advance(line);
    if (why !== undefined) return broken(why);
    const suspect = cursor.checks.suspect;
    if (suspect !== undefined) {
      cursor.checks.suspect = undefined;
      const repeat = await confirmSuspect(suspect, options.lineAt);
      if (repeat !== undefined) return { valid: false, break_at: suspect.sequence, count: suspect.sequence - start, reason: repeat };
    }
    if (options.onProgress && (cursor.next - start) % every === 0) options.onProgress(cursor.next - start);
  }
  return endOfChain(cursor, start, options.expectTip, options.wholeFile);
}

/**
 * verifyLines over lines given as bytes, in batches (readLineBatches' views or readLineRuns'
 * offsets): each line is judged and hashed as the bytes it is, with no decode on the fast path;
 * a run's line gets a view only where it leaves the WebAssembly path. `size`: how much the
 * batches hold, if known (a whole file's bytes, or a store's event count); given, the ids are
 * compared once at the end with a table sized from it. Internal parameter.
 */
export async function verifyLineBatches(
  batches: AsyncIterable<readonly Buffer[] | LineRun>,
  options: VerifyOptions = {},
  size?: { readonly fileBytes: number } | { readonly events: number },
): Promise<VerifyResult> {
  const start = options.start ?? 0;
  // A known size (verifyFile, Ledger.verifyChain): ids are compared once at the end (deferIds), before any verdict.
  const defer = size !== undefined;
  const cursor = new ChainCursor(start, options.previousHash ?? GENESIS_HASH, defer ? new EventChecks(start === 0 ? 'genesis' : 'suffix', fingerprintKey(), true, true) : undefined);
  const done = (result: VerifyResult): Promise<VerifyResult> | VerifyResult => (defer ? withRepeats(result, cursor.checks.repeatGroups(start), start, options.lineAt) : result);
  const every = options.progressEvery ?? 10_000;
  const onProgress = options.onProgress;
  // The id table is sized once for all the events instead of doubling all the way up: from the
  // count, or from the file's size and the mean line length of the first batch.
  if (size !== undefined && 'events' in size) cursor.checks.expect(Math.min(size.events, 1 << 30));
  let sized = size === undefined || 'events' in size;
  for await (const batch of batches) {
    const run = isRun(batch) ? batch : undefined;
    const count = run !== undefined ? run.count : (batch as readonly Buffer[]).length;
    if (!sized && count > 0) {
      sized = true;
      let bytes = 0;
      if (run !== undefined) bytes = run.ends[count - 1]! + 1 - run.starts[0]!;
      else for (const line of batch as readonly Buffer[]) bytes += line.length + 1;
      cursor.checks.expect(Math.min(Math.ceil(((size as { fileBytes: number }).fileBytes / bytes) * count * 1.05), 1 << 30));
    }
    for (let i = 0; i < count; ) {
      // A run of lines on the WebAssembly path; the line it leaves takes advanceBytes.
      const before = cursor.next;
      const accepted = cursor.advanceRun(batch, i);
      let why = cursor.runFailure;
      if (accepted > 0 || why !== undefined) i += accepted;
      else {
        // The reader's bytes are not read again: the hash input may be assembled in place.
        const line = run !== undefined ? run.bytes.subarray(run.starts[i]!, run.ends[i]!) : (batch as readonly Buffer[])[i]!;
        i++;
        why = cursor.advanceBytes(line, undefined, true);
      }
      if (why !== undefined) {
        if (onProgress) progress(before, cursor.next, start, every, onProgress);
        const at = cursor.breakAt;
        return done({ valid: false, break_at: at, count: at - start, reason: why });
      }
      const suspect = cursor.checks.suspect;
      if (suspect !== undefined) {
        // Re-reading may reuse nothing of this batch: the suspect holds a copy of the id.
        cursor.checks.suspect = undefined;
        const repeat = await confirmSuspect(suspect, options.lineAt);
        if (repeat !== undefined) return { valid: false, break_at: suspect.sequence, count: suspect.sequence - start, reason: repeat };
      }
      if (onProgress) progress(before, cursor.next, start, every, onProgress);
    }
  }
  return done(endOfChain(cursor, start, options.expectTip, options.wholeFile));
}

/** onProgress for each multiple of `every` events verified in (from, to] (sequences, from `start`). Internal. */
export function progress(from: number, to: number, start: number, every: number, onProgress: (count: number) => void): void {
  for (let c = (Math.floor((from - start) / every) + 1) * every; c <= to - start; c += every) onProgress(c);
}

/**
 * The result once every line up to `cursor` has verified: the expectTip check, else valid.
 * Shared with the parallel cold path (verifyFileParallel.ts), so both end alike. Internal.
 */
export function endOfChain(cursor: ChainCursor, start: number, tip: Tip | undefined, wholeFile = false): VerifyResult {
  const open = cursor.checks.openBatch;
  let last = cursor.next - 1;
  let lastHash: string | undefined;
  let unfinished: VerifyResult['unfinished_batch'];
  if (open !== undefined) {
    const events = cursor.next - open.start;
    if (wholeFile) {
      // Like torn bytes: the batch's events were never committed; the chain ends before it.
      unfinished = { sequence: open.start, events, size: open.size };
      last = open.start - 1;
      lastHash = cursor.beforeBatch;
    } else if (tip !== undefined) {
      return {
        valid: false, break_at: open.start, count: open.start - start,
        reason: `the chain ends inside the atomic batch of ${open.size} events starting at sequence ${open.start} (${events} of its events present): a batch is committed whole or not at all`,
      };
    }
  }
  if (tip && tip.sequence_number > last) {
    return { valid: false, break_at: last + 1, count: last + 1 - start, reason: `the chain ends at sequence ${last} but the expected tip is ${tip.sequence_number}: events are missing` };
  }
  if (tip && (tip.sequence_number !== last || tip.hash !== (lastHash ?? cursor.lastHash))) {
    // Only the last hash is kept while streaming, so a mismatch is reported at the tip given.
    return { valid: false, break_at: tip.sequence_number, count: tip.sequence_number - start, reason: `expected tip ${tip.sequence_number} ${tip.hash}; the chain's tip is ${last} ${lastHash ?? cursor.lastHash}` };
  }
  return { valid: true, break_at: null, count: last + 1 - start, ...(unfinished === undefined ? {} : { unfinished_batch: unfinished }) };
}
