// One line of `fmwk-ledger append` input, read so that nothing is changed on the way: strict
// UTF-8, numbers kept as written (JSON.parse would turn 1.0, 1e2, -0.0 or 2.0000000000000001
// into integers the writer never wrote) and refused unless they are safe integers.
import { MAX_DEPTH, childPath } from '../contract/canonicalJson.js';
import { parseRawJson, RawNumber, type RawValue } from '../contract/rawJson.js';

/** Longest input line accepted, in bytes: far above any payload the ledger accepts by default. */
export const MAX_INPUT_LINE_BYTES = 16 * 1024 * 1024;

const INTEGER = /^-?(?:0|[1-9]\d*)$/;
// ignoreBOM: a byte order mark is kept (and then refused as JSON), never silently removed.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Why a line was refused: `path` is a JSON path in the line ('' for the line as a whole). */
export class InputLineError extends Error {
  constructor(
    readonly path: string,
    message: string,
    readonly lexeme?: string,
  ) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'InputLineError';
  }
}

/** Deepest nesting of `text` (outside strings), scanned without recursion. */
function depthOf(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** The raw value as plain JavaScript values, every number checked against its lexeme. */
function toPlain(value: RawValue, path: string): unknown {
  if (value instanceof RawNumber) {
    const lexeme = value.lexeme;
    if (!INTEGER.test(lexeme)) throw new InputLineError(path, `non-integer number ${lexeme} (the ledger stores integers only: write decimals as strings)`, lexeme);
    if (lexeme === '-0') throw new InputLineError(path, `number -0 would be stored as 0: write 0`, lexeme);
    const n = Number(lexeme);
    if (!Number.isSafeInteger(n)) throw new InputLineError(path, `integer ${lexeme} is outside the safe range ±(2^53-1): write it as a string`, lexeme);
    return n;
  }
  if (Array.isArray(value)) return value.map((v, i) => toPlain(v, childPath(path, i)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) {
      // defineProperty: a key named "__proto__" stays an own field instead of setting the prototype.
      Object.defineProperty(out, k, { value: toPlain(value[k]!, childPath(path, k)), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/**
 * Parses one input line (without its newline; a trailing CR is removed). Returns undefined for
 * a blank line; throws InputLineError naming the JSON path and the lexeme at fault.
 */
export function parseInputLine(bytes: Uint8Array): unknown {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  let text: string;
  try {
    text = utf8.decode(bytes.subarray(0, end));
  } catch {
    throw new InputLineError('', 'not valid UTF-8');
  }
  if (text.trim() === '') return undefined;
  const depth = depthOf(text);
  if (depth > MAX_DEPTH) throw new InputLineError('', `nested ${depth} levels deep; the limit is ${MAX_DEPTH}`);
  let raw: RawValue;
  try {
    raw = parseRawJson(text);
  } catch (e) {
    throw new InputLineError('', `not valid JSON: ${(e as Error).message}`);
  }
  return toPlain(raw, '');
}
