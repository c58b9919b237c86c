// The WebAssembly chain scanner (src/contract/wasm) against the JavaScript reference: the same
// findings line by line (differential fuzz over mutated lines), and the same verdict and reason
// on whole files for every stream vector and for the attacks on a batch scanner: a line longer
// than its buffer, chunk boundaries inside lines and inside multi-byte characters, 10^5 levels
// of nesting, memory growth mid-file, and parallel ranges.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENESIS_HASH, canonicalJson, verifyFile, type VerifyResult } from '../../src/verify.js';
import { buildEventLine } from '../../src/contract/eventLine.js';
import { chainLine, scanChainLine } from '../../src/contract/canonicalLine.js';
import { F_SAFE, F_STREAM, F_STREAM_ESCAPED, F_STREAM_NONASCII, F_UUID, MAX_RUN_BYTES, R_HASH, R_PRINT, R_STREAM_VERSION, scanner, useWasmScanner } from '../../src/contract/wasm/chainScanner.js';
import { verifyLineBatches } from '../../src/verify/verifyChain.js';
import { equalPrints, equalPrintsJs, fingerprint, fingerprintKey, fp } from '../../src/verify/eventChecks.js';
import { sortPrints, sortedFirstWords } from '../../src/verify/printRuns.js';
import { streamVectors } from './streamVectors.spec.js';
import { provenance } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

/** `ls` as a batch of views into one buffer (as a reader hands them), one per line. */
function views(ls: readonly string[]): Buffer[] {
  const all = Buffer.from(ls.map((x) => `${x}\n`).join(''));
  const out: Buffer[] = [];
  for (let from = 0, nl = all.indexOf(10); nl !== -1; from = nl + 1, nl = all.indexOf(10, from)) out.push(all.subarray(from, nl));
  return out;
}

interface Spec { readonly id?: string; readonly payload?: string; readonly stream?: string; readonly version?: number; readonly metadata?: string }

function chain(specs: readonly Spec[], previous = GENESIS_HASH): string[] {
  return specs.map((s, i) => {
    const { hash, line } = buildEventLine({
      event_id: s.id ?? `01900000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`,
      sequence: i, event_type: 'session_start', schema_version: '1.0.0', timestamp: '2026-01-01T00:00:00.000Z',
      provenanceJson: canonicalJson(provenance), previous_hash: previous,
      payloadJson: s.payload ?? canonicalJson({ session_id: `s-${i}` }),
      ...(s.metadata === undefined ? {} : { metadataJson: s.metadata }),
      ...(s.stream === undefined ? {} : { stream_id: s.stream, stream_version: s.version }),
    });
    previous = hash;
    return line;
  });
}

interface Found { print: number[]; hash: string; isUuid: boolean; uuid: number[]; id: string; input: string; safe: boolean; stream: string | undefined; version: number }

/** The WebAssembly scan of one line, expecting `sequence` and `link`; undefined if declined. */
/** The fingerprint key of these scans (a fresh one per process, as per verification). */
const key = fingerprintKey();

function wasmScan(line: Buffer, sequence: number, link: Uint8Array): Found | undefined {
  const w = scanner()!;
  if (w.scanRun([Buffer.from(line)], 0, sequence, Buffer.from(link).toString('latin1'), key) === 0) return undefined;
  const at = w.records;
  const r = at >> 2;
  const flags = w.u32[r + 4]!;
  const s = w.u32[r + 9]!;
  const e = w.u32[r + 10]!;
  const stream = flags & F_STREAM ? (flags & F_STREAM_ESCAPED ? (JSON.parse(w.u8.toString('utf8', s, e)) as string) : w.u8.toString(flags & F_STREAM_NONASCII ? 'utf8' : 'latin1', s + 1, e - 1)) : undefined;
  return {
    print: Array.from(w.u32.subarray((at + R_PRINT) >> 2, (at + R_PRINT + 8) >> 2)),
    hash: w.u8.toString('hex', at + R_HASH, at + R_HASH + 32), isUuid: (flags & F_UUID) !== 0,
    uuid: flags & F_UUID ? Array.from(w.u32.subarray(r + 5, r + 9)) : [], id: w.u8.toString('latin1', w.u32[r + 2]!, w.u32[r + 3]!),
    input: w.u8.toString('latin1', w.u32[r]!, w.u32[r]! + w.u32[r + 1]!), safe: (flags & F_SAFE) !== 0,
    stream, version: flags & F_STREAM ? w.f64[(at + R_STREAM_VERSION) >> 3]! : -1,
  };
}

