// Hostile files against cold verification: thousands of mutated ledger files, each judged by
// verifyFile (one thread, and two workers on a subset) and by two independent Python verifiers
// (test/hostile/oracle.py and the verifier printed in the README). All must agree on valid,
// break_at and count for every file; for the attacks of issue 8 the expected verdict is also
// stated outright. Seeded and bounded: the same files on every run.
import { expect } from 'chai';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../../src/index.js';
import { verifyFile } from '../../src/verify.js';
import { planRanges, verifyRanges } from '../../src/verify/verifyFileParallel.js';
import { jsonObject } from '../support/jsonArbitraries.js';
import { BASE_PAYLOADS, chain, deepPayload, eventBody, forgedChain, GENESIS, sha256Hex, toFile, withHash } from '../support/hostileLedgers.js';
import { Oracle, ReadmeVerifier, type Verdict } from '../support/pythonOracle.js';
import { tempDir } from '../support/tempDir.js';

const SEED = 20_260_108;
const FFFD_PAYLOAD = BASE_PAYLOADS[1]!;
const SIMPLE = (i: number) => `{"session_id":"s-${i}"}`;

// ---- mutations ------------------------------------------------------------------------------

/** Byte strings worth inserting: JSON structure, whitespace, and invalid or unusual UTF-8. */
const INTERESTING: readonly number[][] = [
  [0xff], [0xfe], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xef, 0xbb, 0xbf],
  [0x0d], [0x20], [0x09], [0x0a], [0x00], [0x22], [0x5c], [0x7b], [0x7d], [0x5b], [0x5d], [0x2c], [0x3a], [0x30], [0x2d],
  [0x2e, 0x30], [0x65, 0x32],
];

type Mutation =
  | { readonly k: 'flip'; readonly at: number; readonly mask: number }
  | { readonly k: 'delete'; readonly at: number; readonly len: number }
  | { readonly k: 'insert'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly k: 'swap'; readonly i: number; readonly j: number }
  | { readonly k: 'duplicate'; readonly i: number }
  | { readonly k: 'remove'; readonly i: number }
  | { readonly k: 'truncate'; readonly back: number }
  | { readonly k: 'bom'; readonly i: number }
  | { readonly k: 'crlf'; readonly i: number | 'all' }
  | { readonly k: 'space'; readonly at: number }
  | { readonly k: 'escape'; readonly at: number };

const pos = fc.nat();
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: pos, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ k: fc.constant('delete' as const), at: pos, len: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ k: fc.constant('insert' as const), at: pos, bytes: fc.oneof(fc.constantFrom(...INTERESTING), fc.array(fc.nat(255), { minLength: 1, maxLength: 3 })) }),
  fc.record({ k: fc.constant('swap' as const), i: pos, j: pos }),
  fc.record({ k: fc.constant('duplicate' as const), i: pos }),
  fc.record({ k: fc.constant('remove' as const), i: pos }),
  fc.record({ k: fc.constant('truncate' as const), back: fc.integer({ min: 1, max: 600 }) }),
  fc.record({ k: fc.constant('bom' as const), i: pos }),
  fc.record({ k: fc.constant('crlf' as const), i: fc.oneof(pos, fc.constant('all' as const)) }),
  fc.record({ k: fc.constant('space' as const), at: pos }),
  fc.record({ k: fc.constant('escape' as const), at: pos }),
);

/** Complete lines (newline excluded) and the torn tail of a file. */
function split(buf: Buffer): { lines: Buffer[]; tail: Buffer } {
  const lines: Buffer[] = [];
  let from = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, from)) {
    lines.push(buf.subarray(from, nl));
    from = nl + 1;
  }
  return { lines, tail: buf.subarray(from) };
}
const join_ = (lines: readonly Buffer[], tail: Buffer) => Buffer.concat([...lines.flatMap((l) => [l, Buffer.from('\n')]), tail]);

