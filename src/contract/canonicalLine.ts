// The verification fast path: one pass over the BYTES of a stored line that accepts it only if
// it is already canonical JSON of an event (the base fields and, in their places, the optional
// metadata, stream_id and stream_version), byte for byte (what every conforming writer
// stores). The hash input is then those same bytes minus the `,"hash":"..."` member: no
// decode, no parse into objects, no re-serialisation. Anything else (whitespace, other key
// orders, duplicate keys, other escapes, floats, "-0", invalid UTF-8, a wrong shape) is
// declined, and checkLine falls back to its exact path, which gives the same answer for every
// line this accepts.
//
// Canonical here means Python's json.dumps(sort_keys=True, separators=(',', ':'),
// ensure_ascii=False).encode('utf-8'): keys strictly increasing by code point at every level
// (for well-formed UTF-8, byte order IS code-point order, so keys compare as bytes); strings
// with exactly the escapes \" \\ \b \f \n \r \t and \u00xx (lowercase) for the other C0
// controls, everything else literal UTF-8; integers as -?(0|[1-9][0-9]*) of any size, except
// "-0". Strictly increasing keys also means no duplicate keys.
//
// Nesting is walked with an explicit stack, never recursion: the verdict is the same at any
// depth, in any thread, whatever the stack size.
import { isUtf8 } from 'node:buffer';

export interface CanonicalEventBytes {
  readonly sequence: number;
  readonly hash: string;
  readonly previous_hash: string;
  /** Byte span [hashFrom, hashTo) of `,"hash":"..."`: the line without it is the SHA-256 input. */
  readonly hashFrom: number;
  readonly hashTo: number;
  /** Every integer in the line is within ±(2^53−1), so JSON.parse reads the line exactly. */
  readonly safeIntegers: boolean;
  /** Byte span [idFrom, idTo) of the event_id value: its canonical JSON, the key of the uniqueness rule. */
  readonly idFrom: number;
  readonly idTo: number;
  /** Present together or not at all (issue 13). */
  readonly stream_id?: string;
  readonly stream_version?: number;
}

export interface CanonicalEventLine extends CanonicalEventBytes {
  /** Canonical JSON of the event without `hash` (UTF-8 bytes): the SHA-256 input. */
  readonly body: Buffer;
}

// Every member an event may have, in canonical (code point) order: the base event's nine and the
// optional ones of issue 13, each accepted only in its place and with its type.
const FIELDS = [
  'event_id', 'event_type', 'hash', 'metadata', 'payload', 'previous_hash', 'provenance', 'schema_version',
  'sequence', 'stream_id', 'stream_version', 'timestamp',
] as const;
const OPTIONAL = new Set<string>(['metadata', 'stream_id', 'stream_version']);
const MEMBER_PREFIXES = FIELDS.map((f, i) => Buffer.from(i === 0 ? `{"${f}":` : `,"${f}":`, 'latin1'));
const IS_OPTIONAL = FIELDS.map((f) => OPTIONAL.has(f));
const EVENT_ID_INDEX = FIELDS.indexOf('event_id');
const HASH_INDEX = FIELDS.indexOf('hash');
const METADATA_INDEX = FIELDS.indexOf('metadata');
const SEQUENCE_INDEX = FIELDS.indexOf('sequence');
const PREVIOUS_HASH_INDEX = FIELDS.indexOf('previous_hash');
const STREAM_ID_INDEX = FIELDS.indexOf('stream_id');
const STREAM_VERSION_INDEX = FIELDS.indexOf('stream_version');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OBJECT = 1;
const ARRAY = 2;

// The bytes of the line being scanned (module state, so the helpers need no closure; hot
// loops copy it to a local). Measured: byte loops beat scanning a latin1 string copy of the
// line with string builtins and regexes.
let line: Buffer = Buffer.alloc(0);
/** Set by str(): the string it scanned held an escape. */
let escaped = false;
/** Cleared by integer() on an integer beyond ±(2^53−1). */
let safe = true;
// The explicit stack: per open container its kind and, for objects, the span of the last key.
let kinds = new Uint8Array(64);
let keyFrom = new Int32Array(64);
let keyTo = new Int32Array(64);
let keyEscaped = new Uint8Array(64);

