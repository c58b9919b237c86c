// The single-scan fast path of checkLine (src/canonicalLine.ts) against the exact path
// (checkLineExact): for every line, canonical or mangled, checkLine must answer exactly as
// checkLineExact does; and every canonical line must take the fast path.
import { expect } from 'chai';
import fc from 'fast-check';
import { GENESIS_HASH, canonicalJson, sha256 } from '../../src/index.js';
import { scanCanonicalEventLine } from '../../src/contract/canonicalLine.js';
import { buildEventLine, checkLine, checkLineExact } from '../../src/contract/eventLine.js';
import { jsonObject, key, ustring } from '../support/jsonArbitraries.js';
import { provenance } from '../support/fixtures.js';

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);

/** A canonical stored line: random payload, random (possibly odd) top-level strings. */
const canonicalLine = fc
  .record({
    event_id: fc.oneof(fc.uuid(), ustring),
    sequence: fc.oneof(fc.nat(1000), fc.constant(Number.MAX_SAFE_INTEGER)),
    event_type: fc.oneof(fc.constantFrom('session_start', 'node_creation'), ustring),
    schema_version: fc.constant('1.0.0'),
    timestamp: fc.constant('2026-01-01T00:00:00.000Z'),
    provenance: fc.oneof(fc.constant(provenance as unknown as Record<string, unknown>), jsonObject),
    previous_hash: fc.oneof(fc.constant(GENESIS_HASH), hex64.map((h) => `sha256:${h}`), ustring),
    payload: jsonObject,
  })
  .map((e) =>
    buildEventLine({
      event_id: e.event_id,
      sequence: e.sequence,
      event_type: e.event_type,
      schema_version: e.schema_version,
      timestamp: e.timestamp,
      provenanceJson: canonicalJson(e.provenance),
      previous_hash: e.previous_hash,
      payloadJson: canonicalJson(e.payload),
    }).line,
  );

/** Small edits that may or may not keep the line valid or canonical. */
const TRICKY = [' ', '\t', '\\', '"', '0', '1', '-', '.', 'e', 'E', ',', ':', '{', '}', '[', ']', '\u0000', '\u001f', '\ud800', '\udc00', '\u2028', 'é', '\u{1F600}', '\\u0041', '\\u00e9', '\\/', '\\u001F', '\\u000a', '-0', '1.0', '"hash":"x",'];
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...TRICKY), key) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: fc.constantFrom(...TRICKY) }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(line: string, m: Mutation): string {
  const at = m.at % (line.length + 1);
  switch (m.kind) {
    case 'insert':
      return line.slice(0, at) + m.text + line.slice(at);
    case 'delete':
      return line.slice(0, at) + line.slice(at + m.length);
    case 'replace':
      return line.slice(0, at) + m.text + line.slice(at + 1);
    case 'repeat':
      return line.slice(0, at + m.length) + line.slice(at, at + m.length) + line.slice(at + m.length);
    case 'swap': {
      const a = line.slice(at, at + m.length);
      const b = line.slice(at + m.length, at + 2 * m.length);
      return line.slice(0, at) + b + a + line.slice(at + 2 * m.length);
    }
  }
}

