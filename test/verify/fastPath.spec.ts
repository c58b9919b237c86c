// The cold-verification fast path (issue 10 §1): ChainCursor.advanceBytes judges a line on its
// bytes (scanChainLine: hash and link compared as hex digits, a UUID event_id read as 128
// bits) and defers the event-id rule to one comparison at the end (equalPrints, withRepeats).
// Each is held to the reference: checkLineBytes + advanceChecked, and an exact id comparison.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENESIS_HASH, canonicalJson, verifyFile, type VerifyResult } from '../../src/verify.js';
import { buildEventLine, checkLineBytes } from '../../src/contract/eventLine.js';
import { chainLine, scanChainLine } from '../../src/contract/canonicalLine.js';
import { ChainCursor } from '../../src/verify/chainCursor.js';
import { EventChecks, KEY_WORDS, equalPrints, fingerprint, fingerprintKey, fingerprintUuid, fp } from '../../src/verify/eventChecks.js';
import { withRepeats } from '../../src/verify/verifyChain.js';
import { provenance } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

interface Spec { readonly id?: string; readonly pad?: number; readonly stream?: string; readonly version?: number }

function lines(specs: readonly Spec[], previous = GENESIS_HASH): string[] {
  return specs.map((s, i) => {
    const { hash, line } = buildEventLine({
      event_id: s.id ?? `01900000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`,
      sequence: i, event_type: 'session_start', schema_version: '1.0.0', timestamp: '2026-01-01T00:00:00.000Z',
      provenanceJson: canonicalJson(provenance), previous_hash: previous,
      payloadJson: canonicalJson({ session_id: `s-${i}`, pad: 'x'.repeat(s.pad ?? 0) }),
      ...(s.stream === undefined ? {} : { stream_id: s.stream, stream_version: s.version }),
    });
    previous = hash;
    return line;
  });
}

/** The reference verdict for a sequence of lines: checkLineBytes, then advanceChecked. */
function reference(ls: readonly Buffer[], start = 0, previous = GENESIS_HASH): Array<string | undefined> {
  const cursor = new ChainCursor(start, previous);
  return ls.map((b) => {
    const c = checkLineBytes(Buffer.from(b));
    return c.ok ? cursor.advanceChecked(c.sequence, c.hash, c.computed, c.previous_hash, c) : c.reason;
  });
}

function fast(ls: readonly Buffer[], consume: boolean, start = 0, previous = GENESIS_HASH): Array<string | undefined> {
  const cursor = new ChainCursor(start, previous);
  return ls.map((b) => cursor.advanceBytes(Buffer.from(b), undefined, consume));
}

const pick = (r: VerifyResult) => ({ valid: r.valid, break_at: r.break_at, count: r.count, reason: r.reason });

