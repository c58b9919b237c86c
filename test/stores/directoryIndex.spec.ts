// The directory store's indexes (issue 13) through the store port, on real files: every lookup
// and query, the atomic stream-version and event-id checks, reads by offset and backwards, and
// an index that is missing, damaged, tampered with or planted, which is rebuilt or refused and
// never gives a wrong answer.
import { expect } from 'chai';
import { copyFileSync, existsSync, readFileSync, statSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DirectoryStore } from '../../src/stores/directoryStore.js';
import { INDEX_FILE, prefixUpperBound } from '../../src/stores/directoryIndex.js';
import { LedgerConnectionError, LedgerEventIdConflictError, LedgerStreamConflictError } from '../../src/errors/errors.js';
import { appendSpec, collect, type RecordSpec } from '../support/indexRecords.js';
import { tempDir } from '../support/tempDir.js';
import type { AppendRecord } from '../../src/ledger/ledgerStore.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (i: number): string => new Date(T0 + i * 1000).toISOString();

/**
 * 30 events: streams order-1 (12 events), order-2 (6), cart-1 (5); 7 without a stream, the last
 * two among them (a store opens on a tail of base events until the byte contract's line checks
 * accept the stream fields: the contract's part of issue 13).
 */
function specs(): RecordSpec[] {
  const out: RecordSpec[] = [];
  const versions = new Map<string, number>();
  for (let i = 0; i < 30; i++) {
    const stream = i % 5 === 4 || i >= 28 ? undefined : i % 5 < 2 ? 'order-1' : i % 5 === 2 ? 'order-2' : 'cart-1';
    const v = stream === undefined ? undefined : (versions.get(stream) ?? -1) + 1;
    if (stream !== undefined) versions.set(stream, v!);
    out.push({ event_type: i % 3 === 0 ? 'created' : 'updated', actor: i % 2 ? 'alice' : 'bob', framework_id: i < 15 ? 'F1' : 'F2', timestamp: at(i), ...(stream === undefined ? {} : { stream_id: stream, stream_version: v }) });
  }
  return out;
}

async function filled(dir: string): Promise<{ store: DirectoryStore; records: AppendRecord[]; specs: RecordSpec[] }> {
  const store = await DirectoryStore.open(dir);
  const s = specs();
  const records: AppendRecord[] = [];
  for (const spec of s) records.push(await appendSpec(store, spec));
  return { store, records, specs: s };
}

const seqs = (entries: Array<{ sequence: number }>): number[] => entries.map((e) => e.sequence);

