// The directory store's append path (issue 10 §2): the line's one synchronized (O_DSYNC) write
// runs on the thread pool, off the event loop. These check what that must not cost: the event loop keeps
// turning while appends wait for the disk, and a write that fails part-way (a full disk) leaves
// whole lines only, writes nothing that is acknowledged, and the store appends again once there
// is room. The full disk is a real tmpfs (mount needs root; without it the test fails).
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore, Ledger, LedgerConnectionError } from '../../src/index.js';
import { sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';
import { expectReject } from './ledgerStoreContract.js';

describe('DirectoryStore append path', function () {
  let root: string;
  let remove: () => void;
  const mounts: string[] = [];
  /** Closed before unmounting, also when a test failed half-way (an open file keeps the mount busy). */
  const closers: Array<() => Promise<void>> = [];
  beforeEach(() => ({ dir: root, remove } = tempDir()));
  afterEach(async () => {
    for (const c of closers.splice(0)) await c().catch(() => undefined);
    for (const m of mounts.splice(0).reverse()) execFileSync('umount', [m]);
    remove();
  });

  it('the event loop turns while appends wait for the disk (an append that blocked it would starve setImmediate)', async () => {
    const ledger = await Ledger.open(await DirectoryStore.open(join(root, 'store')));
    const n = 40;
    let turns = 0;
    let running = true;
    const spin = () => {
      turns++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    for (let i = 0; i < n; i++) await ledger.append(sessionStart(`s${i}`));
    running = false;
    await ledger.close();
    // Each append waits for the thread pool at least once, so the check phase runs in between;
    // a synchronous fdatasync would resolve through microtasks only and leave `turns` at 0 or 1.
    expect(turns).to.be.at.least(n / 2);
  });

  it('a write cut short by a full disk: LedgerConnectionError naming ENOSPC, the partial line taken back, appends resume once there is room', async () => {
    if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs and must run as root');
    const mnt = join(root, 'mnt');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
    mounts.push(mnt);
    const dir = join(mnt, 'store');
    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    closers.push(() => ledger.close());
    for (let i = 0; i < 3; i++) await ledger.append(sessionStart(`s${i}`));
    const file = join(dir, 'ledger.jsonl');
    const before = readFileSync(file);
    // Fill the disk: the ledger file keeps only the free rest of its last page, so a line longer
    // than a page is written in part, then refused.
    const filler = join(mnt, 'filler');
    const fd = openSync(filler, 'w');
    try {
      for (;;) writeSync(fd, Buffer.alloc(4096, 0x61));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    } finally {
      closeSync(fd);
    }
    const big = sessionStart('x'.repeat(6000));
    const e = await expectReject(ledger.append(big), LedgerConnectionError);
    expect(e.message).to.contain('write failed').and.contain('ENOSPC');
    expect(readFileSync(file)).to.deep.equal(before);
    expect(statSync(file).size).to.equal(before.length);

    unlinkSync(filler);
    expect((await ledger.append(big)).sequence).to.equal(3);
    await closers.pop()!();
    const reopened = await Ledger.open(await DirectoryStore.open(dir, { readOnly: true }));
    const result = await reopened.verifyChain();
    await reopened.close();
    expect(result).to.include({ valid: true, count: 4 });
  });
});