describe('cold verification fast path (issue 10 §1)', function () {
  let dir: string;
  let remove: () => void;
  before(() => ({ dir, remove } = tempDir('fmwk-fast-path-')));
  after(() => remove?.());

  describe('ChainCursor.advanceBytes gives the reference verdict and reason, consuming the bytes or not', () => {
    const good = lines([{}, {}, { stream: 'a', version: 0 }, { id: 'not-a-uuid' }, { id: '01900000-0000-7000-8000-00000000ABCD' }, {}]);
    const flip = (s: string, from: string, to: string) => s.replace(from, to);
    const hashOf = (l: string) => JSON.parse(l).hash as string;
    const cases: Array<[string, string[]]> = [
      ['a valid chain (UUID, uppercase-UUID and non-UUID ids, a stream)', good],
      ['a stored hash with one digit changed', good.map((l, i) => (i === 2 ? flip(l, hashOf(l), hashOf(l).replace(/.$/, (c) => (c === '0' ? '1' : '0'))) : l))],
      ['a stored hash in uppercase hex (exact path: not the digest\'s spelling)', good.map((l, i) => (i === 2 ? flip(l, hashOf(l), `sha256:${hashOf(l).slice(7).toUpperCase()}`) : l))],
      ['a previous_hash that does not link', good.map((l, i) => (i === 4 ? flip(l, hashOf(good[3]!), hashOf(good[1]!)) : l))],
      ['a sequence out of place', [good[0]!, good[2]!, good[1]!]],
      ['a payload edited after hashing', good.map((l, i) => (i === 1 ? flip(l, '"s-1"', '"s-9"') : l))],
      ['a line that is not canonical (a space) but hashes right over its canonical form', good.map((l, i) => (i === 1 ? l.replace('{"event_id"', '{ "event_id"') : l))],
    ];
    for (const [name, ls] of cases) {
      it(name, () => {
        const bytes = ls.map((l) => Buffer.from(l));
        const ref = reference(bytes);
        expect(fast(bytes, true), 'consume').to.deep.equal(ref);
        expect(fast(bytes, false), 'no consume').to.deep.equal(ref);
      });
    }

    it('a chain starting from a previous hash of any spelling (suffix verification) and a mixed cursor', () => {
      const ls = lines([{}, {}, {}, {}]).map((l) => Buffer.from(l));
      const prev = JSON.parse(ls[0]!.toString()).hash as string;
      expect(fast(ls.slice(1), true, 1, prev)).to.deep.equal(reference(ls.slice(1), 1, prev));
      // A previous hash that is not sha256:<hex>: the bytes path declines, the verdict stands.
      expect(fast(ls.slice(1), true, 1, 'not a hash')).to.deep.equal(reference(ls.slice(1), 1, 'not a hash'));
      // advanceChecked (replay) then advanceBytes on one cursor: the link carries over.
      const cursor = new ChainCursor(0, GENESIS_HASH);
      const c = checkLineBytes(Buffer.from(ls[0]!));
      expect(c.ok && cursor.advanceChecked(c.sequence, c.hash, c.computed, c.previous_hash, c)).to.equal(undefined);
      expect(cursor.advanceBytes(Buffer.from(ls[1]!), undefined, true)).to.equal(undefined);
      expect(cursor.lastHash).to.equal(JSON.parse(ls[1]!.toString()).hash);
    });
  });

  describe('event_id fingerprints', () => {
    it('the chain scan\'s 128-bit UUID fingerprint is the one fingerprint() gives the id\'s bytes (workers and main thread agree)', () => {
      const key = fingerprintKey();
      expect(key.length).to.equal(KEY_WORDS);
      for (let i = 0; i < 200; i++) {
        const [line] = lines([{ id: randomUUID() }]);
        const b = Buffer.from(line!);
        expect(scanChainLine(b)).to.equal(true);
        expect(chainLine.isUuid).to.equal(true);
        fingerprintUuid(chainLine.uuid[0]!, chainLine.uuid[1]!, chainLine.uuid[2]!, chainLine.uuid[3]!, key);
        const viaScan = [...fp];
        fingerprint(b.subarray(chainLine.idFrom, chainLine.idTo), key);
        expect([...fp]).to.deep.equal(viaScan);
      }
    });

    it('ids that are not lowercase UUIDs take the byte fingerprint; the scan does not read them as UUIDs', () => {
      for (const id of ['01900000-0000-7000-8000-00000000ABCD', '01900000-0000-7000-8000-0000000000', 'x1900000-0000-7000-8000-000000000000', '019000000000-7000-8000-0000-00000000']) {
        const [line] = lines([{ id }]);
        expect(scanChainLine(Buffer.from(line!)), id).to.equal(true);
        expect(chainLine.isUuid, id).to.equal(false);
      }
    });

    it('flipping any one bit of a UUID changes its fingerprint', () => {
      const key = fingerprintKey();
      fingerprintUuid(1, 2, 3, 4, key);
      const base = [...fp];
      for (let w = 0; w < 4; w++) {
        for (let bit = 0; bit < 32; bit++) {
          const words = [1, 2, 3, 4];
          words[w] = (words[w]! ^ (1 << bit)) >>> 0;
          fingerprintUuid(words[0]!, words[1]!, words[2]!, words[3]!, key);
          expect([...fp], `word ${w} bit ${bit}`).to.not.deep.equal(base);
        }
      }
    });
  });

  describe('deferred ids: one comparison at the end', () => {
    it('equalPrints finds exactly the groups a naive grouping finds (equal first words with different second words are not a group)', () => {
      const n = 50_000;
      const prints = new Uint32Array(2 * n);
      for (let i = 0; i < n; i++) {
        prints[2 * i] = (Math.random() * 2 ** 32) >>> 0;
        prints[2 * i + 1] = (Math.random() * 2 ** 32) >>> 0;
      }
      // Forced: repeats, a triple, and same-first-word-different-second pairs.
      const copy = (to: number, from: number, lo = prints[2 * from + 1]!) => ((prints[2 * to] = prints[2 * from]!), (prints[2 * to + 1] = lo));
      copy(10, 3);
      copy(49_999, 3);
      copy(20, 7, prints[15]! ^ 1);
      copy(30_000, 29_999);
      copy(45_000, 44_999);
      const naive = new Map<string, number[]>();
      for (let i = 0; i < n; i++) {
        const k = `${prints[2 * i]}:${prints[2 * i + 1]}`;
        naive.set(k, [...(naive.get(k) ?? []), i]);
      }
      const want = [...naive.values()].filter((g) => g.length > 1).sort((a, b) => a[0]! - b[0]!);
      expect(equalPrints(prints, n).sort((a, b) => a[0]! - b[0]!)).to.deep.equal(want);
      expect(want.map((g) => g.length)).to.deep.equal([3, 2, 2]);
    });

    it('a group X, Y, Y (X and Y sharing a fingerprint by chance) reports the repeat of Y, naming its first sequence', async () => {
      const ls = lines([{ id: 'X' }, { id: 'Y' }, { id: 'Y' }]);
      const valid: VerifyResult = { valid: true, break_at: null, count: 3 };
      const r = await withRepeats(valid, [[0, 1, 2]], 0, async (s) => ls[s]);
      expect(pick(r)).to.deep.equal({ valid: false, break_at: 2, count: 2, reason: 'event_id "Y" repeats: sequence 1 holds it first' });
      // Different ids under one fingerprint: no repeat. A repeat at or after a break: the break stands.
      expect(await withRepeats(valid, [[0, 1]], 0, async (s) => ls[s])).to.equal(valid);
      const broken: VerifyResult = { valid: false, break_at: 2, count: 2, reason: 'x' };
      expect(await withRepeats(broken, [[1, 2]], 0, async (s) => ls[s])).to.equal(broken);
    });

    it('attack: every fingerprint forced equal costs one exact re-read per event, and the verdict stays exact', async () => {
      const ls = lines(Array.from({ length: 300 }, () => ({})));
      const checks = new EventChecks('genesis', fingerprintKey(), true, true);
      checks.addFingerprints(new Uint32Array(2 * 300).fill(5), 300);
      const groups = checks.repeatGroups(0);
      expect(groups).to.have.length(1);
      let reads = 0;
      const valid: VerifyResult = { valid: true, break_at: null, count: 300 };
      expect(await withRepeats(valid, groups, 0, async (s) => (reads++, ls[s]))).to.equal(valid);
      expect(reads).to.equal(300);
    });

    it('verifyFile: a repeat far past a first batch that under-estimates the event count (the record grows), one thread and two workers', async () => {
      // The first MiB holds long lines: the record is sized for few events, then must grow.
      const specs: Spec[] = [...Array.from({ length: 400 }, () => ({ pad: 3000 })), ...Array.from({ length: 6000 }, () => ({}))];
      specs.push({ id: '01900000-0000-7000-8000-000000000005' });
      const path = join(dir, 'grow.jsonl');
      writeFileSync(path, lines(specs).map((l) => `${l}\n`).join(''));
      const want = { valid: false, break_at: 6400, count: 6400, reason: 'event_id "01900000-0000-7000-8000-000000000005" repeats: sequence 5 holds it first' };
      expect(pick(await verifyFile(path))).to.deep.equal(want);
      expect(pick(await verifyFile(path, { workers: 2 }))).to.deep.equal(want);
      writeFileSync(path, lines(specs.slice(0, -1)).map((l) => `${l}\n`).join(''));
      expect(pick(await verifyFile(path))).to.deep.equal({ valid: true, break_at: null, count: 6400, reason: undefined });
    });
  });
});
