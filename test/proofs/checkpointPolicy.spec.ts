// CheckpointPolicy: checkpoints signed by count and by time while the ledger appends (the tree
// shared with the appends), each one consistent with the one before, the latest kept on disk.
import { expect } from 'chai';
import { join } from 'node:path';
import { CheckpointPolicy, DirectoryStore, Ledger, LedgerValidationError, generateKey, openCheckpoint, parseSignerKey, parseVerifierKey, readLatestCheckpoint, verifyConsistency, verifyFileAgainstCheckpoint } from '../../src/index.js';
import { sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

const key = generateKey('ledger.example/policy');
const signer = parseSignerKey(key.signerKey);
const verifier = parseVerifierKey(key.verifierKey);

describe('proofs/checkpointPolicy: every N events, every T ms', function () {
  let tmp: { dir: string; remove: () => void };
  beforeEach(() => (tmp = tempDir('fmwk-ledger-policy-')));
  afterEach(() => tmp.remove());

  it('signs every 5 events while appends continue; each checkpoint extends the previous one', async function () {
    const ledger = await Ledger.open(await DirectoryStore.open(tmp.dir), { merkle: true });
    const seen: Array<{ size: number; root: Buffer }> = [];
    const errors: unknown[] = [];
    const policy = CheckpointPolicy.start(ledger, { dir: tmp.dir, signer, verifier, every: 5, onCheckpoint: (c) => seen.push(c), onError: (e) => errors.push(e) });
    // Appends not awaited one by one: checkpoints run while the tree is being extended.
    await Promise.all(Array.from({ length: 23 }, (_, i) => ledger.append(sessionStart(`s-${i}`))));
    await policy.now();
    await policy.stop();
    expect(errors).to.deep.equal([]);
    expect(seen.length).to.be.greaterThan(1);
    expect(seen[seen.length - 1]!.size).to.equal(23);
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1]!, seen[i]!];
      if (a.size < b.size) verifyConsistency(a.size, b.size, await ledger.merkle!.consistencyProof(a.size, b.size), a.root, b.root);
    }
    await ledger.close();
    const kept = (await readLatestCheckpoint(tmp.dir))!;
    expect(openCheckpoint(kept, verifier).checkpoint.size).to.equal(23);
    expect(await verifyFileAgainstCheckpoint(join(tmp.dir, 'ledger.jsonl'), kept, key.verifierKey)).to.include({ valid: true, count: 23 });
  });

  it('signs on a timer only when events arrived, and refuses a ledger without its tree or a bad period', async function () {
    const ledger = await Ledger.open(await DirectoryStore.open(tmp.dir), { merkle: true });
    const seen: number[] = [];
    const policy = CheckpointPolicy.start(ledger, { dir: tmp.dir, signer, verifier, everyMs: 40, onCheckpoint: (c) => seen.push(c.size) });
    for (let i = 0; i < 3; i++) await ledger.append(sessionStart(`t-${i}`));
    const until = Date.now() + 5000;
    while (seen.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200)); // quiet: no new events, no new checkpoint
    await policy.stop();
    expect(seen).to.deep.equal([3]);
    await ledger.close();

    const plain = await Ledger.open(await DirectoryStore.open(tmp.dir));
    try {
      expect(() => CheckpointPolicy.start(plain, { dir: tmp.dir, signer, verifier, every: 1 })).to.throw(LedgerValidationError, /merkle/);
    } finally {
      await plain.close();
    }
    const withTree = await Ledger.open(await DirectoryStore.open(tmp.dir), { merkle: true });
    try {
      expect(() => CheckpointPolicy.start(withTree, { dir: tmp.dir, signer, verifier, every: 0 })).to.throw(LedgerValidationError, /every/);
      expect(() => CheckpointPolicy.start(withTree, { dir: tmp.dir, signer, verifier })).to.throw(LedgerValidationError, /every/);
    } finally {
      await withTree.close();
    }
  });
});
