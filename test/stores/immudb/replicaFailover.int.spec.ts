// Failover on real servers: a primary that commits only what its synchronous replica holds,
// SIGKILLed while a child process appends; the replica is promoted (CLI) and the ledger goes on
// there. Every append the child saw acknowledged is on the new primary with the same hash, the
// chain verifies, each sequence was written once (no fork), and appends continue.

import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { Ledger } from '../../../src/ledger/ledger.js';
import type { ImmudbConfig } from '../../../src/stores/immudb/immudbConfig.js';
import { ImmudbStore } from '../../../src/stores/immudb/immudbStore.js';
import { ReplicatedImmudbStore } from '../../../src/stores/immudb/replicatedImmudbStore.js';
import { script, startChild } from '../../support/childProcess.js';
import { capture } from '../../support/cliCapture.js';
import { sessionStart } from '../../support/fixtures.js';
import { addressOn, configOn, disposeImmudbServers, startImmudbServers } from '../../support/immudbCluster.js';
import type { ImmudbTestServer } from '../../support/immudbServer.js';
import { tempDir } from '../../support/tempDir.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = capture();
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe('immudb failover: primary + synchronous replica, primary SIGKILLed during appends, replica promoted', function () {
  let servers: ImmudbTestServer[] = [];
  const temp = tempDir();

  after(async function () {
    await disposeImmudbServers(servers);
    temp.remove();
  });

  it('every acknowledged event is on the promoted replica, the chain verifies, no fork, appends continue', async function () {
    servers = await startImmudbServers(2);
    const [p, r] = servers as [ImmudbTestServer, ImmudbTestServer];
    const replica: ImmudbConfig = configOn(r, 'ledger_replica');
    // The primary commits a transaction only once one synchronous replica holds it.
    const made = await cli(['bootstrap', '--store', addressOn(p, 'ledger'), '--sync-acks', '1']);
    expect(made.code, made.err).to.equal(0);
    const follower = await cli(['bootstrap', '--store', addressOn(r, 'ledger_replica'), '--replica-of', addressOn(p, 'ledger'), '--sync']);
    expect(follower.code, follower.err).to.equal(0);
    expect(JSON.parse(follower.out)).to.include({ sync: true, created: true });

    // Attack: promoting while the old primary still answers would make two primaries (a fork).
    const early = await cli(['promote', '--store', addressOn(r, 'ledger_replica'), '--json']);
    expect(early.code).to.equal(2);
    expect(JSON.parse(early.err).error).to.include({ code: 'LEDGER_FAILOVER' });
    expect(JSON.parse(early.err).error.message).to.contain('still accepts connections');

    const watcher = await ReplicatedImmudbStore.open(configOn(p, 'ledger'), [replica], { callTimeoutMs: 2_000, reconnectDelayMs: 100 });

    const ackFile = join(temp.dir, 'acks.txt');
    writeFileSync(ackFile, '');
    const appender = startChild(process.execPath, [script('immudbAppendLoop'), ackFile, 'fo'], { env: { ...process.env, ...p.env('ledger') } });
    await appender.waitFor((l) => l === 'ack 40');
    await p.kill(); // SIGKILL, appends in flight
    const exit = await appender.exited;
    expect(exit).to.equal(3);
    expect(appender.lines.at(-1)).to.match(/^error /);

    const acks = readFileSync(ackFile, 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string]);
    expect(acks.length).to.be.greaterThan(40);
    expect(acks.map(([s]) => Number(s))).to.deep.equal([...Array(acks.length).keys()]);

    // Lag with the primary gone: the replica's tip is still reported, "behind" is unknown, and why.
    // (Its readable tip may trail the acknowledgements: a synchronous replica holds the last
    // transactions precommitted until the primary's next round, or until promotion commits them.)
    const [lag] = await watcher.replicaLag();
    expect(lag?.tip).to.be.a('number');
    expect(lag?.behind).to.equal(undefined);
    expect(lag?.error).to.match(/^primary not readable: /);
    await watcher.close();

    const promoted = await cli(['promote', '--store', addressOn(r, 'ledger_replica')]);
    expect(promoted.code, promoted.err).to.equal(0);
    const report = JSON.parse(promoted.out) as { tip: number };
    expect(report).to.deep.include({ store: addressOn(r, 'ledger_replica'), promoted: true, former_primary: addressOn(p, 'ledger'), was_sync: true });
    expect(report.tip).to.be.at.least(acks.length - 1);

    const ledger = await Ledger.open(await ImmudbStore.open(replica));
    try {
      // Every acknowledged event, with the hash the old primary acknowledged.
      for (const [seq, hash] of acks) expect((await ledger.read(Number(seq))).hash, `sequence ${seq}`).to.equal(hash);
      const before = (await ledger.getTip()).sequence_number;
      expect(before).to.equal(report.tip);
      // The ledger continues on the new primary.
      for (let i = 0; i < 10; i++) expect(await ledger.append(sessionStart(`after-${i}`))).to.equal(before + 1 + i);
      // The chain verifies end to end; the store's reads fail on any key written twice (a fork).
      const verified = await ledger.verifyChain();
      expect(verified, JSON.stringify(verified)).to.include({ valid: true });
      expect(verified.count).to.equal(before + 11);
    } finally {
      await ledger.close();
    }
  });
});
