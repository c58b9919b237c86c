// Loader of the WebAssembly chain scanner (chainScan.c, built by scripts/build-wasm.sh into this
// folder of dist). scanRun() copies a run of a batch's lines into the module's memory and scans
// them in one call; the caller (ChainCursor.advanceRun) then only hashes each prepared input.
// Absent module (no clang where it was built) or FMWK_LEDGER_WASM=0: scanner() is undefined and
// verification takes the JavaScript scanner (canonicalLine.ts), the reference, alone.
import { readFileSync } from 'node:fs';
import type { LineRun } from '../lineReader.js';

/** Byte offsets of a record's fields (chainScan.c's R_*). */
export const R_IN_FROM = 0;
export const R_IN_LEN = 4;
export const R_ID_FROM = 8;
export const R_ID_TO = 12;
export const R_FLAGS = 16;
export const R_UUID = 20;
export const R_STREAM_FROM = 36;
export const R_STREAM_TO = 40;
export const R_STREAM_VERSION = 48;
export const R_PRINT = 56;
export const R_HASH = 64;
export const RECORD = 96;
export const F_UUID = 1;
export const F_SAFE = 2;
export const F_STREAM = 4;
export const F_STREAM_ESCAPED = 8;
export const F_STREAM_NONASCII = 16;

/** Lines per call: bounds the record table whatever the line lengths. */
const MAX_LINES = 4096;
/**
 * Bytes of lines per call: memory stays flat (a WebAssembly memory never shrinks). A longer
 * line is left to the JavaScript scanner, whose verdict is the same.
 */
export const MAX_RUN_BYTES = 8 * 1024 * 1024;
const PAGE = 65536;
/**
 * The most module memory repeatCandidates takes (12 bytes a fingerprint: ~178M events); a
 * longer record is compared in JavaScript (a 32-bit memory ends at 4 GiB, and never shrinks).
 */
export const MAX_PRINTS_BYTES = 2 ** 31;

// The few WebAssembly declarations used (lib ES2022 without DOM declares none).
interface Memory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => { exports: unknown } } }).WebAssembly;

interface Exports {
  readonly memory: Memory;
  readonly __heap_base: { readonly value: number };
  scan_batch(memory: number, table: number, n: number, expected: number, link: number, records: number, key: number): number;
  repeat_candidates(prints: number, n: number, scratch: number): number;
  first_mismatch(records: number, n: number, digests: number): number;
  sort_prints(prints: number, n: number, order: number, keys: number): void;
}

export class ChainScanner {
  /** Views of the module's memory (re-taken when it grows). */
  u8: Buffer;
  u32: Uint32Array;
  f64: Float64Array;
  /** Address of the first record of the last scanRun. */
  records = 0;
  /** Address of the last scanRun's digest area: 32 bytes a line (writeDigests). */
  digests = 0;
  /**
   * Counts scanRun calls: records are valid only until the next call, by any cursor (two
   * verifications may interleave at an await), so a cursor resumes its run only if unchanged.
   */
  generation = 0;
  private readonly base: number;

  constructor(private readonly x: Exports) {
    this.base = (x.__heap_base.value + 7) & ~7;
    this.u8 = Buffer.alloc(0);
    this.u32 = new Uint32Array(0);
    this.f64 = new Float64Array(0);
    this.views();
  }

  private views(): void {
    const b = this.x.memory.buffer;
    this.u8 = Buffer.from(b);
    this.u32 = new Uint32Array(b);
    this.f64 = new Float64Array(b);
  }

  /**
   * Scans lines[from...] (at most MAX_LINES, MAX_RUN_BYTES, and only lines laid out in order in
   * one ArrayBuffer, as a reader's batch is), the first of which must carry `expected` and link
   * to `link` (the 32 digest bytes as a latin1 string). Returns how many leading lines the
   * module accepted (0: the first takes the JavaScript path); their records start at `records`.
   * `key` (eventChecks' fingerprint key): each record also holds its event_id's fingerprint at
   * R_PRINT, the value fingerprint() gives (no fingerprint work per line left in JavaScript).
   */
  scanRun(lines: readonly Uint8Array[] | LineRun, from: number, expected: number, link: string, key?: Uint32Array): number {
    let ab: ArrayBufferLike;
    let lo: number;
    let end: number;
    let n = 0;
    // Offsets of line k (from `from`) relative to its buffer's ArrayBuffer.
    let shift = 0;
    let starts: Uint32Array | undefined;
    let ends: Uint32Array | undefined;
    if (isRun(lines)) {
      // A reader's run: lines lie in order in one buffer by construction.
      const b = lines.bytes;
      ab = b.buffer;
      shift = b.byteOffset;
      starts = lines.starts;
      ends = lines.ends;
      lo = shift + starts[from]!;
      const limit = Math.min(lines.count - from, MAX_LINES);
      end = lo;
      for (; n < limit; n++) {
        const e = shift + ends[from + n]!;
        if (e - lo > MAX_RUN_BYTES) break;
        end = e;
      }
    } else {
      const first = lines[from]!;
      ab = first.buffer;
      lo = first.byteOffset;
      end = lo;
      const limit = Math.min(lines.length - from, MAX_LINES);
      for (; n < limit; n++) {
        const l = lines[from + n]!;
        const s = l.byteOffset;
        const e = s + l.length;
        if (l.buffer !== ab || s < end || e - lo > MAX_RUN_BYTES) break;
        end = e;
      }
    }
    if (n === 0) return 0;
    const span = end - lo;
    const linkAt = this.base;
    const keyAt = linkAt + 32;
    const table = keyAt + 32;
    const records = (table + 8 * n + 7) & ~7;
    const input = records + RECORD * n;
    const digests = (input + span + 7) & ~7;
    this.reserve(digests + 32 * n);
    const u8 = this.u8;
    u8.set(new Uint8Array(ab, lo, span), input);
    const u32 = this.u32;
    if (starts !== undefined) {
      const d = input + shift - lo;
      for (let k = 0, t = table >> 2; k < n; k++, t += 2) {
        u32[t] = d + starts[from + k]!;
        u32[t + 1] = d + ends![from + k]!;
      }
    } else {
      const ls = lines as readonly Uint8Array[];
      for (let k = 0, t = table >> 2; k < n; k++, t += 2) {
        const l = ls[from + k]!;
        const s = input + (l.byteOffset - lo);
        u32[t] = s;
        u32[t + 1] = s + l.length;
      }
    }
    for (let i = 0; i < 32; i++) u8[linkAt + i] = link.charCodeAt(i);
    if (key !== undefined) u32.set(key, keyAt >> 2);
    this.records = records;
    this.digests = digests;
    this.generation++;
    return this.x.scan_batch(0, table, n, expected, linkAt, records, key === undefined ? 0 : keyAt);
  }

