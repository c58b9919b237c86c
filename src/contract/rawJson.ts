// A JSON reader that keeps every number as the text it was written as, so that verification
// re-serialises integers of any size exactly as a writer in another language produced them.
// Used only when the fast path (JSON.parse) cannot prove it is exact.

/** A number exactly as written in the source text. */
export class RawNumber {
  constructor(readonly lexeme: string) {}
}

export type RawValue = null | boolean | string | RawNumber | RawValue[] | { [key: string]: RawValue };

export class RawJsonSyntaxError extends Error {}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WS = /[ \t\n\r]*/y;

/** Parses `text` as one JSON value (RFC 8259), numbers kept as RawNumber. */
export function parseRawJson(text: string): RawValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new RawJsonSyntaxError(`${what} at offset ${i}`);
  };
  const ws = () => {
    WS.lastIndex = i;
    WS.test(text);
    i = WS.lastIndex;
  };
  const str = (): string => {
    // JSON.parse decodes escapes exactly per the JSON grammar; let it do one string at a time.
    const start = i++;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) fail('unterminated string');
      if (c === 0x22) break;
      if (c === 0x5c) i++;
      i++;
    }
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail('invalid string');
    }
  };
  const value = (): RawValue => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: { [key: string]: RawValue } = Object.create(null);
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a string key');
        const k = str();
        ws();
        if (text[i++] !== ':') fail('expected ":"');
        obj[k] = value();
        ws();
        const d = text[i++];
        if (d === '}') return obj;
        if (d !== ',') fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const arr: RawValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        const d = text[i++];
        if (d === ']') return arr;
        if (d !== ',') fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return fail('unexpected character');
    i = NUMBER.lastIndex;
    return new RawNumber(m[0]);
  };
  const v = value();
  ws();
  if (i !== text.length) fail('unexpected trailing text');
  return v;
}
