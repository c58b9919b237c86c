// The immudb store's indexes through the port (issue 13): every LedgerIndex call in both
// directions with limits, the server-side event-id and stream-version checks, keys that need
// escaping, scanLinesBackward, keys planted behind the ledger's back, and events written before
// the indexes existed (caught up at open, rebuild).

import { expect } from 'chai';
import { GENESIS_HASH, type AppendRecord } from '../../../src/index.js';
import { LedgerCorruptionError, LedgerEventIdConflictError, LedgerStreamConflictError, LedgerValidationError } from '../../../src/errors/errors.js';
import { ImmudbStore } from '../../../src/stores/immudb/immudbStore.js';
import { connectImmudbSession } from '../../../src/stores/immudb/connectImmudbSession.js';
import { IndexKeyLayout, KeyLayout } from '../../../src/stores/immudb/keyLayout.js';
import type { ImmudbConfig } from '../../../src/stores/immudb/immudbConfig.js';
import type { ImmudbSession } from '../../../src/stores/immudb/immudbRpc.js';
import { freshImmudbConfig } from '../../support/immudbTestStores.js';
import { expectReject } from '../ledgerStoreContract.js';
import { appendSpec, buildRecord, type RecordSpec } from './indexRecords.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
const seqs = (entries: { sequence: number }[]) => entries.map((e) => e.sequence);

