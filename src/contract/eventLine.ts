// From one stored line to the facts verification needs: the event's sequence, its stored hash
// and previous_hash, and the hash recomputed from canonical JSON; and from a stored line to the
// event a reader gets, exactly or not at all. Pure; no I/O.
import { isUtf8 } from 'node:buffer';
import { canonicalJson, compareCodePoints, childPath } from './canonicalJson.js';
import { isWellFormed, scanCanonicalEventBytes } from './canonicalLine.js';
import { LedgerCorruptionError, LedgerSerializationError, LedgerUnreadableValueError } from '../errors/errors.js';
import type { LedgerEvent } from './event.js';
import { EVENT_FIELDS, OPTIONAL_EVENT_FIELDS } from './eventFields.js';
import { sha256 } from './hash.js';
import { firstInvalidUtf8 } from './lineReader.js';
import { parseRawJson, RawNumber, type RawValue } from './rawJson.js';

/** What checking one stored line found: its sequence, stored and recomputed hashes and link, or why it is not an event. */
export type LineCheck =
  | {
      readonly ok: true; readonly sequence: number; readonly hash: string; readonly previous_hash: string; readonly computed: string;
      /** Canonical JSON of the event_id value (UTF-8; a view into the line's bytes): the key of the uniqueness rule. */
      readonly id: Uint8Array;
      /** Present together or not at all (issue 13). */
      readonly stream_id?: string;
      readonly stream_version?: number;
      /** Issue 22: the event's place in an atomic batch, if it has one. */
      readonly batch?: BatchPlace;
    }
  | { readonly ok: false; readonly reason: string };

/** Where an event stands in an atomic batch (issue 22): 0 <= index < size, size >= 2. */
export interface BatchPlace {
  readonly index: number;
  readonly size: number;
}

/** Filled in by checkLine/checkLineBytes when the caller asks. */
export interface LineFacts {
  /** The line is canonical and every integer in it is safe: JSON.parse reads it exactly. */
  exact: boolean;
}

const INTEGER = /^-?(0|[1-9]\d*)$/;

type Container = { readonly arr: RawValue[]; readonly keys?: undefined; i: number } | { readonly obj: { [k: string]: RawValue }; readonly keys: string[]; i: number };

/** The path of the value being visited, rebuilt from the stack only for an error message. */
function stackPath(stack: readonly Container[]): string {
  let p = '';
  for (const f of stack) p = f.keys ? childPath(p, f.keys[f.i - 1]!) : childPath(p, f.i - 1);
  return p;
}

/**
 * Canonical JSON of a RawValue; integers of any size pass through as digits. Iterative (an
 * explicit stack), so any depth gives the same answer.
 */
function canonicalRaw(root: RawValue): string {
  const out: string[] = [];
  const stack: Container[] = [];
  let v: RawValue = root;
  for (;;) {
    // Write v (opening it if it is a non-empty container).
    if (v instanceof RawNumber) {
      if (!INTEGER.test(v.lexeme)) throw new LedgerSerializationError(stackPath(stack), `non-integer number ${v.lexeme}`);
      out.push(v.lexeme === '-0' ? '0' : v.lexeme); // "-0" is the integer 0, as Python reads it
    } else if (Array.isArray(v)) {
      if (v.length === 0) out.push('[]');
      else {
        out.push('[');
        stack.push({ arr: v, i: 0 });
      }
    } else if (typeof v === 'object' && v !== null) {
      const keys = Object.keys(v).sort(compareCodePoints);
      if (keys.length === 0) out.push('{}');
      else {
        out.push('{');
        stack.push({ obj: v, keys, i: 0 });
      }
    } else out.push(canonicalJson(v)); // a string (parseRawJson refused lone surrogates), boolean or null
    // Next: the following member of the innermost open container, closing finished ones.
    for (;;) {
      const f = stack.at(-1);
      if (f === undefined) return out.join('');
      if (f.keys) {
        if (f.i < f.keys.length) {
          const k = f.keys[f.i++]!;
          out.push(f.i > 1 ? ',' : '', canonicalJson(k), ':');
          v = f.obj[k]!;
          break;
        }
        out.push('}');
      } else {
        if (f.i < f.arr.length) {
          if (f.i > 0) out.push(',');
          v = f.arr[f.i++]!;
          break;
        }
        out.push(']');
      }
      stack.pop();
    }
  }
}

