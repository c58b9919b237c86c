// From one stored line to the facts verification needs: the event's sequence, its stored hash
// and previous_hash, and the hash recomputed from canonical JSON. Pure; no I/O.
import { canonicalJson, compareCodePoints, childPath } from './canonicalJson.js';
import { scanCanonicalEventLine } from './canonicalLine.js';
import { LedgerSerializationError } from '../errors/errors.js';
import { EVENT_FIELDS, type LedgerEvent } from './event.js';
import { sha256 } from './hash.js';
import { parseRawJson, RawNumber, type RawValue } from './rawJson.js';

export type LineCheck =
  | { readonly ok: true; readonly sequence: number; readonly hash: string; readonly previous_hash: string; readonly computed: string }
  | { readonly ok: false; readonly reason: string };

/** Canonical JSON of a RawValue; integers of any size pass through as digits. */
function canonicalRaw(v: RawValue, path: string): string {
  if (v instanceof RawNumber) {
    if (!/^-?(0|[1-9]\d*)$/.test(v.lexeme)) throw new LedgerSerializationError(path, `non-integer number ${v.lexeme}`);
    return BigInt(v.lexeme).toString(); // "-0" is the integer 0, as Python reads it
  }
  if (Array.isArray(v)) return `[${v.map((x, i) => canonicalRaw(x, childPath(path, i))).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v).sort(compareCodePoints);
    return `{${keys.map((k) => `${canonicalJson(k, path)}:${canonicalRaw(v[k]!, childPath(path, k))}`).join(',')}}`;
  }
  return canonicalJson(v, path);
}

const hasExactlyEventFields = (keys: string[]): boolean =>
  keys.length === EVENT_FIELDS.length && EVENT_FIELDS.every((f) => keys.includes(f));

/** Checks one line: parses it, recomputes its hash over canonical JSON without `hash`. */
export function checkLine(line: string): LineCheck {
  // A line that is already canonical (every conforming writer's) needs no parse: one scan
  // proves it and yields the hash input. Anything else takes the exact path below.
  const canonical = scanCanonicalEventLine(line);
  if (canonical) {
    const { sequence, hash, previous_hash, body } = canonical;
    return { ok: true, sequence, hash, previous_hash, computed: sha256(body) };
  }
  return checkLineExact(line);
}

/**
 * checkLine without the single-scan fast path (the reference it is tested against): parses
 * the line keeping every number as written, and serialises it canonically.
 */
export function checkLineExact(line: string): LineCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'line is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, reason: 'line is not a JSON object' };
  const ev = parsed as Record<string, unknown>;
  if (!hasExactlyEventFields(Object.keys(ev))) {
    return { ok: false, reason: `fields are not exactly the base event's (${EVENT_FIELDS.join(', ')})` };
  }
  const { sequence, hash, previous_hash } = ev;
  if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0) return { ok: false, reason: 'sequence is not a non-negative integer' };
  if (typeof hash !== 'string' || typeof previous_hash !== 'string') return { ok: false, reason: 'hash and previous_hash must be strings' };

  // Numbers as written (big integers, floats), keys re-sorted by code point.
  let body: string;
  try {
    const raw = parseRawJson(line) as { [k: string]: RawValue };
    delete raw.hash;
    body = canonicalRaw(raw, '');
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
  return { ok: true, sequence, hash, previous_hash, computed: sha256(body) };
}

/** Parses a stored line into an event (no hash check: verification does that). */
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
}

/**
 * The hash and the stored line of an event. The top-level keys are fixed and written in
 * code-point order by hand, so the payload is serialised once, when the caller's input is
 * checked, not again here.
 */
export function buildEventLine(e: UnsignedEvent): { hash: string; line: string } {
  const head = `{"event_id":${JSON.stringify(e.event_id)},"event_type":${JSON.stringify(e.event_type)},`;
  const tail =
    `"payload":${e.payloadJson},"previous_hash":${JSON.stringify(e.previous_hash)},"provenance":${e.provenanceJson},` +
    `"schema_version":${JSON.stringify(e.schema_version)},"sequence":${e.sequence},"timestamp":${JSON.stringify(e.timestamp)}}`;
  const hash = sha256(head + tail);
  return { hash, line: `${head}"hash":"${hash}",${tail}` };
}
