// Connection loss under appends, against a dedicated server this file may kill: the store
// reconnects after 1 s and retries once; an append whose response was lost is not duplicated.

import { expect } from 'chai';
import { Ledger, LedgerConnectionError, type LedgerEvent } from '../../../src/index.js';
import { bootstrapImmudb } from '../../../src/stores/immudb/bootstrapImmudb.js';
import { resolveImmudbConfig, type ImmudbConfig } from '../../../src/stores/immudb/immudbConfig.js';
import { ImmudbStore } from '../../../src/stores/immudb/immudbStore.js';
import { sessionStart } from '../../support/fixtures.js';
import { ConnectionCuttingProxy } from '../../support/connectionCuttingProxy.js';
import { ImmudbTestServer } from '../../support/immudbServer.js';
import { expectReject } from '../ledgerStoreContract.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const sessionIds = (events: LedgerEvent[]) => events.map((e) => (e.payload as { session_id: string }).session_id);

describe('ImmudbStore: lost connections', function () {
  this.timeout(180_000);
  let server: ImmudbTestServer;
  let prefixCounter = 0;

  before(async () => {
    server = new ImmudbTestServer();
    await server.start();
    await bootstrapImmudb(resolveImmudbConfig({ env: server.env('ledger') }));
  });
  after(async () => {
    await server?.dispose();
  });

  const prefixes = new WeakMap<Ledger, string>();
  const prefixOf = (ledger: Ledger) => prefixes.get(ledger)!;

  const configFor = (env: Record<string, string>): ImmudbConfig =>
    resolveImmudbConfig({ env: { ...env, IMMUDB_KEY_PREFIX: `reconnect/${++prefixCounter}/` } });

  it('an append whose response was lost is found on the server after the reconnect, not written twice', async () => {
    const proxy = await ConnectionCuttingProxy.start(server.host, server.port);
    const config = configFor({ ...server.env('ledger'), IMMUDB_PORT: String(proxy.port) });
    const ledger = await Ledger.open(await ImmudbStore.open(config));
    prefixes.set(ledger, config.keyPrefix);
    try {
      await ledger.append(sessionStart('before'));
      const cut = proxy.cutAfterNextRequest();
      const started = Date.now();
      const appending = ledger.append(sessionStart('response-lost'));
      await cut;
      // The store is now in its 1 s pause; a direct look shows the write was committed.
      const observer = await ImmudbStore.open(resolveImmudbConfig({ env: { ...server.env('ledger'), IMMUDB_KEY_PREFIX: prefixOf(ledger) } }));
      expect(await observer.readLine(1), 'the lost-response write is on the server').to.contain('"response-lost"');
      await observer.close();
      expect(await appending).to.equal(1);
      expect(Date.now() - started, 'reconnect waits about 1 s').to.be.within(1000, 10_000);
      expect(await ledger.append(sessionStart('after'))).to.equal(2);
      expect(sessionIds(await collect(ledger.readSince(-1)))).to.deep.equal(['before', 'response-lost', 'after']);
      expect((await ledger.verifyChain()).valid).to.equal(true);
    } finally {
      await ledger.close();
      await proxy.close();
    }
  });

  it('kill -9 and restart of the server in the middle of a run of appends: no duplicate, no loss', async () => {
    const config = configFor(server.env('ledger'));
    const ledger = await Ledger.open(await ImmudbStore.open(config));
    const total = 300;
    let connectionErrors = 0;
    let slowest = 0;
    let crash: Promise<void> | undefined;
    try {
      for (let i = 0; i < total; i++) {
        if (i === 100) {
          // Not awaited: the server dies while the next appends are in flight.
          crash = (async () => {
            await server.kill();
            await server.start();
          })();
        }
        const started = Date.now();
        for (;;) {
          try {
            await ledger.append(sessionStart(`r-${i}`));
            slowest = Math.max(slowest, Date.now() - started);
            break;
          } catch (e) {
            if (!(e instanceof LedgerConnectionError)) throw e;
            // The caller's policy after LedgerConnectionError (the store already retried once):
            // wait, then look whether the event landed before appending it again.
            connectionErrors++;
            await crash;
            const tip = await ledger.getTip();
            if (tip.sequence_number >= 0 && sessionIds([await ledger.read(tip.sequence_number)])[0] === `r-${i}`) break;
          }
        }
      }
      await crash;
      expect(slowest, 'an append was in flight when the server died and waited out the reconnect').to.be.at.least(1000);
      const events = await collect(ledger.readSince(-1));
      expect(sessionIds(events)).to.deep.equal(Array.from({ length: total }, (_, i) => `r-${i}`));
      expect(await ledger.verifyChain()).to.deep.equal({ valid: true, break_at: null, count: total });
      process.stderr.write(`      kill/restart: ${connectionErrors} LedgerConnectionError(s) surfaced to the caller; slowest append ${slowest} ms\n`);
    } finally {
      await ledger.close();
    }
  });

  it('a server that stays down gives LedgerConnectionError after one retry; the store recovers when it is back', async () => {
    const ledger = await Ledger.open(await ImmudbStore.open(configFor(server.env('ledger'))));
    try {
      await ledger.append(sessionStart('up'));
      await server.kill();
      const started = Date.now();
      const e = await expectReject(ledger.append(sessionStart('down')), LedgerConnectionError);
      expect(Date.now() - started).to.be.within(1000, 10_000);
      expect(e.message).to.match(/immudb:\/\/127\.0\.0\.1:\d+\/ledger/);
      await server.start();
      expect(await ledger.append(sessionStart('back'))).to.equal(1);
      expect(sessionIds(await collect(ledger.readSince(-1)))).to.deep.equal(['up', 'back']);
    } finally {
      await ledger.close();
    }
  });
});
