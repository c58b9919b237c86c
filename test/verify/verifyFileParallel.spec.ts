// Parallel cold verification (verifyFile(path, { workers: N })) must give exactly the
// sequential answer (valid, break_at, count, reason, torn_bytes, expectTip) for every file:
// tampered files of every kind test/verifyChain.spec.ts uses, breaks at range split points,
// and random tampering (fast-check). Small files are forced through the parallel path with
// planRanges(file, N, 0); a file over 1 MiB takes it through verifyFile itself.
import { expect } from 'chai';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { GENESIS_HASH, LedgerValidationError, canonicalJson, sha256, verifyFile, type Tip, type VerifyResult } from '../../src/verify.js';
import { main } from '../../src/cli/main.js';
import { buildEventLine } from '../../src/contract/eventLine.js';
import { PARALLEL_MIN_BYTES, planRanges, verifyFileParallel, verifyRanges } from '../../src/verify/verifyFileParallel.js';
import { BYTES_PER_EVENT_HINT, MAX_EXPECTED_EVENTS, expectedEvents } from '../../src/verify/verifyRangeWorker.js';
import { provenance } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';
import { forge, joinLines, spans } from '../support/tamper.js';

const WORKERS = [2, 3, 4] as const;

/** `n` chained canonical lines, with unicode, escapes and integer-like keys in some payloads. */
function makeLines(n: number): { lines: string[]; tip: Tip } {
  const lines: string[] = [];
  let previous = GENESIS_HASH;
  const base = Date.parse('2026-01-01T00:00:00.000Z');
  for (let i = 0; i < n; i++) {
    const payload =
      i % 3 === 2
        ? { node_id: `n-${i}`, node_type: 'concept', label: `nœud ${i} \u{1F600} "q" \\ \t`, attributes: { 10: i, 9: null, list: [1, -2, 'x', { b: true }] } }
        : { session_id: `sess-${String(i).padStart(6, '0')}` };
    const { hash, line } = buildEventLine({
      event_id: `01900000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`,
      sequence: i,
      event_type: i % 3 === 2 ? 'node_creation' : 'session_start',
      schema_version: '1.0.0',
      timestamp: new Date(base + i * 1000).toISOString(),
      provenanceJson: canonicalJson(provenance),
      previous_hash: previous,
      payloadJson: canonicalJson(payload),
    });
    lines.push(line);
    previous = hash;
  }
  return { lines, tip: { sequence_number: n - 1, hash: previous } };
}

/** The same event written non-canonically (other key order, whitespace, \u escapes): still valid. */
function nonCanonical(line: string, variant: number): string {
  switch (variant % 3) {
    case 0:
      return JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(line) as Record<string, unknown>).reverse()));
    case 1:
      return line.replace('":', '": ').replace(',"', ', "');
    default:
      // Every UTF-16 unit above ASCII as \uXXXX (an astral character becomes an escaped surrogate pair).
      return line.replace(/[^\x20-\x7e]/g, (u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).replace('"event_id":"0', '"event_id":"\\u0030');
  }
}



/** Markers that end just before a byte of a field; the byte is changed to another valid one. */
const FIELD_MARKERS: Array<[string, string, number, number?]> = [
  ['payload', '"payload":{"', 0],
  ['hash', '"hash":"sha256:', 0],
  ['previous_hash', '"previous_hash":"sha256:', 10],
  ['sequence', '"sequence":', 0],
  ['timestamp', '"timestamp":"', 3],
  ['event_id', '"event_id":"', 0],
  ['provenance', '"provenance":{"actor":"', 0, 0x53],
  ['invalid UTF-8', '"payload":{', 2, 0xff],
  ['structural quote', '"payload":', 0, 0x5b],
  ['structural colon before sequence', '"sequence":', -1, 0x20],
];

/** A copy of `buf` with one byte of line k changed (after `marker` + offset), or undefined if k has no such marker. */
function changeByte(buf: Buffer, k: number, marker: string, offset = 0, to?: number): Buffer | undefined {
  const span = spans(buf)[k];
  if (!span) return undefined;
  const at = buf.indexOf(marker, span.start, 'utf8');
  if (at < 0 || at >= span.end) return undefined;
  const pos = at + Buffer.byteLength(marker) + offset;
  const out = Buffer.from(buf);
  const old = out[pos]!;
  out[pos] = to ?? (old === 0x30 ? 0x31 : 0x30);
  if (out[pos] === old) out[pos] = old === 0x31 ? 0x32 : 0x31;
  return out;
}