/** The JavaScript reference's findings (scanChainLine), in the same form. */
function jsScan(line: Buffer): Found | undefined {
  if (!scanChainLine(line)) return undefined;
  const c = chainLine;
  fingerprint(line.subarray(c.idFrom, c.idTo), key);
  return {
    print: Array.from(fp),
    hash: Buffer.from(c.hash).toString('hex'), isUuid: c.isUuid, uuid: c.isUuid ? Array.from(c.uuid) : [],
    id: line.toString('latin1', c.idFrom, c.idTo), input: Buffer.concat([line.subarray(0, c.hashFrom), line.subarray(c.hashTo)]).toString('latin1'),
    safe: c.safeIntegers, stream: c.streamId, version: c.streamId === undefined ? -1 : c.streamVersion,
  };
}

/** Asserts both scanners agree on `line`. */
function agree(line: Buffer, what: string): boolean {
  const js = jsScan(line);
  const wasm = js ? wasmScan(line, chainLine.sequence, Uint8Array.from(chainLine.previous)) : wasmScan(line, 0, new Uint8Array(32));
  expect(wasm, `${what}: ${line.toString('latin1').slice(0, 300)}`).to.deep.equal(js);
  return js !== undefined;
}

const pick = (r: VerifyResult) => ({ valid: r.valid, break_at: r.break_at, count: r.count, reason: r.reason });

/** verifyFile on both paths (and with two workers): the same verdict and reason; that verdict. */
async function bothPaths(file: string, workers = false): Promise<ReturnType<typeof pick>> {
  const wasm = pick(await verifyFile(file));
  useWasmScanner(false);
  try {
    expect(pick(await verifyFile(file))).to.deep.equal(wasm);
    if (workers) expect(pick(await verifyFile(file, { workers: 2 }))).to.deep.equal(wasm);
  } finally {
    useWasmScanner(true);
  }
  if (workers) expect(pick(await verifyFile(file, { workers: 2 }))).to.deep.equal(wasm);
  return wasm;
}

