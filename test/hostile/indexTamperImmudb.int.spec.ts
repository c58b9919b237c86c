// Issue 21 §2, immudb store: immudb's own API lets anyone with write access logically Delete a
// key or write a revision that expires; immudb 1.11's reads, Scans and keyMustNotExist then
// treat the key as absent, History still lists it. Each attack hits an index key (an event id,
// a stream head, a query key) or rewrites one, against the shared real immudb server: the
// ledger must never write an event id twice or repeat a stream version, and `verify --store`
// must name the key (exit 3, apart from the chain).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Ledger, LedgerCorruptionError } from '../../src/index.js';
import { ImmudbStore } from '../../src/stores/immudb/immudbStore.js';
import { IndexKeyLayout } from '../../src/stores/immudb/keyLayout.js';
import type { ImmudbConfig } from '../../src/stores/immudb/immudbConfig.js';
import { freshImmudbStore, TEST_DATABASE } from '../support/immudbTestStores.js';
import { sharedImmudb } from '../support/sharedImmudb.js';
import { ImmudbEraser } from '../support/immudbEraser.js';
import { expectReject } from '../stores/ledgerStoreContract.js';
import { appendSpec } from '../support/indexRecords.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const id = (i: number): string => `01890a5d-ac96-774b-bcce-${String(i).padStart(12, '0')}`;
const ACTORS = ['system', 'agent', 'operator'] as const;
const EVENTS = 6;
const input = (i: number) => ({
  event_type: 'session_start' as const, schema_version: '1.0.0',
  provenance: { framework_id: 'FMWK-001', pack_id: 'PC-001-ledger', actor: ACTORS[i % 3]! },
  payload: { session_id: `s${i}` }, stream_id: `order-${i % 2}`, event_id: id(i),
});
const PAST = 1_000_000_000; // 2001: an expiry already passed

