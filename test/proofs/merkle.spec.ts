// The Merkle tree against Go's golang.org/x/mod/sumdb/tlog: roots for every size 1..N, every
// inclusion and consistency proof, both ways; and tampered proofs refused by both.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { LedgerProofError } from '../../src/errors/errors.js';
import {
  consistencyProof, EMPTY_ROOT, inclusionProof, leafHash, MemoryHashStore, storedCount, storedIndex, storedPosition, verifyConsistency, verifyInclusion,
} from '../../src/proofs/merkle.js';
import { b64, runGo, unb64, type GoResult } from './goChecker.js';
import { ledgerWith, type LedgerFixture } from './ledgerFixture.js';

const N = 70;

describe('proofs/merkle: RFC 6962 tree checked by Go sumdb/tlog', function () {
  let fx: LedgerFixture;
  let lines: string[];
  let tree: MemoryHashStore;
  let roots: Buffer[];
  let go: GoResult;

  before(async function () {
    fx = await ledgerWith(N);
    lines = fx.lines();
    tree = new MemoryHashStore();
    roots = [EMPTY_ROOT];
    for (const l of lines) {
      await tree.append(l);
      roots.push(await tree.root());
    }
    go = runGo({ leaves: lines.map((l) => b64(Buffer.from(l, 'utf8'))), proofs: true });
  });
  after(() => fx.remove());

  it('agrees with Go on the root of every size 1..70 (leaf = canonical line bytes without newline)', function () {
    expect(go.roots).to.have.length(N);
    for (let n = 1; n <= N; n++) expect(b64(roots[n]!), `size ${n}`).to.equal(go.roots[n - 1]);
  });

  it('produces exactly Go\'s inclusion and consistency proofs for every index and size', async function () {
    for (let n = 1; n <= N; n++) {
      const set = go.proofs![n - 1]!;
      for (let i = 0; i < n; i++) expect((await inclusionProof(tree, i, n)).map(b64), `inclusion ${i} in ${n}`).to.deep.equal(set.inclusion[i]);
      for (let m = 1; m <= n; m++) expect((await consistencyProof(tree, m, n)).map(b64), `consistency ${m}→${n}`).to.deep.equal(set.consistency[m - 1]);
    }
  });

  it('Go verifies every proof we generate, and we verify every proof Go generates', async function () {
    const inclusion = [];
    const consistency = [];
    for (let n = 1; n <= N; n++) {
      for (let i = 0; i < n; i++) {
        const proof = await inclusionProof(tree, i, n);
        inclusion.push({ index: i, size: n, leaf: b64(leafHash(lines[i]!)), proof: proof.map(b64), root: b64(roots[n]!) });
        verifyInclusion(leafHash(lines[i]!), i, n, go.proofs![n - 1]!.inclusion[i]!.map(unb64), roots[n]!);
      }
      for (let m = 1; m <= n; m++) {
        const proof = await consistencyProof(tree, m, n);
        consistency.push({ old: m, new: n, proof: proof.map(b64), oldRoot: b64(roots[m]!), newRoot: b64(roots[n]!) });
        verifyConsistency(m, n, go.proofs![n - 1]!.consistency[m - 1]!.map(unb64), roots[m]!, roots[n]!);
      }
    }
    const r = runGo({ inclusion, consistency });
    expect(r.inclusion.every(Boolean), 'Go rejected an inclusion proof').to.equal(true);
    expect(r.consistency.every(Boolean), 'Go rejected a consistency proof').to.equal(true);
    expect(r.inclusion).to.have.length(N * (N + 1) / 2);
  });

  it('tampered proofs: both Go and our verifier refuse each one', async function () {
    const n = 45;
    const i = 13;
    const m = 27;
    const inc = await inclusionProof(tree, i, n);
    const con = await consistencyProof(tree, m, n);
    const flip = (p: Buffer[], k: number): Buffer[] => p.map((h, j) => (j === k ? Buffer.from(h.map((b, x) => (x === 0 ? b ^ 1 : b))) : h));
    const incCases: Array<[string, number, number, Buffer[], Buffer, Buffer]> = [
      ['a flipped path hash', i, n, flip(inc, 2), leafHash(lines[i]!), roots[n]!],
      ['another leaf', i, n, inc, leafHash(lines[i + 1]!), roots[n]!],
      ['a wrong index', i + 1, n, inc, leafHash(lines[i]!), roots[n]!],
      ['a wrong size', i, n + 1, inc, leafHash(lines[i]!), roots[n + 1]!],
      ['a path cut short', i, n, inc.slice(0, -1), leafHash(lines[i]!), roots[n]!],
      ['a path with an extra hash', i, n, [...inc, inc[0]!], leafHash(lines[i]!), roots[n]!],
      ['another root', i, n, inc, leafHash(lines[i]!), roots[n - 1]!],
    ];
    const conCases: Array<[string, number, number, Buffer[], Buffer, Buffer]> = [
      ['a flipped hash', m, n, flip(con, 1), roots[m]!, roots[n]!],
      ['a wrong old size', m + 1, n, con, roots[m + 1]!, roots[n]!],
      ['a wrong old root', m, n, con, roots[m - 1]!, roots[n]!],
      ['a wrong new root', m, n, con, roots[m]!, roots[n - 1]!],
      ['a proof cut short', m, n, con.slice(0, -1), roots[m]!, roots[n]!],
      ['an empty proof', m, n, [], roots[m]!, roots[n]!],
    ];
    for (const [what, idx, size, proof, leaf, root] of incCases) {
      expect(() => verifyInclusion(leaf, idx, size, proof, root), what).to.throw(LedgerProofError);
    }
    for (const [what, a, b, proof, oldRoot, newRoot] of conCases) {
      expect(() => verifyConsistency(a, b, proof, oldRoot, newRoot), what).to.throw(LedgerProofError);
    }
    const r = runGo({
      inclusion: incCases.map(([, index, size, proof, leaf, root]) => ({ index, size, leaf: b64(leaf), proof: proof.map(b64), root: b64(root) })),
      consistency: conCases.map(([, old, nw, proof, oldRoot, newRoot]) => ({ old, new: nw, proof: proof.map(b64), oldRoot: b64(oldRoot), newRoot: b64(newRoot) })),
    });
    expect(r.inclusion).to.deep.equal(incCases.map(() => false));
    expect(r.consistency).to.deep.equal(conCases.map(() => false));
  });

  it('storedPosition is the inverse of storedIndex (every stored hash of trees up to 4096 leaves, and near 2^52)', function () {
    for (let s = 0; s < storedCount(4096); s++) expect(storedIndex(...storedPosition(s)), `stored index ${s}`).to.equal(s);
    for (const [level, k] of [[0, 2 ** 52 - 1], [20, 2 ** 31 + 5], [51, 1]] as const) expect(storedPosition(storedIndex(level, k))).to.deep.equal([level, k]);
  });

  it('the empty tree is SHA-256 of nothing; out-of-range requests are typed errors', async function () {
    expect(EMPTY_ROOT.equals(createHash('sha256').digest())).to.equal(true);
    expect(storedCount(N)).to.equal(2 * N - 3); // 70 = 0b1000110
    for (const call of [() => inclusionProof(tree, N, N), () => inclusionProof(tree, 0, N + 1), () => consistencyProof(tree, 0, 5), () => consistencyProof(tree, 6, 5)]) {
      const e = await call().then(() => undefined, (x: unknown) => x);
      expect(e).to.be.instanceOf(LedgerProofError);
      expect((e as LedgerProofError).code).to.equal('LEDGER_PROOF');
    }
  });
});
