// Opening a directory store for writing where it cannot be written (issue 8 §5): a full disk, a
// read-only mount, a directory without write permission. Each gives LedgerConnectionError naming
// the path and the cause, and leaves no lock or temp file behind. Real file systems: a small
// tmpfs and a read-only bind mount, which need root (mount); without it these tests fail.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore, Ledger, LedgerConnectionError } from '../../src/index.js';
import { script } from '../support/childProcess.js';
import { sessionStart } from '../support/fixtures.js';
import { lockLeftovers, startChild } from '../support/lockTest.js';
import { tempDir } from '../support/tempDir.js';
import { expectReject } from './ledgerStoreContract.js';

const isRoot = process.getuid?.() === 0;

function mount(args: string[]): void {
  if (!isRoot) throw new Error(`this test mounts a file system (mount ${args.join(' ')}) and must run as root`);
  execFileSync('mount', args);
}

async function storeWith(dir: string, n: number): Promise<void> {
  const ledger = await Ledger.open(await DirectoryStore.open(dir));
  for (let i = 0; i < n; i++) await ledger.append(sessionStart(`s${i}`));
  await ledger.close();
}

/** Writes until the file system is full. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 0x61);
  try {
    for (;;) writeSync(fd, block);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
}

/** Creates empty files until no inode is left. */
function exhaustInodes(dir: string): void {
  try {
    for (let i = 0; ; i++) closeSync(openSync(join(dir, `f${i}`), 'wx'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
}

describe('DirectoryStore open on an unwritable store', function () {
  let root: string;
  let remove: () => void;
  const mounts: string[] = [];
  beforeEach(() => ({ dir: root, remove } = tempDir()));
  afterEach(() => {
    for (const m of mounts.splice(0).reverse()) execFileSync('umount', [m]);
    remove();
  });

  it('a full disk (tmpfs): LedgerConnectionError naming the path and ENOSPC, no lock or temp file left, the ledger untouched', async () => {
    const mnt = join(root, 'mnt');
    mkdirSync(mnt);
    mount(['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
    mounts.push(mnt);
    const store = join(mnt, 'store');
    await storeWith(store, 3);
    const before = readFileSync(join(store, 'ledger.jsonl'));
    fill(join(mnt, 'filler'));

    const e = await expectReject(DirectoryStore.open(store), LedgerConnectionError);
    expect(e.message).to.contain(store).and.contain('ENOSPC');
    expect(lockLeftovers(store)).to.deep.equal([]);
    expect(readFileSync(join(store, 'ledger.jsonl'))).to.deep.equal(before);
    // A fresh store on the full disk: the same, and no lock in the new directory.
    const fresh = join(mnt, 'fresh');
    const f = await expectReject(DirectoryStore.open(fresh), LedgerConnectionError);
    expect(f.message).to.contain(fresh).and.contain('ENOSPC');
    expect(readdirSync(mnt).filter((n) => n.startsWith('ledger'))).to.deep.equal([]);
    expect(readdirSync(fresh)).to.deep.equal([]);
    // Readers are unaffected.
    const reader = await Ledger.open(await DirectoryStore.open(store, { readOnly: true }));
    expect((await reader.verifyChain()).count).to.equal(3);
    await reader.close();
  });

  it('no inode left (tmpfs nr_inodes): LedgerConnectionError naming the path and ENOSPC, nothing left', async () => {
    const mnt = join(root, 'mnt');
    mkdirSync(mnt);
    mount(['-t', 'tmpfs', '-o', 'size=1m,nr_inodes=16', 'tmpfs', mnt]);
    mounts.push(mnt);
    const store = join(mnt, 'store');
    await storeWith(store, 2);
    const fresh = join(mnt, 'fresh');
    mkdirSync(fresh);
    exhaustInodes(mnt);
    const e = await expectReject(DirectoryStore.open(store), LedgerConnectionError);
    expect(e.message).to.contain(store).and.contain('ENOSPC');
    expect(lockLeftovers(store)).to.deep.equal([]);
    // One inode free: enough for the temp record, not for the link (tmpfs counts each link):
    // the temp file is taken back.
    unlinkSync(join(mnt, 'f0'));
    const f = await expectReject(DirectoryStore.open(fresh), LedgerConnectionError);
    expect(f.message).to.contain(join(fresh, 'ledger.lock')).and.contain('ENOSPC');
    expect(readdirSync(fresh)).to.deep.equal([]);
  });

  it('a read-only mount: LedgerConnectionError naming the path and EROFS; readers still open it', async () => {
    const store = join(root, 'store');
    await storeWith(store, 3);
    const ro = join(root, 'ro');
    mkdirSync(ro);
    mount(['--bind', store, ro]);
    mounts.push(ro);
    mount(['-o', 'remount,bind,ro', ro]);
    const e = await expectReject(DirectoryStore.open(ro), LedgerConnectionError);
    expect(e.message).to.contain(ro).and.contain('EROFS');
    expect(lockLeftovers(store)).to.deep.equal([]);
    const reader = await Ledger.open(await DirectoryStore.open(ro, { readOnly: true }));
    expect(await reader.verifyChain()).to.deep.equal({ valid: true, break_at: null, count: 3 });
    await reader.close();
  });

  it('a directory the process may not write: LedgerConnectionError naming the path and EACCES, nothing left', async () => {
    const store = join(root, 'store');
    await storeWith(store, 1);
    chmodSync(root, 0o755);
    chmodSync(store, 0o555);
    let outcome: string;
    if (isRoot) {
      // root ignores permissions: open as the unprivileged user "nobody" in a child.
      const child = startChild(process.execPath, [script('openOnce'), store], { uid: 65534, gid: 65534 });
      await child.exited;
      outcome = child.lines.join('\n');
    } else {
      outcome = await DirectoryStore.open(store).then(
        async (s) => (await s.close(), 'ok'),
        (e: Error) => `error ${e.name} ${e.message}`,
      );
    }
    chmodSync(store, 0o755);
    expect(outcome).to.match(/^error LedgerConnectionError /).and.contain(store).and.contain('EACCES');
    expect(lockLeftovers(store)).to.deep.equal([]);
    writeFileSync(join(store, 'probe'), ''); // the directory itself is fine again
  });
});