const TAMPER_KINDS = [
  ...FIELD_MARKERS.map((m) => `byte:${m[0]}`),
  'delete', 'duplicate', 'swap', 'blank-before', 'truncate-mid', 'truncate-lines', 'noncanonical', 'forge', 'rewrite-from', 'no-final-newline', 'torn-garbage',
] as const;

/** The file `lines` with tampering `kind` at line k (undefined when it does not apply there). */
function tamper(lines: readonly string[], kind: string, k: number): Buffer | undefined {
  const n = lines.length;
  const original = joinLines(lines);
  if (k < 0 || k >= n) return undefined;
  if (kind.startsWith('byte:')) {
    const m = FIELD_MARKERS.find((x) => `byte:${x[0]}` === kind)!;
    return changeByte(original, k, m[1], m[2], m[3]);
  }
  const ls = [...lines];
  switch (kind) {
    case 'delete':
      return joinLines(ls.filter((_, i) => i !== k));
    case 'duplicate':
      return joinLines([...ls.slice(0, k + 1), ls[k]!, ...ls.slice(k + 1)]);
    case 'swap':
      if (k + 1 >= n) return undefined;
      [ls[k], ls[k + 1]] = [ls[k + 1]!, ls[k]!];
      return joinLines(ls);
    case 'blank-before':
      return joinLines([...ls.slice(0, k), '', ...ls.slice(k)]);
    case 'truncate-mid': {
      const span = spans(original)[k]!;
      return original.subarray(0, span.start + Math.floor((span.end - span.start) / 2));
    }
    case 'truncate-lines':
      return joinLines(ls.slice(0, k));
    case 'noncanonical':
      ls[k] = nonCanonical(ls[k]!, k);
      if (k + 1 < n) ls[k + 1] = nonCanonical(ls[k + 1]!, k + 1);
      return joinLines(ls);
    case 'forge':
      ls[k] = forge(ls[k]!, { session_id: 'forged' }).line;
      return joinLines(ls);
    case 'rewrite-from': {
      let prev = k === 0 ? GENESIS_HASH : (JSON.parse(ls[k - 1]!) as { hash: string }).hash;
      for (let i = k; i < n; i++) {
        const f = forge(ls[i]!, { session_id: `rewritten-${i}` }, prev);
        ls[i] = f.line;
        prev = f.hash;
      }
      return joinLines(ls);
    }
    case 'no-final-newline':
      return Buffer.from(ls.slice(0, k + 1).join('\n'), 'utf8');
    case 'torn-garbage':
      return Buffer.concat([joinLines(ls.slice(0, k + 1)), Buffer.from('{"event_id":"x', 'utf8')]);
    default:
      throw new Error(`unknown tamper kind ${kind}`);
  }
}