  /**
   * Writes digests of the last scanRun's lines from line `k` on (`joined`: 32 latin1
   * characters a line, in order) into its digest area: one native write for many lines.
   */
  writeDigests(joined: string, k: number): void {
    this.u8.write(joined, this.digests + 32 * k, joined.length, 'latin1');
  }

  /**
   * The first of the last scanRun's first `n` lines whose stored hash differs from its digest
   * (writeDigests), or n: one call for the run instead of a JavaScript compare per line.
   */
  firstMismatch(n: number): number {
    return this.x.first_mismatch(this.records, n, this.digests);
  }

  /**
   * The indexes (ascending) of the first `n` fingerprints of `prints` (two words each) whose
   * first word is held more than once: a superset of every group equalPrints reports (usually
   * a handful, ~n^2/2^33 by chance). Uses the scan's area (12 bytes an entry): any cursor's
   * unhashed run is then rescanned (generation), as after another cursor's scanRun. Undefined
   * past MAX_PRINTS_BYTES (the caller takes the JavaScript reference).
   */
  repeatCandidates(prints: Uint32Array, n: number): Uint32Array | undefined {
    if (n < 2) return new Uint32Array(0);
    const at = this.base;
    const scratch = at + 8 * n;
    if (scratch + 4 * n > MAX_PRINTS_BYTES) return undefined;
    this.reserve(scratch + 4 * n);
    this.generation++;
    this.u32.set(prints.subarray(0, 2 * n), at >> 2);
    const found = this.x.repeat_candidates(at, n, scratch);
    return this.u32.slice(scratch >> 2, (scratch >> 2) + found);
  }

  /**
   * printRuns' sortPrints and sortedFirstWords of the first `n` fingerprints of `prints` (two
   * words each) in one call: the order (stable by first word) and the sorted first words,
   * fresh arrays. Uses the scan's area (16 bytes an entry): generation is bumped as by
   * repeatCandidates. Undefined past MAX_PRINTS_BYTES (the caller sorts in JavaScript).
   */
  sortPrints(prints: Uint32Array, n: number): { order: Uint32Array; keys: Uint32Array } | undefined {
    const at = this.base;
    const order = at + 8 * n;
    const keys = order + 4 * n;
    if (keys + 4 * n > MAX_PRINTS_BYTES) return undefined;
    this.reserve(keys + 4 * n); // may detach views: this.u32 is re-taken, so read it only after
    this.generation++;
    this.u32.set(prints.subarray(0, 2 * n), at >> 2);
    this.x.sort_prints(at, n, order, keys);
    return { order: this.u32.slice(order >> 2, (order >> 2) + n), keys: this.u32.slice(keys >> 2, (keys >> 2) + n) };
  }

  /** Grows the memory to at least `bytes` (views re-taken: any view held before is detached). */
  private reserve(bytes: number): void {
    const memory = this.x.memory;
    if (bytes > memory.buffer.byteLength) {
      memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
      this.views();
    }
  }
}

/** True if `lines` is a reader's LineRun (offsets), not an array of views. */
export function isRun(lines: readonly Uint8Array[] | LineRun): lines is LineRun {
  return !Array.isArray(lines);
}

let loaded: ChainScanner | undefined;
let tried = false;
let enabled = process.env.FMWK_LEDGER_WASM !== '0';

/** The scanner, or undefined (module absent, or disabled): then the JavaScript path is taken. */
export function scanner(): ChainScanner | undefined {
  if (!enabled) return undefined;
  if (!tried) {
    tried = true;
    let bytes: Buffer;
    try {
      bytes = readFileSync(new URL('./chainScan.wasm', import.meta.url));
    } catch {
      return undefined; // not built here (no clang): the JavaScript scanner alone
    }
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    loaded = new ChainScanner(instance.exports as unknown as Exports);
  }
  return loaded;
}

/** Turns the WebAssembly path off or back on (tests run every vector through both). @internal */
export function useWasmScanner(on: boolean): void {
  enabled = on && process.env.FMWK_LEDGER_WASM !== '0';
}
