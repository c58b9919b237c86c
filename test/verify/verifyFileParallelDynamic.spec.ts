// verifyFile(path, { workers }) cuts the file while it reads (verifyFileParallel): the calling
// thread starts at once and cuts what is left when the workers are ready. Whatever the cut, a
// worker's death or the file growing, the answer is the sequential one. The id fingerprints
// are sorted per range and merged (printRuns.ts): the same groups as equalPrints.
import { expect } from 'chai';
import fc from 'fast-check';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { GENESIS_HASH, canonicalJson, verifyFile } from '../../src/verify.js';
import { buildEventLine } from '../../src/contract/eventLine.js';
import { equalPrints } from '../../src/verify/eventChecks.js';
import { repeatGroupsOfRuns, sortPrints } from '../../src/verify/printRuns.js';
import { PARALLEL_MIN_BYTES, verifyFileParallel, type ParallelTuning } from '../../src/verify/verifyFileParallel.js';
import { provenance } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

/** Chained lines from sequence `from` after `previous`; event i's id is `ids(i)`. */
function chain(n: number, ids: (i: number) => string, from = 0, previous = GENESIS_HASH): { lines: string[]; last: string } {
  const lines: string[] = [];
  const base = Date.parse('2026-01-01T00:00:00.000Z');
  for (let i = from; i < from + n; i++) {
    const { hash, line } = buildEventLine({
      event_id: ids(i),
      sequence: i,
      event_type: 'session_start',
      schema_version: '1.0.0',
      timestamp: new Date(base + i * 1000).toISOString(),
      provenanceJson: canonicalJson(provenance),
      previous_hash: previous,
      payloadJson: canonicalJson({ session_id: `sess-${String(i).padStart(6, '0')}`, pad: 'x'.repeat(200) }),
    });
    lines.push(line);
    previous = hash;
  }
  return { lines, last: previous };
}

const uuid = (i: number) => `01900000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`;
const N = 4000; // ~1.6 MB: over PARALLEL_MIN_BYTES

