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
function quote(s: string, path: Path): string {
  if (LONE_SURROGATE.test(s)) throw new LedgerSerializationError(at(path), 'string contains a lone surrogate (not encodable as UTF-8)');
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

/** A value's path, or how to build it (only an error needs it: deep paths are built lazily). */
type Path = string | (() => string);
const at = (path: Path): string => (typeof path === 'string' ? path : path());

/** Everything but a non-null object: its canonical text, or the error naming `path`. */
function writeScalar(value: unknown, path: Path): string {
  switch (typeof value) {
    case 'string':
      return quote(value, path);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new LedgerSerializationError(at(path), `${value} is not representable in JSON`);
      if (!Number.isInteger(value)) throw new LedgerSerializationError(at(path), `non-integer number ${value}: write decimals as strings`);
      if (!Number.isSafeInteger(value)) throw new LedgerSerializationError(at(path), `integer ${value} is outside the safe range ±(2^53-1): write it as a string`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'object':
      if (value === null) return 'null';
    // falls through: a non-null object is the containers' business
    default:
      throw new LedgerSerializationError(at(path), `${describe(value)} cannot be represented in JSON`);
  }
}

/** An array, or an object's keys in canonical order; throws for what is not a plain container. */
function openContainer(value: object, path: Path, seen: Set<object>): string[] | null {
  if (seen.has(value)) throw new LedgerSerializationError(at(path), 'circular reference');
  if (Array.isArray(value)) return null;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new LedgerSerializationError(at(path), `${describe(value)} is not a plain JSON object`);
  }
  if (Object.getOwnPropertySymbols(value).length > 0) throw new LedgerSerializationError(at(path), 'symbol keys cannot be serialized');
  return Object.keys(value).sort(compareCodePoints);
}

function write(value: unknown, path: string, seen: Set<object>): string {
  if (typeof value !== 'object' || value === null) return writeScalar(value, path);
  const keys = openContainer(value, path, seen);
  if (seen.size >= MAX_DEPTH) throw new LedgerSerializationError(path, `nested deeper than ${MAX_DEPTH} levels`);
  seen.add(value);
  try {
    if (keys === null) {
      const arr = value as unknown[];
      const parts: string[] = new Array(arr.length);
      for (let i = 0; i < arr.length; i++) {
        if (!(i in arr)) throw new LedgerSerializationError(childPath(path, i), 'sparse array hole');
        parts[i] = write(arr[i], childPath(path, i), seen);
      }
      return `[${parts.join(',')}]`;
    }
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

/** An open container of canonicalJsonAnyDepth: where it is and how far it is written. */
interface Frame {
  readonly value: object;
  /** An object's keys in canonical order; null for an array. */
  readonly keys: string[] | null;
  i: number;
  /** Its key (or index) in the container below it on the stack. */
  readonly key: string | number | undefined;
}

/**
 * canonicalJson without its depth limit, on an explicit stack: for values read back from a line
 * that verified (another writer may nest deeper than MAX_DEPTH, and the checks accept any
 * depth), so that such an event can still be printed and checked. The same text and the same
 * refusals otherwise; the text is written front to back into one list (no per-level copies),
 * and paths in errors are built only when thrown. Writes keep MAX_DEPTH.
 */
export function canonicalJsonAnyDepth(value: unknown, rootPath = ''): string {
  if (typeof value !== 'object' || value === null) return writeScalar(value, rootPath);
  const out: string[] = [];
  const stack: Frame[] = [];
  const seen = new Set<object>();
  const pathTo = (key?: string | number): string => {
    let p = rootPath;
    for (let k = 1; k < stack.length; k++) p = childPath(p, stack[k]!.key!);
    return key === undefined ? p : childPath(p, key);
  };
  const open = (v: object, key: string | number | undefined): void => {
    const keys = openContainer(v, () => (key === undefined ? rootPath : pathTo(key)), seen);
    seen.add(v);
    stack.push({ value: v, keys, i: 0, key });
    out.push(keys === null ? '[' : '{');
  };
  open(value, undefined);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const length = top.keys === null ? (top.value as unknown[]).length : top.keys.length;
    if (top.i === length) {
      stack.pop();
      seen.delete(top.value);
      out.push(top.keys === null ? ']' : '}');
      continue;
    }
    const i = top.i++;
    if (i > 0) out.push(',');
    let child: unknown;
    let key: string | number;
    if (top.keys === null) {
      if (!(i in top.value)) throw new LedgerSerializationError(pathTo(i), 'sparse array hole');
      child = (top.value as unknown[])[i];
      key = i;
    } else {
      key = top.keys[i]!;
      child = (top.value as Record<string, unknown>)[key];
      out.push(quote(key, () => pathTo(key)), ':');
    }
    if (typeof child === 'object' && child !== null) open(child, key);
    else out.push(writeScalar(child, () => pathTo(key)));
  }
  return out.join('');
}

/**
 * The canonical JSON of a value read back from a stored line (an event to print or to check
 * again): canonicalJson, or where only its depth limit refuses the value,
 * canonicalJsonAnyDepth. A line nested deeper than writes allow verifies (the checks use
 * explicit stacks), so its event must print and check the same way.
 */
export function canonicalJsonOfStored(value: unknown): string {
  try {
    return canonicalJson(value);
  } catch (e) {
    if (!(e instanceof LedgerSerializationError)) throw e;
    return canonicalJsonAnyDepth(value); // refuses everything else just as canonicalJson does
  }
}