function mutate(buf: Buffer, m: Mutation): Buffer {
  const n = buf.length;
  const { lines, tail } = split(buf);
  const L = lines.length;
  switch (m.k) {
    case 'flip': {
      if (n === 0) return buf;
      const out = Buffer.from(buf);
      out[m.at % n] = out[m.at % n]! ^ m.mask;
      return out;
    }
    case 'delete':
      return n === 0 ? buf : Buffer.concat([buf.subarray(0, m.at % n), buf.subarray((m.at % n) + m.len)]);
    case 'insert': {
      const at = m.at % (n + 1);
      return Buffer.concat([buf.subarray(0, at), Buffer.from(m.bytes), buf.subarray(at)]);
    }
    case 'swap': {
      if (L < 2) return buf;
      const out = [...lines];
      const [i, j] = [m.i % L, m.j % L];
      [out[i], out[j]] = [out[j]!, out[i]!];
      return join_(out, tail);
    }
    case 'duplicate': {
      if (L === 0) return buf;
      const out = [...lines];
      out.splice(m.i % L, 0, lines[m.i % L]!);
      return join_(out, tail);
    }
    case 'remove': {
      if (L === 0) return buf;
      const out = [...lines];
      out.splice(m.i % L, 1);
      return join_(out, tail);
    }
    case 'truncate':
      return buf.subarray(0, Math.max(0, n - m.back));
    case 'bom': {
      if (L === 0) return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf]);
      const out = [...lines];
      out[m.i % L] = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), lines[m.i % L]!]);
      return join_(out, tail);
    }
    case 'crlf': {
      const cr = (l: Buffer) => Buffer.concat([l, Buffer.from('\r')]);
      if (m.i === 'all') return join_(lines.map(cr), tail);
      if (L === 0) return buf;
      const out = [...lines];
      out[m.i % L] = cr(lines[m.i % L]!);
      return join_(out, tail);
    }
    case 'space': {
      // A space after a ':' (between a key and its value: whitespace the contract permits; inside
      // a string, e.g. a timestamp, it changes the content).
      const at = n === 0 ? -1 : buf.indexOf(0x3a, m.at % n);
      return at < 0 ? buf : Buffer.concat([buf.subarray(0, at + 1), Buffer.from(' '), buf.subarray(at + 1)]);
    }
    case 'escape': {
      // An ASCII letter spelled as \u00XX: the same string inside a key or value, broken JSON in a literal.
      for (let i = n === 0 ? 0 : m.at % n; i < n; i++) {
        const c = buf[i]!;
        if (c >= 0x61 && c <= 0x7a) return Buffer.concat([buf.subarray(0, i), Buffer.from(`\\u00${c.toString(16)}`), buf.subarray(i + 1)]);
      }
      return buf;
    }
  }
}

// ---- bases ----------------------------------------------------------------------------------

const BASES: readonly Buffer[] = [
  toFile(chain(BASE_PAYLOADS).lines),
  toFile(chain(BASE_PAYLOADS.slice(0, 3)).lines),
  toFile(chain([BASE_PAYLOADS[4]!]).lines),
];
/** A base file: a fixed one, or a chain of random payloads (canonical JSON of random JSON objects). */
const baseFile = fc.oneof(
  { arbitrary: fc.nat(BASES.length - 1).map((i) => BASES[i]!), weight: 3 },
  { arbitrary: fc.array(jsonObject, { minLength: 1, maxLength: 5 }).map((ps) => toFile(chain(ps.map((p) => canonicalJson(p))).lines)), weight: 1 },
);

const pick = (v: Verdict): Verdict => ({ valid: v.valid, break_at: v.break_at, count: v.count });
const show = (buf: Buffer) => (buf.length > 2000 ? `${buf.subarray(0, 2000).toString('latin1')}…(${buf.length} bytes)` : buf.toString('latin1'));