describe('ImmudbStore: indexes (issue 13)', function () {
  this.timeout(120_000);
  let config: ImmudbConfig;
  let store: ImmudbStore;
  let raw: ImmudbSession;
  const opened: ImmudbStore[] = [];

  const open = async (options = {}) => {
    const s = await ImmudbStore.open(config, options);
    opened.push(s);
    return s;
  };
  /** Writes `key` = `value` straight to immudb, past the ledger: what anyone with write access can do. */
  const plant = (key: Buffer, value: Buffer | string) =>
    raw.execAll({ Operations: [{ kv: { key, value: Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8') } }], noWait: false, preconditions: [] });
  const indexKeys = () => new IndexKeyLayout(config.keyPrefix);
  const append = (spec: RecordSpec) => appendSpec(store, spec);

  beforeEach(async () => {
    config = await freshImmudbConfig();
    store = await open({ scanPageSize: 3 }); // small pages: every scan crosses page boundaries
    raw = await connectImmudbSession(config, config.database);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await raw.close();
  });

  /** Ten events: streams "order-1" (0..3) and "order-2" (0..2), three without a stream; two actors, two types. */
  async function seed(): Promise<AppendRecord[]> {
    const plan: RecordSpec[] = [
      { stream_id: 'order-1', stream_version: 0, event_type: 'opened', actor: 'alice' },
      { stream_id: 'order-2', stream_version: 0, event_type: 'opened', actor: 'bob', framework_id: 'FMWK-002' },
      { event_type: 'tick', actor: 'system' },
      { stream_id: 'order-1', stream_version: 1, event_type: 'paid', actor: 'alice' },
      { stream_id: 'order-1', stream_version: 2, event_type: 'shipped', actor: 'bob' },
      { event_type: 'tick', actor: 'system' },
      { stream_id: 'order-2', stream_version: 1, event_type: 'paid', actor: 'bob', framework_id: 'FMWK-002' },
      { stream_id: 'order-1', stream_version: 3, event_type: 'closed', actor: 'alice' },
      { event_type: 'tick', actor: 'system' },
      { stream_id: 'order-2', stream_version: 2, event_type: 'closed', actor: 'bob', framework_id: 'FMWK-002' },
    ];
    const out: AppendRecord[] = [];
    for (const [i, spec] of plan.entries()) out.push(await append({ ...spec, timestamp: at(i) }));
    return out;
  }

  describe('look-ups', () => {
    it('byEventId and byHash name the event; unknown ids and hashes are undefined', async () => {
      const records = await seed();
      for (const r of records) {
        expect(await store.index.byEventId(r.event_id)).to.deep.equal({ sequence: r.sequence, hash: r.hash });
        expect(await store.index.byHash(r.hash)).to.deep.equal({ sequence: r.sequence, hash: r.hash });
      }
      expect(await store.index.byEventId('01890000-0000-7000-8000-000000000000')).to.equal(undefined);
      expect(await store.index.byHash(`sha256:${'0'.repeat(64)}`)).to.equal(undefined);
    });

    it('streamHead is the newest version; a stream never written has none; another store on the prefix sees it', async () => {
      const records = await seed();
      expect(await store.index.streamHead('order-1')).to.deep.equal({ stream_id: 'order-1', version: 3, sequence: 7, hash: records[7]!.hash });
      expect(await store.index.streamHead('order-2')).to.deep.equal({ stream_id: 'order-2', version: 2, sequence: 9, hash: records[9]!.hash });
      expect(await store.index.streamHead('order-3')).to.equal(undefined);
      expect(await store.index.streamHead('order-')).to.equal(undefined);
      const other = await open();
      expect((await other.index.streamHead('order-1'))?.version).to.equal(3);
    });

    it('streamEntries: forward, backward, from/to, limits, empty ranges', async () => {
      await seed();
      const versions = (xs: { stream_version: number; sequence: number }[]) => xs.map((x) => [x.stream_version, x.sequence]);
      expect(versions(await collect(store.index.streamEntries('order-1')))).to.deep.equal([[0, 0], [1, 3], [2, 4], [3, 7]]);
      expect(versions(await collect(store.index.streamEntries('order-1', { direction: 'backward' })))).to.deep.equal([[3, 7], [2, 4], [1, 3], [0, 0]]);
      expect(versions(await collect(store.index.streamEntries('order-1', { from: 1, to: 2 })))).to.deep.equal([[1, 3], [2, 4]]);
      expect(versions(await collect(store.index.streamEntries('order-1', { from: 2, direction: 'backward' })))).to.deep.equal([[2, 4], [1, 3], [0, 0]]);
      expect(versions(await collect(store.index.streamEntries('order-1', { to: 2, direction: 'backward' })))).to.deep.equal([[3, 7], [2, 4]]);
      expect(versions(await collect(store.index.streamEntries('order-1', { from: 1, limit: 2 })))).to.deep.equal([[1, 3], [2, 4]]);
      expect(versions(await collect(store.index.streamEntries('order-2', { direction: 'backward', limit: 1 })))).to.deep.equal([[2, 9]]);
      expect(await collect(store.index.streamEntries('order-1', { from: 3, to: 1 }))).to.deep.equal([]);
      expect(await collect(store.index.streamEntries('order-1', { from: 9 }))).to.deep.equal([]);
      expect(await collect(store.index.streamEntries('order-1', { limit: 0 }))).to.deep.equal([]);
      expect(await collect(store.index.streamEntries('nope'))).to.deep.equal([]);
    });

    it('query: by type, actor, framework, stream prefix, time; combined; backward; limit', async () => {
      await seed();
      const q = async (query: Parameters<ImmudbStore['index']['query']>[0]) => seqs(await collect(store.index.query(query)));
      expect(await q({})).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await q({ direction: 'backward', limit: 4 })).to.deep.equal([9, 8, 7, 6]);
      expect(await q({ event_type: 'tick' })).to.deep.equal([2, 5, 8]);
      expect(await q({ event_type: 'tick', direction: 'backward' })).to.deep.equal([8, 5, 2]);
      expect(await q({ actor: 'bob' })).to.deep.equal([1, 4, 6, 9]);
      expect(await q({ actor: 'bob', limit: 2 })).to.deep.equal([1, 4]);
      expect(await q({ framework_id: 'FMWK-002' })).to.deep.equal([1, 6, 9]);
      expect(await q({ actor: 'bob', event_type: 'paid' })).to.deep.equal([6]);
      expect(await q({ stream_id_prefix: 'order-' })).to.deep.equal([0, 1, 3, 4, 6, 7, 9]);
      expect(await q({ stream_id_prefix: 'order-2', direction: 'backward' })).to.deep.equal([9, 6, 1]);
      expect(await q({ since: at(3), until: at(6) })).to.deep.equal([3, 4, 5, 6]);
      expect(await q({ since: at(3), until: at(6), direction: 'backward', limit: 3 })).to.deep.equal([6, 5, 4]);
      expect(await q({ since: at(4), actor: 'alice' })).to.deep.equal([7]);
      expect(await q({ until: at(2), event_type: 'opened' })).to.deep.equal([0, 1]);
      expect(await q({ since: at(11) })).to.deep.equal([]);
      expect(await q({ until: '2025-12-31T23:59:59.999Z' })).to.deep.equal([]);
      expect(await q({ since: at(6), until: at(3) })).to.deep.equal([]);
      expect(await q({ event_type: 'nothing' })).to.deep.equal([]);
      expect(await q({ limit: 0 })).to.deep.equal([]);
    });
  });

  describe('server-side checks in the append ExecAll', () => {
    it('an event_id the ledger holds: LedgerEventIdConflictError naming its sequence; nothing written', async () => {
      const records = await seed();
      const tip = await store.tip();
      const retry = buildRecord(10, tip.hash, { event_id: records[4]!.event_id });
      const e = (await expectReject(store.append([retry]), LedgerEventIdConflictError)) as LedgerEventIdConflictError;
      expect(e.event_id).to.equal(records[4]!.event_id);
      expect(e.sequence).to.equal(4);
      expect((await store.tip()).sequence_number).to.equal(9);
      expect(await store.index.byHash(retry.hash)).to.equal(undefined);
    });

    it('a stream version taken, skipped, or a stream started twice: LedgerStreamConflictError with the actual head; nothing written', async () => {
      await seed();
      const cases: [RecordSpec, number, number][] = [
        [{ stream_id: 'order-1', stream_version: 3 }, 2, 3], // taken
        [{ stream_id: 'order-1', stream_version: 5 }, 4, 3], // gap
        [{ stream_id: 'order-2', stream_version: 0 }, -1, 2], // "must not exist"
        [{ stream_id: 'order-9', stream_version: 1 }, 0, -1], // no such stream
      ];
      for (const [spec, expected, actual] of cases) {
        const e = (await expectReject(append(spec), LedgerStreamConflictError)) as LedgerStreamConflictError;
        expect([e.stream_id, e.expected, e.actual]).to.deep.equal([spec.stream_id, expected, actual]);
      }
      expect((await store.tip()).sequence_number).to.equal(9);
      expect(await collect(store.index.query({ since: at(10) }))).to.deep.equal([]);
      await append({ stream_id: 'order-1', stream_version: 4 });
      expect((await store.index.streamHead('order-1'))?.version).to.equal(4);
    });

    it('stream ids are escaped: "/" and "%" in an id, or an id that looks like another key, never mix streams', async () => {
      const ids = ['a', 'a/00000000000000000000', 'a%2F', 'a/', 'a%', 'e/x', '%25'];
      for (const id of ids) await append({ stream_id: id, stream_version: 0 });
      for (const [i, id] of ids.entries()) {
        expect(seqs(await collect(store.index.streamEntries(id))), id).to.deep.equal([i]);
        expect((await store.index.streamHead(id))?.sequence, id).to.equal(i);
      }
      await append({ stream_id: 'a/', stream_version: 1 });
      expect((await store.index.streamHead('a'))?.version).to.equal(0);
      expect(seqs(await collect(store.index.query({ stream_id_prefix: 'a/' })))).to.deep.equal([1, 3, 7]);
    });
  });

  describe('scanLinesBackward', () => {
    it('newest first across pages, any sub-range; past the tip is refused', async () => {
      const records = await seed();
      const lines = await collect(store.scanLinesBackward(9, 0));
      expect(lines.map((l) => l.sequence)).to.deep.equal([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
      expect(lines.map((l) => l.line)).to.deep.equal([...records].reverse().map((r) => r.line));
      expect((await collect(store.scanLinesBackward(6, 4))).map((l) => l.sequence)).to.deep.equal([6, 5, 4]);
      expect((await collect(store.scanLinesBackward(0, 0))).map((l) => l.sequence)).to.deep.equal([0]);
      await expectReject(collect(store.scanLinesBackward(10, 0)), LedgerValidationError);
      await expectReject(collect(store.scanLinesBackward(2, 3)), LedgerValidationError);
    });

    it('a planted foreign key between event keys is corruption where it sorts', async () => {
      await seed();
      await plant(Buffer.from(`${config.keyPrefix}00000000000000000005x`), 'planted');
      const e = (await expectReject(collect(store.scanLinesBackward(9, 0)), LedgerCorruptionError)) as LedgerCorruptionError;
      expect(e.message).to.contain('foreign key');
    });
  });

  describe('keys planted behind the ledger\'s back', () => {
    it('an event-id key for an unused id, pointing at a real event: look-up and append fail naming the key, never return that event', async () => {
      const records = await seed();
      const id = '01890000-0000-7000-8000-0000000000aa';
      const key = indexKeys().eventId(id);
      // A well-formed value copied from event 2's own keys, with the id swapped.
      await plant(key, JSON.stringify({ event_id: id, fields: records[2]!.fields, hash: records[2]!.hash, sequence: 2 }));
      const lookup = await expectReject(store.index.byEventId(id), LedgerCorruptionError);
      expect(lookup.message).to.contain(JSON.stringify(key.toString())).and.contain('event_id');
      const appending = await expectReject(append({ event_id: id }), LedgerCorruptionError);
      expect(appending.message).to.contain(JSON.stringify(key.toString()));
      expect((await store.tip()).sequence_number).to.equal(9);
    });

    it('a stream key for the next version: the append fails naming the key, streamHead names it too; lower versions still read', async () => {
      const records = await seed();
      const key = indexKeys().stream('order-1', 4);
      await plant(key, JSON.stringify({ event_id: records[8]!.event_id, fields: { ...records[8]!.fields, stream_id: 'order-1', stream_version: 4 }, hash: records[8]!.hash, sequence: 8 }));
      const e = await expectReject(append({ stream_id: 'order-1', stream_version: 4 }), LedgerCorruptionError);
      expect(e.message).to.contain(JSON.stringify(key.toString()));
      expect((await expectReject(store.index.streamHead('order-1'), LedgerCorruptionError)).message).to.contain(JSON.stringify(key.toString()));
      expect(seqs(await collect(store.index.streamEntries('order-1', { to: 3 })))).to.deep.equal([0, 3, 4, 7]);
      expect((await store.tip()).sequence_number).to.equal(9);
    });

    it('garbage, a mismatched key and a second revision in a query range are corruption naming the key', async () => {
      const records = await seed();
      const layout = indexKeys();
      const garbage = layout.query('t', 'tick', 3);
      await plant(garbage, 'not json');
      expect((await expectReject(collect(store.index.query({ event_type: 'tick' })), LedgerCorruptionError)).message).to.contain(JSON.stringify(garbage.toString()));
      // Event 4's own value under actor "mallory": the key and its value disagree.
      const lying = layout.query('a', 'mallory', 4);
      await plant(lying, JSON.stringify({ event_id: records[4]!.event_id, fields: records[4]!.fields, hash: records[4]!.hash, sequence: 4 }));
      expect((await expectReject(collect(store.index.query({ actor: 'mallory' })), LedgerCorruptionError)).message).to.contain(JSON.stringify(lying.toString()));
      // A genuine key rewritten: revision 2.
      const rewritten = layout.hash(records[5]!.hash);
      await plant(rewritten, JSON.stringify({ event_id: records[5]!.event_id, fields: records[5]!.fields, hash: records[5]!.hash, sequence: 5 }));
      expect((await expectReject(store.index.byHash(records[5]!.hash), LedgerCorruptionError)).message).to.contain('revision 2');
    });

    it('an index key of the next event planted ahead of it: the append fails naming that key, nothing written', async () => {
      await seed();
      const key = indexKeys().query('q', '', 10);
      await plant(key, 'x');
      const e = await expectReject(append({}), LedgerCorruptionError);
      expect(e.message).to.contain(JSON.stringify(key.toString()));
      expect((await store.tip()).sequence_number).to.equal(9);
    });
  });

  describe('events written before the indexes', () => {
    /** Writes events as the store did before issue 13: the event key only. */
    async function writeUnindexed(count: number, streams = true): Promise<AppendRecord[]> {
      const layout = new KeyLayout(config.keyPrefix);
      const out: AppendRecord[] = [];
      let previous = GENESIS_HASH;
      for (let i = 0; i < count; i++) {
        const r = buildRecord(i, previous, { ...(streams ? { stream_id: `s${i % 2}`, stream_version: Math.floor(i / 2) } : {}), timestamp: at(i) });
        await raw.execAll({ Operations: [{ kv: { key: layout.keyOf(i), value: Buffer.from(r.line) } }], noWait: false, preconditions: [] });
        out.push(r);
        previous = r.hash;
      }
      return out;
    }

    it('open catches the index up to the tip (new keys only); rebuild then writes nothing and counts every event', async () => {
      const records = await writeUnindexed(7);
      const reopened = await open({ scanPageSize: 3 });
      for (const r of records) expect(await reopened.index.byEventId(r.event_id)).to.deep.equal({ sequence: r.sequence, hash: r.hash });
      expect(seqs(await collect(reopened.index.streamEntries('s1')))).to.deep.equal([1, 3, 5]);
      expect(await reopened.index.rebuild()).to.equal(7);
      // Every key still at revision 1: nothing was rewritten.
      const { entries } = await raw.scan({ prefix: Buffer.from(indexKeys().base), desc: false, limit: 1000 });
      expect(entries.length).to.equal(7 * 8);
      expect(entries.every((e) => e.revision === 1)).to.equal(true);
      await appendSpec(reopened, { stream_id: 's1', stream_version: 3 });
      expect((await reopened.index.streamHead('s1'))?.sequence).to.equal(7);
    });

    it('two stores catching up at once write each key once', async () => {
      await writeUnindexed(25);
      await Promise.all([open(), open(), open()]);
      const { entries } = await raw.scan({ prefix: Buffer.from(indexKeys().base), desc: false, limit: 1000 });
      expect(entries.length).to.equal(25 * 8);
      expect(entries.every((e) => e.revision === 1)).to.equal(true);
    });

    it('a lagging index over a broken chain: open still serves the chain; index look-ups report the lag; nothing is indexed past the break', async () => {
      const records = await writeUnindexed(5);
      await plant(new KeyLayout(config.keyPrefix).keyOf(5), records[4]!.line.replace('"event 4"', '"event X"')); // key 5 then holds a forged line
      await raw.execAll({ Operations: [{ kv: { key: new KeyLayout(config.keyPrefix).keyOf(6), value: Buffer.from('{}') } }], noWait: false, preconditions: [] });
      const reopened = await open();
      expect((await reopened.tip()).sequence_number).to.equal(4);
      // The tip is 4, so open indexed 0..4; the forged keys past it are never indexed.
      expect(await reopened.index.byEventId(records[4]!.event_id)).to.deep.equal({ sequence: 4, hash: records[4]!.hash });
      const { entries } = await raw.scan({ prefix: indexKeys().kindPrefix('q'), desc: false, limit: 100 });
      expect(entries.length).to.equal(5);
    });

    it('an index that cannot catch up (a rewritten event below the tip): open succeeds, look-ups and appends name the lag, rebuild names the event', async () => {
      const records = await writeUnindexed(5, false);
      // A second revision of event 2's key: the chain reads as broken there (revision pinning).
      await plant(new KeyLayout(config.keyPrefix).keyOf(2), records[2]!.line);
      const reopened = await open();
      expect((await reopened.tip()).sequence_number).to.equal(4);
      const lookup = (await expectReject(reopened.index.byEventId(records[0]!.event_id), LedgerCorruptionError)) as LedgerCorruptionError;
      expect(lookup.message).to.match(/index lags the ledger/).and.contain('revision 2');
      expect((await expectReject(appendSpec(reopened, {}), LedgerCorruptionError)).message).to.match(/index lags the ledger/);
      expect(((await expectReject(reopened.index.rebuild(), LedgerCorruptionError)) as LedgerCorruptionError).sequence).to.equal(2);
      expect((await reopened.tip()).sequence_number).to.equal(4);
    });
  });
});
