// Primary + asynchronous replica on two real immudb servers: reads from the replica converge,
// lag is reported exactly, read-your-writes waits / falls back / fails typed, appending to a
// replica is refused with nothing written, and every read command works on a replica address.

import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { LedgerFailoverError, LedgerReadOnlyError, LedgerReplicaLagError, LedgerValidationError } from '../../../src/errors/errors.js';
import { Ledger } from '../../../src/ledger/ledger.js';
import { bootstrapImmudb } from '../../../src/stores/immudb/bootstrapImmudb.js';
import { connectImmudbSession } from '../../../src/stores/immudb/connectImmudbSession.js';
import type { ImmudbConfig } from '../../../src/stores/immudb/immudbConfig.js';
import { ImmudbStore } from '../../../src/stores/immudb/immudbStore.js';
import { promoteImmudb } from '../../../src/stores/immudb/promoteImmudb.js';
import { ReplicatedImmudbStore } from '../../../src/stores/immudb/replicatedImmudbStore.js';
import { capture } from '../../support/cliCapture.js';
import { sessionStart } from '../../support/fixtures.js';
import { addressOn, configOn, disposeImmudbServers, startImmudbServers } from '../../support/immudbCluster.js';
import type { ImmudbTestServer } from '../../support/immudbServer.js';
import { rejection } from '../../support/rejection.js';
import { tempDir } from '../../support/tempDir.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = capture();
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

async function tipOf(config: ImmudbConfig): Promise<number> {
  const store = await ImmudbStore.open(config);
  try {
    return (await store.tip()).sequence_number;
  } finally {
    await store.close();
  }
}

async function waitForTip(config: ImmudbConfig, sequence: number, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await tipOf(config)) < sequence) {
    if (Date.now() > deadline) throw new Error(`replica did not reach ${sequence} in ${ms} ms`);
    await sleep(50);
  }
}

/** Points the replica's replication at `port` (a dead one pauses it; the primary's resumes it). */
async function replicateFrom(replica: ImmudbConfig, port: number): Promise<void> {
  const admin = await connectImmudbSession(replica, 'defaultdb');
  try {
    await admin.updateDatabaseV2({ database: replica.database, settings: { replicationSettings: { replica: { value: true }, primaryPort: { value: port } } } });
  } finally {
    await admin.close();
  }
}