describe('DirectoryStore indexes (index.sqlite)', () => {
  let dir: string;
  let remove: () => void;
  beforeEach(() => ({ dir, remove } = tempDir()));
  afterEach(() => remove());

  it('answers stream heads, stream reads, ids, hashes and every query filter, in both directions', async () => {
    const { store, records, specs: s } = await filled(dir);
    try {
      const expectSeqs = (pred: (x: RecordSpec, i: number) => boolean): number[] => s.flatMap((x, i) => (pred(x, i) ? [i] : []));
      expect(await store.index.streamHead('order-1')).to.deep.equal({ stream_id: 'order-1', version: 11, sequence: 26, hash: records[26]!.hash });
      expect(await store.index.streamHead('nope')).to.equal(undefined);
      const order1 = expectSeqs((x) => x.stream_id === 'order-1');
      expect(seqs(await collect(store.index.streamEntries('order-1')))).to.deep.equal(order1);
      expect((await collect(store.index.streamEntries('order-1'))).map((e) => e.stream_version)).to.deep.equal([...order1.keys()]);
      expect(seqs(await collect(store.index.streamEntries('order-1', { direction: 'backward' })))).to.deep.equal([...order1].reverse());
      expect(seqs(await collect(store.index.streamEntries('order-1', { from: 3, to: 5 })))).to.deep.equal(order1.slice(3, 6));
      expect(seqs(await collect(store.index.streamEntries('order-1', { from: 5, to: 3, direction: 'backward' })))).to.deep.equal(order1.slice(3, 6).reverse());
      expect(seqs(await collect(store.index.streamEntries('order-1', { from: 2, limit: 2 })))).to.deep.equal(order1.slice(2, 4));
      expect(await store.index.byEventId(records[7]!.event_id)).to.deep.equal({ sequence: 7, hash: records[7]!.hash });
      expect(await store.index.byHash(records[29]!.hash)).to.deep.equal({ sequence: 29, hash: records[29]!.hash });
      expect(await store.index.byHash('sha256:' + '1'.repeat(64))).to.equal(undefined);
      const q = async (query: Parameters<typeof store.index.query>[0]) => seqs(await collect(store.index.query(query)));
      expect(await q({})).to.deep.equal(expectSeqs(() => true));
      expect(await q({ event_type: 'created' })).to.deep.equal(expectSeqs((x) => x.event_type === 'created'));
      expect(await q({ event_type: 'created', actor: 'alice' })).to.deep.equal(expectSeqs((x) => x.event_type === 'created' && x.actor === 'alice'));
      expect(await q({ framework_id: 'F2', direction: 'backward', limit: 4 })).to.deep.equal([29, 28, 27, 26]);
      expect(await q({ stream_id_prefix: 'order-' })).to.deep.equal(expectSeqs((x) => x.stream_id?.startsWith('order-') === true));
      expect(await q({ stream_id_prefix: 'cart' })).to.deep.equal(expectSeqs((x) => x.stream_id === 'cart-1'));
      expect(await q({ since: at(10), until: at(13) })).to.deep.equal([10, 11, 12, 13]);
      expect(await q({ since: at(10), until: at(20), actor: 'bob', direction: 'backward' })).to.deep.equal([20, 18, 16, 14, 12, 10]);
      expect(await q({ event_type: 'none' })).to.deep.equal([]);
    } finally {
      await store.close();
    }
  });

  it('pages through more results than one page, in both directions, while appends go on between pages', async () => {
    const store = await DirectoryStore.open(dir);
    try {
      for (let i = 0; i < 1300; i++) await appendSpec(store, { stream_id: 's', stream_version: i, event_type: i % 2 ? 'odd' : 'even' });
      let n = 0;
      for await (const e of store.index.query({ event_type: 'odd' })) {
        expect(e.sequence).to.equal(2 * n + 1);
        n++;
        // The connection stays usable mid-iteration; results are as of the call.
        if (n === 100) await appendSpec(store, { stream_id: 's', stream_version: 1300, event_type: 'odd' });
      }
      expect(n).to.equal(650);
      const back = seqs(await collect(store.index.streamEntries('s', { direction: 'backward' })));
      expect(back.length).to.equal(1301);
      expect(back[0]).to.equal(1300);
      expect(back.at(-1)).to.equal(0);
    } finally {
      await store.close();
    }
  });

  it('prefix bounds: the smallest string above every string with the prefix', () => {
    expect(prefixUpperBound('order-')).to.equal('order.');
    expect(prefixUpperBound('a\u{10FFFF}')).to.equal('b');
    expect(prefixUpperBound('\u{D7FF}')).to.equal('\u{E000}');
    expect(prefixUpperBound('')).to.equal(undefined);
  });

  it('refuses a stream version that does not follow the head, and an event id already held, writing nothing', async () => {
    const { store, records } = await filled(dir);
    try {
      const size = statSync(join(dir, 'ledger.jsonl')).size;
      const tip = await store.tip();
      const attack = async (spec: RecordSpec): Promise<unknown> => appendSpec(store, spec).then(() => undefined, (e: unknown) => e);
      // A racer that read head 10 of order-1 (now 11) and appends version 11 again.
      const stale = await attack({ stream_id: 'order-1', stream_version: 11 });
      expect(stale).to.be.instanceOf(LedgerStreamConflictError).and.include({ stream_id: 'order-1', expected: 10, actual: 11 });
      // Claiming a new stream (expected -1) that exists.
      expect(await attack({ stream_id: 'cart-1', stream_version: 0 })).to.be.instanceOf(LedgerStreamConflictError).and.include({ expected: -1, actual: 4 });
      // Skipping a version.
      expect(await attack({ stream_id: 'order-2', stream_version: 7 })).to.be.instanceOf(LedgerStreamConflictError).and.include({ expected: 6, actual: 5 });
      // Appending to a stream that does not exist with a version past 0.
      expect(await attack({ stream_id: 'new', stream_version: 1 })).to.be.instanceOf(LedgerStreamConflictError).and.include({ expected: 0, actual: -1 });
      // A replayed event id, in a stream or not.
      const dup = await attack({ event_id: records[3]!.event_id });
      expect(dup).to.be.instanceOf(LedgerEventIdConflictError).and.include({ event_id: records[3]!.event_id, sequence: 3 });
      expect(await attack({ event_id: records[3]!.event_id, stream_id: 'order-1', stream_version: 12 })).to.be.instanceOf(LedgerEventIdConflictError);
      expect(statSync(join(dir, 'ledger.jsonl')).size).to.equal(size);
      expect(await store.tip()).to.deep.equal(tip);
      // The right version goes through.
      await appendSpec(store, { stream_id: 'order-1', stream_version: 12 });
      expect((await store.index.streamHead('order-1'))?.version).to.equal(12);
    } finally {
      await store.close();
    }
  });

  it('reads a line by its offset, scans from the middle, and scans backwards across chunk boundaries', async () => {
    const store = await DirectoryStore.open(dir);
    try {
      const lines: string[] = [];
      // Lines of 0..150 KB: many cross the 64 KB chunks of the backward scan.
      for (let i = 0; i < 40; i++) lines.push((await appendSpec(store, { payload: { pad: 'x'.repeat((i * 7919) % 150_000) } })).line);
      for (const i of [0, 1, 17, 39]) expect(await store.readLine(i)).to.equal(lines[i]);
      expect(await store.readLine(40)).to.equal(undefined);
      expect((await collect(store.scanLines(25, 27))).map((l) => l.line)).to.deep.equal(lines.slice(25, 28));
      const back = await collect(store.scanLinesBackward(39, 0));
      expect(back.map((l) => l.sequence)).to.deep.equal([...Array(40).keys()].reverse());
      expect(back.map((l) => l.line)).to.deep.equal([...lines].reverse());
      expect((await collect(store.scanLinesBackward(12, 10))).map((l) => l.line)).to.deep.equal([lines[12], lines[11], lines[10]]);
      expect((await collect(store.scanLinesBackward(0, 0))).map((l) => l.line)).to.deep.equal([lines[0]]);
      expect(await collect(store.scanLinesBackward(3, 5))).to.deep.equal([]);
      await collect(store.scanLinesBackward(40, 0)).then(() => expect.fail('past the tip'), (e: Error) => expect(e.message).to.match(/tip is 39/));
    } finally {
      await store.close();
    }
  });

  it('a row rewritten with a wrong offset is never followed: reads come from the file search', async () => {
    const { store, records } = await filled(dir);
    await store.close();
    const db = new Database(join(dir, INDEX_FILE));
    db.prepare('UPDATE events SET offset = offset + 7 WHERE sequence = 12').run();
    db.prepare('UPDATE events SET offset = (SELECT offset FROM events WHERE sequence = 20), length = (SELECT length FROM events WHERE sequence = 20) WHERE sequence = 13').run();
    db.close();
    for (const readOnly of [true, false]) {
      const s = await DirectoryStore.open(dir, { readOnly });
      try {
        expect(await s.readLine(12)).to.equal(records[12]!.line);
        expect(await s.readLine(13)).to.equal(records[13]!.line);
        expect((await collect(s.scanLines(13, 14))).map((l) => l.line)).to.deep.equal([records[13]!.line, records[14]!.line]);
        expect((await collect(s.scanLinesBackward(13, 12))).map((l) => l.line)).to.deep.equal([records[13]!.line, records[12]!.line]);
      } finally {
        await s.close();
      }
    }
  });

  it('a row rewritten with a wrong hash, event id or stream version: a reader refuses the lookup, a writer rebuilds and answers right', async () => {
    const { store, records } = await filled(dir);
    await store.close();
    const tamper = () => {
      const db = new Database(join(dir, INDEX_FILE));
      // Row 5: another hash. Row 27, order-2's head (version 5): a version that would let 6..39 be skipped.
      db.prepare(`UPDATE events SET hash = 'sha256:' || substr(hash, 8, 63) || (CASE WHEN substr(hash, 71, 1) = '0' THEN '1' ELSE '0' END) WHERE sequence = 5`).run();
      db.prepare('UPDATE events SET stream_version = 40 WHERE sequence = 27').run();
      db.close();
    };
    tamper();
    const reader = await DirectoryStore.open(dir, { readOnly: true });
    try {
      const err = await reader.index.byEventId(records[5]!.event_id).then(() => undefined, (e: unknown) => e);
      expect(err).to.have.property('code', 'LEDGER_CORRUPTION');
      expect((err as Error).message).to.match(/sequence 5 does not describe/);
      await reader.index.streamHead('order-2').then(() => expect.fail('tampered head'), (e: Error) => expect(e.message).to.match(/sequence 27/));
    } finally {
      await reader.close();
    }
    const writer = await DirectoryStore.open(dir);
    try {
      expect(await writer.index.byEventId(records[5]!.event_id)).to.deep.equal({ sequence: 5, hash: records[5]!.hash });
      tamper();
      // The stream check of an append meets the tampered head (version 40): rebuilt, then the right answer.
      await appendSpec(writer, { stream_id: 'order-2', stream_version: 6 });
      expect((await writer.index.streamHead('order-2'))?.version).to.equal(6);
    } finally {
      await writer.close();
    }
  });

  describe('a damaged or foreign index.sqlite is rebuilt by the next writer', () => {
    const cases: Array<[string, (file: string, dir: string) => void]> = [
      ['deleted', (f) => unlinkSync(f)],
      ['truncated', (f) => truncateSync(f, Math.floor(statSync(f).size / 2))],
      ['garbage', (f) => writeFileSync(f, Buffer.alloc(8192, 0x5a))],
      ['an empty file', (f) => writeFileSync(f, '')],
      ['its last row with a wrong hash', (f) => {
        const db = new Database(f);
        db.prepare(`UPDATE events SET hash = 'sha256:' || substr(hash, 8, 63) || (CASE WHEN substr(hash, 71, 1) = '0' THEN '1' ELSE '0' END) WHERE sequence = (SELECT max(sequence) FROM events)`).run();
        db.close();
      }],
      ['its last row with a wrong offset', (f) => {
        const db = new Database(f);
        db.prepare('UPDATE events SET offset = 0 WHERE sequence = (SELECT max(sequence) FROM events)').run();
        db.close();
      }],
      ['a row deleted', (f) => {
        const db = new Database(f);
        db.prepare('DELETE FROM events WHERE sequence = 9').run();
        db.close();
      }],
      ['another ledger\'s index', (f, d) => {
        const other = join(d, 'other');
        // Built below by the test body (same shape, other events).
        copyFileSync(join(other, INDEX_FILE), f);
      }],
    ];
    for (const [name, damage] of cases) {
      it(name, async () => {
        const { store, records } = await filled(dir);
        await store.close();
        if (name.startsWith('another')) {
          const o = await filled(join(dir, 'other'));
          await o.store.close();
          for (const s of ['-wal', '-shm']) if (existsSync(join(dir, INDEX_FILE + s))) unlinkSync(join(dir, INDEX_FILE + s));
        }
        damage(join(dir, INDEX_FILE), dir);
        // A reader never writes the index: with a damaged one it answers from the lines.
        const before = existsSync(join(dir, INDEX_FILE)) ? readFileSync(join(dir, INDEX_FILE)) : undefined;
        const reader = await DirectoryStore.open(dir, { readOnly: true });
        try {
          expect(await reader.index.streamHead('order-1')).to.deep.include({ version: 11, sequence: 26 });
          expect(await reader.index.byEventId(records[9]!.event_id)).to.deep.equal({ sequence: 9, hash: records[9]!.hash });
        } finally {
          await reader.close();
        }
        if (before) expect(readFileSync(join(dir, INDEX_FILE)).equals(before)).to.equal(true);
        const writer = await DirectoryStore.open(dir);
        try {
          expect(await writer.index.streamHead('order-1')).to.deep.include({ version: 11, sequence: 26 });
          expect(await writer.index.byEventId(records[9]!.event_id)).to.deep.equal({ sequence: 9, hash: records[9]!.hash });
          expect(seqs(await collect(writer.index.query({})))).to.deep.equal([...Array(30).keys()]);
          await appendSpec(writer, { stream_id: 'order-1', stream_version: 12 });
        } finally {
          await writer.close();
        }
      });
    }
  });

  it('a symlink planted at index.sqlite (or its WAL) is refused with a clear error; its target is never touched', async () => {
    const { store } = await filled(dir);
    await store.close();
    const target = join(dir, 'precious.txt');
    writeFileSync(target, 'do not touch');
    for (const name of [INDEX_FILE, `${INDEX_FILE}-wal`]) {
      const p = join(dir, name);
      if (existsSync(p)) unlinkSync(p);
      symlinkSync(target, p);
      for (const readOnly of [false, true]) {
        const err = await DirectoryStore.open(dir, { readOnly }).then(async (s) => (await s.close(), undefined), (e: unknown) => e);
        expect(err, `${name} readOnly=${readOnly}`).to.be.instanceOf(LedgerConnectionError);
        expect((err as Error).message).to.include(p).and.include('symbolic link');
      }
      expect(readFileSync(target, 'utf8')).to.equal('do not touch');
      unlinkSync(p);
    }
    // Removed, the writer rebuilds and the lock was released by the refused opens.
    const writer = await DirectoryStore.open(dir);
    expect((await writer.index.streamHead('cart-1'))?.version).to.equal(4);
    await writer.close();
  });

  it('index.rebuild() replaces the file atomically and counts the events; a reader may not rebuild', async () => {
    const { store } = await filled(dir);
    try {
      const ino = statSync(join(dir, INDEX_FILE)).ino;
      expect(await store.index.rebuild()).to.equal(30);
      expect(statSync(join(dir, INDEX_FILE)).ino).to.not.equal(ino);
      expect((await store.index.streamHead('order-2'))?.version).to.equal(5);
      const reader = await DirectoryStore.open(dir, { readOnly: true });
      await reader.index.rebuild().then(() => expect.fail('read-only'), (e: unknown) => expect(e).to.be.instanceOf(LedgerConnectionError));
      await reader.close();
    } finally {
      await store.close();
    }
  });

  it('a rebuild cut short by a crash leaves the old index in place; the next writer removes its temporary file', async () => {
    const { store } = await filled(dir);
    await store.close();
    const stray = join(dir, `.${INDEX_FILE}.4242.${'ab'.repeat(16)}.tmp`);
    writeFileSync(stray, 'half a database');
    const before = readFileSync(join(dir, INDEX_FILE));
    const reader = await DirectoryStore.open(dir, { readOnly: true });
    expect((await reader.index.streamHead('order-1'))?.version).to.equal(11);
    await reader.close();
    expect(existsSync(stray)).to.equal(true); // a reader removes nothing
    expect(readFileSync(join(dir, INDEX_FILE)).equals(before)).to.equal(true);
    const writer = await DirectoryStore.open(dir);
    expect(existsSync(stray)).to.equal(false);
    expect((await writer.index.streamHead('order-1'))?.version).to.equal(11);
    await writer.close();
  });

  it('a reader covers lines past index.sqlite in memory, bounded, and picks up a rebuilt index', async () => {
    const { store } = await filled(dir);
    try {
      // The writer commits its rows in groups (within 20 ms, or at its next lookup): let it
      // commit them, so that only the lines appended below are past index.sqlite.
      await store.index.byHash(`sha256:${'0'.repeat(64)}`);
      const reader = await DirectoryStore.open(dir, { readOnly: true, maxUnindexed: 5 });
      try {
        expect((await reader.index.streamHead('order-1'))?.version).to.equal(11);
        // Rows the writer adds are seen through the database (WAL), lines through the file.
        await appendSpec(store, { stream_id: 'order-1', stream_version: 12 });
        for (let i = 0; i < 2; i++) await appendSpec(store); // base events at the tail (see specs())
        expect((await reader.index.streamHead('order-1'))?.version).to.equal(12);
      } finally {
        await reader.close();
      }
      // Without an index file (an older ledger, say), a reader indexes the lines in memory up to its bound.
      await store.close();
      unlinkSync(join(dir, INDEX_FILE));
      for (const s of ['-wal', '-shm']) if (existsSync(join(dir, INDEX_FILE + s))) unlinkSync(join(dir, INDEX_FILE + s));
      const small = await DirectoryStore.open(dir, { readOnly: true, maxUnindexed: 10 });
      const err = await small.index.streamHead('order-1').then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(LedgerConnectionError);
      expect((err as Error).message).to.match(/33 events behind/);
      expect(await small.readLine(3)).to.be.a('string'); // plain reads never depend on the index
      const big = await DirectoryStore.open(dir, { readOnly: true });
      expect((await big.index.streamHead('order-1'))?.version).to.equal(12);
      // A writer opens (rebuilds); the reader switches to the new file.
      const w = await DirectoryStore.open(dir);
      await appendSpec(w, { stream_id: 'order-1', stream_version: 13 });
      for (let i = 0; i < 2; i++) await appendSpec(w); // base events at the tail (see specs())
      expect((await small.index.streamHead('order-1'))?.version).to.equal(13);
      expect((await big.index.streamHead('order-1'))?.version).to.equal(13);
      await w.close();
      await small.close();
      await big.close();
    } finally {
      await store.close().catch(() => undefined);
    }
  });
});
