// The ledger-wide rules of issue 13 in the TypeScript verifiers: per-stream versions and unique
// event ids, with flat memory (a fingerprint table, not a Set of ids) and an exact verdict (a
// fingerprint match is confirmed by re-reading the first line); the same verdict from one thread
// and from worker ranges on a file big enough to be cut; suffix verification and replay's checks.
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENESIS_HASH, canonicalJson, verifyFile, verifyLines, type VerifyResult } from '../../src/verify.js';
import { LedgerCorruptionError } from '../../src/index.js';
import { buildEventLine } from '../../src/contract/eventLine.js';
import { ChainVerifier } from '../../src/verify/chainVerifier.js';
import { EventChecks, FingerprintTable, fingerprint, fingerprintKey, fp } from '../../src/verify/eventChecks.js';
import { confirmSuspect } from '../../src/verify/verifyChain.js';
import { PARALLEL_MIN_BYTES, planRanges, verifyRanges } from '../../src/verify/verifyFileParallel.js';
import { provenance } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

interface Spec { readonly id?: number; readonly stream?: string; readonly version?: number; readonly pad?: number }

/** Chained canonical lines; event i has id i unless `id` says otherwise. */
function lines(specs: readonly Spec[]): string[] {
  const out: string[] = [];
  let previous = GENESIS_HASH;
  specs.forEach((s, i) => {
    const { hash, line } = buildEventLine({
      event_id: `01900000-0000-7000-8000-${(s.id ?? i).toString(16).padStart(12, '0')}`,
      sequence: i, event_type: 'session_start', schema_version: '1.0.0', timestamp: '2026-01-01T00:00:00.000Z',
      provenanceJson: canonicalJson(provenance), previous_hash: previous,
      payloadJson: canonicalJson({ session_id: `s-${i}`, pad: 'x'.repeat(s.pad ?? 0) }),
      ...(s.stream === undefined ? {} : { stream_id: s.stream, stream_version: s.version }),
      ...(i % 7 === 3 ? { metadataJson: canonicalJson({ correlation_id: `c-${i}` }) } : {}),
    });
    previous = hash;
    out.push(line);
  });
  return out;
}

/** n events over `streams` streams, round robin, versions in order. */
function streamed(n: number, streams: number, pad = 0): Spec[] {
  return Array.from({ length: n }, (_, i) => ({ stream: `s-${i % streams}`, version: Math.floor(i / streams), pad }));
}

const gen = async function* (ls: readonly string[]) { yield* ls; };
const pick = (r: VerifyResult) => ({ valid: r.valid, break_at: r.break_at, count: r.count });

