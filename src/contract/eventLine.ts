// From one stored line to the facts verification needs: the event's sequence, its stored hash
// and previous_hash, and the hash recomputed from canonical JSON; and from a stored line to the
// event a reader gets, exactly or not at all. Pure; no I/O.
import { isUtf8 } from 'node:buffer';
import { canonicalJson, compareCodePoints, childPath } from './canonicalJson.js';
import { isWellFormed, scanCanonicalEventBytes } from './canonicalLine.js';
import { LedgerCorruptionError, LedgerSerializationError, LedgerUnreadableValueError } from '../errors/errors.js';
import { EVENT_FIELDS, type LedgerEvent } from './event.js';
import { sha256 } from './hash.js';
import { firstInvalidUtf8 } from './lineReader.js';
import { parseRawJson, RawNumber, type RawValue } from './rawJson.js';

/** What checking one stored line found: its sequence, stored and recomputed hashes and link, or why it is not an event. */
export type LineCheck =
  | { readonly ok: true; readonly sequence: number; readonly hash: string; readonly previous_hash: string; readonly computed: string }
  | { readonly ok: false; readonly reason: string };

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
    if (consume) {
      // Move the head right over the hash member: the body is then one contiguous run.
      bytes.copyWithin(cut, 0, c.hashFrom);
      body = new Uint8Array(bytes.buffer, bytes.byteOffset + cut, n);
    } else {
      if (scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
      bytes.copy(scratch, 0, 0, c.hashFrom);
      bytes.copy(scratch, c.hashFrom, c.hashTo);
      body = new Uint8Array(scratch.buffer, scratch.byteOffset, n);
    }
    if (facts) facts.exact = c.safeIntegers;
    return { ok: true, sequence: c.sequence, hash: c.hash, previous_hash: c.previous_hash, computed: sha256(body) };
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
  const keys = Object.keys(raw);
  if (keys.length !== EVENT_FIELDS.length || !EVENT_FIELDS.every((f) => f in raw)) {
    return { ok: false, reason: `fields are not exactly the base event's (${EVENT_FIELDS.join(', ')})` };
  }
  const { sequence, hash, previous_hash } = raw;
  const seq = sequence instanceof RawNumber && INTEGER.test(sequence.lexeme) ? Number(sequence.lexeme) + 0 : NaN;
  if (!Number.isSafeInteger(seq) || seq < 0) return { ok: false, reason: 'sequence is not a non-negative integer' };
  if (typeof hash !== 'string' || typeof previous_hash !== 'string') return { ok: false, reason: 'hash and previous_hash must be strings' };

  // Numbers as written (big integers), keys re-sorted by code point.
  let body: string;
  try {
    delete raw.hash;
    body = canonicalRaw(raw);
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
  return { ok: true, sequence: seq, hash, previous_hash, computed: sha256(body) };
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
  /** Issue 13, optional: the stream and its version (both or neither). */
  readonly stream_id?: string;
  readonly stream_version?: number;
  /** Issue 13, optional: canonical JSON of the metadata object. */
  readonly metadataJson?: string;
}

/**
 * The hash and the stored line of an event. The top-level keys are fixed and written in
 * code-point order by hand, so the payload is serialised once, when the caller's input is
 * checked, not again here.
 */
export function buildEventLine(e: UnsignedEvent): { hash: string; line: string } {
  const head = `{"event_id":${JSON.stringify(e.event_id)},"event_type":${JSON.stringify(e.event_type)},`;
  const stream = e.stream_id === undefined ? '' : `"stream_id":${JSON.stringify(e.stream_id)},"stream_version":${e.stream_version},`;
  const tail =
    `${e.metadataJson === undefined ? '' : `"metadata":${e.metadataJson},`}` +
    `"payload":${e.payloadJson},"previous_hash":${JSON.stringify(e.previous_hash)},"provenance":${e.provenanceJson},` +
    `"schema_version":${JSON.stringify(e.schema_version)},"sequence":${e.sequence},${stream}"timestamp":${JSON.stringify(e.timestamp)}}`;
  const hash = sha256(head + tail);
  return { hash, line: `${head}"hash":"${hash}",${tail}` };
}
