// The directory store's writer lock under hostile timing and hostile files (issue 8 §1): never
// two holders, a dead holder's lock recovered by exactly one contender, and anything at the
// lock path that cannot be judged refused for a person to check.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DirectoryStore, Ledger, LedgerLockedError } from '../../src/index.js';
import { reapClaimPath } from '../../src/stores/writerLock.js';
import { script, startNode, type RunningChild } from '../support/childProcess.js';
import { sessionStart } from '../support/fixtures.js';
import { checkHolderLog, deadPid, holderText, lockLeftovers, ownStartTicks, startChild } from '../support/lockTest.js';
import { tempDir } from '../support/tempDir.js';
import { expectReject } from './ledgerStoreContract.js';

const lockCycle = script('lockCycle');

/** The events of a store, read back without the lock, after checking the whole chain. */
async function storedSessions(dir: string): Promise<{ count: number; valid: boolean; ids: string[] }> {
  const ledger = await Ledger.open(await DirectoryStore.open(dir, { readOnly: true }));
  try {
    const v = await ledger.verifyChain();
    const ids: string[] = [];
    for await (const e of ledger.readSince(-1)) ids.push((e.payload as { session_id: string }).session_id);
    return { count: v.count, valid: v.valid, ids };
  } finally {
    await ledger.close();
  }
}

/** Acks of all children: every sequence once, and the stored event at it is the acked one. */
function expectAcksStored(children: RunningChild[], ids: string[]): number {
  const acks = children.flatMap((c) => c.lines.filter((l) => l.startsWith('ack ')).map((l) => l.split(' ')));
  const sequences = acks.map((a) => Number(a[1]));
  expect(new Set(sequences).size, 'duplicate acknowledged sequences').to.equal(sequences.length);
  for (const [, seq, id] of acks) expect(ids[Number(seq)], `acknowledged ${id} at ${seq}`).to.equal(id);
  return acks.length;
}

const errorsOf = (children: RunningChild[]): string[] => children.flatMap((c) => c.lines.filter((l) => l.startsWith('error')));