describe('parallel cold verification cut while reading (verifyFileParallel)', function () {
  this.timeout(300_000);
  const tmp = tempDir('fmwk-par-dyn-');
  after(() => tmp.remove());
  let k = 0;
  const write = (lines: readonly string[], tail = '') => {
    const f = join(tmp.dir, `f${k++}.jsonl`);
    writeFileSync(f, `${lines.join('\n')}\n${tail}`);
    return f;
  };
  /** The line index that starts at byte `offset` of the file of `lines`. */
  const lineAt = (lines: readonly string[], offset: number) => {
    for (let i = 0, pos = 0; i < lines.length; pos += Buffer.byteLength(lines[i]!) + 1, i++) if (pos === offset) return i;
    throw new Error(`no line starts at ${offset}`);
  };
  /** verifyFileParallel with the cut checked to have happened (else the sequential path is all that ran). */
  const cutRun = async (f: string, w: number, tuning: ParallelTuning = {}) => {
    let starts: readonly number[] = [];
    const r = await verifyFileParallel(f, w, {}, { waitForWorkers: true, warmUpBytes: 0, ...tuning, onCut: (s) => ((starts = s), tuning.onCut?.(s)) });
    expect(starts.length, 'ranges cut').to.equal(w);
    return { r, starts };
  };

  it('waiting for the workers cuts evenly; 1, 2, 3, 4 threads give the same answer', async () => {
    const { lines } = chain(N, uuid);
    const f = write(lines);
    expect(Buffer.byteLength(lines.join('\n')) + 1).to.be.greaterThan(PARALLEL_MIN_BYTES);
    const sequential = await verifyFile(f);
    expect(sequential).to.deep.equal({ valid: true, break_at: null, count: N });
    for (const w of [2, 3, 4]) expect((await cutRun(f, w)).r, `${w} threads`).to.deep.equal(sequential);
  });

  it('the calling thread\'s range is longer by the workers\' warm-up; a warm-up over the file leaves it all to this thread', async () => {
    const { lines } = chain(N, uuid);
    const f = write(lines);
    const size = Buffer.byteLength(lines.join('\n')) + 1;
    const warm = 200_000;
    const { r, starts } = await cutRun(f, 2, { warmUpBytes: warm });
    expect(r).to.deep.equal({ valid: true, break_at: null, count: N });
    // The cut is the first line start at or after (size + warm) / 2.
    expect(starts[1]!).to.be.within(Math.floor((size + warm) / 2), Math.floor((size + warm) / 2) + 1000);
    // One range: this thread reads to EOF, the workers are stopped.
    let cut: readonly number[] = [];
    expect(await verifyFileParallel(f, 3, {}, { waitForWorkers: true, warmUpBytes: size, onCut: (s) => (cut = s) })).to.deep.equal(r);
    expect(cut).to.deep.equal([0]);
  });

  it('a repeated event_id within a range, across ranges, and at a range boundary: the sequential break', async () => {
    const plain = chain(N, uuid).lines;
    const { starts } = await cutRun(write(plain), 2);
    const b = lineAt(plain, starts[1]!); // range 1's first line
    const cases: Array<[string, number, number]> = [
      ['within range 0', 10, 500],
      ['within range 1', b + 5, b + 900],
      ['across ranges', 100, b + 300],
      ['at the boundary (last of range 0, first of range 1)', b - 1, b],
      ['first line of range 1 repeats line 0', 0, b],
      ['last line repeats the boundary line', b, N - 1],
    ];
    for (const [label, first, again] of cases) {
      const { lines } = chain(N, (i) => uuid(i === again ? first : i));
      const f = write(lines);
      const sequential = await verifyFile(f);
      expect(sequential.valid, label).to.equal(false);
      expect(sequential.break_at, label).to.equal(again);
      for (const w of [2, 3]) expect((await cutRun(f, w)).r, `${label}, ${w} threads`).to.deep.equal(sequential);
      // And without waiting: cut wherever the calling thread is when the workers are ready.
      expect(await verifyFileParallel(f, 2, {}, { windowBytes: 64 * 1024, warmUpBytes: 0 }), label).to.deep.equal(sequential);
    }
  });

  it('a worker killed before it is ready is left out; one killed in its range has the range verified here', async () => {
    const { lines } = chain(N, (i) => uuid(i === 3000 ? 7 : i));
    const f = write(lines);
    const sequential = await verifyFile(f);
    expect(sequential.break_at).to.equal(3000);
    // Before ready: the only worker dies, the calling thread reads it all.
    expect(await verifyFileParallel(f, 2, {}, { waitForWorkers: true, warmUpBytes: 0, onWorker: (w) => void w.terminate() })).to.deep.equal(sequential);
    // One of three dies before ready: two ranges.
    let starts: readonly number[] = [];
    const r = await verifyFileParallel(f, 3, {}, { waitForWorkers: true, warmUpBytes: 0, onWorker: (w, i) => i === 1 && void w.terminate(), onCut: (s) => (starts = s) });
    expect(r).to.deep.equal(sequential);
    expect(starts).to.have.length(2);
    // In its range: killed as the cut is made (its task never runs to the end).
    const workers: Worker[] = [];
    const r2 = await verifyFileParallel(f, 3, {}, { waitForWorkers: true, warmUpBytes: 0, onWorker: (w) => workers.push(w), onCut: () => workers.forEach((w) => void w.terminate()) });
    expect(r2).to.deep.equal(sequential);
  });

  it('a file that grows while it is verified: the last range reads to EOF, as the sequential read does', async () => {
    const a = chain(N, uuid);
    const more = chain(50, uuid, N, a.last);
    for (const tail of ['', '{"event_id":"torn']) {
      const f = write(a.lines);
      const r = (await cutRun(f, 2, { onCut: () => appendFileSync(f, `${more.lines.join('\n')}\n${tail}`) })).r;
      expect(r).to.deep.equal(await verifyFile(f));
      expect(r.count).to.equal(N + 50);
      // Grown before any cut: the calling thread's last window reads to EOF.
      const g = write(a.lines);
      let grown = false;
      const r2 = await verifyFileParallel(g, 2, {}, {
        windowBytes: 64 * 1024,
        warmUpBytes: 0,
        onWorker: () => {
          if (!grown) appendFileSync(g, `${more.lines.join('\n')}\n${tail}`);
          grown = true;
        },
      });
      expect(r2.valid).to.equal(true);
      expect(r2.count === N || r2.count === N + 50, `count ${r2.count}`).to.equal(true);
    }
  });

  it('a broken link at the cut and a torn tail: the sequential answer', async () => {
    const { lines } = chain(N, uuid);
    const { starts } = await cutRun(write(lines), 2);
    const b = lineAt(lines, starts[1]!);
    for (const at of [b - 1, b, b + 1]) {
      const broken = [...lines];
      broken[at] = broken[at]!.replace(/"previous_hash":"sha256:./, '"previous_hash":"sha256:z');
      const f = write(broken, '{"partial');
      expect((await cutRun(f, 2)).r, `line ${at}`).to.deep.equal(await verifyFile(f));
    }
    const f = write(lines, '{"partial');
    const r = (await cutRun(f, 2)).r;
    expect(r).to.deep.equal(await verifyFile(f));
    expect(r.torn_bytes).to.equal(9);
  });
});

describe('per-range sorted fingerprints, merged (printRuns)', function () {
  it('sortPrints orders by the first word, stable', () => {
    const prints = Uint32Array.of(5, 1, 3, 2, 5, 0, 0xffffffff, 9, 3, 7);
    expect([...sortPrints(prints)]).to.deep.equal([1, 4, 0, 2, 3]);
  });

  it('property: the merged groups of any cut into runs (and limits) are equalPrints over the whole', () => {
    fc.assert(
      fc.property(
        // A tiny word space forces equal first words, equal pairs and near misses.
        fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 3 })), { minLength: 0, maxLength: 80 }),
        fc.array(fc.nat({ max: 80 }), { maxLength: 4 }),
        fc.nat({ max: 80 }),
        (entries, cuts, limit) => {
          const all = Uint32Array.from(entries.flat().map((w, i) => (i % 2 === 0 ? w * 0x10001 + 0x8000_0000 * (w & 1) : w)));
          const n = entries.length;
          const bounds = [0, ...[...new Set(cuts.map((c) => Math.min(c, n)))].sort((a, b) => a - b), n];
          const end = Math.min(limit, n); // entries at or after `end` are past a break
          const runs = bounds.slice(1).map((to, j) => {
            const from = bounds[j]!;
            const prints = all.slice(2 * from, 2 * to);
            return { prints, order: sortPrints(prints), base: from, limit: Math.max(0, end - from) };
          });
          const norm = (g: number[][]) => g.map((x) => x.join(',')).sort();
          expect(norm(repeatGroupsOfRuns(runs))).to.deep.equal(norm(equalPrints(all, end)));
        },
      ),
      { numRuns: 500 },
    );
  });
});
