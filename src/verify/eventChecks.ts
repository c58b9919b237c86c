// The ledger-wide rules of issue 13 that a single line cannot prove: each stream's versions run
// 0, 1, 2... in ledger order with no gap or repeat, and no event_id repeats. Memory stays flat
// in the number of events: streams are a Map (a stream count is usually far below the event
// count), and event ids are kept as 64-bit keyed fingerprints in a typed-array open-addressing
// table (16 bytes a slot) instead of a Set of strings (~80 bytes an id). A fingerprint match is
// only a suspect: the verifier confirms it exactly by re-reading the first line holding it, so
// the verdict never rests on the fingerprint. Cold verification of a file (deferIds) keeps no
// table: it records the fingerprints in order (8 bytes an event) and compares them once at the
// end (equalPrints), confirming each group of equal fingerprints on the ids themselves.
import { randomFillSync } from 'node:crypto';
import { scanner } from '../contract/wasm/chainScanner.js';
import { sortPrints } from './printRuns.js';

/** What the ledger-wide rules need of one event: its event_id (canonical JSON bytes) and stream. */
export interface EventKeys {
  /** Canonical JSON of the event_id value, as UTF-8 bytes (a view, read at once). */
  readonly id: Uint8Array;
  readonly stream_id?: string;
  readonly stream_version?: number;
  /** Issue 22: the event's place in an atomic batch, if it has one. */
  readonly batch?: { readonly index: number; readonly size: number };
}

/** An atomic batch (issue 22) whose first events were seen and whose last was not yet. */
export interface OpenBatch {
  /** The batch's first sequence. */
  readonly start: number;
  /** The index of its last event seen. */
  index: number;
  readonly size: number;
}

/** A fingerprint match to confirm: the event at `sequence` may repeat the id first held at `first`. */
export interface IdSuspect {
  readonly sequence: number;
  readonly first: number;
  /** Canonical JSON of the event_id at `sequence` (a copy). */
  readonly id: Uint8Array;
}

/** A fresh random key for fingerprints: an attacker who cannot read it cannot aim collisions at it. */
export function fingerprintKey(): Uint32Array {
  return randomFillSync(new Uint32Array(KEY_WORDS));
}

/** Key words: two seed the general fingerprint; a UUID's takes all eight (see fingerprintUuid). */
export const KEY_WORDS = 8;

/** fingerprint() writes its two 32-bit halves here (no allocation per event). */
export const fp = new Uint32Array(2);

/** 0-15 for a lowercase hex digit, else -1. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX[0x61 + i] = 10 + i;
const uuidWords = new Uint32Array(4);

/**
 * The 128 bits of a canonical event_id that is a lowercase UUID string (`"` 8-4-4-4-12 hex
 * digits `"`, 38 bytes) into uuidWords; false for any other id.
 */
function uuidOf(bytes: Uint8Array): boolean {
  if (bytes.length !== 38 || bytes[0] !== 0x22 || bytes[37] !== 0x22 || bytes[9] !== 0x2d || bytes[14] !== 0x2d || bytes[19] !== 0x2d || bytes[24] !== 0x2d) return false;
  let w = 0;
  let k = 0;
  for (let i = 1; i < 37; i++) {
    if (i === 9 || i === 14 || i === 19 || i === 24) continue;
    const h = HEX[bytes[i]!]!;
    if (h < 0) return false;
    w = (w << 4) | h;
    if ((++k & 7) === 0) uuidWords[(k >> 3) - 1] = w;
  }
  return true;
}

/**
 * 64-bit keyed fingerprint of an id that is a lowercase UUID, from its four 32-bit words (as
 * scanChainLine reads them): no bytes walked, no string. Each word is whitened and multiplied
 * by key words of this run (odd: invertible), then two lanes mix them with Murmur3's
 * finaliser. Not a cryptographic PRF: ids crafted to collide can only cost exact re-reads
 * (the verdict is confirmed on the bytes), never a wrong answer.
 */