describe('DirectoryStore writer lock: never two holders', function () {
  let dir: string;
  let work: string;
  const cleanups: Array<() => void> = [];
  beforeEach(() => {
    const store = tempDir();
    const scratch = tempDir('fmwk-ledger-lock-');
    dir = store.dir;
    work = scratch.dir;
    cleanups.push(store.remove, scratch.remove);
  });
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('a writer slowed just before its lock becomes visible (strace delays it 3 s) never shares the lock with a second opener', async () => {
    const log = join(work, 'holders.log');
    const gate = join(work, 'go');
    const lock = join(dir, 'ledger.lock');
    // Every syscall of A that touches the lock path (the write of an old-style record into it, or
    // the link() that publishes a new-style one) is held for 3 s on entry.
    const a = startChild('strace', ['-f', '-qq', '-o', join(work, 'a.trace'), '-P', lock, '-e', 'trace=write,link,linkat', '-e', 'inject=write,link,linkat:delay_enter=3000000', process.execPath, lockCycle, dir, log, 'A', '1', '1', '1000']);
    // B holds longer than A is stalled, so a stalled A that wrongly believes it holds the lock
    // would enter while B is still inside.
    const b = startChild(process.execPath, [lockCycle, dir, log, 'B', '1', '1', '5000'], { env: { ...process.env, LOCK_CYCLE_GATE: gate } });
    await b.waitFor((l) => l === 'ready');
    // A is inside its slowed lock step once anything of the lock appears in the directory.
    const t0 = Date.now();
    while (lockLeftovers(dir).length === 0) {
      if (Date.now() - t0 > 60_000) expect.fail(`A never started taking the lock: ${a.lines.join('\n')}`);
      await sleep(5);
    }
    writeFileSync(gate, '');
    await Promise.all([a.exited, b.exited]);
    expect(errorsOf([a, b])).to.deep.equal([]);
    const holders = checkHolderLog(log);
    expect(holders.doubles).to.deep.equal([]);
    // B took the lock while A was stalled (the window was hit), A only after B let go.
    expect(holders.order).to.deep.equal(['B', 'A']);
    const stored = await storedSessions(dir);
    expect(stored).to.deep.include({ valid: true, count: 2 });
    expectAcksStored([a, b], stored.ids);
    expect(lockLeftovers(dir)).to.deep.equal([]);
  });

  it('stress: 4 processes x open / append 5 / close for 20 s: 0 double holders, 0 duplicate sequences, 0 lost acks, chain valid', async () => {
    const log = join(work, 'holders.log');
    const gate = join(work, 'go');
    const deadline = String(Date.now() + 20_000);
    const children = ['p0', 'p1', 'p2', 'p3'].map((tag) =>
      startChild(process.execPath, [lockCycle, dir, log, tag, '100000', '5', '0', deadline], { env: { ...process.env, LOCK_CYCLE_GATE: gate } }),
    );
    await Promise.all(children.map((c) => c.waitFor((l) => l === 'ready')));
    writeFileSync(gate, '');
    await Promise.all(children.map((c) => c.exited));
    expect(errorsOf(children)).to.deep.equal([]);
    const holders = checkHolderLog(log);
    expect(holders.doubles).to.deep.equal([]);
    const stored = await storedSessions(dir);
    expect(stored.valid).to.equal(true);
    const acked = expectAcksStored(children, stored.ids);
    expect(stored.count).to.equal(acked); // nothing stored that was not acknowledged, nothing lost
    expect(acked).to.equal(holders.holds * 5);
    expect(new Set(holders.order).size, 'every process held the lock at some point').to.equal(4);
    expect(holders.holds).to.be.greaterThan(8);
    expect(lockLeftovers(dir)).to.deep.equal([]);
    const refused = children.map((c) => Number(c.lines.find((l) => l.startsWith('done '))!.split(' ')[2]));
    process.stderr.write(`      lock stress: ${holders.holds} holds, ${acked} appends, ${refused.reduce((x, y) => x + y, 0)} refused opens, 0 double holders\n`);
  });

  it('a SIGKILLed holder\'s lock is recovered by exactly one of 4 racing contenders at a time, leaving no temp or claim file', async () => {
    const log = join(work, 'holders.log');
    let expected = 0;
    for (let round = 0; round < 2; round++) {
      const victim = startNode(lockCycle, [dir, log, `dead${round}`, '1', '3', '600000']);
      await victim.waitFor((l) => l.startsWith('ack ') && l.endsWith('-2'));
      victim.child.kill('SIGKILL');
      await victim.exited;
      appendFileSync(log, `killed dead${round}\n`);
      expected += 3;
      expect(lockLeftovers(dir)).to.deep.equal(['ledger.lock']);
      const gate = join(work, `go${round}`);
      const contenders = [0, 1, 2, 3].map((i) =>
        startChild(process.execPath, [lockCycle, dir, log, `r${round}c${i}`, '2', '2', '20'], { env: { ...process.env, LOCK_CYCLE_GATE: gate } }),
      );
      await Promise.all(contenders.map((c) => c.waitFor((l) => l === 'ready')));
      writeFileSync(gate, '');
      await Promise.all(contenders.map((c) => c.exited));
      expect(errorsOf(contenders)).to.deep.equal([]);
      expected += 4 * 2 * 2;
      const stored = await storedSessions(dir);
      expect(stored).to.deep.include({ valid: true, count: expected });
      expectAcksStored([victim, ...contenders], stored.ids);
      expect(lockLeftovers(dir)).to.deep.equal([]);
    }
    expect(checkHolderLog(log).doubles).to.deep.equal([]);
  });

  it('an empty lock file (older version, or a writer that died creating it) is refused, saying what to check and remove by hand', async () => {
    const lock = join(dir, 'ledger.lock');
    for (const content of ['', '{"pid":12', 'not json\n', '{"pid":1}\n']) {
      writeFileSync(lock, content);
      const e = await expectReject(DirectoryStore.open(dir), LedgerLockedError);
      expect(e.message).to.contain(lock).and.match(/check that no process uses this store/).and.match(/remove .*ledger\.lock by hand/);
      if (content === '') expect(e.message).to.match(/is empty/);
      expect(readFileSync(lock, 'utf8')).to.equal(content); // left exactly as found
      expect(readdirSync(dir)).to.deep.equal(['ledger.lock']); // nothing created
    }
  });

  it('a symlink (to a dead holder\'s record, or dangling), a directory or a FIFO at the lock path is refused without following or blocking', async () => {
    const lock = join(dir, 'ledger.lock');
    const victim = join(work, 'victim');
    const record = holderText(deadPid());
    writeFileSync(victim, record);
    symlinkSync(victim, lock);
    let e = await expectReject(DirectoryStore.open(dir), LedgerLockedError);
    expect(e.message).to.match(/symbolic link/).and.contain(lock);
    expect(lstatSync(lock).isSymbolicLink()).to.equal(true);
    expect(readFileSync(victim, 'utf8')).to.equal(record);

    unlinkSync(lock);
    symlinkSync(join(work, 'nowhere'), lock);
    e = await expectReject(DirectoryStore.open(dir), LedgerLockedError);
    expect(e.message).to.match(/symbolic link/);
    expect(existsSync(join(work, 'nowhere'))).to.equal(false);

    unlinkSync(lock);
    mkdirSync(lock);
    e = await expectReject(DirectoryStore.open(dir), LedgerLockedError);
    expect(e.message).to.match(/not a regular file \(a directory\)/);
    execFileSync('rmdir', [lock]);

    execFileSync('mkfifo', [lock]);
    // In a child: a reader that opens a FIFO without O_NONBLOCK would hang there.
    const child = startNode(script('openOnce'), [dir]);
    const timer = setTimeout(() => child.child.kill('SIGKILL'), 20_000);
    await child.exited;
    clearTimeout(timer);
    expect(child.lines.join('\n')).to.match(/^error LedgerLockedError .*not a regular file \(a special file\)/);
    expect(readdirSync(dir).sort()).to.deep.equal(['ledger.lock']);
  });

  it('only a provably gone holder is stolen: another host or a live pid is refused, a reused pid (other start ticks) is recovered', async () => {
    const lock = join(dir, 'ledger.lock');
    writeFileSync(lock, holderText(deadPid(), { host: 'some-other-host' }));
    let e = await expectReject(DirectoryStore.open(dir), LedgerLockedError);
    expect(e.message).to.match(/locked by another writer \(pid \d+ on some-other-host since /);

    writeFileSync(lock, holderText(process.pid, { startTicks: ownStartTicks() }));
    e = await expectReject(DirectoryStore.open(dir), LedgerLockedError);
    expect(e.message).to.contain(`pid ${process.pid}`);

    writeFileSync(lock, holderText(process.pid, { startTicks: null })); // start unknown: cannot prove a reuse
    await expectReject(DirectoryStore.open(dir), LedgerLockedError);

    writeFileSync(lock, holderText(process.pid, { startTicks: '1' })); // this pid now belongs to another start
    const store = await DirectoryStore.open(dir);
    expect(readFileSync(lock, 'utf8')).to.contain(`"start_ticks":"${ownStartTicks()}"`);
    await store.close();
    expect(lockLeftovers(dir)).to.deep.equal([]);
  });

  it('a removal claim left by a killed reaper is recovered; a claim that cannot be read is refused for a person to check', async () => {
    const lock = join(dir, 'ledger.lock');
    const dead = holderText(deadPid());
    writeFileSync(lock, dead);
    const claim = reapClaimPath(lock, lock, dead);
    writeFileSync(claim, holderText(deadPid())); // the reaper died holding its claim
    const store = await DirectoryStore.open(dir);
    await store.close();
    expect(lockLeftovers(dir)).to.deep.equal([]);

    writeFileSync(lock, dead);
    writeFileSync(claim, '');
    const e = await expectReject(DirectoryStore.open(dir), LedgerLockedError);
    expect(e.message).to.contain(claim).and.match(/remove .* by hand/);
    expect(readFileSync(lock, 'utf8')).to.equal(dead); // the stale lock was not touched either
  });

  it('temp files and claims of dead processes are cleared by the next holder; a live process\'s are left alone', async () => {
    const dead = deadPid();
    const deadTemp = join(dir, `ledger.lock.tmp-${dead}-${'c'.repeat(32)}`);
    const liveTemp = join(dir, `ledger.lock.tmp-${process.pid}-${'d'.repeat(32)}`);
    const deadClaim = join(dir, `ledger.lock.reap-${'e'.repeat(32)}`);
    writeFileSync(deadTemp, holderText(dead));
    writeFileSync(liveTemp, '');
    writeFileSync(deadClaim, holderText(deadPid()));
    const store = await DirectoryStore.open(dir);
    expect(lockLeftovers(dir).sort()).to.deep.equal(['ledger.lock', `ledger.lock.tmp-${process.pid}-${'d'.repeat(32)}`]);
    await store.close();
  });

  it('an append refuses once the writer\'s lock file was removed or replaced behind it, and close leaves a foreign lock alone', async () => {
    const lock = join(dir, 'ledger.lock');
    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    expect((await ledger.append(sessionStart('a'))).sequence).to.equal(0);
    unlinkSync(lock);
    let e = await expectReject(ledger.append(sessionStart('b')), LedgerLockedError);
    expect(e.message).to.match(/no longer holds the lock .*removed/);
    const foreign = holderText(deadPid());
    writeFileSync(lock, foreign);
    e = await expectReject(ledger.append(sessionStart('c')), LedgerLockedError);
    expect(e.message).to.match(/replaced or changed/);
    await ledger.close();
    expect(readFileSync(lock, 'utf8')).to.equal(foreign);
    expect((await storedSessions(dir)).ids).to.deep.equal(['a']);
  });

  it('one process cannot open the same store for writing twice', async () => {
    const store = await DirectoryStore.open(dir);
    const e = await expectReject(DirectoryStore.open(dir), LedgerLockedError);
    expect(e.message).to.contain(`pid ${process.pid}`);
    await store.close();
    expect(lockLeftovers(dir)).to.deep.equal([]);
  });
});
