// A relative directory is resolved once, when a store (or a snapshot or checkpoint store) is
// opened: the files found from it later (the writer lock, the Merkle hashes, snapshots) stay in
// that directory after the process changes its working directory (issue 21: paths resolved twice).
import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { DirectoryStore, Ledger } from '../../src/index.js';
import { CheckpointStore } from '../../snapshots/checkpointStore.js';
import { SnapshotStore } from '../../snapshots/snapshotStore.js';
import { sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

describe('stores: relative directories are resolved once', function () {
  let tmp: { dir: string; remove: () => void };
  let cwd: string;
  beforeEach(() => {
    tmp = tempDir('fmwk-ledger-relative-');
    mkdirSync(join(tmp.dir, 'elsewhere'));
    cwd = process.cwd();
    process.chdir(tmp.dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    tmp.remove();
  });

  it('a DirectoryStore opened as "./data/" keeps its lock and Merkle files in data after a chdir', async function () {
    const ledger = await Ledger.open(await DirectoryStore.open('./data/'), { merkle: true });
    const store = ledger.store as DirectoryStore;
    expect(store.dir).to.equal(join(tmp.dir, 'data'));
    process.chdir(join(tmp.dir, 'elsewhere'));
    await ledger.append(sessionStart('after-chdir')); // the lock is checked by its path on every append
    await ledger.close();
    expect(existsSync(join(tmp.dir, 'data', 'ledger.lock'))).to.equal(false); // released where it was taken
    expect(existsSync(join(tmp.dir, 'data', 'merkle', 'hashes'))).to.equal(true);
    expect(existsSync(join(tmp.dir, 'elsewhere', 'data'))).to.equal(false);
    const again = await DirectoryStore.open(join(tmp.dir, 'data'));
    expect((await again.tip()).sequence_number).to.equal(0);
    await again.close();
  });

  it('SnapshotStore.at and CheckpointStore.at hold absolute paths', function () {
    const snapshots = SnapshotStore.at('snaps/');
    const checkpoints = CheckpointStore.at('./cps', 'graph');
    process.chdir(join(tmp.dir, 'elsewhere'));
    expect(snapshots.path(7)).to.equal(join(tmp.dir, 'snaps', '7.snapshot'));
    expect(checkpoints.path).to.equal(join(tmp.dir, 'cps', 'graph.checkpoint'));
    expect(isAbsolute(snapshots.dir) && isAbsolute(checkpoints.dir)).to.equal(true);
  });
});
