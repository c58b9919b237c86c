// Connection loss under appends, against a dedicated server this file may kill: reads reconnect
// after 1 s and retry once; an append whose response was lost resolves its own outcome (look the
// event up, write it only if absent) and is never duplicated; if the server stays away, it fails
// with LedgerAppendUncertainError carrying event_id and sequence.

import { expect } from 'chai';
import { Ledger, LedgerAppendUncertainError, LedgerConnectionError, type LedgerEvent } from '../../../src/index.js';
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

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
      expect((await ledger.append(sessionStart('after'))).sequence).to.equal(2);
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

  it('the server is SIGKILLed while it holds an append, then restarted: the append resolves, the event is stored once', async () => {
    const proxy = await ConnectionCuttingProxy.start(server.host, server.port);
    const config = configFor({ ...server.env('ledger'), IMMUDB_PORT: String(proxy.port) });
    // A generous window: the restart must fall inside it even on a loaded machine.
    const ledger = await Ledger.open(await ImmudbStore.open(config, { appendResolveTimeoutMs: 60_000 }));
    try {
      await ledger.append(sessionStart('before'));
      // 0 ms: killed as the request arrives (it may or may not commit); 1000 ms: committed, answer lost.
      for (const [i, delayMs] of [0, 1000].entries()) {
        const cut = proxy.cutAfterNextRequest(delayMs);
        const appending = ledger.append(sessionStart(`killed-${i}`));
        await cut;
        await server.kill();
        await sleep(1500);
        await server.start();
        expect(await appending, `append ${i} learns its outcome`).to.equal(1 + i);
      }
      expect((await ledger.append(sessionStart('after'))).sequence).to.equal(3);
      expect(sessionIds(await collect(ledger.readSince(-1)))).to.deep.equal(['before', 'killed-0', 'killed-1', 'after']);
      expect(await ledger.verifyChain()).to.deep.equal({ valid: true, break_at: null, count: 4 });
    } finally {
      await ledger.close();
      await proxy.close();
    }
  });

  it('an append committed whose answer is lost while the server stays away: LedgerAppendUncertainError with event_id and sequence; the next append builds on the stored event', async () => {
    const proxy = await ConnectionCuttingProxy.start(server.host, server.port);
    const config = configFor({ ...server.env('ledger'), IMMUDB_PORT: String(proxy.port) });
    const ledger = await Ledger.open(await ImmudbStore.open(config, { appendResolveTimeoutMs: 2_000 }));
    try {
      await ledger.append(sessionStart('before'));
      const cut = proxy.cutAfterNextRequest(1000); // long enough for the synced commit
      const appending = ledger.append(sessionStart('landed'));
      await cut;
      await server.kill();
      const e = (await expectReject(appending, LedgerAppendUncertainError)) as LedgerAppendUncertainError;
      expect(e).to.be.instanceOf(LedgerConnectionError);
      expect(e.code).to.equal('LEDGER_APPEND_UNCERTAIN');
      expect(e.sequence).to.equal(1);
      expect(e.event_id).to.match(UUID_V7);
      expect(e.message).to.contain(e.event_id).and.to.match(/unknown outcome/);
      await server.start();
      // The caller reconciles by event_id: it landed, once.
      expect((await ledger.read(1)).event_id).to.equal(e.event_id);
      // The ledger re-reads the tip rather than guessing it: the next event goes after it.
      expect((await ledger.append(sessionStart('next'))).sequence).to.equal(2);
      expect(sessionIds(await collect(ledger.readSince(-1)))).to.deep.equal(['before', 'landed', 'next']);
      expect((await ledger.verifyChain()).valid).to.equal(true);
    } finally {
      await ledger.close();
      await proxy.close();
    }
  });

  it('a server that stays down past the bounded wait: LedgerAppendUncertainError; the store recovers when it is back', async () => {
    const ledger = await Ledger.open(await ImmudbStore.open(configFor(server.env('ledger')), { appendResolveTimeoutMs: 2_000 }));
    try {
      await ledger.append(sessionStart('up'));
      await server.kill();
      const started = Date.now();
      const e = (await expectReject(ledger.append(sessionStart('down')), LedgerAppendUncertainError)) as LedgerAppendUncertainError;
      expect(Date.now() - started).to.be.within(2_000, 20_000);
      expect(e.message).to.match(/immudb:\/\/127\.0\.0\.1:\d+\/ledger/);
      expect(e.sequence).to.equal(1);
      await server.start();
      // Reconciled: the event did not land, so sequence 1 is still free.
      expect((await ledger.append(sessionStart('back'))).sequence).to.equal(1);
      expect(sessionIds(await collect(ledger.readSince(-1)))).to.deep.equal(['up', 'back']);
    } finally {
      await ledger.close();
    }
  });
});
