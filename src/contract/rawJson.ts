// A strict JSON reader (RFC 8259) that keeps every number as the text it was written as, so
// that verification re-serialises integers of any size exactly as a writer in another
// language produced them, and so that input can be checked before any number is rounded.
// Stricter than JSON.parse where two readers could disagree: a repeated key in an object
// (compared after unescaping) and a string that decodes to a lone surrogate (not UTF-8
// encodable) are errors naming the offset and path. Nesting uses an explicit stack, so any
// depth parses the same way (no recursion limit decides).
import { childPath } from './canonicalJson.js';

/** A number exactly as written in the source text. */
export class RawNumber {
  constructor(readonly lexeme: string) {}
}

export type RawValue = null | boolean | string | RawNumber | RawValue[] | { [key: string]: RawValue };

/** Why the text is not (strict) JSON; `offset` is the UTF-16 index, `path` the member, e.g. `payload.amount`. */
export class RawJsonSyntaxError extends Error {
  readonly offset: number;
  readonly path: string;
  constructor(what: string, offset: number, path: string) {
    super(`${what} at offset ${offset}${path ? ` (${path})` : ''}`);
    this.offset = offset;
    this.path = path;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WS = /[ \t\n\r]*/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const SURROGATE = /[\ud800-\udfff]/;
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** An open container: an object (with the key whose value comes next) or an array. */
interface Frame {
  readonly obj?: { [key: string]: RawValue };
  readonly arr?: RawValue[];
  key: string;
}

const SHORT_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Parses `text` as one JSON value, numbers kept as RawNumber; objects have no prototype. */
export function parseRawJson(text: string): RawValue {
  let i = 0;
  const stack: Frame[] = [];
  // The path is rebuilt from the stack only when an error needs it (building it per container
  // would cost O(depth^2) on deep input).
  const pathOf = (leafKey?: string): string => {
    let p = '';
    stack.forEach((f, n) => {
      p = f.arr ? childPath(p, f.arr.length) : childPath(p, n === stack.length - 1 && leafKey !== undefined ? leafKey : f.key);
    });
    return p;
  };
  const fail = (what: string, at = i, leafKey?: string): never => {
    throw new RawJsonSyntaxError(what, at, pathOf(leafKey));
  };
  const ws = () => {
    WS.lastIndex = i;
    WS.test(text);
    i = WS.lastIndex;
  };
  const str = (): string => {
    const start = i++;
    let out = '';
    let run = i;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) fail('unterminated string', start);
      if (c === 0x22) break;
      if (c < 0x20) fail('raw control character in a string (must be escaped)');
      if (c === 0x5c) {
        out += text.slice(run, i);
        const e = text.charAt(i + 1);
        const short = SHORT_ESCAPES[e];
        if (short !== undefined) i += 2;
        else if (e === 'u' && HEX4.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else fail(`invalid escape ${JSON.stringify(text.slice(i, i + 6))}`);
        if (short !== undefined) out += short;
        run = i;
        continue;
      }
      i++;
    }
    out += text.slice(run, i);
    i++;
    if (SURROGATE.test(out) && !isWellFormed(out)) fail('string holds a lone surrogate (not encodable as UTF-8)', start);
    return out;
  };
  /** Reads `"key":` into the frame; a key seen before in the same object is an error. */
  const key = (f: Frame) => {
    ws();
    if (text.charCodeAt(i) !== 0x22) fail('expected a string key');
    const at = i;
    const k = str();
    if (Object.prototype.hasOwnProperty.call(f.obj, k)) fail(`duplicate key ${JSON.stringify(k)}`, at, k);
    f.key = k;
    ws();
    if (text.charCodeAt(i) !== 0x3a) fail('expected ":"');
    i++;
  };

  for (;;) {
    // A value starts here (after whitespace).
    ws();
    const c = text.charCodeAt(i);
    let v: RawValue;
    if (c === 0x7b) {
      i++;
      const obj: { [key: string]: RawValue } = Object.create(null);
      ws();
      if (text.charCodeAt(i) === 0x7d) {
        i++;
        v = obj;
      } else {
        const f: Frame = { obj, key: '' };
        stack.push(f);
        key(f);
        continue;
      }
    } else if (c === 0x5b) {
      i++;
      const arr: RawValue[] = [];
      ws();
      if (text.charCodeAt(i) === 0x5d) {
        i++;
        v = arr;
      } else {
        stack.push({ arr, key: '' });
        continue;
      }
    } else if (c === 0x22) v = str();
    else if (text.startsWith('true', i)) (i += 4), (v = true);
    else if (text.startsWith('false', i)) (i += 5), (v = false);
    else if (text.startsWith('null', i)) (i += 4), (v = null);
    else {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) return fail(Number.isNaN(c) ? 'unexpected end of text' : 'unexpected character');
      i = NUMBER.lastIndex;
      v = new RawNumber(m[0]);
    }
    // A value is complete: store it, closing containers until one continues with ','.
    for (;;) {
      const f = stack.at(-1);
      if (f === undefined) {
        ws();
        if (i !== text.length) fail('unexpected trailing text');
        return v;
      }
      if (f.arr) f.arr.push(v);
      else f.obj![f.key] = v;
      ws();
      const d = text.charCodeAt(i++);
      if (d === 0x2c) {
        if (f.obj) key(f);
        break;
      }
      if (d !== (f.arr ? 0x5d : 0x7d)) fail(f.arr ? 'expected "," or "]"' : 'expected "," or "}"', i - 1);
      stack.pop();
      v = f.arr ?? f.obj!;
    }
  }
}