function grow(): void {
  const n = kinds.length * 2;
  const k = new Uint8Array(n);
  k.set(kinds);
  kinds = k;
  const f = new Int32Array(n);
  f.set(keyFrom);
  keyFrom = f;
  const t = new Int32Array(n);
  t.set(keyTo);
  keyTo = t;
  const e = new Uint8Array(n);
  e.set(keyEscaped);
  keyEscaped = e;
}

/** Scans a canonical string whose opening quote is at p; the offset after it, or -1. */
function str(p: number): number {
  const b = line;
  escaped = false;
  const n = b.length;
  let i = p + 1;
  while (i < n) {
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      escaped = true;
      const e = b[i + 1]!;
      // \" \\ \b \f \n \r \t
      if (e === 0x22 || e === 0x5c || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2;
        continue;
      }
      // \u00xx, lowercase, only for the C0 controls without a short escape.
      if (e === 0x75 && b[i + 2]! === 0x30 && b[i + 3]! === 0x30) {
        const h = b[i + 4]!;
        const l = b[i + 5]!;
        const low = l >= 0x30 && l <= 0x39 ? l - 0x30 : l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
        if ((h === 0x30 || h === 0x31) && low >= 0) {
          const code = (h - 0x30) * 16 + low;
          if (code !== 0x08 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d) {
            i += 6;
            continue;
          }
        }
      }
      return -1;
    }
    // A raw control character. Bytes >= 0x80 are literal UTF-8 (validated for the whole line).
    if (c < 0x20) return -1;
    i++;
  }
  return -1;
}

/** The UTF-8 bytes a canonical string literal at [s, e) (quotes included) stands for. */
function unescaped(s: number, e: number): Uint8Array {
  const b = line;
  const out = new Uint8Array(e - s);
  let n = 0;
  for (let i = s + 1; i < e - 1; ) {
    const c = b[i]!;
    if (c !== BACKSLASH) {
      out[n++] = c;
      i++;
      continue;
    }
    const x = b[i + 1]!;
    if (x === 0x75) {
      out[n++] = parseInt(b.toString('latin1', i + 2, i + 6), 16);
      i += 6;
      continue;
    }
    out[n++] = x === 0x62 ? 0x08 : x === 0x66 ? 0x0c : x === 0x6e ? 0x0a : x === 0x72 ? 0x0d : x === 0x74 ? 0x09 : x;
    i += 2;
  }
  return out.subarray(0, n);
}

/** True if the key at [k0, k1) sorts strictly after the one at [p0, p1) (code-point order). */
function after(p0: number, p1: number, pEsc: boolean, k0: number, k1: number, kEsc: boolean): boolean {
  if (pEsc || kEsc) return Buffer.compare(unescaped(p0, p1), unescaped(k0, k1)) < 0;
  const b = line;
  const pn = p1 - p0;
  const kn = k1 - k0;
  const m = pn < kn ? pn : kn;
  // Compare the contents; the closing quote ends the shorter one (a prefix sorts first).
  for (let i = 1; i < m - 1; i++) {
    const x = b[p0 + i]!;
    const y = b[k0 + i]!;
    if (x !== y) return x < y;
  }
  return pn < kn;
}

function integer(p: number): number {
  // -?(0|[1-9][0-9]*)
  const b = line;
  let i = p;
  const negative = b[i]! === 0x2d;
  if (negative) i++;
  const first = b[i]!;
  if (first === 0x30) i++;
  else if (first >= 0x31 && first <= 0x39) {
    i++;
    for (let d = b[i]!; d >= 0x30 && d <= 0x39; d = b[i]!) i++;
  } else return -1;
  // "-0" is the integer 0 (written "0"); a fraction or exponent makes a float: not canonical.
  if (negative && i - p === 2 && first === 0x30) return -1;
  const next = b[i]!;
  if (next === 0x2e || next === 0x65 || next === 0x45) return -1;
  // 15 digits are always safe; 16 may be; more never are.
  const digits = negative ? i - p - 1 : i - p;
  if (digits > 15 && (digits > 16 || Math.abs(Number(b.toString('latin1', p, i))) > Number.MAX_SAFE_INTEGER)) safe = false;
  return i;
}

