// The verification fast path: a single pass over a stored line that accepts it only if it is
// already canonical JSON, byte for byte (what every conforming writer stores), and then hands
// back the hash input without parsing into objects or serialising again: the line minus its
// `"hash":"..."` member. Anything else (whitespace, other key orders, other escapes, floats,
// "-0", duplicate keys, lone surrogates, a wrong shape) is declined, and checkLine falls back to
// its exact path, which gives the same answer for every line this accepts.
//
// Canonical here means Python's json.dumps(sort_keys=True, separators=(',', ':'),
// ensure_ascii=False): keys strictly increasing by code point at every level; strings with
// exactly the escapes \" \\ \b \f \n \r \t and \u00xx (lowercase) for other C0 controls, all
// else literal and well-formed; integers as -?(0|[1-9][0-9]*) of any size, except "-0".
import { EVENT_FIELDS } from './event.js';

export interface CanonicalEventLine {
  readonly sequence: number;
  readonly hash: string;
  readonly previous_hash: string;
  /** Canonical JSON of the event without `hash`: the SHA-256 input. */
  readonly body: string;
}

/** A run of string characters that need no further look: not `"`, `\`, C0, or a surrogate. */
const PLAIN = /[^"\\\u0000-\u001f\ud800-\udfff]*/y;
const MEMBER_PREFIXES = EVENT_FIELDS.map((f, i) => (i === 0 ? `{"${f}":` : `,"${f}":`));
const HASH_INDEX = EVENT_FIELDS.indexOf('hash');
const SEQUENCE_INDEX = EVENT_FIELDS.indexOf('sequence');
const PREVIOUS_HASH_INDEX = EVENT_FIELDS.indexOf('previous_hash');

/** Characters that make a string need a closer look. */
const SPECIAL = /[\\\u0000-\u001f\ud800-\udfff]/;

let text = '';
let pos = 0;
/** True when the line holds no SPECIAL character at all (the common case). */
let simple = false;
/** Set by str() when the string it scanned held an escape. */
let escaped = false;

/** Scans a canonical string at pos (on its opening quote); false if not canonical. */
function str(): boolean {
  escaped = false;
  if (simple) {
    // No backslash, control character or surrogate anywhere in the line: the next quote ends it.
    const q = text.indexOf('"', pos + 1);
    pos = q + 1;
    return q >= 0;
  }
  pos++;
  for (;;) {
    PLAIN.lastIndex = pos;
    PLAIN.test(text);
    pos = PLAIN.lastIndex;
    const c = text.charCodeAt(pos);
    if (c === 0x22) {
      pos++;
      return true;
    }
    if (c === 0x5c) {
      const e = text.charCodeAt(pos + 1);
      escaped = true;
      // \" \\ \b \f \n \r \t
      if (e === 0x22 || e === 0x5c || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        pos += 2;
        continue;
      }
      // \u00xx, lowercase, only for the C0 controls without a short escape.
      if (e === 0x75 && text.charCodeAt(pos + 2) === 0x30 && text.charCodeAt(pos + 3) === 0x30) {
        const h = text.charCodeAt(pos + 4);
        const l = text.charCodeAt(pos + 5);
        const low = l >= 0x30 && l <= 0x39 ? l - 0x30 : l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
        if ((h === 0x30 || h === 0x31) && low >= 0) {
          const code = (h - 0x30) * 16 + low;
          if (code !== 0x08 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d) {
            pos += 6;
            continue;
          }
        }
      }
      return false;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(pos + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        pos += 2;
        continue;
      }
    }
    // A raw control character, a lone surrogate, or the end of the line.
    return false;
  }
}

/** Code-point order of two scanned strings given by their spans (quotes included). */
function compareKeys(a0: number, a1: number, aEsc: boolean, b0: number, b1: number, bEsc: boolean): number {
  if (aEsc || bEsc) {
    const a = JSON.parse(text.slice(a0, a1)) as string;
    const b = JSON.parse(text.slice(b0, b1)) as string;
    return compareStrings(a, 0, a.length, b, 0, b.length);
  }
  return compareStrings(text, a0 + 1, a1 - 1, text, b0 + 1, b1 - 1);
}

/** compareCodePoints over string ranges, without slicing. */
function compareStrings(x: string, x0: number, x1: number, y: string, y0: number, y1: number): number {
  const n = Math.min(x1 - x0, y1 - y0);
  for (let i = 0; i < n; i++) {
    const a = x.charCodeAt(x0 + i);
    const b = y.charCodeAt(y0 + i);
    if (a === b) continue;
    const as = a >= 0xd800 && a <= 0xdfff;
    const bs = b >= 0xd800 && b <= 0xdfff;
    if (as === bs) return a - b;
    return as ? 1 : -1;
  }
  return x1 - x0 - (y1 - y0);
}

function value(): boolean {
  const c = text.charCodeAt(pos);
  if (c === 0x22) return str();
  if (c === 0x7b) return object();
  if (c === 0x5b) return array();
  if (c === 0x74) return literal('true');
  if (c === 0x66) return literal('false');
  if (c === 0x6e) return literal('null');
  return integer();
}

/** text.startsWith(word, at), without the builtin's cost on every call (measured: it dominated). */
function matchAt(word: string, at: number): boolean {
  for (let i = 0; i < word.length; i++) if (text.charCodeAt(at + i) !== word.charCodeAt(i)) return false;
  return true;
}

function literal(word: string): boolean {
  if (!matchAt(word, pos)) return false;
  pos += word.length;
  return true;
}

function integer(): boolean {
  // -?(0|[1-9][0-9]*)
  let end = pos;
  if (text.charCodeAt(end) === 0x2d) end++;
  const first = text.charCodeAt(end);
  if (first === 0x30) end++;
  else if (first >= 0x31 && first <= 0x39) {
    end++;
    for (let d = text.charCodeAt(end); d >= 0x30 && d <= 0x39; d = text.charCodeAt(end)) end++;
  } else return false;
  // "-0" is the integer 0 (written "0"); a fraction or exponent makes a float: not canonical.
  if (end - pos === 2 && text.charCodeAt(pos) === 0x2d && text.charCodeAt(pos + 1) === 0x30) return false;
  const next = text.charCodeAt(end);
  if (next === 0x2e || next === 0x65 || next === 0x45) return false;
  pos = end;
  return true;
}

function object(): boolean {
  pos++;
  if (text.charCodeAt(pos) === 0x7d) {
    pos++;
    return true;
  }
  let p0 = -1;
  let p1 = -1;
  let pEsc = false;
  for (;;) {
    if (text.charCodeAt(pos) !== 0x22) return false;
    const k0 = pos;
    if (!str()) return false;
    const k1 = pos;
    const kEsc = escaped;
    if (p0 >= 0 && compareKeys(p0, p1, pEsc, k0, k1, kEsc) >= 0) return false; // out of order or duplicate
    p0 = k0;
    p1 = k1;
    pEsc = kEsc;
    if (text.charCodeAt(pos) !== 0x3a) return false;
    pos++;
    if (!value()) return false;
    const d = text.charCodeAt(pos++);
    if (d === 0x7d) return true;
    if (d !== 0x2c) return false;
  }
}

function array(): boolean {
  pos++;
  if (text.charCodeAt(pos) === 0x5d) {
    pos++;
    return true;
  }
  for (;;) {
    if (!value()) return false;
    const d = text.charCodeAt(pos++);
    if (d === 0x5d) return true;
    if (d !== 0x2c) return false;
  }
}

function stringAt(start: number, end: number, hadEscape: boolean): string {
  return hadEscape ? (JSON.parse(text.slice(start, end)) as string) : text.slice(start + 1, end - 1);
}

function scan(line: string): CanonicalEventLine | undefined {
  text = line;
  pos = 0;
  simple = !SPECIAL.test(line);
  let hashFrom = -1;
  let hashTo = -1;
  let hash = '';
  let previousHash = '';
  let sequence = -1;
  // The base event's fields are fixed, so canonical order is EVENT_FIELDS' order, each once.
  for (let f = 0; f < MEMBER_PREFIXES.length; f++) {
    const prefix = MEMBER_PREFIXES[f]!;
    if (!matchAt(prefix, pos)) return undefined;
    const memberStart = pos;
    pos += prefix.length;
    const v0 = pos;
    if (f === HASH_INDEX || f === PREVIOUS_HASH_INDEX) {
      if (text.charCodeAt(pos) !== 0x22 || !str()) return undefined;
      const s = stringAt(v0, pos, escaped);
      if (f === HASH_INDEX) {
        hash = s;
        hashFrom = memberStart;
        hashTo = pos;
      } else previousHash = s;
    } else if (f === SEQUENCE_INDEX) {
      if (!integer() || text.charCodeAt(v0) === 0x2d) return undefined;
      sequence = Number(text.slice(v0, pos));
      if (!Number.isSafeInteger(sequence)) return undefined;
    } else if (!value()) return undefined;
  }
  if (pos !== text.length - 1 || text.charCodeAt(pos) !== 0x7d) return undefined;
  // `hash` is never first, so its member starts with the comma that the body drops with it.
  return { sequence, hash, previous_hash: previousHash, body: text.slice(0, hashFrom) + text.slice(hashTo) };
}

/**
 * The facts of a stored line that is exactly canonical JSON of a base event, or undefined if
 * it is not (then the caller takes the exact path). Never throws.
 */
export function scanCanonicalEventLine(line: string): CanonicalEventLine | undefined {
  try {
    return scan(line);
  } catch {
    return undefined; // e.g. nesting too deep for the stack: let the exact path decide
  } finally {
    text = '';
  }
}