export function fingerprintUuid(w0: number, w1: number, w2: number, w3: number, key: Uint32Array): void {
  let a = Math.imul(w0 ^ key[2]!, key[6]! | 1) ^ Math.imul(w2 ^ key[4]!, key[7]! | 1);
  let b = Math.imul(w1 ^ key[3]!, key[7]! | 1) ^ Math.imul(w3 ^ key[5]!, key[6]! | 1);
  a = Math.imul(a ^ (a >>> 16) ^ w1, 0x85ebca6b) ^ key[0]!;
  b = Math.imul(b ^ (b >>> 16) ^ w2, 0xc2b2ae35) ^ key[1]!;
  a = Math.imul(a ^ (a >>> 13) ^ w3, 0xc2b2ae35);
  b = Math.imul(b ^ (b >>> 13) ^ w0, 0x85ebca6b);
  a ^= b >>> 15;
  b ^= a >>> 16;
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a ^= a >>> 13;
  b = Math.imul(b ^ (b >>> 16), 0xc2b2ae35);
  b ^= b >>> 16;
  fp[0] = a;
  fp[1] = b === 0 && a === 0 ? 1 : b;
}

/**
 * 64-bit keyed fingerprint of `bytes` (an event_id's canonical JSON) into fp[0], fp[1]; never
 * 0:0 (the table's empty slot). A lowercase UUID goes by its 128 bits (fingerprintUuid: the
 * same value the chain scan computes); any other id by two Murmur3-style lanes over 4-byte
 * words, each seeded from the key and fed by the other.
 */
export function fingerprint(bytes: Uint8Array, key: Uint32Array): void {
  if (uuidOf(bytes)) return fingerprintUuid(uuidWords[0]!, uuidWords[1]!, uuidWords[2]!, uuidWords[3]!, key);
  const n = bytes.length;
  let a = key[0]! ^ n;
  let b = key[1]! ^ Math.imul(n, 0x9e3779b1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let x = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    x = Math.imul(x, 0xcc9e2d51);
    x = Math.imul((x << 15) | (x >>> 17), 0x1b873593);
    a ^= x;
    a = (Math.imul((a << 13) | (a >>> 19), 5) + 0xe6546b64) | 0;
    b = Math.imul(b ^ x ^ (a >>> 7), 0x85ebca6b);
  }
  let x = 0;
  for (let s = 0; i < n; i++, s += 8) x |= bytes[i]! << s;
  x = Math.imul(x, 0xcc9e2d51);
  a ^= Math.imul((x << 15) | (x >>> 17), 0x1b873593);
  b ^= x;
  // Murmur3's finaliser on each half, each mixed with the other.
  a ^= b >>> 13;
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  a ^= a >>> 16;
  b ^= a >>> 11;
  b = Math.imul(b ^ (b >>> 16), 0x85ebca6b);
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  b ^= b >>> 16;
  fp[0] = a;
  fp[1] = b === 0 && a === 0 ? 1 : b;
}

/**
 * Open-addressing table of (fingerprint, first sequence), a fingerprint possibly held more than
 * once. One slot is four 32-bit words side by side (fingerprint high, low; sequence low, high),
 * so a probe touches one cache line.
 */
export class FingerprintTable {
  // Small at first: many cursors check one line or a short range.
  private slots = new Uint32Array(16 * 4);
  private capacity = 16;
  private size = 0;

  /**
   * Room for `n` fingerprints in total without growing: cold verification sizes the table
   * once from the file's size instead of doubling (and rehashing) its way up.
   */
  reserve(n: number): void {
    let capacity = this.capacity;
    while ((n + 1) * 10 > capacity * 7) capacity *= 2;
    if (capacity > this.capacity) this.grow(capacity);
  }

  /** Sequences already holding fp (the current fingerprint), then adds fp at `sequence`. */
  addAndMatch(sequence: number): number[] | undefined {
    if ((this.size + 1) * 10 > this.capacity * 7) this.grow();
    const a = fp[0]!;
    const b = fp[1]!;
    const t = this.slots;
    const mask = this.capacity - 1;
    let i = (a ^ Math.imul(b, 0x27d4eb2d)) & mask;
    let found: number[] | undefined;
    for (;;) {
      const w = i << 2;
      const h = t[w]!;
      const l = t[w + 1]!;
      if (h === 0 && l === 0) break;
      if (h === a && l === b) (found ??= []).push(t[w + 2]! + t[w + 3]! * 0x100000000);
      i = (i + 1) & mask;
    }
    const w = i << 2;
    t[w] = a;
    t[w + 1] = b;
    t[w + 2] = sequence >>> 0;
    t[w + 3] = Math.floor(sequence / 0x100000000);
    this.size++;
    return found;
  }