/** The key of an object member at p (the frame at `top`): checks order, returns the offset after ':'. */
function key(p: number, top: number): number {
  const b = line;
  if (b[p]! !== QUOTE) return -1;
  const e = str(p);
  if (e < 0) return -1;
  if (keyFrom[top]! >= 0 && !after(keyFrom[top]!, keyTo[top]!, keyEscaped[top] === 1, p, e, escaped)) return -1; // out of order or duplicate
  keyFrom[top] = p;
  keyTo[top] = e;
  keyEscaped[top] = escaped ? 1 : 0;
  return b[e]! === COLON ? e + 1 : -1;
}

/** Scans one canonical value at p, nested to any depth; the offset after it, or -1. */
function value(p: number): number {
  const b = line;
  let depth = 0;
  for (;;) {
    // A value starts at p.
    const c = b[p]!;
    if (c === QUOTE) p = str(p);
    else if (c === 0x7b) {
      if (b[p + 1]! === 0x7d) p += 2;
      else {
        if (depth === kinds.length) grow();
        kinds[depth] = OBJECT;
        keyFrom[depth] = -1;
        p = key(p + 1, depth);
        depth++;
        if (p < 0) return -1;
        continue;
      }
    } else if (c === 0x5b) {
      if (b[p + 1]! === 0x5d) p += 2;
      else {
        if (depth === kinds.length) grow();
        kinds[depth++] = ARRAY;
        p++;
        continue;
      }
    } else if (c === 0x74) p = b[p + 1]! === 0x72 && b[p + 2]! === 0x75 && b[p + 3]! === 0x65 ? p + 4 : -1;
    else if (c === 0x66) p = b[p + 1]! === 0x61 && b[p + 2]! === 0x6c && b[p + 3]! === 0x73 && b[p + 4]! === 0x65 ? p + 5 : -1;
    else if (c === 0x6e) p = b[p + 1]! === 0x75 && b[p + 2]! === 0x6c && b[p + 3]! === 0x6c ? p + 4 : -1;
    else p = integer(p);
    if (p < 0) return -1;
    // A value ended at p: close containers until one continues with ','.
    for (;;) {
      if (depth === 0) return p;
      const top = depth - 1;
      const d = b[p]!;
      if (d === COMMA) {
        p++;
        if (kinds[top] === OBJECT) {
          p = key(p, top);
          if (p < 0) return -1;
        }
        break;
      }
      if (d !== (kinds[top] === OBJECT ? 0x7d : 0x5d)) return -1;
      p++;
      depth--;
    }
  }
}

function matchAt(prefix: Uint8Array, at: number): boolean {
  const b = line;
  if (at + prefix.length > b.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[at + i]! !== prefix[i]) return false;
  return true;
}