/** Reused buffer for the hash input of canonical lines (the line minus its hash member). */
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * Checks one stored line given as its bytes: the canonical single scan and SHA-256 over the
 * same bytes when it is canonical, else the exact path. Invalid UTF-8 is a failed check.
 * `consume`: the caller will not read `bytes` again, so the hash input (the line without its
 * hash member) may be assembled in place instead of copied (the line reader's buffers).
 */
export function checkLineBytes(bytes: Buffer, facts?: LineFacts, consume = false): LineCheck {
  const c = scanCanonicalEventBytes(bytes);
  if (c) {
    const cut = c.hashTo - c.hashFrom;
    const n = bytes.length - cut;
    let body: Uint8Array;
    let id: Uint8Array;
    if (consume) {
      // Move the head right over the hash member: the body is then one contiguous run.
      bytes.copyWithin(cut, 0, c.hashFrom);
      body = new Uint8Array(bytes.buffer, bytes.byteOffset + cut, n);
      id = bytes.subarray(c.idFrom + cut, c.idTo + cut); // event_id is in the head, before hash
    } else {
      id = bytes.subarray(c.idFrom, c.idTo);
      if (scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
      bytes.copy(scratch, 0, 0, c.hashFrom);
      bytes.copy(scratch, c.hashFrom, c.hashTo);
      body = new Uint8Array(scratch.buffer, scratch.byteOffset, n);
    }
    if (facts) facts.exact = c.safeIntegers;
    const computed = sha256(body);
    return c.stream_id === undefined
      ? { ok: true, sequence: c.sequence, hash: c.hash, previous_hash: c.previous_hash, computed, id }
      : { ok: true, sequence: c.sequence, hash: c.hash, previous_hash: c.previous_hash, computed, id, stream_id: c.stream_id, stream_version: c.stream_version! };
  }
  if (facts) facts.exact = false;
  if (!isUtf8(bytes)) return { ok: false, reason: `the line is not valid UTF-8 (byte ${firstInvalidUtf8(bytes)} of the line)` };
  return checkLineExact(bytes.toString('utf8'));
}

/** Checks one line: parses it, recomputes its hash over canonical JSON without `hash`. */
export function checkLine(line: string, facts?: LineFacts): LineCheck {
  // The check is on the line's UTF-8 bytes; a lone surrogate has none (encoding would replace it).
  if (!isWellFormed(line)) {
    if (facts) facts.exact = false;
    return { ok: false, reason: 'the line holds a lone surrogate (not valid UTF-8 text)' };
  }
  return checkLineBytes(Buffer.from(line, 'utf8'), facts);
}

/**
 * checkLine without the single-scan fast path (the reference it is tested against): parses
 * the line strictly (duplicate keys, lone surrogates refused) keeping every number as
 * written, and serialises it canonically.
 */
export function checkLineExact(line: string): LineCheck {
  if (!isWellFormed(line)) return { ok: false, reason: 'the line holds a lone surrogate (not valid UTF-8 text)' };
  let raw: RawValue;
  try {
    raw = parseRawJson(line);
  } catch (e) {
    return { ok: false, reason: `line is not valid JSON: ${(e as Error).message}` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof RawNumber) return { ok: false, reason: 'line is not a JSON object' };
  for (const f of EVENT_FIELDS) if (!Object.hasOwn(raw, f)) return { ok: false, reason: `the base field ${f} is missing` };
  for (const k of Object.keys(raw)) {
    if (!BASE.has(k) && !OPTIONAL.has(k)) return { ok: false, reason: `unknown field ${JSON.stringify(k)} (an event has ${EVENT_FIELDS.join(', ')} and optionally ${OPTIONAL_EVENT_FIELDS.join(', ')})` };
  }
  const { sequence, hash, previous_hash, metadata, stream_id, stream_version, batch } = raw;
  const seq = naturalOf(sequence);
  if (seq === undefined) return { ok: false, reason: 'sequence is not a non-negative integer' };
  if (typeof hash !== 'string' || typeof previous_hash !== 'string') return { ok: false, reason: 'hash and previous_hash must be strings' };
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata) || metadata instanceof RawNumber)) {
    return { ok: false, reason: 'metadata is not a JSON object' };
  }
  if ((stream_id === undefined) !== (stream_version === undefined)) return { ok: false, reason: 'stream_id and stream_version come together or not at all' };
  let version: number | undefined;
  if (stream_id !== undefined) {
    if (typeof stream_id !== 'string' || stream_id.length === 0) return { ok: false, reason: 'stream_id is not a non-empty string' };
    version = naturalOf(stream_version);
    if (version === undefined) return { ok: false, reason: `stream_version of stream ${JSON.stringify(stream_id)} is not a non-negative safe integer` };
  }

  let place: BatchPlace | undefined;
  if (batch !== undefined) {
    const p = batchPlaceOf(batch);
    if (typeof p === 'string') return { ok: false, reason: p };
    place = p;
  }

  // Numbers as written (big integers), keys re-sorted by code point.
  let body: string;
  let id: Uint8Array;
  try {
    id = Buffer.from(canonicalRaw(raw.event_id!), 'utf8');
    delete raw.hash;
    body = canonicalRaw(raw);
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
  const computed = sha256(body);
  const stream = stream_id === undefined ? {} : { stream_id: stream_id as string, stream_version: version! };
  return { ok: true, sequence: seq, hash, previous_hash, computed, id, ...stream, ...(place === undefined ? {} : { batch: place }) };
}

/** The batch member of a stored line as a BatchPlace, or why it is not one. */
function batchPlaceOf(v: RawValue): BatchPlace | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof RawNumber) return 'batch is not a JSON object {"index": i, "size": n}';
  for (const k of Object.keys(v)) if (k !== 'index' && k !== 'size') return `batch has an unknown field ${JSON.stringify(k)} (it has index and size)`;
  const size = v['size'] === undefined ? undefined : naturalOf(v['size']);
  const index = v['index'] === undefined ? undefined : naturalOf(v['index']);
  if (size === undefined || size < 2) return 'batch.size is not an integer >= 2';
  if (index === undefined || index >= size) return `batch.index is not an integer in 0..${size - 1}`;
  return { index, size };
}