describe('ledger-wide rules: stream versions and unique event ids', function () {
  let dir: string;
  let remove: () => void;
  before(() => ({ dir, remove } = tempDir('fmwk-event-checks-')));
  after(() => remove?.());

  describe('the fingerprint table', function () {
    it('finds every earlier holder of a fingerprint, across growth', () => {
      const t = new FingerprintTable();
      const key = fingerprintKey();
      for (let i = 0; i < 20_000; i++) {
        fingerprint(Buffer.from(`"id-${i}"`), key);
        expect(t.addAndMatch(i)).to.equal(undefined);
      }
      for (const i of [0, 1, 9_999, 19_999]) {
        fingerprint(Buffer.from(`"id-${i}"`), key);
        expect(t.addAndMatch(20_000 + i)).to.deep.equal([i]);
      }
      // Equal fingerprints (forced) are all reported, sequences beyond 2^32 kept exactly.
      fp[0] = 7;
      fp[1] = 9;
      expect(t.addAndMatch(2 ** 40 + 3)).to.equal(undefined);
      fp[0] = 7;
      fp[1] = 9;
      expect(t.addAndMatch(5)).to.deep.equal([2 ** 40 + 3]);
      fp[0] = 7;
      fp[1] = 9;
      expect(t.addAndMatch(6)!.sort()).to.deep.equal([2 ** 40 + 3, 5].sort());
    });

    it('a different key gives a different fingerprint (an attacker cannot aim collisions at a key it does not know)', () => {
      const id = Buffer.from('"01900000-0000-7000-8000-000000000001"');
      fingerprint(id, Uint32Array.of(1, 2));
      const a = [...fp];
      fingerprint(id, Uint32Array.of(1, 3));
      expect([...fp]).to.not.deep.equal(a);
    });
  });

  describe('a fingerprint match is confirmed exactly', function () {
    it('two different ids with one fingerprint are not a repeat; the same id is, naming the first sequence', async () => {
      const ls = lines([{}, {}, { id: 0 }]);
      const lineAt = async (s: number) => ls[s];
      // A forged match: the event at 1 "matches" 0 but its id differs.
      expect(await confirmSuspect({ sequence: 1, first: 0, id: new Uint8Array(0) }, lineAt)).to.equal(undefined);
      expect(await confirmSuspect({ sequence: 2, first: 0, id: new Uint8Array(0) }, lineAt)).to.equal('event_id "01900000-0000-7000-8000-000000000000" repeats: sequence 0 holds it first');
    });

    it('a valid ledger never re-reads a line; a repeat re-reads only the lines involved', async () => {
      const ls = lines(streamed(3000, 17));
      const asked: number[] = [];
      const lineAt = async (s: number) => (asked.push(s), ls[s]);
      expect(pick(await verifyLines(gen(ls), { lineAt }))).to.deep.equal({ valid: true, break_at: null, count: 3000 });
      expect(asked).to.deep.equal([]);
      const dup = lines([...streamed(2000, 5), { id: 1234 }]);
      const r = await verifyLines(gen(dup), { lineAt });
      expect(pick(r)).to.deep.equal({ valid: false, break_at: 2000, count: 2000 });
      expect(r.reason).to.equal('event_id "01900000-0000-7000-8000-0000000004d2" repeats: sequence 1234 holds it first');
      expect(asked).to.deep.equal([1234]);
    });
  });

  it('a suffix (start > 0): a stream\'s first event seen fixes its place, continuity after it is checked', async () => {
    const all = lines(streamed(40, 3));
    const hashOf = (l: string) => JSON.parse(l).hash as string;
    const start = 10;
    expect(pick(await verifyLines(gen(all.slice(start)), { start, previousHash: hashOf(all[start - 1]!) }))).to.deep.equal({ valid: true, break_at: null, count: 30 });
    const gap = lines([...streamed(12, 3), { stream: 's-1', version: 5 }]); // s-1 was at 3 (sequence 10)
    expect(pick(await verifyLines(gen(gap.slice(start)), { start, previousHash: hashOf(gap[start - 1]!) }))).to.deep.equal({ valid: false, break_at: 12, count: 2 });
  });

  it('replay (ChainVerifier) refuses a stream gap with LedgerCorruptionError at its sequence', () => {
    const ls = lines([{ stream: 'a', version: 0 }, { stream: 'a', version: 1 }, { stream: 'a', version: 3 }]);
    const chain = new ChainVerifier(0, GENESIS_HASH);
    chain.acceptLine(ls[0]!);
    const e = chain.acceptEvent(JSON.parse(ls[1]!));
    expect(e.stream_version).to.equal(1);
    expect(() => chain.acceptLine(ls[2]!)).to.throw(LedgerCorruptionError, 'stream "a": stream_version 3 follows 1, expected 2 (a gap)').with.property('sequence', 2);
  });

  describe('a file big enough to be cut: one thread and worker ranges agree', function () {
    this.timeout(300_000);
    // ~330 B a line: 6,000 lines are over 1 MiB, so verifyFile plans real ranges.
    const N = 6000;
    const cases: Array<[string, Spec[], { valid: boolean; break_at: number | null }]> = [
      ['valid, 50 streams crossing every range', streamed(N, 50, 120), { valid: true, break_at: null }],
      ['an id of range 1 reused in range 3', streamed(N, 50, 120).map((s, i) => (i === 5000 ? { ...s, id: 100 } : s)), { valid: false, break_at: 5000 }],
      ['a version repeated across ranges', streamed(N, 50, 120).map((s, i) => (i === 4000 ? { ...s, version: s.version! - 1 } : s)), { valid: false, break_at: 4000 }],
      ['a stream that first appears in a later range at version 1', streamed(N, 50, 120).map((s, i) => (i === 4500 ? { stream: 'late', version: 1, pad: 120 } : s)), { valid: false, break_at: 4500 }],
      // The earliest failure wins whatever range finds it first: an id repeat before a stream gap.
      ['an id repeat (range 2) before a stream gap (range 3)', streamed(N, 50, 120).map((s, i) => (i === 3100 ? { ...s, id: 3 } : i === 4600 ? { ...s, version: s.version! + 2 } : s)), { valid: false, break_at: 3100 }],
      ['a stream gap (range 2) before an id repeat (range 3)', streamed(N, 50, 120).map((s, i) => (i === 3100 ? { ...s, version: s.version! + 2 } : i === 4600 ? { ...s, id: 3 } : s)), { valid: false, break_at: 3100 }],
    ];
    for (const [name, specs, expected] of cases) {
      it(name, async () => {
        const path = join(dir, `${name.replace(/\W+/g, '-')}.jsonl`);
        const ls = lines(specs);
        writeFileSync(path, ls.map((l) => `${l}\n`).join(''));
        const one = await verifyFile(path);
        expect(one).to.deep.include(expected);
        const ranges = await planRanges(path, 4);
        expect(ranges.length, 'ranges planned').to.equal(4);
        expect(Buffer.byteLength(ls.join('\n'))).to.be.greaterThan(PARALLEL_MIN_BYTES);
        expect(await verifyRanges(path, ranges), '4 worker ranges').to.deep.equal(one);
        expect(await verifyFile(path, { workers: 2 }), 'verifyFile with 2 workers').to.deep.equal(one);
      });
    }
  });

  it('checks are per ledger: a fresh EventChecks knows nothing of another', () => {
    const a = new EventChecks('genesis');
    const b = new EventChecks('genesis');
    expect(a.check(0, { id: Buffer.from('"x"'), stream_id: 's', stream_version: 0 })).to.equal(undefined);
    expect(b.check(0, { id: Buffer.from('"x"'), stream_id: 's', stream_version: 0 })).to.equal(undefined);
    expect(b.suspect).to.equal(undefined);
  });
});
