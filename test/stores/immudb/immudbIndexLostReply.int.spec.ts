// A dropped reply with the index keys in the ExecAll: the store still resolves the append by
// reading key N (it landed, once, with all its index keys at revision 1), and a producer's retry
// with the same event_id, at the tip it re-reads, is refused by the server's event-id check with
// LedgerEventIdConflictError naming the original, which index.byEventId then returns.

import { expect } from 'chai';
import { Ledger } from '../../../src/index.js';
import { LedgerEventIdConflictError } from '../../../src/errors/errors.js';
import { sessionStart } from '../../support/fixtures.js';
import { ImmudbStore } from '../../../src/stores/immudb/immudbStore.js';
import { connectImmudbSession } from '../../../src/stores/immudb/connectImmudbSession.js';
import { IndexKeyLayout } from '../../../src/stores/immudb/keyLayout.js';
import { ConnectionCuttingProxy } from '../../support/connectionCuttingProxy.js';
import { freshImmudbConfig } from '../../support/immudbTestStores.js';
import { expectReject } from '../ledgerStoreContract.js';
import { appendSpec, buildRecord } from './indexRecords.js';

describe('ImmudbStore: a dropped append reply with index keys', function () {
  this.timeout(120_000);

  it('resolves the append from key N; the retry with the same event_id is LedgerEventIdConflictError naming it; byEventId returns the original', async () => {
    const direct = await freshImmudbConfig();
    const proxy = await ConnectionCuttingProxy.start(direct.host, direct.port);
    const store = await ImmudbStore.open({ ...direct, port: proxy.port }, { reconnectDelayMs: 100, appendResolveTimeoutMs: 20_000 });
    const raw = await connectImmudbSession(direct, direct.database);
    try {
      await appendSpec(store, { stream_id: 'orders', stream_version: 0 });
      const tip = await store.tip();
      const record = buildRecord(1, tip.hash, { stream_id: 'orders', stream_version: 1, event_id: '01890000-0000-7000-8000-0000000000bb' });
      const cut = proxy.cutAfterNextRequest(500); // the ExecAll reaches immudb; its answer never comes back
      const appending = store.append([record]);
      await cut;
      await appending; // resolved by reading key 1 after reconnecting: it holds this record
      expect(await store.index.byEventId(record.event_id)).to.deep.equal({ sequence: 1, hash: record.hash });
      expect((await store.index.streamHead('orders'))?.version).to.equal(1);

      // Every key of the event exists once, at revision 1: the resolution wrote nothing twice.
      const { entries } = await raw.scan({ prefix: Buffer.from(new IndexKeyLayout(direct.keyPrefix).base), desc: false, limit: 100 });
      expect(entries.length).to.equal(2 * 8);
      expect(entries.every((e) => e.revision === 1)).to.equal(true);

      // A producer that never learned the outcome retries with the same event_id at the tip it re-reads.
      const now = await store.tip();
      expect(now.sequence_number).to.equal(1);
      const retry = buildRecord(2, now.hash, { stream_id: 'orders', stream_version: 2, event_id: record.event_id });
      const e = (await expectReject(store.append([retry]), LedgerEventIdConflictError)) as LedgerEventIdConflictError;
      expect([e.event_id, e.sequence]).to.deep.equal([record.event_id, 1]);
      expect((await store.tip()).sequence_number).to.equal(1);
      expect(await store.index.byEventId(record.event_id)).to.deep.equal({ sequence: 1, hash: record.hash });
    } finally {
      await raw.close();
      await store.close();
      await proxy.close();
    }
  });

  it('through the Ledger: a producer that never got the reply retries with the same event_id and gets the original result, once', async () => {
    const direct = await freshImmudbConfig();
    const proxy = await ConnectionCuttingProxy.start(direct.host, direct.port);
    const ledger = await Ledger.open(await ImmudbStore.open({ ...direct, port: proxy.port }, { reconnectDelayMs: 100 }));
    try {
      await ledger.append(sessionStart('before'));
      const input = { ...sessionStart('once'), event_id: '01890000-0000-7000-8000-0000000000cc' };
      const cut = proxy.cutAfterNextRequest(500);
      const first = ledger.append(input);
      await cut;
      const original = await first;
      expect(original.sequence).to.equal(1);
      const again = await ledger.append(input); // the producer's retry
      expect(again).to.deep.equal(original);
      expect((await ledger.getTip()).sequence_number).to.equal(1);
      expect((await ledger.verifyChain()).valid).to.equal(true);
    } finally {
      await ledger.close();
      await proxy.close();
    }
  });
});