  private grow(n = this.capacity * 2): void {
    const old = this.slots;
    const t = new Uint32Array(n * 4);
    const mask = n - 1;
    for (let w = 0; w < old.length; w += 4) {
      const a = old[w]!;
      const b = old[w + 1]!;
      if (a === 0 && b === 0) continue;
      let i = (a ^ Math.imul(b, 0x27d4eb2d)) & mask;
      while (t[i << 2] !== 0 || t[(i << 2) + 1] !== 0) i = (i + 1) & mask;
      const v = i << 2;
      t[v] = a;
      t[v + 1] = b;
      t[v + 2] = old[w + 2]!;
      t[v + 3] = old[w + 3]!;
    }
    this.slots = t;
    this.capacity = n;
  }
}

/** Per stream, in one range of a parallel verification: the first and last version seen there. */
export interface StreamSpan {
  readonly firstVersion: number;
  readonly firstSequence: number;
  lastVersion: number;
}

const decoder = new TextDecoder();

/** An event_id's canonical JSON bytes as text, for a message. */
export const idText = (id: Uint8Array): string => decoder.decode(id);

/**
 * The stream and event-id rules over events given in ledger order.
 * - 'genesis' (the chain is read from sequence 0): a stream's first event must be version 0.
 * - 'suffix' (the chain is read from a later sequence, e.g. after a snapshot): a stream's first
 *   event seen fixes where it stands; only continuity after it is checked, and ids only repeat
 *   within what was read.
 * - 'range' (a worker's slice of a parallel verification): as 'suffix', and the per-stream
 *   spans and the id fingerprints are collected for the main thread, which checks them against
 *   the ranges before (no id table here: the main thread holds the only one).
 */
export class EventChecks {
  private readonly versions = new Map<string, number>();
  private readonly table: FingerprintTable | undefined;
  /** 'range' only: per stream, its span in this range. */
  readonly spans: Map<string, StreamSpan> | undefined;
  /** 'range' only: fingerprints (two words per event) in order. */
  private prints: Uint32Array | undefined;
  private printed = 0;
  /** A fingerprint match found by the last check(); the caller confirms it exactly (see verifyChain). */
  suspect: IdSuspect | undefined;
  /** Issue 22: the batch under way (its first events seen, not its last), if any. */
  openBatch: OpenBatch | undefined;
  /** Set with a failure of the batch rule: the sequence to report it at (the batch's first event). */
  batchBreak: number | undefined;
  /** A line with a batch member was seen (the parallel path then re-verifies on one thread). */
  sawBatch = false;
  /** No event checked yet (a suffix or range may begin inside a batch). */
  private fresh = true;

  /**
   * `ids: false` checks streams only (replay and live reads, which cannot re-read a line to
   * confirm a suspect and should not grow with the events they see; cold verification and
   * verifyChain check ids).
   */
  constructor(
    readonly mode: 'genesis' | 'suffix' | 'range',
    readonly key: Uint32Array = fingerprintKey(),
    readonly ids = true,
    /**
     * Cold verification of a whole file: ids are only recorded (8 bytes an event, written in
     * order) and compared once at the end (repeatGroups), never a suspect on the way; the
     * caller confirms the groups before any failure it reports. Cheaper than probing a table
     * per event (a cache miss each), and half its memory.
     */
    readonly deferIds = false,
  ) {
    const recording = mode === 'range' || (ids && deferIds);
    this.table = recording || !ids ? undefined : new FingerprintTable();
    this.spans = mode === 'range' ? new Map() : undefined;
    this.prints = recording ? new Uint32Array(2048) : undefined;
  }

  /**
   * The stream rule for the event at `sequence`: why it breaks it, or undefined (and the
   * event is recorded). An id fingerprint match sets `suspect` but is not a failure.
   */
  check(sequence: number, k: EventKeys): string | undefined {
    const batchWhy = this.checkBatch(sequence, k.batch);
    if (batchWhy !== undefined) return batchWhy;
    const why = this.checkStream(sequence, k.stream_id, k.stream_version);
    if (why !== undefined || !this.ids) return why;
    fingerprint(k.id, this.key);
    this.checkPrint(sequence, k.id, 0, k.id.length);
    return undefined;
  }

  /** About `n` events in all are coming: size the id table (or record) for them now. */
  expect(n: number): void {
    this.table?.reserve(n);
    if (this.prints && this.prints.length < n * 2) this.resize(n * 2);
  }

