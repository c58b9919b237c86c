// Canonical JSON against the reference: Python's
//   json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
// Property tests compare random nested values byte for byte (one python3 child per file,
// values batched per round trip), then the known traps and the rejections one by one, then
// checkLine on lines that a Python writer produced (big integers, floats, odd whitespace).
import { expect } from 'chai';
import fc from 'fast-check';
import {
  GENESIS_HASH, Ledger, LedgerSerializationError, MemoryStore, canonicalJson, sha256,
} from '../../src/index.js';
import { compareCodePoints } from '../../src/contract/canonicalJson.js';
import { checkLine } from '../../src/contract/eventLine.js';
import { verifyLines } from '../../src/verify/verifyChain.js';
import { PythonJson, type CanonAnswer } from '../support/pythonJson.js';
import { jsonObject, jsonValue, key, leaf, ustring, withLoneSurrogate } from '../support/jsonArbitraries.js';
import { provenance } from '../support/fixtures.js';

const bytesOf = (a: CanonAnswer): Buffer => {
  if (!a.ok) throw new Error(`python refused: ${a.error}`);
  return Buffer.from(a.b64, 'base64');
};

/** Independent oracle for code-point order: compare arrays of code points. */
function byCodePointArrays(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function expectSerializationError(value: unknown, path: string, message?: RegExp): void {
  let error: unknown;
  try {
    canonicalJson(value);
  } catch (e) {
    error = e;
  }
  expect(error, `canonicalJson should refuse (path ${path || '(root)'})`).to.be.instanceOf(LedgerSerializationError);
  const e = error as LedgerSerializationError;
  expect(e.path).to.equal(path);
  expect(e.message.startsWith(`${path || '(root)'}: `), e.message).to.equal(true);
  if (message) expect(e.message).to.match(message);
}

/** An event (without hash) as JSON text, with `@NAME@` string placeholders replaced by raw lexemes. */
function eventText(payload: unknown, raw: Record<string, string> = {}, sequence = 0): string {
  let text = JSON.stringify({
    event_id: '01936b2e-0000-7000-8000-000000000000',
    sequence,
    event_type: 'node_creation',
    schema_version: '1.0.0',
    timestamp: '2026-01-01T00:00:00.000Z',
    provenance,
    previous_hash: GENESIS_HASH,
    payload,
  });
  for (const [name, lexeme] of Object.entries(raw)) text = text.split(`"@${name}@"`).join(lexeme);
  return text;
}

describe('canonical JSON vs python3 json.dumps(sort_keys=True, separators=(",",":"), ensure_ascii=False)', function () {
  let py: PythonJson;
  before(() => {
    py = PythonJson.start();
  });
  after(async () => {
    await py.close();
  });

  /** Python's canonical bytes of each value (sent as JSON text, which JS can write for every accepted value). */
  const pythonCanon = (values: readonly unknown[]) => py.canon(values.map((v) => JSON.stringify(v)));

  describe('property tests', function () {
    it('random nested values: same bytes and same sha256 as Python', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(jsonValue, { minLength: 1, maxLength: 40 }), async (values) => {
          const answers = await pythonCanon(values);
          values.forEach((v, i) => {
            const ours = canonicalJson(v);
            expect(Buffer.from(ours, 'utf8').equals(bytesOf(answers[i]!)), `value ${JSON.stringify(v)}`).to.equal(true);
            expect(sha256(ours)).to.equal((answers[i] as { sha256: string }).sha256);
          });
        }),
        { numRuns: 200 },
      );
    });

    it('random objects with many unicode keys: key order is Python\'s (code point) at every level', async () => {
      const wide = fc.array(fc.tuple(key, fc.oneof(leaf, jsonObject)), { minLength: 5, maxLength: 30 }).map((e) => Object.fromEntries(e));
      await fc.assert(
        fc.asyncProperty(fc.array(wide, { minLength: 1, maxLength: 20 }), async (values) => {
          const answers = await pythonCanon(values);
          values.forEach((v, i) => expect(canonicalJson(v)).to.equal(bytesOf(answers[i]!).toString('utf8')));
        }),
        { numRuns: 40 },
      );
    });

    it('compareCodePoints orders like code point arrays (Python str order)', () => {
      fc.assert(
        fc.property(ustring, ustring, (a, b) => {
          expect(Math.sign(compareCodePoints(a, b))).to.equal(Math.sign(byCodePointArrays(a, b)));
        }),
        { numRuns: 2000 },
      );
    });

    it('random events signed by a Python writer: checkLine recomputes Python\'s hash in every rendering', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(jsonObject, { minLength: 1, maxLength: 25 }), async (payloads) => {
          const answers = await py.sign(payloads.map((p, i) => eventText(p, {}, i)));
          for (const a of answers) {
            if (!a.ok) throw new Error(a.error);
            for (const [style, line] of Object.entries(a.lines)) {
              const c = checkLine(line);
              expect(c.ok, `${style}: ${line}`).to.equal(true);
              if (c.ok) {
                expect(c.computed, style).to.equal(a.hash);
                expect(c.hash, style).to.equal(a.hash);
              }
            }
          }
        }),
        { numRuns: 30 },
      );
    });

    it('strings and keys with a lone surrogate: refused by us, unencodable for Python', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(withLoneSurrogate, { minLength: 1, maxLength: 20 }), async (strings) => {
          const values = strings.flatMap((s) => [s, { [s]: 1 }, { a: [s] }]);
          const answers = await pythonCanon(values);
          values.forEach((v, i) => {
            expect(() => canonicalJson(v)).to.throw(LedgerSerializationError, /lone surrogate/);
            const a = answers[i]!;
            expect(a.ok).to.equal(false);
            if (!a.ok) expect(a.error).to.match(/UnicodeEncodeError/);
          });
        }),
        { numRuns: 20 },
      );
    });

    it('non-integer and unsafe numbers anywhere are refused with their path', () => {
      const bad = fc.oneof(
        fc.double().filter((d) => !Number.isSafeInteger(d) && !Object.is(d, -0)),
        fc.constantFrom(NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), 1e21, 0.1, -1.5, Number.MIN_VALUE),
      );
      fc.assert(
        fc.property(fc.array(fc.constantFrom('a', 'b', 'x y', ''), { maxLength: 4 }), bad, (names, n) => {
          let value: unknown = n;
          let path = '';
          for (const name of [...names].reverse()) value = { [name]: [value] };
          for (const name of names) path = `${/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? (path === '' ? name : `${path}.${name}`) : `${path}[${JSON.stringify(name)}]`}[0]`;
          expectSerializationError(value, path);
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('the traps, one by one', function () {
    it('keys sort by code point: U+E000..U+FFFF before astral (JavaScript\'s default sort gets this wrong)', async () => {
      const v = { '\u{1F600}': 1, '\uffff': 2, '\ue000': 3, 'z': 4, '\u{10000}': 5, '\ud7ff': 6 };
      const expected = '{"z":4,"\ud7ff":6,"\ue000":3,"\uffff":2,"\u{10000}":5,"\u{1F600}":1}';
      expect(canonicalJson(v)).to.equal(expected);
      expect(Object.keys(v).sort(), 'JS default sort puts astral first').to.deep.equal(['z', '\ud7ff', '\u{10000}', '\u{1F600}', '\ue000', '\uffff']);
      expect(bytesOf((await pythonCanon([v]))[0]!).toString('utf8')).to.equal(expected);
      expect(canonicalJson({ outer: { inner: v } })).to.equal(`{"outer":{"inner":${expected}}}`);
      expect(canonicalJson([v])).to.equal(`[${expected}]`);
    });

    it('integer-like keys sort as strings ("10" < "9"), though JS iterates them numerically', async () => {
      const v = { 9: 'nine', 10: 'ten', '': 'empty', a: 'a', '-1': 'm', '01': 'z' };
      const expected = '{"":"empty","-1":"m","01":"z","10":"ten","9":"nine","a":"a"}';
      expect(canonicalJson(v)).to.equal(expected);
      expect(bytesOf((await pythonCanon([v]))[0]!).toString('utf8')).to.equal(expected);
    });

    it('prefix keys and case: "a" < "aa" < "b", "B" < "a"', async () => {
      const v = { b: 1, aa: 2, a: 3, B: 4, 'a\u0000': 5 };
      const expected = '{"B":4,"a":3,"a\\u0000":5,"aa":2,"b":1}';
      expect(canonicalJson(v)).to.equal(expected);
      expect(bytesOf((await pythonCanon([v]))[0]!).toString('utf8')).to.equal(expected);
    });

    it('control characters are escaped exactly as Python escapes them', async () => {
      const short: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r' };
      const all = Array.from({ length: 0x20 }, (_, c) => String.fromCharCode(c));
      const answers = await pythonCanon(all);
      all.forEach((s, c) => {
        const expected = `"${short[c] ?? `\\u${c.toString(16).padStart(4, '0')}`}"`;
        expect(canonicalJson(s), `U+${c.toString(16)}`).to.equal(expected);
        expect(bytesOf(answers[c]!).toString('utf8'), `python U+${c.toString(16)}`).to.equal(expected);
      });
      expect(canonicalJson('\u001f\u000b')).to.equal('"\\u001f\\u000b"'); // lowercase hex
      expect(canonicalJson('"\\/')).to.equal('"\\"\\\\/"'); // quote and backslash escaped, slash not
    });

    it('DEL, C1 controls, U+2028/U+2029, BOM, non-ASCII and astral stay literal UTF-8', async () => {
      const s = '\u007f\u0080\u009f\u2028\u2029\ufeff é€\u{1F600}\u{10FFFF}\ue000\uffff';
      const ours = canonicalJson(s);
      expect(ours).to.equal(`"${s}"`);
      expect(Buffer.from(ours, 'utf8').equals(bytesOf((await pythonCanon([s]))[0]!))).to.equal(true);
      expect(Buffer.from(canonicalJson('é'), 'utf8')).to.deep.equal(Buffer.from([0x22, 0xc3, 0xa9, 0x22]));
    });

    it('null is kept, never omitted', async () => {
      const v = { a: null, b: [null], c: { d: null } };
      expect(canonicalJson(v)).to.equal('{"a":null,"b":[null],"c":{"d":null}}');
      expect(bytesOf((await pythonCanon([v]))[0]!).toString('utf8')).to.equal('{"a":null,"b":[null],"c":{"d":null}}');
      expect(canonicalJson(null)).to.equal('null');
    });

    it('integers are bare digits, safe range inclusive; -0 is 0', async () => {
      const v = [0, -0, 1, -1, 100, 1e15, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
      const expected = '[0,0,1,-1,100,1000000000000000,9007199254740991,-9007199254740991]';
      expect(canonicalJson(v)).to.equal(expected);
      expect(bytesOf((await pythonCanon([v]))[0]!).toString('utf8')).to.equal(expected);
    });

    it('empty containers, booleans, empty key and empty string', async () => {
      const v = { '': '', e: {}, f: [], t: true, u: false, n: [[], {}, [[]]] };
      const expected = '{"":"","e":{},"f":[],"n":[[],{},[[]]],"t":true,"u":false}';
      expect(canonicalJson(v)).to.equal(expected);
      expect(bytesOf((await pythonCanon([v]))[0]!).toString('utf8')).to.equal(expected);
    });

    it('insertion order does not matter; objects without a prototype are plain objects', () => {
      const a = { x: 1, y: { p: 1, q: 2 } };
      const b = Object.assign(Object.create(null) as object, { y: { q: 2, p: 1 }, x: 1 });
      expect(canonicalJson(a)).to.equal(canonicalJson(b)).and.to.equal('{"x":1,"y":{"p":1,"q":2}}');
    });
  });

  describe('rejections: LedgerSerializationError naming the path', function () {
    class Point {
      constructor(readonly x: number) {}
    }
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    const arrayCycle: unknown[] = [];
    arrayCycle.push({ back: arrayCycle });
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [1, , 3];

    const cases: Array<[string, unknown, string, RegExp?]> = [
      ['a float', { payload: { price: 1.5 } }, 'payload.price', /non-integer/],
      ['a float in an array', { items: [1, 2, 0.1] }, 'items[2]', /non-integer/],
      ['NaN', { x: NaN }, 'x', /NaN/],
      ['Infinity', { x: [Infinity] }, 'x[0]', /Infinity/],
      ['-Infinity', { 'a b': -Infinity }, '["a b"]', /Infinity/],
      ['2^53 (unsafe)', { n: 2 ** 53 }, 'n', /safe range/],
      ['-(2^53) (unsafe)', { n: -(2 ** 53) }, 'n', /safe range/],
      ['1e21', [1e21], '[0]', /safe range/],
      ['a lone high surrogate in a value', { s: 'ok\ud800' }, 's', /lone surrogate/],
      ['a lone low surrogate in a value', ['\udc00ok'], '[0]', /lone surrogate/],
      ['reversed surrogates', { s: '\ude00\ud83d' }, 's', /lone surrogate/],
      ['a lone surrogate in a key', { outer: { 'k\ud800': 1 } }, 'outer["k\\ud800"]', /lone surrogate/],
      ['undefined in an object', { a: { b: undefined } }, 'a.b', /undefined/],
      ['undefined in an array', [1, undefined], '[1]', /undefined/],
      ['undefined at the root', undefined, '', /undefined/],
      ['a function', { f: () => 1 }, 'f', /function/],
      ['a toJSON method (not honoured)', { d: { toJSON: () => 'x' } }, 'd.toJSON', /function/],
      ['a symbol value', { s: Symbol('s') }, 's', /symbol/],
      ['a symbol key', { o: { [Symbol('k')]: 1 } }, 'o', /symbol/],
      ['a bigint', { n: 1n }, 'n', /bigint/],
      ['a Date', { when: new Date(0) }, 'when', /Date/],
      ['a Map', { m: new Map([['a', 1]]) }, 'm', /Map/],
      ['a Set', { s: new Set([1]) }, 's', /Set/],
      ['a class instance', { p: new Point(1) }, 'p', /Point/],
      ['a boxed string', { s: new String('x') }, 's', /String/],
      ['a Uint8Array', { b: new Uint8Array([1]) }, 'b', /Uint8Array/],
      ['a RegExp', { r: /x/ }, 'r', /RegExp/],
      ['a cycle through an object', cycle, 'self', /circular/],
      ['a cycle through an array', arrayCycle, '[0].back', /circular/],
      ['a sparse array hole', { xs: sparse }, 'xs[1]', /sparse/],
    ];
    for (const [name, value, path, message] of cases) {
      it(`${name} -> ${path || '(root)'}`, () => expectSerializationError(value, path, message));
    }

    it('a shared (non-cyclic) reference is fine', () => {
      const shared = { k: 1 };
      expect(canonicalJson({ a: shared, b: [shared] })).to.equal('{"a":{"k":1},"b":[{"k":1}]}');
    });

    it('rootPath prefixes the path', () => {
      let error: unknown;
      try {
        canonicalJson({ price: 0.5 }, 'payload');
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(LedgerSerializationError);
      expect((error as LedgerSerializationError).path).to.equal('payload.price');
    });

    it('Ledger.append refuses such payloads with LedgerSerializationError and writes nothing', async () => {
      const ledger = await Ledger.open(new MemoryStore());
      const input = (payload: Record<string, unknown>) => ({ event_type: 'mode_change' as const, schema_version: '1.0.0', provenance, payload });
      const bad: Array<[Record<string, unknown>, string]> = [
        [{ ratio: 0.5 }, 'payload.ratio'],
        [{ n: 2 ** 60 }, 'payload.n'],
        [{ s: '\ud800' }, 'payload.s'],
        [{ d: new Date(0) }, 'payload.d'],
        [{ nested: { list: [1, NaN] } }, 'payload.nested.list[1]'],
      ];
      for (const [payload, path] of bad) {
        let error: unknown;
        try {
          await ledger.append(input(payload));
        } catch (e) {
          error = e;
        }
        expect(error, path).to.be.instanceOf(LedgerSerializationError);
        expect((error as LedgerSerializationError).path).to.equal(path);
      }
      expect(await ledger.getTip()).to.deep.equal({ sequence_number: -1, hash: GENESIS_HASH });
      expect((await ledger.append(input({ ok: 1 }))).sequence).to.equal(0);
      await ledger.close();
    });
  });

  describe('checkLine on lines a Python writer produced', function () {
    const BIG = {
      P70: (2n ** 70n).toString(),
      N70: (-(2n ** 70n)).toString(),
      P64: (2n ** 64n + 1n).toString(),
      P53: (2n ** 53n).toString(),
      P53_1: (2n ** 53n + 1n).toString(),
      HUGE: '1' + '0'.repeat(300),
    };
    const bigPayload = {
      big: '@P70@',
      neg: '@N70@',
      list: ['@P64@', '@P53@', { deeper: '@P53_1@' }],
      huge: '@HUGE@',
      small: 7,
    };

    it('integers beyond 2^53 (2**70 etc.) are hashed as written: checkLine recomputes Python\'s hash in every rendering', async () => {
      const [a] = await py.sign([eventText(bigPayload, BIG)]);
      if (!a?.ok) throw new Error(a?.error);
      expect(a.lines.canonical).to.contain(`"big":${BIG.P70}`).and.to.contain(`"huge":${BIG.HUGE}`);
      for (const [style, line] of Object.entries(a.lines)) {
        const c = checkLine(line);
        expect(c, style).to.include({ ok: true, hash: a.hash, computed: a.hash });
      }
      // And the chain verifier accepts it as sequence 0.
      const r = await verifyLines((async function* () { yield a.lines.canonical; })());
      expect(r).to.deep.equal({ valid: true, break_at: null, count: 1 });
    });

    it('a big integer changed by one in its last digit breaks the hash (no rounding through a double)', async () => {
      const [a] = await py.sign([eventText({ big: '@P53_1@' }, BIG)]);
      if (!a?.ok) throw new Error(a?.error);
      // 2^53+1 and 2^53 are the same double; they must not hash the same.
      const forged = a.lines.canonical.replace(`"big":${BIG.P53_1}`, `"big":${BIG.P53}`);
      expect(forged).to.not.equal(a.lines.canonical);
      const c = checkLine(forged);
      expect(c.ok).to.equal(true);
      if (c.ok) expect(c.computed).to.not.equal(a.hash);
    });

    /** Lines made by hand; the oracle is Python's hash of the same line without `hash`. */
    const crafted: Array<[string, string]> = [
      ['spaces, tabs and a trailing \\r (CRLF file)', eventText({ a: 1, b: [1, 2] }).replace(/,/g, ' ,\t').replace(/:/g, ' : ') + '\r'],
      ['keys in reverse order at every level', `{"sequence":0,"payload":{"z":1,"a":{"y":2,"b":3}},"previous_hash":"${GENESIS_HASH}","provenance":{"pack_id":"p","framework_id":"f","actor":"system"},"timestamp":"2026-01-01T00:00:00.000Z","schema_version":"1.0.0","event_type":"x","event_id":"e"}`],
      ['integer-like payload keys ("10" before "9")', eventText({ 9: 'a', 10: 'b', '': 'c' })],
      ['ensure_ascii escapes (\\u00e9, \\ud83d\\ude00, \\u2028) and \\/', eventText({ s: '@S@' }, { S: '"caf\\u00e9 \\ud83d\\ude00 \\u2028 a\\/b \\u0041"' })],
      ['uppercase hex escapes and escaped controls', eventText({ s: '@S@' }, { S: '"\\u00E9\\u001F\\u000b\\b"' })],
      ['-0 as an integer lexeme (Python reads int 0)', eventText({ z: '@Z@' }, { Z: '-0' })],
      ['big integers', eventText(bigPayload, BIG)],
      ['__proto__ and constructor keys', eventText({ s: '@S@' }, { S: '{"__proto__":{"x":1},"constructor":2}' })],
    ];
    it('non-canonical line: a duplicate key in the payload: Python keeps the last, checkLine refuses the line (issue 8)', async () => {
      const line = eventText({ k: '@D@' }, { D: '1,"k":2' });
      const [a] = await py.canon([line], true);
      if (!a?.ok) throw new Error(`python: ${a?.error}`);
      // Two readers could see two values in one verified line: invalid, whatever the hash says.
      const c = checkLine(line.replace(/}(\s*)$/, `,"hash":"${a.sha256}"}$1`));
      expect(c).to.deep.include({ ok: false });
      if (!c.ok) expect(c.reason).to.match(/duplicate key "k"/);
    });
    for (const [name, line] of crafted) {
      it(`non-canonical line: ${name} -> same hash as Python`, async () => {
        const [a] = await py.canon([line], true);
        if (!a?.ok) throw new Error(`python: ${a?.error}`);
        const withHash = line.replace(/}(\s*)$/, `,"hash":"${a.sha256}"}$1`);
        const c = checkLine(withHash);
        expect(c.ok, c.ok ? '' : c.reason).to.equal(true);
        if (c.ok) {
          expect(c.computed).to.equal(a.sha256);
          expect(c.hash).to.equal(a.sha256);
        }
      });
    }

    // Floats: the contract has none (decimals travel as strings). Python's json would hash
    // 1.0 as "1.0", 1e2 as "100.0", 1E400 as "Infinity"; checkLine does not try to mimic
    // Python's float repr: it refuses the line (ok: false, "non-integer number <lexeme>"), so
    // verification reports a break at that sequence instead of guessing.
    for (const lexeme of ['1.0', '1.5', '-0.0', '1e2', '1E400', '0.1']) {
      it(`a float lexeme ${lexeme}: Python hashes it as a float; checkLine refuses the line (documented)`, async () => {
        const [a] = await py.sign([eventText({ f: '@F@' }, { F: lexeme })]);
        if (!a?.ok) throw new Error(a?.error);
        const line = a.lines.canonical;
        const c = checkLine(line);
        expect(c.ok).to.equal(false);
        if (!c.ok) expect(c.reason).to.match(/non-integer number|not valid JSON/); // Python writes 1E400 as Infinity
        // The raw lexeme as written, too (Python renders 1e2 as 100.0 in its own line).
        const written = line.replace(/"f":[^,}]+/, `"f":${lexeme}`);
        const c2 = checkLine(written);
        expect(c2.ok).to.equal(false);
        if (!c2.ok) expect(c2.reason).to.contain(`non-integer number ${lexeme}`);
        const r = await verifyLines((async function* () { yield line; })());
        expect(r).to.include({ valid: false, break_at: 0 });
      });
    }

    it('a lone surrogate escape: Python cannot encode it, checkLine refuses it', async () => {
      const line = eventText({ s: '@S@' }, { S: '"\\ud800"' });
      const [a] = await py.canon([line], true);
      expect(a?.ok).to.equal(false);
      const c = checkLine(line.replace(/}$/, `,"hash":"${GENESIS_HASH}"}`));
      expect(c.ok).to.equal(false);
      if (!c.ok) expect(c.reason).to.match(/lone surrogate/);
    });
  });
});
