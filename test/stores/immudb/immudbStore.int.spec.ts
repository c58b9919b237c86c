// ImmudbStore against a real immudb 1.11.1 server (the shared test server): the conformance
// suite, then what only this store has: revision pinning, bootstrap, failing fast, credentials.

import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Ledger, LedgerConnectionError, LedgerCorruptionError, LedgerSequenceError } from '../../../src/index.js';
import { bootstrapImmudb } from '../../../src/stores/immudb/bootstrapImmudb.js';
import { resolveImmudbConfig } from '../../../src/stores/immudb/immudbConfig.js';
import { ImmudbStore } from '../../../src/stores/immudb/immudbStore.js';
import { KeyLayout } from '../../../src/stores/immudb/keyLayout.js';
import { sessionStart } from '../../support/fixtures.js';
import { freshImmudbConfig, freshImmudbStore, TEST_DATABASE } from '../../support/immudbTestStores.js';
import { closeRawImmudbNodeClient, openRawImmudbNodeClient } from '../../support/rawImmudbNodeClient.js';
import { sharedImmudb } from '../../support/sharedImmudb.js';
import { ledgerStoreConformance } from '../../../src/testing.js';
import { expectReject } from '../ledgerStoreContract.js';
import { parseEventLine } from '../../../src/contract/eventLine.js';
import { indexFieldsOf } from '../../../src/ledger/ledgerStore.js';