describe('hostile: mutated ledger files, verifyFile against two independent Python verifiers', function () {
  // Bounded by CPU: ~2,800 files; a two-worker verify costs ~0.3 s of CPU (thread start-up), so
  // only a few dozen files take that path. Wall time grows on a loaded machine, hence the timeout.
  this.timeout(600_000);
  let oracle: Oracle;
  let readme: ReadmeVerifier;
  let dir: string;
  let remove: () => void;
  let file: string;
  /** Files judged so far, for the report line printed at the end. */
  let judged = 0;

  before(() => {
    ({ dir, remove } = tempDir('fmwk-hostile-'));
    file = join(dir, 'ledger.jsonl');
    oracle = Oracle.start();
    readme = ReadmeVerifier.start(dir);
  });
  after(async () => {
    await oracle?.close();
    await readme?.close();
    remove?.();
    console.log(`      (${judged} files judged by verifyFile, oracle.py and the README verifier)`);
  });

  /** True for one call in 50: the files that also take the two-worker path. */
  let calls = 0;
  const sampled = () => calls++ % 50 === 0;

  /**
   * Writes `bytes`, judges them with every verifier and expects one answer; returns it.
   * `workers` also runs the two-worker path with the file forced into two ranges.
   */
  async function judge(bytes: Buffer, what: string, workers = false): Promise<Verdict> {
    writeFileSync(file, bytes);
    judged++;
    const py = pick(await oracle.verify(file));
    const context = `${what}\nfile: ${show(bytes)}`;
    expect(pick(await readme.verify(file)), `README verifier vs oracle.py on ${context}`).to.deep.equal(py);
    expect(pick(await verifyFile(file)), `verifyFile vs oracle.py on ${context}`).to.deep.equal(py);
    if (workers) {
      const ranges = await planRanges(file, 2, 0);
      expect(pick(await verifyRanges(file, ranges)), `verifyFile with 2 workers vs oracle.py on ${context}`).to.deep.equal(py);
    }
    return py;
  }

  it('the unmutated bases are valid for every verifier', async () => {
    for (const b of BASES) expect(await judge(b, 'base', true)).to.deep.include({ valid: true, break_at: null });
  });

  it('structural mutations (byte flips, deletions, insertions, swapped/duplicated/removed lines, truncation, BOM, CRLF, whitespace, escapes): one verdict', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(baseFile, fc.array(mutation, { minLength: 1, maxLength: 3 }), async (base, ms) => {
        const bytes = ms.reduce(mutate, base);
        await judge(bytes, JSON.stringify(ms), run++ % 200 === 0);
      }),
      { seed: SEED, numRuns: 1600 },
    );
  });

  it('truncation at every byte of the last two lines: the torn tail is ignored, never judged', async () => {
    const base = BASES[0]!;
    const { lines } = split(base);
    const lastTwo = lines.at(-1)!.length + lines.at(-2)!.length + 2;
    for (let back = 0; back <= lastTwo; back++) {
      const v = await judge(base.subarray(0, base.length - back), `truncated by ${back} bytes`, back % 300 === 0);
      // Whole lines cut from the end are not detectable without a tip held elsewhere: still valid.
      expect(v).to.deep.equal({ valid: true, break_at: null, count: lines.length - (back === 0 ? 0 : back <= lines.at(-1)!.length + 1 ? 1 : 2) });
    }
  });

  // Bytes that a lossy decoder turns into exactly `width` U+FFFD characters: put in place of
  // `width` stored U+FFFD, the line would still hash right for a lossy reader (issue 8 §2).
  const LOSSY: ReadonlyArray<{ bytes: number[]; width: number }> = [
    { bytes: [0xff], width: 1 }, { bytes: [0xfe], width: 1 }, { bytes: [0x80], width: 1 }, { bytes: [0xbf], width: 1 },
    { bytes: [0xc1], width: 1 }, { bytes: [0xf8], width: 1 }, { bytes: [0xe2, 0x82], width: 1 }, { bytes: [0xf0, 0x9f, 0x98], width: 1 },
    { bytes: [0xc0, 0xaf], width: 2 }, { bytes: [0xed, 0xa0, 0x80], width: 3 }, { bytes: [0xed, 0xbf, 0xbf], width: 3 },
    { bytes: [0xf4, 0x90, 0x80, 0x80], width: 4 },
  ];

  it('invalid UTF-8 standing in for stored U+FFFD (FF, overlong, surrogate bytes, truncated sequences) is invalid at that line', async () => {
    const FFFD = Buffer.from('\ufffd');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.nat(), fc.constantFrom(...LOSSY), fc.nat(3), async (length, atRaw, { bytes, width }, skip) => {
        const at = atRaw % length;
        const lines = chain(Array.from({ length }, (_, i) => (i === at ? FFFD_PAYLOAD : SIMPLE(i)))).lines.map((l) => Buffer.from(l));
        const line = lines[at]!;
        // The run of four U+FFFD in FFFD_PAYLOAD: replace `width` of them, `skip` in.
        const run = line.indexOf(Buffer.concat([FFFD, FFFD, FFFD, FFFD]));
        const from = run + Math.min(skip, 4 - width) * FFFD.length;
        lines[at] = Buffer.concat([line.subarray(0, from), Buffer.from(bytes), line.subarray(from + width * FFFD.length)]);
        const v = await judge(join_(lines, Buffer.alloc(0)), `${Buffer.from(bytes).toString('hex')} for ${width} x U+FFFD at line ${at}`, sampled());
        expect(v).to.deep.equal({ valid: false, break_at: at, count: at });
      }),
      { seed: SEED, numRuns: 250 },
    );
  });

  // Lines that hash right under a reader that keeps the last (or the first) of repeated keys.
  const DUPLICATES: ReadonlyArray<{ name: string; build: (payloads: string[], at: number) => string[] }> = [
    { name: 'payload key, last wins', build: (p, at) => forgedChain(p, at, '{"amount":5}', '{"amount":1000000,"amount":5}') },
    { name: 'payload key, first wins', build: (p, at) => forgedChain(p, at, '{"amount":1000000}', '{"amount":1000000,"amount":5}') },
    { name: 'payload key spelled with an escape', build: (p, at) => forgedChain(p, at, '{"amount":5}', '{"\\u0061mount":1000000,"amount":5}') },
    { name: 'escaped key after the plain one', build: (p, at) => forgedChain(p, at, '{"amount":5}', '{"amount":1000000,"am\\u006fun\\u0074":5}') },
    { name: 'nested key in an array', build: (p, at) => forgedChain(p, at, '{"l":[{"x":2}]}', '{"l":[{"x":1,"x":2}]}') },
    {
      name: 'top-level payload',
      build: (p, at) => forgedChain(p, at, SIMPLE(at), SIMPLE(at), (line) => line.replace('"payload":', '"payload":{"amount":1000000},"payload":')),
    },
    {
      name: 'top-level hash',
      build: (p, at) => forgedChain(p, at, SIMPLE(at), SIMPLE(at), (line) => line.replace('"hash":', `"hash":"${GENESIS}","hash":`)),
    },
    {
      name: 'top-level sequence',
      build: (p, at) => forgedChain(p, at, SIMPLE(at), SIMPLE(at), (line) => line.replace('"sequence":', '"sequence":77,"sequence":')),
    },
    {
      name: 'top-level key spelled with an escape',
      build: (p, at) => forgedChain(p, at, SIMPLE(at), SIMPLE(at), (line) => line.replace('"previous_hash":', `"previous_h\\u0061sh":"${GENESIS}","previous_hash":`)),
    },
  ];

  it('a repeated key (also spelled with an escape, at any level) is invalid at that line', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.nat(), fc.constantFrom(...DUPLICATES), async (length, atRaw, { name, build }) => {
        const at = atRaw % length;
        const lines = build(Array.from({ length }, (_, i) => SIMPLE(i)), at);
        const v = await judge(toFile(lines), `${name} at line ${at}`, sampled());
        expect(v, name).to.deep.equal({ valid: false, break_at: at, count: at });
      }),
      { seed: SEED, numRuns: 250 },
    );
  });

  // Numbers and strings a lax reader would accept: [shown, hashed, valid by the contract].
  const VALUES: ReadonlyArray<readonly [string, string, boolean]> = [
    ['5.0', '5', false], ['5e0', '5', false], ['50e-1', '5', false], ['5.00000000000000001', '5', false], ['4.99999999999999999999', '5', false],
    ['1E2', '100', false], ['1e-400', '0', false], ['-0.0', '0', false], ['1e400', '0', false], ['9007199254740990.6', '9007199254740991', false],
    ['NaN', 'null', false], ['Infinity', 'null', false], ['-Infinity', 'null', false],
    ['-0', '0', true], ['1180591620717411303424', '1180591620717411303424', true], ['-9223372036854775809', '-9223372036854775809', true],
    [`1${'0'.repeat(5000)}`, `1${'0'.repeat(5000)}`, true],
    ['"\\ud800"', '"\ufffd"', false], ['"\\udc00x"', '"\ufffdx"', false], ['"a\\ud800\\u0041"', '"a\ufffdA"', false],
    ['"\\ud83d\\ude00"', '"😀"', true], ['"\\u00e9\\u002F"', '"é/"', true],
  ];

  it('floats, NaN, Infinity, lone surrogates are invalid; "-0", big and escaped values are exact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.nat(), fc.constantFrom(...VALUES), fc.boolean(), async (length, atRaw, [shown, hashed, ok], asKey) => {
        const at = atRaw % length;
        const isString = shown.startsWith('"');
        // Strings are also tried as keys; numbers only as values.
        const [h, s] = asKey && isString ? [`{${hashed}:1}`, `{${shown}:1}`] : [`{"v":${hashed}}`, `{"v":${shown}}`];
        const lines = forgedChain(Array.from({ length }, (_, i) => SIMPLE(i)), at, h, s);
        const v = await judge(toFile(lines), `${s} hashed as ${h} at line ${at}`, sampled());
        expect(v, s).to.deep.equal(ok ? { valid: true, break_at: null, count: length } : { valid: false, break_at: at, count: at });
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('a sequence that is not the integer position (true, 1.0, "1", 2^64) is invalid there', async () => {
    for (const shown of ['true', '1.0', '"1"', '18446744073709551617', '1e0', '01']) {
      for (const asHashed of [true, false]) {
        // Hashed over the shown value (a writer that meant it), or over 1 (a forger).
        const [first] = chain([SIMPLE(0)]).lines;
        const prev = sha256Hex(eventBody(0, GENESIS, SIMPLE(0)));
        const body = eventBody(asHashed ? shown : 1, prev, SIMPLE(1));
        const line = withHash(body, sha256Hex(body)).replace(/"sequence":[^,]*,"timestamp"/, `"sequence":${shown},"timestamp"`);
        const v = await judge(toFile([first!, line]), `sequence ${shown}`);
        expect(v, shown).to.deep.equal({ valid: false, break_at: 1, count: 1 });
      }
    }
  });

  it('deep nesting a conforming writer can produce (1,000 to 20,000 levels) verifies, the same on every path', async () => {
    for (const depth of [1_000, 6_000, 10_000, 20_000]) {
      const lines = chain([SIMPLE(0), deepPayload(depth), SIMPLE(2)]).lines;
      expect(await judge(toFile(lines), `depth ${depth}`, true), `depth ${depth}`).to.deep.equal({ valid: true, break_at: null, count: 3 });
      // And a deep line tampered with is invalid at its sequence, not a crash.
      const tampered = lines.map((l, i) => (i === 1 ? l.replace('"session_id":"deep"', '"session_id":"DEEP"') : l));
      expect(await judge(toFile(tampered), `tampered depth ${depth}`, true)).to.deep.equal({ valid: false, break_at: 1, count: 1 });
    }
  });

  it('deep nesting in a file over 1 MiB: verifyFile with 1 thread and 2 workers agree with the oracle', async () => {
    const pad = 'x'.repeat(30_000);
    const payloads = Array.from({ length: 40 }, (_, i) => (i === 27 ? deepPayload(12_000) : `{"pad":"${pad}","session_id":"s-${i}"}`));
    const bytes = toFile(chain(payloads).lines);
    expect(bytes.length).to.be.greaterThan(1 << 20);
    writeFileSync(file, bytes);
    const py = pick(await oracle.verify(file));
    expect(py).to.deep.equal({ valid: true, break_at: null, count: 40 });
    expect(pick(await verifyFile(file))).to.deep.equal(py);
    expect(pick(await verifyFile(file, { workers: 2 }))).to.deep.equal(py);
    expect(pick(await readme.verify(file))).to.deep.equal(py);
  });
});
