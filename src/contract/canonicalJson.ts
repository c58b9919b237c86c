// Canonical JSON: the bytes of Python's
//   json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
// restricted to values every language reads back the same way (no floats, safe integers only).
// This is a byte-level contract: the hash chain depends on it. See README "The byte contract".

import { LedgerSerializationError } from '../errors/errors.js';

/** A value that canonical JSON can carry faithfully. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Orders strings by Unicode code point, as Python's sort does. JavaScript's default comparison
 * works on UTF-16 code units, which puts astral characters (surrogate pairs, 0xD800..) before
 * U+E000..U+FFFF; the two orders agree everywhere else.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Both in the surrogate block, or both outside it: code units order like code points.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs === ys) return x - y;
    // Exactly one is a surrogate, i.e. part of an astral code point (>= 0x10000): it sorts
    // after every BMP code point, including U+E000..U+FFFF that code units would put after it.
    return xs ? 1 : -1;
  }
  return a.length - b.length;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * JSON.stringify quotes strings exactly as Python does with ensure_ascii=False (escapes for
 * `"`, `\`, \b \f \n \r \t, \u00XX in lowercase hex for other C0 controls; DEL, U+2028/9 and
 * all non-ASCII literal) for every well-formed string. Lone surrogates cannot be UTF-8 encoded
 * (Python's .encode('utf-8') raises), so they are refused.
 */
function quote(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) throw new LedgerSerializationError(path, 'string contains a lone surrogate (not encodable as UTF-8)');
  return JSON.stringify(s);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value === 'number' || typeof value === 'bigint' ? `${typeof value} ${String(value)}` : typeof value;
}

/** `payload.items[2]`-style paths for messages; the root is the empty path. */
export const childPath = (path: string, key: string | number): string =>
  typeof key === 'number'
    ? `${path}[${key}]`
    : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)
      ? path === '' ? key : `${path}.${key}`
      : `${path}[${JSON.stringify(key)}]`;

/**
 * Deepest nesting accepted. Python's json.dumps fails near its recursion limit (1000), and a
 * deeper value would exhaust the JavaScript stack; both must be a typed error, not a crash.
 */
export const MAX_DEPTH = 512;

function write(value: unknown, path: string, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return quote(value, path);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new LedgerSerializationError(path, `${value} is not representable in JSON`);
      if (!Number.isInteger(value)) throw new LedgerSerializationError(path, `non-integer number ${value}: write decimals as strings`);
      if (!Number.isSafeInteger(value)) throw new LedgerSerializationError(path, `integer ${value} is outside the safe range ±(2^53-1): write it as a string`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'object': {
      if (value === null) return 'null';
      if (seen.has(value)) throw new LedgerSerializationError(path, 'circular reference');
      if (seen.size >= MAX_DEPTH) throw new LedgerSerializationError(path, `nested deeper than ${MAX_DEPTH} levels`);
      seen.add(value);
      try {
        if (Array.isArray(value)) {
          const parts: string[] = new Array(value.length);
          for (let i = 0; i < value.length; i++) {
            if (!(i in value)) throw new LedgerSerializationError(childPath(path, i), 'sparse array hole');
            parts[i] = write(value[i], childPath(path, i), seen);
          }
          return `[${parts.join(',')}]`;
        }
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          throw new LedgerSerializationError(path, `${describe(value)} is not a plain JSON object`);
        }
        if (Object.getOwnPropertySymbols(value).length > 0) throw new LedgerSerializationError(path, 'symbol keys cannot be serialized');
        const keys = Object.keys(value).sort(compareCodePoints);
        const parts: string[] = new Array(keys.length);
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i]!;
          const p = childPath(path, k);
          parts[i] = `${quote(k, p)}:${write((value as Record<string, unknown>)[k], p, seen)}`;
        }
        return `{${parts.join(',')}}`;
      } finally {
        seen.delete(value);
      }
    }
    default:
      throw new LedgerSerializationError(path, `${describe(value)} cannot be represented in JSON`);
  }
}

/**
 * Serialises `value` to canonical JSON, or throws LedgerSerializationError naming the path of
 * the first value it cannot carry faithfully.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null, 'é'] }) === '{"a":[true,null,"é"],"b":1}'
 */
export function canonicalJson(value: unknown, rootPath = ''): string {
  return write(value, rootPath, new Set());
}