describe('parallel cold verification (verifyFile with workers) gives the sequential answer', function () {
  let dir: string;
  let remove: () => void;
  let seq = 0;
  before(() => ({ dir, remove } = tempDir('fmwk-ledger-parallel-')));
  after(() => remove());

  const write = (bytes: Buffer): string => {
    const file = join(dir, `f${seq++}.jsonl`);
    writeFileSync(file, bytes);
    return file;
  };

  /**
   * Sequential vs parallel (forced: planRanges with no minimum size) with `workers` and, when
   * `withTip`, also against the expected tip. Each worker thread costs tens of milliseconds to
   * start, so the callers rotate worker counts and tip modes over cases rather than running all.
   */
  async function expectSame(file: string, tip: Tip, label: string, workers: readonly number[], withTip = true): Promise<VerifyResult> {
    const sequential = await verifyFile(file);
    const sequentialTip = await verifyFile(file, { expectTip: tip });
    for (const w of workers) {
      const ranges = await planRanges(file, w, 0);
      if (!withTip) expect(await verifyRanges(file, ranges), `${label}, ${w} workers (${ranges.length} ranges)`).to.deep.equal(sequential);
      else expect(await verifyRanges(file, ranges, { expectTip: tip }), `${label}, ${w} workers (${ranges.length} ranges), expectTip`).to.deep.equal(sequentialTip);
    }
    return sequential;
  }
  /** Worker count and tip mode for the i-th case: every combination recurs every six cases. */
  const rotate = (i: number): [number[], boolean] => [[WORKERS[i % WORKERS.length]!], i % 2 === 0];

  describe('small files forced through worker ranges', function () {
    // Worker threads start in tens of milliseconds each, and the machine may be shared: no tight timeouts.
    this.timeout(300_000);
    const N = 14;
    const { lines, tip } = makeLines(N);

    it('planRanges cuts at line starts, every range but the last ends just past a newline, the last reads to EOF', async () => {
      const bytes = joinLines(lines);
      const file = write(bytes);
      const starts = new Set(spans(bytes).map((s) => s.start));
      for (const w of [1, 2, 3, 4, 7, 14, 40]) {
        const ranges = await planRanges(file, w, 0);
        expect(ranges.length, `${w} workers`).to.be.within(1, Math.min(w, N));
        expect(ranges[0]!.start).to.equal(0);
        expect(ranges.at(-1)!.end).to.equal(Infinity);
        ranges.forEach((r, i) => {
          expect(starts.has(r.start), `range ${i} starts at a line start`).to.equal(true);
          if (i > 0) expect(r.start).to.equal(ranges[i - 1]!.end);
          if (i < ranges.length - 1) expect(r.end).to.be.greaterThan(r.start);
        });
      }
      expect(await planRanges(file, 3, 0)).to.have.length(3);
      // Below the size threshold, verifyFile plans one range: the sequential path.
      expect(await planRanges(file, 4)).to.deep.equal([{ start: 0, end: Infinity }]);
    });

    it('the untampered file: valid, same count, and expectTip passes', async () => {
      const file = write(joinLines(lines));
      expect(await expectSame(file, tip, 'untampered', WORKERS, false)).to.deep.equal({ valid: true, break_at: null, count: N });
      expect(await expectSame(file, tip, 'untampered', WORKERS, true)).to.deep.equal({ valid: true, break_at: null, count: N });
    });

    it('empty files, a lone torn line, one line, two lines', async () => {
      const one = makeLines(1);
      const two = makeLines(2);
      const cases: Array<[string, Buffer, Tip]> = [
        ['empty', Buffer.alloc(0), tip],
        ['only torn bytes', Buffer.from(lines[0]!, 'utf8'), tip],
        ['only a newline', Buffer.from('\n'), tip],
        ['one line', joinLines(one.lines), one.tip],
        ['two lines', joinLines(two.lines), two.tip],
        ['two lines, torn third', Buffer.concat([joinLines(two.lines), Buffer.from('{"x')]), two.tip],
      ];
      for (const [label, bytes, t] of cases) {
        const file = write(bytes);
        await expectSame(file, t, label, [4], false);
        await expectSame(file, t, label, [2], true);
      }
    });

    TAMPER_KINDS.forEach((kind, kindIndex) => {
      it(`tampering "${kind}" at lines 0, 1, middle, N-2, N-1 (workers 2, 3, 4 in turn, with and without the tip)`, async () => {
        let invalid = 0;
        for (const [i, k] of [0, 1, 7, N - 2, N - 1, 6].entries()) {
          const bytes = tamper(lines, kind, k);
          if (bytes && !(await expectSame(write(bytes), tip, `${kind} at ${k}`, ...rotate(kindIndex + i))).valid) invalid++;
        }
        // Not vacuous: the tampering kinds that break the chain itself did break it.
        if (!['noncanonical', 'rewrite-from', 'truncate-mid', 'truncate-lines', 'no-final-newline', 'torn-garbage'].includes(kind)) expect(invalid).to.be.greaterThan(0);
      });
    });

    it('a break in the first line of each range, and in the last line of the range before', async () => {
      const original = joinLines(lines);
      const sp = spans(original);
      const file0 = write(original);
      let i = 0;
      for (const w of WORKERS) {
        const ranges = await planRanges(file0, w, 0);
        for (const r of ranges.slice(1)) {
          const k = sp.findIndex((s) => s.start === r.start);
          expect(k, 'a range starts at a line').to.be.greaterThan(0);
          // Byte changes keep every line's length, so the split points stay where they were.
          for (const kind of ['byte:hash', 'byte:previous_hash', 'byte:sequence', 'byte:structural quote', 'forge', 'noncanonical']) {
            for (const at of [k - 1, k]) {
              const bytes = tamper(lines, kind, at);
              if (bytes) await expectSame(write(bytes), tip, `${kind} at ${at} (range starting at line ${k}, ${w} workers)`, [w], i++ % 2 === 0);
            }
          }
        }
      }
    });

    it('property: random tampering at a random position, random worker count', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...TAMPER_KINDS),
          fc.nat({ max: N - 1 }),
          fc.integer({ min: 2, max: 6 }),
          fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0x20, max: 0xff })), { nil: undefined }),
          async (kind, k, w, extra) => {
            let bytes = tamper(lines, kind, k) ?? joinLines(lines);
            if (extra) {
              // Also any byte anywhere set to any value.
              bytes = Buffer.from(bytes);
              if (bytes.length > 0) bytes[extra[0] % bytes.length] = extra[1];
            }
            const file = write(bytes);
            const sequential = await verifyFile(file, { expectTip: tip });
            expect(await verifyRanges(file, await planRanges(file, w, 0), { expectTip: tip }), `${kind} at ${k}, ${w} workers`).to.deep.equal(sequential);
          },
        ),
        { numRuns: 40 },
      );
    });
  });

  describe('a file over the size threshold takes the parallel path through verifyFile', function () {
    // Worker threads start in tens of milliseconds each, and the machine may be shared: no tight timeouts.
    this.timeout(300_000);
    let big: { lines: string[]; tip: Tip };
    let file: string;
    before(() => {
      big = makeLines(3000);
      // A few non-canonical (exact path) lines in the middle of ranges.
      for (const i of [5, 777, 1500, 2222]) big.lines[i] = nonCanonical(big.lines[i]!, i);
      file = write(joinLines(big.lines));
    });

    it('is big enough that verifyFile plans N ranges, and verifies with every worker count', async () => {
      const bytes = joinLines(big.lines);
      expect(bytes.length).to.be.greaterThan(PARALLEL_MIN_BYTES);
      for (const w of WORKERS) expect(await planRanges(file, w), `${w} workers`).to.have.length(w);
      for (const w of [1, ...WORKERS]) {
        expect(await verifyFile(file, { workers: w }), `${w} workers`).to.deep.equal({ valid: true, break_at: null, count: 3000 });
        expect(await verifyFile(file, { workers: w, expectTip: big.tip })).to.deep.equal({ valid: true, break_at: null, count: 3000 });
      }
    });

    it('progress is reported with workers, up to the lines verified', async () => {
      const seen: number[] = [];
      await verifyFile(file, { workers: 3, progressEvery: 100, onProgress: (n) => seen.push(n) });
      expect(seen.length).to.be.greaterThan(0);
      expect(seen.every((n, i) => i === 0 || n > seen[i - 1]!)).to.equal(true);
      expect(seen.at(-1)!).to.be.at.most(3000);
    });

    it('N workers start N - 1 threads: the calling thread verifies the first range itself', async () => {
      // Linux: /proc/self/task lists the threads of this process.
      const threads = () => readdirSync('/proc/self/task').length;
      for (const w of [2, 3]) {
        const before = threads();
        let most = before;
        // Waiting for the workers: a file this small is otherwise read to its end before they load.
        const r = await verifyFileParallel(file, w, { progressEvery: 50, onProgress: () => (most = Math.max(most, threads())) }, { waitForWorkers: true, warmUpBytes: 0 });
        expect(r).to.deep.equal({ valid: true, break_at: null, count: 3000 });
        // A worker thread that is still starting or already gone is not counted: at most w - 1 more.
        expect(most - before, `${w} workers`).to.be.within(1, w - 1);
      }
    });

    it('tampered at every split point (and the line before), and far from them: verifyFile with workers equals sequential', async () => {
      const original = joinLines(big.lines);
      const sp = spans(original);
      for (const w of WORKERS) {
        const ranges = await planRanges(file, w);
        const splitLines = ranges.slice(1).map((r) => sp.findIndex((s) => s.start === r.start));
        const positions = [0, 2999, ...splitLines.flatMap((k) => [k - 1, k])];
        for (const [i, kind] of ['byte:hash', 'byte:previous_hash', 'byte:sequence', 'forge', 'blank-before', 'truncate-mid'].entries()) {
          // Every kind at every split point; the kinds that are not byte changes only at some positions.
          for (const k of kind.startsWith('byte:') ? positions : positions.filter((_, j) => (i + j) % 2 === 0)) {
            const bytes = tamper(big.lines, kind, k);
            if (!bytes) continue;
            const f = write(bytes);
            const label = `${kind} at ${k} (splits at ${splitLines.join(',')}), ${w} workers`;
            const sequential = await verifyFile(f, { expectTip: big.tip });
            expect(await verifyFile(f, { workers: w, expectTip: big.tip }), label).to.deep.equal(sequential);
            if (bytes.length >= PARALLEL_MIN_BYTES) expect((await planRanges(f, w)).length, label).to.be.greaterThan(1);
          }
        }
      }
    });

    it('property: random byte changes in the big file, workers 2..4', async () => {
      const original = joinLines(big.lines);
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: original.length - 1 }), fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 2, max: 4 }), async (at, byte, w) => {
          const bytes = Buffer.from(original);
          bytes[at] = byte;
          const f = write(bytes);
          expect(await verifyFile(f, { workers: w }), `byte ${at} -> ${byte}, ${w} workers`).to.deep.equal(await verifyFile(f));
        }),
        { numRuns: 15 },
      );
    });
  });

  describe('a range\'s fingerprint record is sized from its bytes (no doubling copies)', function () {
    const task = (path: string, start: number, end: number) => ({ path, start, end, index: 1, key: new Uint32Array(8), progressEvery: 0 });

    it('one entry per BYTES_PER_EVENT_HINT bytes; the last range (read to EOF) from the file\'s size now', async () => {
      const file = write(joinLines(makeLines(40).lines));
      const size = statSync(file).size;
      expect(await expectedEvents(task(file, 0, 4000))).to.equal(Math.ceil(4000 / BYTES_PER_EVENT_HINT));
      expect(await expectedEvents(task(file, 1000, Infinity))).to.equal(Math.ceil((size - 1000) / BYTES_PER_EVENT_HINT));
      // A start past the end (the file shrank since the cut): nothing reserved, the reader decides.
      expect(await expectedEvents(task(file, size + 10, Infinity))).to.equal(0);
    });

    it('attack: a range claiming huge bytes (long lines, or a lying size) reserves at most MAX_EXPECTED_EVENTS; a missing file reserves nothing', async () => {
      expect(await expectedEvents(task(join(dir, 'absent.jsonl'), 0, 2 ** 40))).to.equal(MAX_EXPECTED_EVENTS);
      expect(await expectedEvents(task(join(dir, 'absent.jsonl'), 0, Infinity))).to.equal(0);
      expect(MAX_EXPECTED_EVENTS * 8).to.be.at.most(32 << 20);
    });

    it('lines far shorter than the hint (the record grows past its reservation) and far longer: the sequential answer, a repeat across ranges included', async () => {
      for (const payload of ['{}', JSON.stringify({ blob: 'x'.repeat(20_000) })]) {
        const specs = makeLines(60).lines.map((l) => JSON.parse(l) as Record<string, unknown>);
        let previous = GENESIS_HASH;
        const lines = specs.map((e, i) => {
          const { hash, line } = buildEventLine({
            event_id: i === 55 ? String(specs[3]!.event_id) : String(e.event_id), sequence: i, event_type: 'session_start', schema_version: '1.0.0',
            timestamp: '2026-01-01T00:00:00.000Z', provenanceJson: canonicalJson(provenance), previous_hash: previous, payloadJson: payload,
          });
          previous = hash;
          return line;
        });
        const file = write(joinLines(lines));
        const sequential = await verifyFile(file);
        expect(sequential.valid, payload.slice(0, 10)).to.equal(false);
        expect(await verifyRanges(file, await planRanges(file, 3, 0)), payload.slice(0, 10)).to.deep.equal(sequential);
      }
    });
  });

  it('without the WebAssembly module (FMWK_LEDGER_WASM=0, every thread): ranges sorted by the JavaScript reference, the same answer, a repeat across ranges included', async () => {
    const { lines } = makeLines(80);
    const dup = JSON.parse(lines[70]!) as Record<string, unknown>;
    const first = JSON.parse(lines[2]!) as Record<string, unknown>;
    // Line 70 repeats line 2's id (re-chained from there on).
    let previous = String(dup.previous_hash);
    for (let i = 70; i < lines.length; i++) {
      const e = JSON.parse(lines[i]!) as Record<string, unknown>;
      const { hash, line } = buildEventLine({
        event_id: i === 70 ? String(first.event_id) : String(e.event_id), sequence: i, event_type: String(e.event_type), schema_version: '1.0.0',
        timestamp: String(e.timestamp), provenanceJson: canonicalJson(e.provenance), previous_hash: previous, payloadJson: canonicalJson(e.payload),
      });
      previous = hash;
      lines[i] = line;
    }
    const file = write(joinLines(lines));
    const sequential = await verifyFile(file);
    expect(sequential.valid).to.equal(false);
    const script = `const m = await import(${JSON.stringify(new URL('../../src/verify/verifyFileParallel.js', import.meta.url).href)});
      const f = ${JSON.stringify(file)};
      process.stdout.write(JSON.stringify(await m.verifyRanges(f, await m.planRanges(f, 3, 0))));`;
    const child = join(dir, `nowasm${seq++}.mjs`);
    writeFileSync(child, script);
    const out = execFileSync(process.execPath, [child], { env: { ...process.env, FMWK_LEDGER_WASM: '0' } }).toString();
    expect(JSON.parse(out)).to.deep.equal(JSON.parse(JSON.stringify(sequential)));
  });

  describe('the workers option', function () {
    it('an unreadable file rejects as sequentially (LedgerConnectionError naming ENOENT)', async () => {
      const missing = join(dir, 'missing.jsonl');
      const error = (p: Promise<unknown>) => p.then(() => undefined, (e: Error & { code?: string }) => e);
      for (const e of [await error(verifyFile(missing)), await error(verifyFile(missing, { workers: 2 }))]) {
        expect(e?.code).to.equal('LEDGER_CONNECTION');
        expect(e?.message).to.match(/ENOENT/);
      }
      // From inside a worker thread: the same cause, whatever the cloned error keeps.
      expect((await error(verifyRanges(missing, [{ start: 0, end: 100 }, { start: 100, end: Infinity }])))?.message).to.match(/ENOENT/);
    });

    it('must be a positive integer (LedgerValidationError naming workers)', async () => {
      const file = write(joinLines(makeLines(3).lines));
      for (const bad of [0, -1, 1.5, Number.NaN, Infinity, '2' as unknown as number]) {
        let error: unknown;
        try {
          await verifyFile(file, { workers: bad });
        } catch (e) {
          error = e;
        }
        expect(error, String(bad)).to.be.instanceOf(LedgerValidationError);
        expect((error as LedgerValidationError).path).to.equal('workers');
      }
      expect(await verifyFile(file, { workers: 1 })).to.deep.equal({ valid: true, break_at: null, count: 3 });
    });

    it('CLI: verify FILE --workers N; --workers with --store or a bad N is a usage error', async () => {
      const file = write(joinLines(makeLines(5).lines));
      const cli = async (args: string[]) => {
        const stdout = new PassThrough();
        const stderr = new PassThrough();
        let out = '';
        let err = '';
        stdout.on('data', (d: Buffer) => (out += d.toString()));
        stderr.on('data', (d: Buffer) => (err += d.toString()));
        const code = await main(args, { stdin: new PassThrough(), stdout, stderr });
        return { code, out, err };
      };
      const ok = await cli(['verify', file, '--workers', '3']);
      expect(ok.code).to.equal(0);
      expect(JSON.parse(ok.out.trim().split('\n').at(-1)!)).to.deep.equal({ valid: true, break_at: null, count: 5 });
      for (const args of [['verify', '--store', dir, '--workers', '2'], ['verify', file, '--workers', '0'], ['verify', file, '--workers', 'x']]) {
        const r = await cli(args);
        expect(r.code, args.join(' ')).to.equal(2);
        expect(r.err, args.join(' ')).to.match(/--workers/);
      }
      expect((await cli(['verify', '--help'])).out).to.match(/--workers N/);
    });
  });
});