  /**
   * Deferred ids: the sequences (ascending, `base` + record index) of every group of recorded
   * events whose fingerprints are equal, the first `limit` records only. Usually none.
   */
  repeatGroups(base: number, limit = this.printed): number[][] {
    return equalPrints(this.prints ?? new Uint32Array(0), Math.min(limit, this.printed)).map((g) => g.map((i) => base + i));
  }

  /** Deferred ids: appends a worker's fingerprints (two words each, in sequence order). */
  addFingerprints(prints: Uint32Array, n: number): void {
    if ((this.printed + n) * 2 > this.prints!.length) this.resize(Math.max((this.printed + n) * 2, this.prints!.length * 2));
    this.prints!.set(prints.subarray(0, n * 2), this.printed * 2);
    this.printed += n;
  }

  /**
   * check() for the chain scan, which has already put the id's fingerprint in `fp` (only when
   * `ids`); `line[idFrom, idTo)` holds the id (copied only on a match).
   */
  checkScanned(sequence: number, stream: string | undefined, version: number, line: Uint8Array, idFrom: number, idTo: number): string | undefined {
    // The scans decline lines with a batch member: this line has none.
    if (this.openBatch !== undefined || this.fresh) {
      const why = this.checkBatch(sequence, undefined);
      if (why !== undefined) return why;
    }
    if (stream !== undefined) {
      const why = this.checkStream(sequence, stream, version);
      if (why !== undefined) return why;
    }
    if (this.ids) this.checkPrint(sequence, line, idFrom, idTo);
    return undefined;
  }

  /** The fingerprint in fp, of the id at line[idFrom, idTo): into the table, or recorded for the main thread. */
  private checkPrint(sequence: number, line: Uint8Array, idFrom: number, idTo: number): void {
    if (this.table) {
      const found = this.table.addAndMatch(sequence);
      if (found) this.suspect = { sequence, first: Math.min(...found), id: Uint8Array.from(line.subarray(idFrom, idTo)) };
    } else this.record();
  }

  /**
   * The batch rule (issue 22): an event with batch.index 0 opens a batch of batch.size; each
   * next event continues it (index + 1, the same size) until index size - 1 closes it. Anything
   * else (an event without batch, another index or size, inside an open batch; an index > 0
   * with none open) breaks it, reported at the batch's first event (`batchBreak`). A suffix or
   * range may begin inside a batch: its first event may then have any index.
   */
  checkBatch(sequence: number, batch: { readonly index: number; readonly size: number } | undefined): string | undefined {
    const fresh = this.fresh;
    this.fresh = false;
    const open = this.openBatch;
    if (batch === undefined) {
      if (open === undefined) return undefined;
      this.batchBreak = open.start;
      return `the atomic batch of ${open.size} events starting at sequence ${open.start} is cut: sequence ${sequence} (where its event ${open.index + 1} belongs) is not part of it`;
    }
    this.sawBatch = true;
    if (open !== undefined) {
      if (batch.index !== open.index + 1 || batch.size !== open.size) {
        this.batchBreak = open.start;
        return `the atomic batch of ${open.size} events starting at sequence ${open.start} is cut: sequence ${sequence} is event ${batch.index} of a batch of ${batch.size}, expected event ${open.index + 1} of ${open.size}`;
      }
      open.index++;
    } else if (batch.index === 0 || (fresh && this.mode !== 'genesis')) {
      this.openBatch = { start: sequence - batch.index, index: batch.index, size: batch.size };
    } else {
      this.batchBreak = sequence;
      return `sequence ${sequence} is event ${batch.index} of a batch of ${batch.size}, but no batch is open (its first events are missing)`;
    }
    if (this.openBatch!.index === batch.size - 1) this.openBatch = undefined;
    return undefined;
  }

  private checkStream(sequence: number, stream: string | undefined, version: number | undefined): string | undefined {
    if (stream !== undefined) {
      version = version!;
      const why = this.spanBreak(stream, version);
      if (why !== undefined) return why;
      this.versions.set(stream, version);
      if (this.spans) {
        const span = this.spans.get(stream);
        if (span) span.lastVersion = version;
        else this.spans.set(stream, { firstVersion: version, firstSequence: sequence, lastVersion: version });
      }
    }
    return undefined;
  }

