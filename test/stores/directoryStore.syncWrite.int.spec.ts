// The directory store's synchronized writes (issue 10 §2): the writer's descriptor is O_DSYNC, so
// one write() per line is durable on return (no separate fdatasync). What could go wrong with
// that, each on real files: the flag silently missing (durability lost without any error), two
// appends overlapping while a write is on the thread pool (a fork), and a write whose bytes were
// copied but whose synchronization failed (the same errno as a clean full disk, ENOSPC, yet what
// is durable is unknown). The last one is a real I/O error: ext4 on a loop device whose backing
// file lives on a tmpfs that is then filled (mount and losetup need root; without them it fails).
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { constants, mkdirSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore, Ledger, LedgerSequenceError } from '../../src/index.js';
import { script, startNode } from '../support/childProcess.js';
import { sessionStart } from '../support/fixtures.js';
import { buildRecord } from '../support/indexRecords.js';
import { tempDir } from '../support/tempDir.js';

/** The open-file flags (octal, from /proc/self/fdinfo) of every descriptor this process holds on `file`. */
function flagsOf(file: string): number[] {
  const flags: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile (the readdir's own descriptor)
    }
    if (target !== file) continue;
    const m = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    if (m) flags.push(parseInt(m[1]!, 8));
  }
  return flags;
}

describe('DirectoryStore synchronized writes (O_DSYNC)', function () {
  let root: string;
  let remove: () => void;
  const cleanups: Array<() => unknown> = [];
  beforeEach(() => ({ dir: root, remove } = tempDir()));
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch {
        /* best effort: the next cleanup (unmount, detach) still runs */
      }
    }
    remove();
  });

  it("the writer's descriptor is O_DSYNC and O_APPEND; a reader's is neither", async () => {
    const dir = join(root, 'store');
    const writer = await DirectoryStore.open(dir);
    const reader = await DirectoryStore.open(dir, { readOnly: true });
    try {
      const flags = flagsOf(writer.file);
      expect(flags).to.have.length(2);
      const synced = flags.filter((f) => (f & constants.O_DSYNC) === constants.O_DSYNC);
      expect(synced).to.have.length(1, 'exactly one descriptor (the writer) is O_DSYNC');
      expect(synced[0]! & constants.O_APPEND).to.equal(constants.O_APPEND);
      expect(flags.filter((f) => (f & constants.O_APPEND) === 0)).to.have.length(1, 'the reader does not append');
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('two appends overlapping on one store (past the Ledger queue): one lands, the other is LedgerSequenceError, no fork', async () => {
    const dir = join(root, 'store');
    const store = await DirectoryStore.open(dir);
    try {
      const tip = await store.tip();
      // Both claim sequence 0 on the genesis hash: the second starts while the first's write is on the pool.
      const a = buildRecord(0, tip.hash, { payload: { who: 'a' } });
      const b = buildRecord(0, tip.hash, { payload: { who: 'b' } });
      const outcomes = await Promise.allSettled([store.append([a]), store.append([b])]);
      expect(outcomes.map((o) => o.status).sort()).to.deep.equal(['fulfilled', 'rejected']);
      const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')!;
      expect(rejected.reason).to.be.instanceOf(LedgerSequenceError);
      expect(readFileSync(store.file, 'utf8').split('\n').filter(Boolean)).to.have.length(1);
      // The store goes on from the line that landed.
      const next = buildRecord(1, (await store.tip()).hash);
      await store.append([next]);
      expect((await store.tip()).sequence_number).to.equal(1);
    } finally {
      await store.close();
    }
    const ledger = await Ledger.open(await DirectoryStore.open(dir, { readOnly: true }));
    expect(await ledger.verifyChain()).to.deep.equal({ valid: true, break_at: null, count: 2 });
    await ledger.close();
  });

  it('bytes copied but not synchronized (an I/O error from the loop device under ext4): the append fails, the store refuses more until reopened, no acknowledged event is lost', async () => {
    if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs, a loop device and ext4, and must run as root');
    const backing = join(root, 'backing');
    const mnt = join(root, 'ext4');
    mkdirSync(backing);
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', backing]);
    cleanups.push(() => execFileSync('umount', [backing]));
    const image = join(backing, 'disk.img');
    execFileSync('truncate', ['-s', '32M', image]); // sparse: ext4 believes in 32 MB, the tmpfs holds 6
    execFileSync('mkfs.ext4', ['-q', '-F', '-E', 'nodiscard,lazy_itable_init=0,lazy_journal_init=0', image]);
    const loop = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
    cleanups.push(() => execFileSync('losetup', ['-d', loop]));
    execFileSync('mount', [loop, mnt]);
    cleanups.push(() => execFileSync('umount', [mnt]));

    const dir = join(mnt, 'store');
    // The failing writer runs in a child process (test/support/syncWriteFailure.ts).
    const child = startNode(script('syncWriteFailure'), [dir, join(backing, 'filler')]);
    expect(await child.exited).to.equal(0);
    const ackLines = child.lines.filter((l) => l.startsWith('ack '));
    expect(ackLines, child.lines.join('\n')).to.have.length(3);
    // The append whose bytes were copied but not synchronized (EIO or ENOSPC: the errno alone
    // does not tell it from a clean full disk; the file having grown does): durable state unknown.
    const error1 = child.lines.find((l) => l.startsWith('error1 '));
    expect(error1, child.lines.join('\n')).to.match(/^error1 LedgerConnectionError /).and.contain('durable state unknown');
    // Refused from then on, although the space was freed: the store must be reopened.
    expect(child.lines.find((l) => l.startsWith('error2 '))).to.match(/^error2 LedgerConnectionError /).and.contain('an earlier synchronized write failed; reopen the store');

    // ext4 aborted its journal on the I/O error (read-only): the operator remounts, room again.
    execFileSync('umount', [mnt]);
    execFileSync('mount', [loop, mnt]);
    // Reopened (room again): every acknowledged event is there and the chain is whole.
    const reopened = await Ledger.open(await DirectoryStore.open(dir));
    try {
      const result = await reopened.verifyChain();
      expect(result.valid).to.equal(true);
      expect(result.count).to.be.at.least(3);
      for (const line of ackLines) {
        const [, seq, hash] = line.split(' ');
        expect((await reopened.read(Number(seq))).hash).to.equal(hash);
      }
      const next = await reopened.append(sessionStart('resumed'));
      expect(next.sequence).to.equal(result.count);
    } finally {
      await reopened.close();
    }
  });
});