describe('hostile: deleted, expired and rewritten immudb index keys', function () {
  this.timeout(120_000);
  const closeLater: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    while (closeLater.length > 0) await closeLater.pop()!.close().catch(() => undefined);
  });

  async function setUp() {
    const { store, config } = await freshImmudbStore();
    const ledger = await Ledger.open(store);
    closeLater.push(ledger);
    for (let i = 0; i < EVENTS; i++) await ledger.append(input(i));
    const eraser = await ImmudbEraser.open();
    closeLater.push(eraser);
    return { ledger, config, eraser, layout: new IndexKeyLayout(config.keyPrefix) };
  }

  function verifyCli(config: ImmudbConfig) {
    const server = sharedImmudb();
    const r = spawnSync(process.execPath, [MAIN, 'verify', '--store', `immudb://${server.host}:${server.port}/${TEST_DATABASE}`], {
      encoding: 'utf8',
      env: { ...process.env, IMMUDB_USER: 'immudb', IMMUDB_PASSWORD: 'immudb', IMMUDB_KEY_PREFIX: config.keyPrefix },
    });
    return { code: r.status, stderr: r.stderr, last: JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown> };
  }

  /** The audit (as verify --store runs it) names `key` at `at`; the chain stays valid. */
  async function expectAuditNames(ledger: Ledger, at: number, key: Buffer, state: RegExp) {
    expect((await ledger.verifyChain()).valid).to.equal(true);
    const verdict = await ledger.store.index.audit!();
    expect(verdict, verdict.reason).to.include({ valid: false, break_at: at });
    expect(verdict.reason).to.contain(JSON.stringify(key.toString('utf8'))).and.to.match(state);
  }

  /** Each is refused naming the key, and nothing is written. */
  async function expectRefused(ledger: Ledger, key: Buffer, attempt: () => Promise<unknown>) {
    const before = await ledger.getTip();
    const e = await expectReject(attempt(), LedgerCorruptionError);
    expect(e.message).to.contain(JSON.stringify(key.toString('utf8')));
    expect(await ledger.getTip()).to.deep.equal(before);
  }

  for (const how of ['deleted', 'expired'] as const) {
    const erase = async (eraser: ImmudbEraser, key: Buffer, value: Buffer) => (how === 'deleted' ? eraser.delete(key) : eraser.setExpiring(key, value, PAST));

    it(`an event-id key ${how}: the retry of that event is refused naming the key, never written twice; verify --store names it`, async () => {
      const { ledger, config, eraser, layout } = await setUp();
      const key = layout.eventId(id(3));
      const held = await ledger.store.index.byEventId(id(3));
      expect(held?.sequence).to.equal(3);
      await erase(eraser, key, Buffer.from('{}'));
      await expectRefused(ledger, key, () => ledger.append(input(3)));
      await expectRefused(ledger, key, () => ledger.getByEventId(id(3)));
      // A fresh process, and the store's own precondition when the ledger's look-up is bypassed.
      const reopened = await Ledger.open(await ImmudbStore.open(config));
      closeLater.push(reopened);
      await expectRefused(reopened, key, () => reopened.append(input(3)));
      await expectAuditNames(reopened, 3, key, how === 'deleted' ? /deleted|rewritten/ : /expired|rewritten/);
      const cli = verifyCli(config);
      expect(cli.code, cli.stderr).to.equal(3);
      expect(cli.last).to.deep.equal({ valid: true, break_at: null, count: EVENTS, index: { valid: false, break_at: 3, count: 3 } });
    });

    it(`a stream head key ${how}: the next append to the stream is refused naming it, the version never repeated`, async () => {
      const { ledger, config, eraser, layout } = await setUp();
      // order-1 holds events 1, 3, 5 (versions 0..2): its head is version 2.
      const key = layout.stream('order-1', 2);
      await erase(eraser, key, Buffer.from('{}'));
      await expectRefused(ledger, key, () => ledger.append({ ...input(7), event_id: id(70) }));
      await expectRefused(ledger, key, () => ledger.append({ ...input(7), event_id: id(71), expected_version: 1 }));
      await expectRefused(ledger, key, () => ledger.streamHead('order-1'));
      await expectAuditNames(ledger, 5, key, how === 'deleted' ? /deleted|rewritten/ : /expired|rewritten/);
      const cli = verifyCli(config);
      expect(cli.code, cli.stderr).to.equal(3);
      // Another stream is untouched.
      expect((await ledger.append({ ...input(6), event_id: id(60) })).stream_version).to.equal(3);
    });

    for (const kind of ['t', 'a', 'f', 'm', 'q'] as const) {
      it(`a query key ${how} (${{ t: 'type', a: 'actor', f: 'framework', m: 'time', q: 'every event' }[kind]}): verify --store names the event the queries now omit`, async () => {
        const { ledger, eraser, layout } = await setUp();
        const event = await ledger.read(4);
        const value = { t: event.event_type, a: event.provenance.actor, f: event.provenance.framework_id, m: event.timestamp, q: '' }[kind];
        const key = layout.query(kind, value, 4);
        await erase(eraser, key, Buffer.from('{}'));
        await expectAuditNames(ledger, 4, key, how === 'deleted' ? /deleted|rewritten/ : /expired|rewritten/);
      });
    }
  }

  for (const how of ['deleted', 'expired'] as const) {
    it(`the store's own preconditions, the ledger's look-ups bypassed: an event-id key and a stream key ${how} are refused naming the key (keyNotModifiedAfterTX)`, async () => {
      const { ledger, eraser, layout } = await setUp();
      const store = ledger.store;
      const erase = (key: Buffer) => (how === 'deleted' ? eraser.delete(key) : eraser.setExpiring(key, Buffer.from('{}'), PAST));
      const idKey = layout.eventId(id(1));
      await erase(idKey);
      const dup = await expectReject(appendSpec(store, { event_id: id(1) }), LedgerCorruptionError);
      expect(dup.message).to.contain(JSON.stringify(idKey.toString('utf8')));
      const streamKey = layout.stream('order-0', 2); // order-0: events 0, 2, 4 (versions 0..2)
      await erase(streamKey);
      const again = await expectReject(appendSpec(store, { stream_id: 'order-0', stream_version: 2 }), LedgerCorruptionError);
      expect(again.message).to.contain(JSON.stringify(streamKey.toString('utf8')));
      expect((await store.tip()).sequence_number).to.equal(EVENTS - 1);
    });
  }

  it('a hash key deleted: getByHash refuses naming it instead of answering "no such event"', async () => {
    const { ledger, eraser, layout } = await setUp();
    const event = await ledger.read(2);
    const key = layout.hash(event.hash);
    await eraser.delete(key);
    await expectRefused(ledger, key, () => ledger.getByHash(event.hash));
    await expectAuditNames(ledger, 2, key, /deleted|rewritten/);
  });

  it('an index key rewritten (a second live revision with another value): look-ups refuse it, verify --store names it', async () => {
    const { ledger, config, eraser, layout } = await setUp();
    const key = layout.eventId(id(2));
    const forged = Buffer.from(JSON.stringify({ event_id: id(2), fields: { actor: 'system', event_type: 'session_start', framework_id: 'FMWK-001', timestamp: '2001-01-01T00:00:00.000Z' }, hash: `sha256:${'0'.repeat(64)}`, sequence: 0 }));
    await eraser.setExpiring(key, forged, 4_000_000_000); // expires in 2096: live
    await expectRefused(ledger, key, () => ledger.getByEventId(id(2)));
    await expectRefused(ledger, key, () => ledger.append(input(2)));
    await expectAuditNames(ledger, 2, key, /revision 2/);
    expect(verifyCli(config).code).to.equal(3);
  });

  it('an untouched ledger audits clean, and verify --store exits 0 with the usual line', async () => {
    const { ledger, config } = await setUp();
    expect(await ledger.store.index.audit!()).to.deep.equal({ valid: true, count: EVENTS, break_at: null });
    const cli = verifyCli(config);
    expect(cli.code, cli.stderr).to.equal(0);
    expect(cli.last).to.deep.equal({ valid: true, break_at: null, count: EVENTS });
  });
});