/** The value of the string literal at [s, e) just scanned by str(), decoded as UTF-8. */
function stringAt(s: number, e: number): string {
  const b = line;
  if (escaped) return JSON.parse(b.toString('utf8', s, e)) as string;
  for (let i = s + 1; i < e - 1; i++) if (b[i]! >= 0x80) return b.toString('utf8', s + 1, e - 1);
  // ASCII (every hash a writer stores): latin1Slice skips toString's argument handling.
  return (b as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(s + 1, e - 1);
}

/** A non-negative integer of at most 16 digits at [v0, end) (already scanned), or -1 if unsafe. */
function natural(v0: number, end: number): number {
  const b = line;
  if (b[v0]! === 0x2d || end - v0 > 16) return -1;
  let n = 0;
  for (let i = v0; i < end; i++) n = n * 10 + (b[i]! - 0x30); // exact up to 2^53 - 1
  return Number.isSafeInteger(n) ? n : -1;
}

/** scanChainLine's findings on the last line it accepted (module state: no object per line). */
export const chainLine = {
  sequence: -1,
  /** Byte span [hashFrom, hashTo) of `,"hash":"..."` (the member the SHA-256 input leaves out). */
  hashFrom: -1,
  hashTo: -1,
  /** The stored hash's 32 bytes (its 64 hex digits, decoded). */
  hash: new Uint8Array(32),
  /** The stored previous_hash's 32 bytes. */
  previous: new Uint8Array(32),
  idFrom: -1,
  idTo: -1,
  /** The event_id is a lowercase UUID string: its 128 bits are in `uuid` (big-endian words). */
  isUuid: false,
  uuid: new Uint32Array(4),
  safeIntegers: true,
  streamId: undefined as string | undefined,
  streamVersion: -1,
};

// Set by scan(): the hash and previous_hash values (the general scan only).
let hashValue = '';
let previousValue = '';

/** 0-15 for a lowercase hex digit, else -1. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX[0x61 + i] = 10 + i;

/**
 * `"sha256:` + 64 lowercase hex digits + `"` at p (the only hash a line can verify with; it
 * needs no escape, so it is canonical): its 32 bytes into `out`, the offset after it; else -1.
 */
function shaLiteral(p: number, out: Uint8Array): number {
  const b = line;
  if (p + 73 > b.length || b[p]! !== QUOTE || b[p + 1]! !== 0x73 || b[p + 2]! !== 0x68 || b[p + 3]! !== 0x61 || b[p + 4]! !== 0x32 || b[p + 5]! !== 0x35 || b[p + 6]! !== 0x36 || b[p + 7]! !== COLON) return -1;
  for (let k = 0, i = p + 8; k < 32; k++, i += 2) {
    const h = HEX[b[i]!]!;
    const l = HEX[b[i + 1]!]!;
    if ((h | l) < 0) return -1;
    out[k] = (h << 4) | l;
  }
  return b[p + 72]! === QUOTE ? p + 73 : -1;
}

/**
 * A lowercase UUID string (8-4-4-4-12 hex digits, what writers put in event_id) at p: its 128
 * bits into chainLine.uuid, and the offset after its closing quote; else -1. Such a string
 * needs no escape, so it is canonical as it stands.
 */
function uuidLiteral(p: number): number {
  const b = line;
  if (p + 38 > b.length || b[p]! !== QUOTE || b[p + 37]! !== QUOTE || b[p + 9]! !== 0x2d || b[p + 14]! !== 0x2d || b[p + 19]! !== 0x2d || b[p + 24]! !== 0x2d) return -1;
  const u = chainLine.uuid;
  let w = 0;
  let k = 0;
  for (let i = p + 1; i < p + 37; i++) {
    if (i === p + 9 || i === p + 14 || i === p + 19 || i === p + 24) continue;
    const h = HEX[b[i]!]!;
    if (h < 0) return -1;
    w = (w << 4) | h;
    if ((++k & 7) === 0) u[(k >> 3) - 1] = w;
  }
  return p + 38;
}

/**
 * The scan. `chain` (scanChainLine): hash and previous_hash must be `sha256:` + 64 lowercase
 * hex digits (anything else declines: such a line cannot extend a chain, and the exact path
 * says why) and are located, not decoded; a UUID event_id is read as its 128 bits.
 */
function scan(chain: boolean): boolean {
  // Well-formed UTF-8 (no overlongs, no surrogates): then byte order is code-point order.
  const b = line;
  if (!isUtf8(b)) return false;
  const out = chainLine;
  safe = true;
  out.isUuid = false;
  let pos = 0;
  let hashFrom = -1;
  let sequence = -1;
  let streamId: string | undefined;
  let streamVersion = -1;
  // The fields are fixed, so canonical order is FIELDS' order, each at most once; an optional
  // member is taken only where its prefix stands (the next field's prefix differs from it).
  for (let f = 0; f < MEMBER_PREFIXES.length; f++) {
    const prefix = MEMBER_PREFIXES[f]!;
    if (!matchAt(prefix, pos)) {
      if (IS_OPTIONAL[f]) continue;
      return false;
    }
    const memberStart = pos;
    pos += prefix.length;
    const v0 = pos;
    if (f === HASH_INDEX || f === PREVIOUS_HASH_INDEX || f === STREAM_ID_INDEX) {
      if (chain && f !== STREAM_ID_INDEX) {
        if ((pos = shaLiteral(pos, f === HASH_INDEX ? out.hash : out.previous)) < 0) return false;
        if (f === HASH_INDEX) {
          hashFrom = memberStart;
          out.hashTo = pos;
        }
        continue;
      }
      if (b[pos]! !== QUOTE || (pos = str(pos)) < 0) return false;
      if (f === STREAM_ID_INDEX) {
        if (pos - v0 === 2) return false; // stream_id is a non-empty string
        streamId = stringAt(v0, pos);
        continue;
      }
      const s = stringAt(v0, pos);
      if (f === HASH_INDEX) {
        hashValue = s;
        hashFrom = memberStart;
        out.hashTo = pos;
      } else previousValue = s;
    } else if (f === SEQUENCE_INDEX || f === STREAM_VERSION_INDEX) {
      if ((pos = integer(pos)) < 0) return false;
      const n = natural(v0, pos);
      if (n < 0) return false;
      if (f === SEQUENCE_INDEX) sequence = n;
      else streamVersion = n;
    } else {
      // metadata is a JSON object; every other member any canonical value.
      if (f === METADATA_INDEX && b[pos]! !== 0x7b) return false;
      if (f === EVENT_ID_INDEX && chain) {
        const e = uuidLiteral(pos);
        if (e >= 0) {
          out.isUuid = true;
          pos = e;
        } else if ((pos = value(pos)) < 0) return false;
      } else if ((pos = value(pos)) < 0) return false;
      if (f === EVENT_ID_INDEX) {
        out.idFrom = v0;
        out.idTo = pos;
      }
    }
  }
  if (pos !== b.length - 1 || b[pos]! !== 0x7d) return false;
  // A stream_id without its stream_version, or the reverse, is not an event.
  if ((streamId === undefined) !== (streamVersion < 0)) return false;
  // `hash` is never first, so its member starts with the comma that the body drops with it.
  out.hashFrom = hashFrom;
  out.sequence = sequence;
  out.safeIntegers = safe;
  out.streamId = streamId;
  out.streamVersion = streamVersion;
  return true;
}

/**
 * The chain verifier's scan (ChainCursor.advanceBytes): true if `bytes` are canonical JSON of
 * an event whose hash and previous_hash are both `sha256:` + 64 lowercase hex digits, its
 * findings then in `chainLine` (valid until the next call); false sends the caller to the
 * general path. Allocates nothing unless the line has a stream_id. Never throws.
 */
export function scanChainLine(bytes: Buffer): boolean {
  line = bytes;
  try {
    return scan(true);
  } finally {
    line = EMPTY;
  }
}

/**
 * The facts of a stored line's bytes that are exactly canonical JSON of an event, or
 * undefined if they are not (then the caller takes the exact path). Never throws.
 */
export function scanCanonicalEventBytes(bytes: Buffer): CanonicalEventBytes | undefined {
  line = bytes;
  try {
    if (!scan(false)) return undefined;
    const c = chainLine;
    const common = { sequence: c.sequence, hash: hashValue, previous_hash: previousValue, hashFrom: c.hashFrom, hashTo: c.hashTo, safeIntegers: c.safeIntegers, idFrom: c.idFrom, idTo: c.idTo };
    return c.streamId === undefined ? common : { ...common, stream_id: c.streamId, stream_version: c.streamVersion };
  } finally {
    line = EMPTY; // do not keep the caller's buffer alive
  }
}

const EMPTY = Buffer.alloc(0);

/** True if `s` holds no lone surrogate (so its UTF-8 encoding is exactly its text). */
export const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** scanCanonicalEventBytes for a line held as a string (its UTF-8 bytes), with the hash input. */
export function scanCanonicalEventLine(line: string): CanonicalEventLine | undefined {
  if (!isWellFormed(line)) return undefined; // Buffer.from would replace the lone surrogate
  const bytes = Buffer.from(line, 'utf8');
  const c = scanCanonicalEventBytes(bytes);
  return c && { ...c, body: Buffer.concat([bytes.subarray(0, c.hashFrom), bytes.subarray(c.hashTo)]) };
}