describe('checkLine fast path (single scan of a canonical line) vs the exact path', function () {
  this.timeout(60_000);
  it('every canonical line takes the fast path and gets the exact path\'s answer', () => {
    fc.assert(
      fc.property(canonicalLine, (line) => {
        const fast = scanCanonicalEventLine(line);
        expect(fast, line).to.not.equal(undefined);
        expect(checkLine(line)).to.deep.equal(checkLineExact(line));
        const exact = checkLineExact(line);
        expect(exact.ok).to.equal(true);
        if (exact.ok) expect(sha256(fast!.body)).to.equal(exact.computed);
      }),
      { numRuns: 1500 },
    );
  });

  it('mangled lines: checkLine answers exactly as checkLineExact (fast path accepts only what is canonical)', () => {
    fc.assert(
      fc.property(canonicalLine, fc.array(mutation, { minLength: 1, maxLength: 3 }), (line, ms) => {
        const m = ms.reduce(mutate, line);
        expect(checkLine(m), m).to.deep.equal(checkLineExact(m));
        // What the scanner accepts, it accepts only if the line re-serialises to itself.
        const fast = scanCanonicalEventLine(m);
        if (fast) {
          const exact = checkLineExact(m);
          expect(exact.ok, m).to.equal(true);
          if (exact.ok) expect(sha256(fast.body)).to.equal(exact.computed);
        }
      }),
      { numRuns: 2500 },
    );
  });

  const declined: Array<[string, (l: string) => string]> = [
    ['a space after a colon', (l) => l.replace('"sequence":', '"sequence": ')],
    ['a float sequence', (l) => l.replace(/"sequence":(\d+)/, '"sequence":$1.0')],
    ['-0 in the payload', (l) => l.replace('"payload":{', '"payload":{"":-0,')],
    ['an escaped slash', (l) => l.replace('"payload":{', '"payload":{"a":"\\/",')],
    ['an uppercase \\u escape', (l) => l.replace('"payload":{', '"payload":{"a":"\\u001F",')],
    ...['0008', '0009', '000a', '000c', '000d', '0022', '005c', '007f', '0020'].map((h): [string, (l: string) => string] => [
      `\\u${h} (it has a short escape or none)`, (l) => l.replace('"payload":{', `"payload":{"a":"\\u${h}",`),
    ]),
    ['an exponent in the payload', (l) => l.replace('"payload":{', '"payload":{"a":1e2,')],
    ['a duplicate key in a nested object', (l) => l.replace('{"c":null}', '{"c":null,"c":null}')],
    ['a duplicate payload key', (l) => l.replace('"payload":{', '"payload":{"a":1,"a":1,')],
    ['keys out of code-point order (astral before U+E000)', (l) => l.replace('"payload":{', '"payload":{"\u{10000}":1,"\ue000":1,')],
    ['a trailing newline', (l) => `${l}\n`],
    ['a BOM', (l) => `\ufeff${l}`],
    ['a lone surrogate', (l) => l.replace('"payload":{', '"payload":{"a":"\ud800",')],
    ['a negative sequence', (l) => l.replace(/"sequence":\d+/, '"sequence":-1')],
    ['a huge sequence', (l) => l.replace(/"sequence":\d+/, '"sequence":9007199254740993')],
    ['a missing field', (l) => l.replace(/,"schema_version":"[^"]*"/, '')],
    ['an extra field', (l) => l.replace(/}$/, ',"zzz":1}')],
    ['a numeric hash', (l) => l.replace(/"hash":"[^"]*"/, '"hash":1')],
  ];
  const base = buildEventLine({
    event_id: '01936b2e-0000-7000-8000-000000000000', sequence: 3, event_type: 'session_start', schema_version: '1.0.0',
    timestamp: '2026-01-01T00:00:00.000Z', provenanceJson: canonicalJson(provenance), previous_hash: GENESIS_HASH,
    payloadJson: canonicalJson({ session_id: 's', b: [1, -2, { c: null }], d: 'é\u2028\u{1F600}\n"\\' }),
  }).line;
  it('the fast path accepts a canonical line with escapes, astral characters and nesting', () => {
    expect(scanCanonicalEventLine(base)).to.deep.include({ sequence: 3, previous_hash: GENESIS_HASH });
    expect(checkLine(base)).to.deep.equal(checkLineExact(base));
  });
  for (const [name, edit] of declined) {
    it(`declines ${name}; checkLine still answers as the exact path`, () => {
      const line = edit(base);
      expect(line).to.not.equal(base);
      expect(scanCanonicalEventLine(line)).to.equal(undefined);
      expect(checkLine(line)).to.deep.equal(checkLineExact(line));
    });
  }

  it('big integers in the payload stay on the fast path and hash as written', () => {
    const line = base.replace('"payload":{', `"payload":{"a1":${(2n ** 70n).toString()},"a2":-${(2n ** 64n).toString()},`);
    const fast = scanCanonicalEventLine(line);
    expect(fast).to.not.equal(undefined);
    expect(fast!.body.toString()).to.contain(`"a1":1180591620717411303424,"a2":-18446744073709551616`);
    expect(checkLine(line)).to.deep.equal(checkLineExact(line));
  });

  it('very deep nesting does not throw', () => {
    const deep = base.replace('"payload":{', `"payload":{"d":${'['.repeat(100_000)}${']'.repeat(100_000)},`);
    expect(() => checkLine(deep)).to.not.throw();
  });
});