  /**
   * The main thread, stitching a range: why a stream's first version in the range breaks the
   * rule given the ranges before, or undefined.
   */
  spanBreak(stream: string, firstVersion: number): string | undefined {
    const last = this.versions.get(stream);
    if (last === undefined) {
      return this.mode === 'genesis' && firstVersion !== 0 ? `stream ${JSON.stringify(stream)} starts at stream_version ${firstVersion}, expected 0` : undefined;
    }
    return firstVersion === last + 1 ? undefined : `stream ${JSON.stringify(stream)}: stream_version ${firstVersion} follows ${last}, expected ${last + 1} (${firstVersion <= last ? 'a repeat' : 'a gap'})`;
  }

  /** Sets a stream's last version (the main thread, after stitching a range). */
  setVersion(stream: string, version: number): void {
    this.versions.set(stream, version);
  }

  /**
   * Adds a fingerprint (from a worker) at `sequence`; sets `suspect` on a match. The id bytes
   * are not at hand: the suspect's `id` is empty and the confirmer reads both lines.
   */
  addFingerprint(sequence: number, hi: number, lo: number): void {
    fp[0] = hi;
    fp[1] = lo;
    const found = this.table!.addAndMatch(sequence);
    if (found) this.suspect = { sequence, first: Math.min(...found), id: new Uint8Array(0) };
  }

  /**
   * 'range' only: the fingerprints recorded so far (two words per event, in order): a view, not
   * a copy (a fresh page costs a fault; the record is reserved ahead, its unused tail never
   * touched). Asked once the range is over: nothing is recorded after.
   */
  fingerprints(): Uint32Array {
    return this.prints ? this.prints.subarray(0, this.printed * 2) : new Uint32Array(0);
  }

  private resize(words: number): void {
    const bigger = new Uint32Array(words);
    bigger.set(this.prints!.subarray(0, this.printed * 2));
    this.prints = bigger;
  }

  private record(): void {
    let p = this.prints!;
    if ((this.printed + 1) * 2 > p.length) {
      this.resize(p.length * 2);
      p = this.prints!;
    }
    p[this.printed * 2] = fp[0]!;
    p[this.printed * 2 + 1] = fp[1]!;
    this.printed++;
  }
}

/**
 * Groups of entry indexes (each ascending, two or more) of `prints` (two words an entry, the
 * first `n` entries) whose fingerprints are equal, in no particular order. With the
 * WebAssembly module, it names the few entries whose first word repeats (compiled code: a
 * JavaScript loop over a million entries, run once, runs mostly before it is optimised) and
 * they are grouped here by both words; without it (or past its MAX_PRINTS_BYTES), equalPrintsJs.
 */
export function equalPrints(prints: Uint32Array, n: number): number[][] {
  const candidates = scanner()?.repeatCandidates(prints, n);
  if (candidates === undefined) return equalPrintsJs(prints, n);
  const byPrint = new Map<string, number[]>();
  for (const i of candidates) {
    const k = `${prints[2 * i]!}:${prints[2 * i + 1]!}`;
    const g = byPrint.get(k);
    if (g) g.push(i);
    else byPrint.set(k, [i]);
  }
  const groups: number[][] = [];
  for (const g of byPrint.values()) if (g.length > 1) groups.push(g);
  return groups;
}

/**
 * equalPrints in JavaScript alone (the reference). Groups of entry indexes (each ascending, two
 * or more) of `prints` (two words an entry, the first `n` entries) whose fingerprints are equal:
 * the indexes sorted stably by first word (sortPrints, linear time), then runs of an equal first
 * word split by the second. Memory: two index arrays (8 bytes an entry), only while it runs.
 */
export function equalPrintsJs(prints: Uint32Array, n: number): number[][] {
  const idx = sortPrints(prints, n);
  const groups: number[][] = [];
  for (let j = 0; j < n; ) {
    const hi = prints[2 * idx[j]!]!;
    let e = j + 1;
    while (e < n && prints[2 * idx[e]!]! === hi) e++;
    if (e - j > 1) {
      // Stable: indexes within the run are ascending, and so within each group.
      const byLow = new Map<number, number[]>();
      for (let k = j; k < e; k++) {
        const i = idx[k]!;
        const lo = prints[2 * i + 1]!;
        const g = byLow.get(lo);
        if (g) g.push(i);
        else byLow.set(lo, [i]);
      }
      for (const g of byLow.values()) if (g.length > 1) groups.push(g);
    }
    j = e;
  }
  return groups;
}