ledgerStoreConformance('ImmudbStore', async () => {
  const { store, config } = await freshImmudbStore();
  const opened: ImmudbStore[] = [store];
  return {
    store,
    reopen: async () => {
      const again = await ImmudbStore.open(config);
      opened.push(again);
      return again;
    },
    cleanup: async () => {
      for (const s of opened) await s.close();
    },
  };
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('ImmudbStore on immudb 1.11.1', function () {
  const closeLater: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    while (closeLater.length > 0) await closeLater.pop()!.close().catch(() => undefined);
  });

  async function ledgerWith(events: number) {
    const { store, config } = await freshImmudbStore();
    const ledger = await Ledger.open(store);
    closeLater.push(ledger);
    for (let i = 0; i < events; i++) await ledger.append(sessionStart(`s${i}`));
    return { ledger, store, config };
  }

  /** Writes `value` to the key of `sequence` with immudb-node, as someone outside the ledger would. */
  async function overwriteWithRawClient(keyPrefix: string, sequence: number, value: string): Promise<void> {
    const server = sharedImmudb();
    const raw = await openRawImmudbNodeClient({ host: server.host, port: server.port, user: 'immudb', password: 'immudb', database: TEST_DATABASE });
    try {
      await raw.set({ key: new KeyLayout(keyPrefix).keyOf(sequence).toString('utf8'), value });
    } finally {
      closeRawImmudbNodeClient(raw);
    }
  }

  describe('revision pinning', () => {
    it('a key overwritten by a raw client is LedgerCorruptionError at that sequence from read, readRange and verifyChain', async () => {
      const { ledger, config } = await ledgerWith(6);
      const original = await ledger.read(3);
      // A forged event that would even parse: same shape, other payload.
      await overwriteWithRawClient(config.keyPrefix, 3, JSON.stringify({ ...original, payload: { session_id: 'forged' } }));

      const fromRead = await expectReject(ledger.read(3), LedgerCorruptionError);
      expect((fromRead as LedgerCorruptionError).sequence).to.equal(3);
      expect(fromRead.message).to.match(/revision 2/);

      const fromRange = await expectReject(collect(ledger.readRange(0, 5)), LedgerCorruptionError);
      expect((fromRange as LedgerCorruptionError).sequence).to.equal(3);

      const verdict = await ledger.verifyChain();
      expect(verdict.valid).to.equal(false);
      expect(verdict.break_at).to.equal(3);

      // Neighbours are untouched and still readable.
      expect((await ledger.read(2)).payload).to.deep.equal({ session_id: 's2' });
      expect((await ledger.verifyChain(0, 2)).valid).to.equal(true);
    });

    it('a foreign key written among the ledger\'s keys is LedgerCorruptionError where it sorts', async () => {
      const { ledger, config, store } = await ledgerWith(12);
      const server = sharedImmudb();
      const raw = await openRawImmudbNodeClient({ host: server.host, port: server.port, user: 'immudb', password: 'immudb', database: TEST_DATABASE });
      try {
        // Sorts between ...0009 and ...0010.
        await raw.set({ key: `${config.keyPrefix}${'0'.repeat(19)}x`, value: 'foreign' });
      } finally {
        closeRawImmudbNodeClient(raw);
      }
      const e = await expectReject(collect(store.scanLines(0, 11)), LedgerCorruptionError);
      expect((e as LedgerCorruptionError).sequence).to.equal(10);
      expect(e.message).to.contain('foreign key');
      expect((await ledger.verifyChain()).break_at).to.equal(10);
      expect((await ledger.getTip()).sequence_number).to.equal(11);
    });

    it('an overwritten tip still opens with the tip of revision 1, and verifyChain reports it', async () => {
      const { ledger, config } = await ledgerWith(3);
      const tip = await ledger.getTip();
      await overwriteWithRawClient(config.keyPrefix, 2, 'not even json');
      const reopened = await Ledger.open(await ImmudbStore.open(config));
      closeLater.push(reopened);
      expect(await reopened.getTip()).to.deep.equal(tip);
      expect((await reopened.verifyChain()).break_at).to.equal(2);
      // An append reads the tip's timestamp (timestamps never go backwards, issue 13), so it meets
      // the rewrite and is refused naming the key, writing nothing; the forgery stays reported.
      const refused = (await expectReject(reopened.append(sessionStart('after-tamper')), LedgerCorruptionError)) as LedgerCorruptionError;
      expect(refused.sequence).to.equal(2);
      expect(refused.message).to.contain('revision 2');
      expect(await reopened.getTip()).to.deep.equal(tip);
      expect((await reopened.verifyChain()).break_at).to.equal(2);
    });
  });

  describe('appends', () => {
    it('an append whose sequence is not tip + 1 is LedgerSequenceError and writes nothing', async () => {
      const { store, ledger } = await ledgerWith(2);
      const tip = await store.tip();
      const line = (await store.readLine(1))!;
      for (const sequence of [1, 3, 0]) {
        const e = await expectReject(
          store.append([{ sequence, line, hash: tip.hash, event_id: randomUUID(), fields: indexFieldsOf(parseEventLine(line)) }]),
          LedgerSequenceError,
        );
        expect(e.message).to.contain(`sequence ${sequence}`);
      }
      expect(await store.tip()).to.deep.equal(tip);
      expect((await ledger.verifyChain()).valid).to.equal(true);
      expect(await store.readLine(3)).to.equal(undefined);
    });

    it('scanLines pages through more events than one Scan page holds', async () => {
      const { store, config } = await freshImmudbStore({ scanPageSize: 7 });
      const ledger = await Ledger.open(store);
      closeLater.push(ledger);
      for (let i = 0; i < 30; i++) await ledger.append(sessionStart(`p${i}`));
      const lines = await collect(store.scanLines(4, 25));
      expect(lines.map((l) => l.sequence)).to.deep.equal(Array.from({ length: 22 }, (_, i) => i + 4));
      expect((await ledger.verifyChain()).count).to.equal(30);
      expect(config.keyPrefix).to.match(/^test\//);
    });

    it('two stores on the same prefix see each other\'s appends (the tip is read from the server)', async () => {
      const { ledger, config } = await ledgerWith(2);
      const other = await ImmudbStore.open(config);
      closeLater.push(other);
      await ledger.append(sessionStart('later'));
      expect((await other.tip()).sequence_number).to.equal(2);
      expect((await collect(other.scanLines(0))).length).to.equal(3);
    });
  });

  describe('bootstrap and connecting', () => {
    it('bootstrap creates the database once and is idempotent', async () => {
      const server = sharedImmudb();
      const database = `boot_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      const config = resolveImmudbConfig({ env: server.env(database) });
      expect(await bootstrapImmudb(config)).to.deep.equal({ address: `immudb://127.0.0.1:${server.port}/${database}`, created: true });
      expect(await bootstrapImmudb(config)).to.deep.equal({ address: `immudb://127.0.0.1:${server.port}/${database}`, created: false });
      const store = await ImmudbStore.open(config);
      closeLater.push(store);
      expect((await store.tip()).sequence_number).to.equal(-1);
    });

    it('opening a database that was never bootstrapped fails fast with LedgerConnectionError naming the bootstrap command', async () => {
      const server = sharedImmudb();
      const started = Date.now();
      const e = await expectReject(ImmudbStore.open(resolveImmudbConfig({ env: server.env('never_bootstrapped') })), LedgerConnectionError);
      expect(Date.now() - started).to.be.below(2000);
      expect(e.message).to.contain(`fmwk-ledger bootstrap --store immudb://127.0.0.1:${server.port}/never_bootstrapped`);
    });

    it('wrong credentials fail with LedgerConnectionError that names the user but never the password', async () => {
      const server = sharedImmudb();
      const password = `pw-${randomUUID()}`;
      const config = resolveImmudbConfig({ env: { ...server.env(TEST_DATABASE), IMMUDB_PASSWORD: password } });
      const e = await expectReject(ImmudbStore.open(config), LedgerConnectionError);
      expect(e.message).to.contain('"immudb"');
      const everything = `${e.message}\n${e.stack}\n${JSON.stringify(config)}\n${String(config.password)}\n${String((e as Error & { cause?: unknown }).cause)}`;
      expect(everything).not.to.contain(password);
    });

    it('an unreachable server fails with LedgerConnectionError', async () => {
      const config = resolveImmudbConfig({ env: { IMMUDB_HOST: '127.0.0.1', IMMUDB_PORT: '1', IMMUDB_DATABASE: 'ledger' } });
      await expectReject(ImmudbStore.open(config, { callTimeoutMs: 2000 }), LedgerConnectionError);
    });

    it('a store on the default prefix uses keys event/<20 digits>', async () => {
      const server = sharedImmudb();
      const database = `layout_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      const config = resolveImmudbConfig({ env: server.env(database) });
      await bootstrapImmudb(config);
      const store = await ImmudbStore.open(config);
      const ledger = await Ledger.open(store);
      closeLater.push(ledger);
      await ledger.append(sessionStart('layout'));
      const line = await store.readLine(0);
      const raw = await openRawImmudbNodeClient({ host: server.host, port: server.port, user: 'immudb', password: 'immudb', database });
      try {
        const entry = await raw.get({ key: 'event/00000000000000000000' });
        expect(entry?.value).to.equal(line);
        expect(JSON.parse(entry!.value).payload).to.deep.equal({ session_id: 'layout' });
      } finally {
        closeRawImmudbNodeClient(raw);
      }
    });
  });

  it('stores opened in one test are independent of the others (fresh prefix)', async () => {
    const a = await freshImmudbConfig();
    const b = await freshImmudbConfig();
    expect(a.keyPrefix).not.to.equal(b.keyPrefix);
  });
});
