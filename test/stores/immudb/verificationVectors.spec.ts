// immudb's proofs replayed from answers a real immudb 1.11.1 gave (test/vectors/immudb-proofs.json,
// recorded by verification.int.spec.ts): each answer verifies, the trusted state moves as the Go
// client's would, and any single flipped byte of any hash, key or value the answer carries is
// LedgerCorruptionError. Pure: no server.

import { expect } from 'chai';
import { LedgerCorruptionError } from '../../../src/index.js';
import { alh, entryDigest, innerHash, kvMetadataBytes, plainEntry, sha256, txMetadataBytes } from '../../../src/stores/immudb/verification/immudbHashes.js';
import { ahtVerifyConsistency, ahtVerifyInclusion, htreeRoot, verifyEntryInclusion, verifyLinearAdvanceProof } from '../../../src/stores/immudb/verification/immudbProofs.js';
import { checkVerifiableEntry, checkVerifiableTx } from '../../../src/stores/immudb/verification/immudbVerifier.js';
import { readVectors, type ProofVectors } from '../../support/immudbVectors.js';

type Case = ProofVectors['cases'][number];
const ctx = { sequence: 42, where: 'vectors' };

const run = (c: Case) =>
  c.kind === 'entry' ? checkVerifiableEntry(c.answer, c.key, c.trusted, ctx) : checkVerifiableTx(c.answer, c.txId, c.trusted, ctx, c.contains);

/** Every Buffer in `v` with its path. */
function* buffers(v: unknown, path: string): Generator<[string, Buffer]> {
  if (Buffer.isBuffer(v)) yield [path, v];
  else if (Array.isArray(v)) for (let k = 0; k < v.length; k++) yield* buffers(v[k], `${path}[${k}]`);
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) yield* buffers(x, `${path}.${k}`);
}

/** Bytes no immudb hash covers: the raw value slot of a TxEntry (the server sends it empty). */
const unhashed = (path: string) => /\.entries\[\d+\]\.value$/.test(path);

describe('immudb proofs from recorded vectors (immudb 1.11.1)', () => {
  const vectors = readVectors();

  it('the fixture holds forward and backward cases of entries and transactions', () => {
    expect(vectors.immudbVersion).to.equal('1.11.1');
    expect(vectors.cases.map((c) => c.kind).sort()).to.deep.equal(['entry', 'entry', 'tx', 'tx']);
  });

  for (const c of vectors.cases) {
    it(`${c.name}: verifies and moves the trusted state to tx ${c.expectedNext}`, () => {
      const next = run(c);
      expect(next.txId).to.equal(c.expectedNext);
    });

    it(`${c.name}: every flipped byte of a hash, key or value is LedgerCorruptionError`, () => {
      let tried = 0;
      for (const [path, buf] of buffers(c.answer, 'answer')) {
        if (unhashed(path) || buf.length === 0) continue;
        for (const at of [0, buf.length - 1]) {
          buf[at]! ^= 0x01;
          try {
            expect(() => run(c), `${path}[${at}]`).to.throw(LedgerCorruptionError, /sequence 42: vectors: immudb proof check failed: .+ \(tx \d+\)/);
          } finally {
            buf[at]! ^= 0x01;
          }
          tried++;
        }
      }
      expect(tried).to.be.greaterThan(10);
      expect(run(c).txId).to.equal(c.expectedNext); // restored
    });
  }

  it('a wrong trusted hash, or a number the hashes cover (id, ts, nentries, blTxId, version), is caught', () => {
    for (const c of vectors.cases) {
      expect(() => run({ ...c, trusted: { ...c.trusted, txHash: sha256(c.trusted.txHash) } } as Case), c.name).to.throw(LedgerCorruptionError);
      const p = c.kind === 'tx' ? c.answer.dualProof : c.answer.verifiableTx!.dualProof;
      const headers = [p!.sourceTxHeader, p!.targetTxHeader] as unknown as Record<string, number>[];
      for (const h of headers) {
        for (const field of ['ts', 'nentries', 'blTxId', 'version']) {
          const was = h[field]!;
          h[field] = was + 1;
          try {
            expect(() => run(c), `${c.name} ${field}`).to.throw(LedgerCorruptionError);
          } finally {
            h[field] = was;
          }
        }
      }
      expect(run(c).txId).to.equal(c.expectedNext);
    }
  });

  it('byte layouts: metadata attributes, v0/v1 entry digests and the header inner hash', () => {
    expect(kvMetadataBytes(null).length).to.equal(0);
    expect(kvMetadataBytes({ deleted: true, expiration: { expiresAt: 1 }, nonIndexable: true }).toString('hex')).to.equal('00' + '01' + '0000000000000001' + '02');
    expect(txMetadataBytes({ truncatedTxID: 0, extra: Buffer.alloc(0) }).length).to.equal(0);
    expect(txMetadataBytes({ truncatedTxID: 5, extra: Buffer.from('x') }).toString('hex')).to.equal('00' + '0000000000000005' + '01' + '0001' + '78');
    const e = plainEntry(Buffer.from('k'), Buffer.from('v'));
    expect(entryDigest(0, e.key, e.valueHash, null).equals(sha256(e.key, e.valueHash))).to.equal(true);
    expect(entryDigest(1, e.key, e.valueHash, null).equals(sha256(Buffer.from('0000', 'hex'), Buffer.from('0002', 'hex'), e.key, e.valueHash))).to.equal(true);
    expect(() => entryDigest(0, e.key, e.valueHash, { deleted: true, expiration: null, nonIndexable: false })).to.throw(RangeError);
    expect(() => entryDigest(2, e.key, e.valueHash, null)).to.throw(RangeError, /version 2/);
    const h = { id: 3, prevAlh: Buffer.alloc(32, 1), ts: 9, nentries: 2, eH: Buffer.alloc(32, 2), blTxId: 2, blRoot: Buffer.alloc(32, 3), version: 0, metadata: null };
    expect(innerHash(h).equals(sha256(Buffer.from('0000000000000009' + '0000' + '0002', 'hex'), h.eH, Buffer.from('0000000000000002', 'hex'), h.blRoot))).to.equal(true);
    expect(alh(h).equals(sha256(Buffer.from('0000000000000003', 'hex'), h.prevAlh, innerHash(h)))).to.equal(true);
    expect(() => innerHash({ ...h, version: 2 })).to.throw(RangeError);
  });

  it('tree edge cases: a leaf outside the width, a proof of the wrong length, an empty consistency proof', () => {
    const d = [sha256(Buffer.of(1)), sha256(Buffer.of(2)), sha256(Buffer.of(3))];
    const root = htreeRoot(d);
    expect(htreeRoot([]).equals(sha256())).to.equal(true);
    expect(verifyEntryInclusion({ leaf: 3, width: 3, terms: [] }, d[2]!, root)).to.equal(false);
    expect(verifyEntryInclusion({ leaf: -1, width: 3, terms: [] }, d[0]!, root)).to.equal(false);
    expect(ahtVerifyInclusion([], 1, 2, d[0]!, root)).to.equal(false);
    expect(ahtVerifyInclusion([d[0]!], 3, 2, d[0]!, root)).to.equal(false);
    expect(ahtVerifyConsistency([], 1, 2, root, root)).to.equal(false);
    expect(ahtVerifyConsistency([], 2, 2, root, root)).to.equal(true);
    expect(verifyLinearAdvanceProof(null, 1, 3, root, root, 3)).to.equal(false);
    expect(verifyLinearAdvanceProof(null, 3, 1, root, root, 3)).to.equal(false);
  });
});