const BASE = new Set<string>(EVENT_FIELDS);
const OPTIONAL = new Set<string>(OPTIONAL_EVENT_FIELDS);

/** A non-negative safe integer written as an integer ("-0" is 0, as Python reads it), else undefined. */
function naturalOf(v: RawValue | undefined): number | undefined {
  const n = v instanceof RawNumber && INTEGER.test(v.lexeme) ? Number(v.lexeme) + 0 : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * The event a stored line holds, exactly as stored, for readers (read, readRange, replay,
 * projections). A line proven canonical with only safe integers (`exact`, or checked here) is
 * read with JSON.parse: it has no duplicate keys and every number is exact. Any other line
 * is read strictly: invalid JSON or a duplicate key is LedgerCorruptionError, and a number a
 * JavaScript number cannot hold exactly (beyond ±(2^53−1), or not an integer) is
 * LedgerUnreadableValueError naming the path, never a rounded value.
 */
export function readEventLine(line: string, sequence: number, exact?: boolean): LedgerEvent {
  if (exact === undefined && isWellFormed(line)) {
    const c = scanCanonicalEventBytes(Buffer.from(line, 'utf8'));
    exact = c !== undefined && c.safeIntegers;
  }
  if (exact) return JSON.parse(line) as LedgerEvent;
  if (!isWellFormed(line)) throw new LedgerCorruptionError(sequence, 'the stored line holds a lone surrogate (not valid UTF-8 text)');
  let raw: RawValue;
  try {
    raw = parseRawJson(line);
  } catch (e) {
    throw new LedgerCorruptionError(sequence, `stored line is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return toPlain(raw, sequence) as LedgerEvent;
}

/** A RawValue as plain JavaScript values; iterative. Objects get a normal prototype (as from JSON.parse). */
function toPlain(root: RawValue, sequence: number): unknown {
  const number = (n: RawNumber, stack: readonly Container[]): number => {
    if (!INTEGER.test(n.lexeme)) throw new LedgerUnreadableValueError(sequence, stackPath(stack), `the number ${n.lexeme} is not an integer (the byte contract has none) and would be read rounded`);
    const value = Number(n.lexeme) + 0; // + 0: "-0" is the integer 0
    if (!Number.isSafeInteger(value)) throw new LedgerUnreadableValueError(sequence, stackPath(stack), `the integer ${n.lexeme} is beyond ±(2^53−1): a JavaScript number would round it`);
    return value;
  };
  const stack: Container[] = [];
  const targets: Array<unknown[] | Record<string, unknown>> = [];
  const convert = (v: RawValue): unknown => {
    if (v instanceof RawNumber) return number(v, stack);
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      if (v.length > 0) {
        stack.push({ arr: v, i: 0 });
        targets.push(out);
      }
      return out;
    }
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      const keys = Object.keys(v);
      if (keys.length > 0) {
        stack.push({ obj: v, keys, i: 0 });
        targets.push(out);
      }
      return out;
    }
    return v;
  };
  const result = convert(root);
  while (stack.length > 0) {
    const f = stack.at(-1)!;
    const target = targets.at(-1)!;
    if (f.keys) {
      if (f.i < f.keys.length) {
        const k = f.keys[f.i++]!;
        // defineProperty: a "__proto__" key stays an own data property, as JSON.parse makes it.
        Object.defineProperty(target, k, { value: convert(f.obj[k]!), enumerable: true, writable: true, configurable: true });
        continue;
      }
    } else if (f.i < f.arr.length) {
      (target as unknown[]).push(convert(f.arr[f.i++]!));
      continue;
    }
    stack.pop();
    targets.pop();
  }
  return result;
}

/**
 * Parses a line this process has just built (buildEventLine: canonical, safe integers only)
 * into an event. Not for stored lines: use readEventLine.
 */
export function parseEventLine(line: string): LedgerEvent {
  return JSON.parse(line) as LedgerEvent;
}

/** The fields of an event that are fixed before hashing, the payload already canonical. */
export interface UnsignedEvent {
  readonly event_id: string;
  readonly sequence: number;
  readonly event_type: string;
  readonly schema_version: string;
  readonly timestamp: string;
  /** Canonical JSON of the provenance object. */
  readonly provenanceJson: string;
  readonly previous_hash: string;
  /** Canonical JSON of the payload object. */
  readonly payloadJson: string;
  /** Issue 13: canonical JSON of the metadata object; absent, the line has no metadata member. */
  readonly metadataJson?: string;
  /** Issue 13: the stream, with its stream_version; both or neither. */
  readonly stream_id?: string;
  readonly stream_version?: number;
  /** Issue 22: the event's place in an atomic batch of two or more; absent, the line has no batch member. */
  readonly batch?: { readonly index: number; readonly size: number };
}

/**
 * The hash and the stored line of an event. The top-level keys are fixed and written in
 * code-point order by hand, so the payload is serialised once, when the caller's input is
 * checked, not again here. Without metadata and stream the line is byte for byte the base
 * event's (the committed vectors prove it). A stream_id without a stream_version (or the
 * reverse), an empty stream_id or a stream_version that is not a non-negative safe integer is
 * LedgerSerializationError: such a line would not verify.
 */
export function buildEventLine(e: UnsignedEvent): { hash: string; line: string } {
  let batch = '';
  if (e.batch !== undefined) {
    const { index, size } = e.batch;
    if (!Number.isSafeInteger(size) || size < 2 || !Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new LedgerSerializationError('batch', `expected 0 <= index < size and size >= 2, got index ${String(index)} of size ${String(size)}`);
    }
    // "batch" sorts before "event_id": the line's first member.
    batch = `"batch":{"index":${index},"size":${size}},`;
  }
  const head = `{${batch}"event_id":${JSON.stringify(e.event_id)},"event_type":${JSON.stringify(e.event_type)},`;
  const meta = e.metadataJson === undefined ? '' : `"metadata":${e.metadataJson},`;
  let stream = '';
  if (e.stream_id !== undefined || e.stream_version !== undefined) {
    if (typeof e.stream_id !== 'string' || e.stream_id.length === 0) throw new LedgerSerializationError('stream_id', 'expected a non-empty string alongside stream_version');
    const v = e.stream_version;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new LedgerSerializationError('stream_version', `expected a non-negative safe integer alongside stream_id, got ${String(v)}`);
    // canonicalJson, not JSON.stringify: a lone surrogate must be refused, not written.
    stream = `"stream_id":${canonicalJson(e.stream_id)},"stream_version":${v + 0},`;
  }
  const tail =
    `"payload":${e.payloadJson},"previous_hash":${JSON.stringify(e.previous_hash)},"provenance":${e.provenanceJson},` +
    `"schema_version":${JSON.stringify(e.schema_version)},"sequence":${e.sequence},${stream}"timestamp":${JSON.stringify(e.timestamp)}}`;
  const hash = sha256(head + meta + tail);
  return { hash, line: `${head}"hash":"${hash}",${meta}${tail}` };
}