describe('WebAssembly chain scanner vs the JavaScript reference (issue 10 §1)', function () {
  this.timeout(120_000);
  let dir: string;
  let remove: () => void;
  before(() => ({ dir, remove } = tempDir('fmwk-wasm-')));
  after(() => remove?.());

  it('the module is built and loaded (npm test installs clang and lld, then builds it)', () => {
    expect(scanner(), 'dist/src/contract/wasm/chainScan.wasm did not load: is clang installed (scripts/system-deps.sh)?').to.not.equal(undefined);
    expect(MAX_RUN_BYTES).to.equal(8 * 1024 * 1024);
  });

  it('accepts only the sequence and link it is given', () => {
    const [a] = chain([{}]);
    const line = Buffer.from(a!);
    expect(wasmScan(line, 0, new Uint8Array(32))).to.not.equal(undefined);
    expect(wasmScan(line, 1, new Uint8Array(32))).to.equal(undefined);
    const wrong = new Uint8Array(32);
    wrong[31] = 1;
    expect(wasmScan(line, 0, wrong)).to.equal(undefined);
  });

  const seeds = chain([
    {}, { id: 'not-a-uuid' }, { id: '01900000-0000-7000-8000-00000000ABCD' }, { stream: 'order-1', version: 0 },
    { stream: 'caf\u00e9 \u{1F600}', version: 7, metadata: '{"a":1,"b":[true,false,null]}' }, { stream: 'tab\there "q" \\', version: 9007199254740991 },
    { payload: '{"big":123456789012345678901234567890,"neg":-9007199254740991,"s":"\\u0001\\n\\u001f\u00e9\u20ac\u{10FFFF}","z":{"\\u0001":1,"\\n":2,"a":{}}}' },
    { payload: '{"edge":9007199254740992,"k":[[],{},[{"a":[1,-2,0]}]]}', metadata: '{}' },
    { id: '{"k":"\\u0000"}' as unknown as string },
  ]);

  it('the same findings on every seed line (both accept)', () => {
    for (const s of seeds) expect(agree(Buffer.from(s), 'seed')).to.equal(true);
  });

  it('event_id fingerprints computed by the scan equal fingerprint()\'s (both paths feed one table): random ids of every tail length, UUIDs, high bytes', () => {
    const ids: string[] = [];
    for (let n = 0; n < 80; n++) ids.push(randomBytes(n).toString('base64').slice(0, n), `\u00e9${'x'.repeat(n)}\u{1F600}`);
    for (let i = 0; i < 50; i++) {
      const h = randomBytes(16).toString('hex');
      ids.push(`${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`);
    }
    let uuids = 0;
    for (const line of chain(ids.map((id) => ({ id })))) {
      const b = Buffer.from(line);
      expect(agree(b, 'id')).to.equal(true);
      if (jsScan(b)!.isUuid) uuids++;
    }
    expect(uuids).to.equal(50);
  });

  it('differential fuzz: mutated lines get the same findings or are declined by both', () => {
    const interesting = [0x22, 0x5c, 0x75, 0x30, 0x2d, 0x2e, 0x65, 0x45, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x00, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff, 0x39, 0x31];
    const fragments = ['-0', '1.0', '1e5', '00', '9007199254740992', '-9007199254740992', '12345678901234567890', '\\u0008', '\\u001F', '\\u0041', '\\/', '\\x', '\xed\xa0\x80', '\xc0\xaf', '\xe0\x80\xaf', '\xf4\x90\x80\x80', '\xf0\x9f\x98', ' ', '"a":1,', '{}', '[]', ',"hash":"sha256:' + '0'.repeat(64) + '"'];
    const rnd = (n: number) => randomBytes(4).readUInt32LE() % n;
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const seed = Buffer.from(seeds[rnd(seeds.length)]!, 'utf8');
      let b: Buffer = seed;
      for (let m = 1 + rnd(3); m > 0; m--) {
        const at = rnd(b.length);
        switch (rnd(6)) {
          case 0: b = Buffer.concat([b.subarray(0, at), Buffer.from([b[at]! ^ (1 << rnd(8))]), b.subarray(at + 1)]); break;
          case 1: b = Buffer.concat([b.subarray(0, at), Buffer.from([interesting[rnd(interesting.length)]!]), b.subarray(at + 1)]); break;
          case 2: b = Buffer.concat([b.subarray(0, at), Buffer.from(fragments[rnd(fragments.length)]!, 'latin1'), b.subarray(at)]); break;
          case 3: b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]); break;
          case 4: {
            // Two keys swapped: order and duplicates.
            const keys = ['"event_type"', '"payload"', '"metadata"', '"stream_id"', '"stream_version"', '"sequence"', '"provenance"', '"actor"', '"pack_id"'];
            const x = keys[rnd(keys.length)]!;
            const y = keys[rnd(keys.length)]!;
            b = Buffer.from(b.toString('latin1').replace(x, '\u0001').replace(y, x).replace('\u0001', y), 'latin1');
            break;
          }
          default: b = Buffer.from(b.toString('latin1').replace(/[0-9]+(?=[,}\]])/, fragments[rnd(9)]!), 'latin1');
        }
      }
      if (agree(b, `mutation ${i}`)) accepted++;
    }
    // Some mutations keep the line canonical (a digit of the payload changed): both accept those.
    expect(accepted).to.be.greaterThan(100);
  });

  it('every stream vector ledger: the same verdict and reason on both paths, the vector\'s verdict', async () => {
    for (const [i, l] of streamVectors.ledgers.entries()) {
      const file = join(dir, `vector-${i}.jsonl`);
      writeFileSync(file, l.lines.map((x) => `${x}\n`).join(''));
      const r = await bothPaths(file);
      expect({ valid: r.valid, break_at: r.break_at, count: r.count }, l.name).to.deep.equal({ valid: l.valid, break_at: l.break_at, count: l.count });
    }
  });

  it('a line longer than the WebAssembly run (8 MiB) between normal lines: the JavaScript scanner takes it, same verdicts', async () => {
    const specs: Spec[] = Array.from({ length: 50 }, () => ({}));
    specs[20] = { payload: canonicalJson({ pad: 'x'.repeat(MAX_RUN_BYTES + 1000) }) };
    const ls = chain(specs);
    const file = join(dir, 'long.jsonl');
    writeFileSync(file, ls.map((x) => `${x}\n`).join(''));
    expect(await bothPaths(file)).to.deep.include({ valid: true, count: 50 });
    ls[30] = ls[30]!.replace('"s-30"', '"s-3o"');
    writeFileSync(file, ls.map((x) => `${x}\n`).join(''));
    const r = await bothPaths(file);
    expect(r).to.deep.include({ valid: false, break_at: 30 });
    expect(r.reason).to.match(/^stored hash sha256:[0-9a-f]{64} but content hashes to/);
  });

  it('chunk boundaries inside lines and inside multi-byte characters (1 MiB reads), one worker and two', async () => {
    const ls = chain(Array.from({ length: 4000 }, (_, i) => ({ payload: canonicalJson({ t: '\u00e9\u20ac\u{1F600}'.repeat(1 + (i % 97)) }), ...(i % 3 === 0 ? { stream: `s-\u00e9-${i % 5}`, version: Math.floor(i / 15) } : {}) })));
    // Stream versions as built above are not a valid sequence; the verdict must still agree.
    const file = join(dir, 'multibyte.jsonl');
    writeFileSync(file, ls.map((x) => `${x}\n`).join(''));
    await bothPaths(file, true);
    const valid = chain(Array.from({ length: 4000 }, (_, i) => ({ payload: canonicalJson({ t: '\u00e9\u20ac\u{1F600}'.repeat(1 + (i % 97)) }) })));
    writeFileSync(file, valid.map((x) => `${x}\n`).join(''));
    expect(await bothPaths(file, true)).to.deep.include({ valid: true, count: 4000 });
    // A multi-byte character cut to invalid UTF-8 in the line holding the second chunk boundary.
    const bytes = Buffer.from(valid.map((x) => `${x}\n`).join(''));
    const at = bytes.indexOf(Buffer.from('\u20ac'), (1 << 21) - 200);
    bytes[at + 1] = 0x41;
    writeFileSync(file, bytes);
    const r = await bothPaths(file, true);
    expect(r.valid).to.equal(false);
  });

  it('10^5 levels of nesting (beyond the module\'s stack: declined, judged by the JavaScript reference): the same verdict', async () => {
    const deep = `{"d":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const ls = chain([{}, { payload: deep }, {}, { payload: `{"d":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}` }, {}]);
    const file = join(dir, 'deep.jsonl');
    writeFileSync(file, ls.map((x) => `${x}\n`).join(''));
    expect(await bothPaths(file)).to.deep.include({ valid: true, count: 5 });
    ls[3] = ls[3]!.replace('"a":1', '"a":2');
    writeFileSync(file, ls.map((x) => `${x}\n`).join(''));
    expect(await bothPaths(file)).to.deep.include({ valid: false, break_at: 3 });
  });

  it('memory growth mid-file (a 5 MiB line after small ones), then a break after it: the same verdict', async () => {
    const specs: Spec[] = Array.from({ length: 300 }, () => ({}));
    specs[150] = { payload: canonicalJson({ pad: '\u00e9'.repeat(2_500_000) }) };
    const ls = chain(specs);
    const file = join(dir, 'grow.jsonl');
    writeFileSync(file, ls.map((x) => `${x}\n`).join(''));
    expect(await bothPaths(file, true)).to.deep.include({ valid: true, count: 300 });
    ls[299] = ls[299]!.replace('"sequence":299', '"sequence":300');
    writeFileSync(file, ls.map((x) => `${x}\n`).join(''));
    expect(await bothPaths(file, true)).to.deep.include({ valid: false, break_at: 299 });
  });

  it('two verifications interleaved at an id suspect: the one resuming does not read the other\'s records', async () => {
    // One module memory serves every cursor: A stops its run at a fingerprint match (line 5
    // repeats line 2's id), and while A awaits lineAt, B scans its own lines into that memory.
    // lineAt then says line 2 holds another id (a caller may), so A resumes after line 5.
    const specs: Spec[] = Array.from({ length: 12 }, () => ({}));
    specs[5] = { id: '01900000-0000-7000-8000-000000000002' };
    const a = chain(specs);
    const b = chain(Array.from({ length: 40 }, (_, i) => ({ payload: canonicalJson({ other: i }) })));
    const bResult = async () => verifyLineBatches((async function* () { yield views(b); })());
    const lineAt = async (s: number) => {
      expect(await bResult()).to.deep.include({ valid: true, count: 40 });
      return s === 2 ? a[3] : a[s];
    };
    const r = await verifyLineBatches((async function* () { yield views(a); })(), { lineAt });
    expect(pick(r)).to.deep.equal({ valid: true, break_at: null, count: 12, reason: undefined });
  });

  it('equalPrints between a cursor\'s runs (it takes the scan\'s memory, and grows it): the cursor resumes on its own lines', async () => {
    // A stops its run at a fingerprint match; while it awaits lineAt, an end-of-file id
    // comparison (equalPrints on the module) overwrites the records and grows the memory.
    const specs: Spec[] = Array.from({ length: 12 }, () => ({}));
    specs[5] = { id: '01900000-0000-7000-8000-000000000002' };
    const a = chain(specs);
    const w = scanner()!;
    const before = w.u8.buffer.byteLength;
    const lineAt = async (s: number) => {
      const n = Math.ceil(before / 8) + 1000;
      const prints = new Uint32Array(2 * n).fill(0xabcdef01);
      expect(equalPrints(prints, n)).to.have.length(1);
      expect(w.u8.buffer.byteLength).to.be.greaterThan(before);
      return s === 2 ? a[3] : a[s];
    };
    const r = await verifyLineBatches((async function* () { yield views(a); })(), { lineAt });
    expect(pick(r)).to.deep.equal({ valid: true, break_at: null, count: 12, reason: undefined });
  });

  it('equalPrints on the module names exactly the groups of the JavaScript reference (a zero first word, a triple, first words equal with second words not, tiny inputs)', () => {
    const norm = (g: number[][]) => g.map((x) => x.join(',')).sort();
    for (const n of [0, 1, 2, 3, 5000, 70_000]) {
      for (let round = 0; round < 3; round++) {
        const prints = new Uint32Array(2 * n);
        // Few distinct first words in one round: many candidates, most not a group.
        for (let i = 0; i < 2 * n; i++) prints[i] = round === 2 ? ((Math.random() * 64) >>> 0) : (Math.random() * 2 ** 32) >>> 0;
        if (n >= 3 && round === 1) {
          prints[0] = 0;
          prints[1] = 7;
          prints[2 * (n - 1)] = 0;
          prints[2 * (n - 1) + 1] = 7;
          prints[2] = 0;
          prints[3] = 8;
        }
        for (let k = 0; n >= 100 && k < n / 1000; k++) {
          const x = 3 + ((Math.random() * (n - 4)) >>> 0);
          const y = (Math.random() * n) >>> 0;
          prints[2 * x] = prints[2 * y]!;
          if (k % 3 !== 0) prints[2 * x + 1] = prints[2 * y + 1]!;
        }
        const wasm = norm(equalPrints(prints, n));
        expect(wasm, `n ${n} round ${round}`).to.deep.equal(norm(equalPrintsJs(prints, n)));
        if (n >= 3 && round === 1) expect(wasm).to.include(`0,${n - 1}`);
      }
    }
    // Only the first n entries count.
    const p = new Uint32Array([1, 1, 2, 2, 1, 1]);
    expect(equalPrints(p, 2)).to.deep.equal([]);
    expect(equalPrints(p, 3)).to.deep.equal([[0, 2]]);
  });

  it('sortPrints on the module gives exactly the order and sorted first words of the JavaScript reference (equal first words keep index order, n = 0, 1, 2, memory growth, only the first n count)', () => {
    const w = scanner()!;
    const before = w.u8.buffer.byteLength;
    // Large enough in the last case that the module's memory must grow during the call.
    const sizes = [0, 1, 2, 3, 2048, 70_000, Math.ceil(before / 16) + 1000];
    for (const n of sizes) {
      for (let round = 0; round < 4; round++) {
        const prints = new Uint32Array(2 * n + 4).fill(0xffffffff); // entries past n must not count
        for (let i = 0; i < 2 * n; i++) {
          // 0: random; 1: every first word equal; 2: few distinct words (digits of every pass tie); 3: descending.
          prints[i] = round === 0 ? (Math.random() * 2 ** 32) >>> 0 : round === 1 ? 0x12345678 : round === 2 ? [0, 0x7ff, 0x3ff800, 0xffc00000, 0xffffffff][(Math.random() * 5) >>> 0]! : (n - (i >> 1)) * 4099;
        }
        const gen = w.generation;
        const got = w.sortPrints(prints, n)!;
        expect(w.generation, 'the scan area is taken: generation bumped').to.be.greaterThan(gen);
        const order = sortPrints(prints.subarray(0, 2 * n));
        expect(Array.from(got.order), `n ${n} round ${round}`).to.deep.equal(Array.from(order));
        expect(Array.from(got.keys), `n ${n} round ${round}`).to.deep.equal(Array.from(sortedFirstWords(prints, order)));
      }
    }
    expect(w.u8.buffer.byteLength).to.be.greaterThan(before);
  });

  it('a repeated event_id and a stream break found by the WebAssembly run: the reference\'s reasons', async () => {
    const ls = chain([{}, { id: 'dup' }, { stream: 'a', version: 0 }, { id: 'dup' }, { stream: 'a', version: 2 }]);
    const file = join(dir, 'rules.jsonl');
    writeFileSync(file, ls.map((x) => `${x}\n`).join(''));
    const r = await bothPaths(file, true);
    expect(r).to.deep.include({ valid: false, break_at: 3 });
    const s = chain([{}, { stream: 'a', version: 0 }, { stream: 'a', version: 2 }]);
    writeFileSync(file, s.map((x) => `${x}\n`).join(''));
    expect(await bothPaths(file, true)).to.deep.include({ valid: false, break_at: 2 });
  });
  it('stored hashes compared per run, after every line of it is hashed: a forged line at a chunk edge, after an id suspect and an interleaved verification, and with a stream break on it or before it: the reference\'s verdict', async () => {
    // ChainCursor.advanceRun hashes a run's lines in chunks and compares them in one call; the
    // verdicts must still come in line order: a rule broken before the forged line wins, a
    // forged line that also breaks a rule is reported for its hash, as line by line.
    const forge = (l: string, i: number) => l.replace(`"s-${i}"`, `"s-${i}`.slice(0, -1) + 'x"');
    const file = join(dir, 'forged.jsonl');
    for (const at of [0, 1, 127, 128, 129, 255, 256, 299]) {
      const ls = chain(Array.from({ length: 300 }, () => ({})));
      ls[at] = forge(ls[at]!, at);
      writeFileSync(file, ls.map((x) => `${x}\n`).join(''));
      const r = await bothPaths(file);
      expect(r, `forged at ${at}`).to.deep.include({ valid: false, break_at: at });
      expect(r.reason).to.match(/^stored hash sha256:[0-9a-f]{64} but content hashes to sha256:[0-9a-f]{64}$/);
    }
    const specs: Spec[] = Array.from({ length: 300 }, (_, i) => (i >= 140 && i <= 142 ? { stream: 'a', version: i === 142 ? 5 : i - 140 } : {}));
    for (const [at, expected] of [[142, 142], [150, 142], [141, 141]] as const) {
      const ls = chain(specs);
      ls[at] = forge(ls[at]!, at);
      writeFileSync(file, ls.map((x) => `${x}\n`).join(''));
      const r = await bothPaths(file);
      expect(r, `forged at ${at}`).to.deep.include({ valid: false, break_at: expected });
      if (at === 142) expect(r.reason).to.match(/^stored hash /);
    }
    // A suspect at line 5 (line 2's id); while A awaits lineAt, B verifies its own lines in the
    // same memory; A resumes after line 5 and must still find line 200 forged.
    const dup: Spec[] = Array.from({ length: 300 }, () => ({}));
    dup[5] = { id: '01900000-0000-7000-8000-000000000002' };
    const a = chain(dup);
    a[200] = forge(a[200]!, 200);
    const b = chain(Array.from({ length: 40 }, (_, i) => ({ payload: canonicalJson({ other: i }) })));
    const lineAt = async (s: number) => {
      expect(await verifyLineBatches((async function* () { yield views(b); })())).to.deep.include({ valid: true, count: 40 });
      return s === 2 ? a[3] : a[s];
    };
    const once = async () => pick(await verifyLineBatches((async function* () { yield views(a); })(), { lineAt }));
    const wasm = await once();
    expect(wasm).to.deep.include({ valid: false, break_at: 200 });
    useWasmScanner(false);
    try {
      expect(await once()).to.deep.equal(wasm);
    } finally {
      useWasmScanner(true);
    }
  });
});