describe('immudb primary + asynchronous replica (two real servers)', function () {
  let servers: ImmudbTestServer[];
  let primary: ImmudbConfig;
  let replica: ImmudbConfig;
  let replica2: ImmudbConfig;
  let primaryServer: ImmudbTestServer;

  before(async function () {
    servers = await startImmudbServers(2);
    const [p, r] = servers as [ImmudbTestServer, ImmudbTestServer];
    primaryServer = p;
    primary = configOn(p, 'ledger');
    replica = configOn(r, 'ledger_replica');
    replica2 = configOn(r, 'ledger_replica2');
    await bootstrapImmudb(primary);
    await bootstrapImmudb(replica2, { replicaOf: primary });
    // Through the CLI, as an operator would: credentials from the configuration (test defaults).
    const made = await cli(['bootstrap', '--store', addressOn(r, 'ledger_replica'), '--replica-of', addressOn(p, 'ledger')]);
    expect(made.code, made.err).to.equal(0);
    expect(JSON.parse(made.out)).to.deep.equal({ store: addressOn(r, 'ledger_replica'), created: true, replica_of: addressOn(p, 'ledger'), sync: false });
    const again = await cli(['bootstrap', '--store', addressOn(r, 'ledger_replica'), '--replica-of', addressOn(p, 'ledger')]);
    expect(JSON.parse(again.out).created).to.equal(false);
  });

  after(async function () {
    await disposeImmudbServers(servers ?? []);
  });

  it('appends on the primary, reads from the replica: the replica converges to the same lines', async function () {
    const ledger = await Ledger.open(await ReplicatedImmudbStore.open(primary, [replica]));
    try {
      for (let i = 0; i < 20; i++) await ledger.append(sessionStart(`s${i}`));
      // 'wait' (the default): the read waits until the replica holds this store's appends.
      const read = [];
      for await (const e of ledger.readRange(0, 19)) read.push(e.sequence);
      expect(read).to.deep.equal([...Array(20).keys()]);
      expect((await ledger.verifyChain()).valid).to.equal(true);
    } finally {
      await ledger.close();
    }
    await waitForTip(replica, 19);
    const lines = async (c: ImmudbConfig) => {
      const s = await ImmudbStore.open(c);
      const out: string[] = [];
      for await (const l of s.scanLines(0)) out.push(l.line);
      await s.close();
      return out;
    };
    expect(await lines(replica)).to.deep.equal(await lines(primary));
  });

  it('lag: each replica\'s tip and how far behind; read-your-writes waits (bounded, typed), goes to the primary, or reads stale by choice', async function () {
    const store = await ReplicatedImmudbStore.open(primary, [replica], { readYourWritesTimeoutMs: 300 });
    const ledger = await Ledger.open(store);
    const start = (await store.tip()).sequence_number;
    await waitForTip(replica, start);
    expect(await store.replicaLag()).to.deep.equal([{ replica: store.description.replace(/^.*reads: (.*)\)$/, '$1'), tip: start, behind: 0 }]);
    // Pause replication deterministically: point the replica at a port where nothing listens.
    await replicateFrom(replica, 1);
    try {
      for (let i = 0; i < 5; i++) await ledger.append(sessionStart(`lag${i}`));
      const [lag] = await store.replicaLag();
      expect(lag).to.include({ tip: start, behind: 5 });
      expect(await ledger.replicaLag(), 'the ledger reports what its store does').to.deep.equal(await store.replicaLag());
      // wait: bounded, then LedgerReplicaLagError naming replica, sequence and replica tip.
      const t0 = Date.now();
      const e = await rejection(store.readLine(start + 5));
      expect(e).to.be.instanceOf(LedgerReplicaLagError);
      expect(e).to.include({ code: 'LEDGER_REPLICA_LAG', sequence: start + 5, replicaTip: start });
      expect(Date.now() - t0).to.be.within(250, 5_000);
      // A sequence learnt elsewhere (another writer, a session token) is required the same way.
      const fresh = await ReplicatedImmudbStore.open(primary, [replica], { readYourWritesTimeoutMs: 100 });
      expect(await fresh.readLine(start + 5)).to.equal(undefined); // no requirement yet: the replica as it is
      fresh.requireSequence(start + 5);
      expect(await rejection(fresh.readLine(start + 5))).to.be.instanceOf(LedgerReplicaLagError);
      expect(() => fresh.requireSequence(-2)).to.throw(LedgerValidationError);
      await fresh.close();
      // With a second replica that is caught up, reads go there instead of waiting on the lagging one.
      const two = await ReplicatedImmudbStore.open(primary, [replica, replica2], { readYourWritesTimeoutMs: 20_000 });
      two.requireSequence(start + 5);
      const t1 = Date.now();
      for (let i = 0; i < 4; i++) expect(JSON.parse((await two.readLine(start + 5)) ?? 'null')).to.include({ sequence: start + 5 });
      expect(Date.now() - t1).to.be.below(15_000);
      expect((await two.replicaLag()).map((l) => l.behind)).to.deep.equal([5, 0]);
      await two.close();
      // primary: the read is served by the primary.
      const fallback = await ReplicatedImmudbStore.open(primary, [replica], { readYourWrites: 'primary' });
      const fallbackLedger = await Ledger.open(fallback);
      const { sequence: seq } = await fallbackLedger.append(sessionStart('mine'));
      expect(JSON.parse((await fallback.readLine(seq)) ?? 'null')).to.include({ sequence: seq });
      await fallbackLedger.close();
      // off: the replica as it is (it does not hold the new events yet).
      const stale = await ReplicatedImmudbStore.open(primary, [replica], { readYourWrites: 'off' });
      expect(await stale.readLine(start + 5)).to.equal(undefined);
      await stale.close();
    } finally {
      await replicateFrom(replica, primaryServer.port);
    }
    const target = (await store.tip()).sequence_number;
    await waitForTip(replica, target);
    expect((await store.replicaLag())[0]).to.include({ tip: target, behind: 0 });
    await ledger.close();
  });

  it('immudb\'s proofs checked on replica reads (verify option); a database name shared with the primary is refused', async function () {
    const { dir, remove } = tempDir();
    try {
      const trustedStateFile = join(dir, 'trusted.json');
      const ledger = await Ledger.open(await ReplicatedImmudbStore.open(primary, [replica], { verify: { trustedStateFile } }));
      try {
        const { sequence: seq } = await ledger.append(sessionStart('proven'));
        let n = 0;
        for await (const _ of ledger.readRange(0, seq)) n++;
        expect(n).to.equal(seq + 1);
      } finally {
        await ledger.close();
      }
      const r = servers[1] as ImmudbTestServer;
      const sameName = configOn(r, 'ledger');
      const e = await rejection(ReplicatedImmudbStore.open(primary, [sameName], { verify: { trustedStateFile } }));
      expect(e).to.be.instanceOf(LedgerValidationError);
      expect((e as Error).message).to.contain('share the database name "ledger"');
    } finally {
      remove();
    }
  });

  it('appending to a replica is refused (LedgerReadOnlyError) and writes nothing; a read-only ledger on the replica alone reads', async function () {
    const before = await tipOf(replica);
    // Directly on the replica database: immudb refuses, the store maps it.
    const direct = await Ledger.open(await ImmudbStore.open(replica));
    try {
      const e = await rejection(direct.append(sessionStart('forbidden')));
      expect(e).to.be.instanceOf(LedgerReadOnlyError);
      expect(e).to.include({ code: 'LEDGER_READ_ONLY' });
      expect((e as Error).message).to.contain('replica');
    } finally {
      await direct.close();
    }
    // A replicated store opened on replicas only refuses before reaching any server.
    const readOnly = await Ledger.open(await ReplicatedImmudbStore.open(undefined, [replica]));
    try {
      const e = await rejection(readOnly.append(sessionStart('forbidden')));
      expect(e).to.be.instanceOf(LedgerReadOnlyError);
      expect((await readOnly.getTip()).sequence_number).to.equal(before);
      expect((await readOnly.verifyChain()).valid).to.equal(true);
    } finally {
      await readOnly.close();
    }
    expect(await tipOf(replica)).to.equal(before);
  });

  it('every read command works with --store naming the replica (tip, read, export, verify, replay)', async function () {
    const address = addressOn(servers[1] as ImmudbTestServer, 'ledger_replica');
    const last = await tipOf(replica);
    const tip = await cli(['tip', '--store', address]);
    expect(tip.code, tip.err).to.equal(0);
    expect(JSON.parse(tip.out).sequence_number).to.equal(last);
    const read = await cli(['read', '--store', address, '3']);
    expect(read.code, read.err).to.equal(0);
    expect(JSON.parse(read.out).sequence).to.equal(3);
    const exported = await cli(['export', '--store', address]);
    expect(exported.code, exported.err).to.equal(0);
    expect(exported.out.trim().split('\n')).to.have.length(last + 1);
    const verified = await cli(['verify', '--store', address]);
    expect(verified.code, verified.err).to.equal(0);
    expect(JSON.parse(verified.out.trim().split('\n').at(-1) ?? '')).to.deep.equal({ valid: true, break_at: null, count: last + 1 });
    const { dir, remove } = tempDir();
    try {
      writeFileSync(join(dir, 'p.mjs'), `export default [{ name: 'count', version: 1, initial: 0, apply: (n) => n + 1 }];\n`);
      const replayed = await cli(['replay', '--store', address, '--projections', join(dir, 'p.mjs'), '--no-snapshots']);
      expect(replayed.code, replayed.err).to.equal(0);
      expect(JSON.parse(replayed.out.trim().split('\n').at(-1) ?? '')).to.deep.equal({ sequence: last, states: { count: last + 1 } });
    } finally {
      remove();
    }
  });

  it('promote refuses, changing nothing: a primary, an asynchronous replica, a replica whose primary still answers', async function () {
    const r = servers[1] as ImmudbTestServer;
    const onPrimary = await rejection(promoteImmudb(primary));
    expect(onPrimary).to.be.instanceOf(LedgerFailoverError);
    expect(onPrimary).to.include({ reason: 'not-replica' });
    const asyncReplica = await cli(['promote', '--store', addressOn(r, 'ledger_replica'), '--json']);
    expect(asyncReplica.code).to.equal(2);
    expect(JSON.parse(asyncReplica.err).error).to.include({ code: 'LEDGER_FAILOVER' });
    expect(JSON.parse(asyncReplica.err).error.message).to.contain('asynchronous replica');
    const alive = await rejection(promoteImmudb(replica, { allowAsync: true }));
    expect(alive).to.include({ reason: 'primary-reachable' });
    // Still a replica (refuses appends) and still following: the primary's next event arrives.
    const direct = await Ledger.open(await ImmudbStore.open(replica));
    expect(await rejection(direct.append(sessionStart('x')))).to.be.instanceOf(LedgerReadOnlyError);
    await direct.close();
    const writer = await Ledger.open(await ImmudbStore.open(primary));
    const { sequence: seq } = await writer.append(sessionStart('after-refusals'));
    await writer.close();
    await waitForTip(replica, seq);
  });

  it('a wrong password: bootstrap and promote fail typed, and no output carries the password', async function () {
    const saved = process.env['IMMUDB_PASSWORD'];
    process.env['IMMUDB_PASSWORD'] = 'Wrong-S3cret-4711';
    try {
      const r = servers[1] as ImmudbTestServer;
      for (const args of [
        ['bootstrap', '--store', addressOn(r, 'ledger_replica3'), '--replica-of', addressOn(primaryServer, 'ledger')],
        ['promote', '--store', addressOn(r, 'ledger_replica')],
      ]) {
        const run = await cli([...args, '--json']);
        expect(run.code, args[0]).to.equal(2);
        expect(JSON.parse(run.err).error).to.include({ code: 'LEDGER_CONNECTION' });
        expect(run.out + run.err, args[0]).not.to.contain('S3cret');
      }
    } finally {
      if (saved === undefined) delete process.env['IMMUDB_PASSWORD'];
      else process.env['IMMUDB_PASSWORD'] = saved;
    }
  });

  it('refuses a database as a replica of itself, an existing plain database as a replica, and --sync without --replica-of', async function () {
    const r = servers[1] as ImmudbTestServer;
    await bootstrapImmudb(configOn(r, 'plain'));
    const plain = await cli(['bootstrap', '--store', addressOn(r, 'plain'), '--replica-of', addressOn(primaryServer, 'ledger')]);
    expect(plain.code).to.equal(2);
    expect(plain.err).to.contain('exists and is not a replica of');
    const self = await cli(['bootstrap', '--store', addressOn(primaryServer, 'ledger'), '--replica-of', addressOn(primaryServer, 'ledger')]);
    expect(self.code).to.equal(2);
    expect(self.err).to.contain('cannot be a replica of itself');
    const sync = await cli(['bootstrap', '--store', addressOn(primaryServer, 'ledger'), '--sync']);
    expect(sync.code).to.equal(2);
    expect(sync.err).to.contain('--sync needs --replica-of');
  });
});
