// LedgerOptions.merkle: the tree kept current by every durable append (issue 9 §1), on a real
// directory store, checked against Go's tlog and against a tree rebuilt from the file.
import { expect } from 'chai';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore, Ledger, MemoryStore } from '../../src/index.js';
import { LedgerValidationError } from '../../src/errors/errors.js';
import { leafHash, storedCount, verifyConsistency, verifyInclusion } from '../../src/proofs/merkle.js';
import { generateKey, parseSignerKey, parseVerifierKey } from '../../src/proofs/note.js';
import { HASHES_FILE, MERKLE_DIR, openDirectoryMerkleLog, takeCheckpoint } from '../../src/stores/merkleLog.js';
import { b64, runGo } from './goChecker.js';
import { ledgerWith, type LedgerFixture } from './ledgerFixture.js';
import { sessionStart } from '../support/fixtures.js';

describe('proofs/ledgerMerkle: LedgerOptions.merkle keeps the tree current on append', function () {
  let fx: LedgerFixture;
  beforeEach(async () => (fx = await ledgerWith(5)));
  afterEach(() => fx.remove());

  it('catches up at open, extends the tree on every append; roots agree with Go at every size', async function () {
    const ledger = await Ledger.open(await DirectoryStore.open(fx.dir), { merkle: true });
    const roots: string[] = [];
    try {
      expect(ledger.merkle!.size).to.equal(5); // the 5 events appended before the tree existed
      for (let i = 5; i < 40; i++) {
        const { sequence: seq } = await ledger.append(sessionStart(`s-${i}`));
        expect(ledger.merkle!.size).to.equal(seq + 1);
        roots.push(b64(await ledger.merkle!.root()));
      }
      const lines = fx.lines();
      const root = await ledger.merkle!.root();
      verifyInclusion(leafHash(lines[33]!), 33, 40, await ledger.merkle!.inclusionProof(33), root);
      verifyConsistency(7, 40, await ledger.merkle!.consistencyProof(7), await ledger.merkle!.root(7), root);
    } finally {
      await ledger.close();
    }
    // Written out on close: storedCount(40) hashes, read back below without a rebuild.
    expect(statSync(join(fx.dir, MERKLE_DIR, HASHES_FILE)).size).to.equal(storedCount(40) * 32);
    const go = runGo({ leaves: fx.lines().map((l) => b64(Buffer.from(l))) });
    expect(roots).to.deep.equal(go.roots.slice(5));
    // Reopened from the file alone: no rebuild, same root, and a checkpoint over it verifies.
    const store = await DirectoryStore.open(fx.dir, { readOnly: true });
    const rebuilt: string[] = [];
    const log = await openDirectoryMerkleLog(fx.dir, store, { onRebuild: (why) => rebuilt.push(why) });
    try {
      expect(rebuilt).to.deep.equal([]);
      expect(b64(await log.root())).to.equal(go.roots[39]);
      const key = generateKey('ledger.example/merkle-option');
      const { checkpoint } = await takeCheckpoint(fx.dir, store, log, parseSignerKey(key.signerKey), parseVerifierKey(key.verifierKey));
      expect(checkpoint.size).to.equal(40);
    } finally {
      await log.close();
      await store.close();
    }
  });

  it('a tree behind the ledger (appends made without the option) is caught up by the next append', async function () {
    const ledger = await Ledger.open(await DirectoryStore.open(fx.dir), { merkle: true });
    await ledger.append(sessionStart('a'));
    await ledger.close();
    await fx.append(9); // without the tree: merkle/hashes now lags 9 events behind
    const again = await Ledger.open(await DirectoryStore.open(fx.dir), { merkle: true });
    try {
      expect(again.merkle!.size).to.equal(15);
      await again.append(sessionStart('b'));
      const go = runGo({ leaves: fx.lines().map((l) => b64(Buffer.from(l))) });
      expect(b64(await again.merkle!.root())).to.equal(go.roots[15]);
    } finally {
      await again.close();
    }
  });

  it('refuses merkle: true on a store that keeps no tree, naming the option, and closes the store', async function () {
    const store = new MemoryStore();
    const err = await Ledger.open(store, { merkle: true }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(LedgerValidationError);
    expect((err as LedgerValidationError).path).to.equal('merkle');
  });
});
