// Index-served reads on the directory store after the performance pass (issues 13 §7, 10 §2):
// a page of events read in a few preads (readLineBytes) and checked from their bytes, and what
// an attacker who can write index.sqlite or ledger.jsonl gets out of it (never a wrong event);
// verifyChain and the store's own verification confirm an event_id fingerprint match on the
// stored lines (lineAt) instead of reporting it unconfirmed.
import { expect } from 'chai';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DirectoryStore } from '../../src/stores/directoryStore.js';
import { INDEX_FILE } from '../../src/stores/directoryIndex.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { GENESIS_HASH } from '../../src/contract/hash.js';
import { LedgerCorruptionError, LedgerConnectionError, LedgerEventIdConflictError, LedgerStreamConflictError } from '../../src/errors/errors.js';
import { appendSpec, buildRecord, collect, type RecordSpec } from '../support/indexRecords.js';
import { tempDir } from '../support/tempDir.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (i: number): string => new Date(T0 + i * 1000).toISOString();

/** Writes `n` events straight to ledger.jsonl: stream "s" every `every` events, type "rare" every 7th. */
function writeLedger(dir: string, n: number, every: number, spec: (i: number) => RecordSpec = () => ({})): string[] {
  let previous = GENESIS_HASH;
  const lines: string[] = [];
  let v = 0;
  for (let i = 0; i < n; i++) {
    const r = buildRecord(i, previous, {
      timestamp: at(i), event_type: i % 7 === 0 ? 'rare' : 'common',
      ...(i % every === 0 ? { stream_id: 's', stream_version: v++ } : {}),
      payload: { n: i, pad: 'x'.repeat(i % 50) },
      ...spec(i),
    });
    previous = r.hash;
    lines.push(r.line);
  }
  writeFileSync(join(dir, 'ledger.jsonl'), `${lines.join('\n')}\n`);
  return lines;
}

describe('DirectoryStore index-served reads (batched, checked from bytes)', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir('fmwk-ledger-idxreads-')));
  afterEach(() => t.remove());

  it('readLineBytes returns each line exactly, in the order asked, undefined past the tip; runs of nearby lines and far ones alike', async () => {
    const lines = writeLedger(t.dir, 3000, 30);
    const store = await DirectoryStore.open(t.dir);
    try {
      const asked = [2999, 0, 5, 6, 1500, 7, 2999, 3000, -1, 1.5];
      const got = await store.readLineBytes(asked.map((sequence) => ({ sequence, hash: '' })));
      expect(got.map((b) => (b === undefined ? undefined : Buffer.from(b).toString('utf8')))).to.deep.equal([
        lines[2999], lines[0], lines[5], lines[6], lines[1500], lines[7], lines[2999], undefined, undefined, undefined,
      ]);
    } finally {
      await store.close();
    }
  });

  it('readStream and query page through many events (pages larger than the first), each checked, both directions, with limits', async () => {
    writeLedger(t.dir, 3000, 3); // stream "s": 1000 events; "rare": 429 events
    const ledger = await Ledger.open(await DirectoryStore.open(t.dir));
    try {
      const forward = await collect(ledger.readStream('s'));
      expect(forward.map((e) => e.stream_version)).to.deep.equal([...Array(1000).keys()]);
      const backward = await collect(ledger.readStream('s', { direction: 'backward', limit: 300 }));
      expect(backward.map((e) => e.stream_version)).to.deep.equal([...Array(300).keys()].map((k) => 999 - k));
      const rare = await collect(ledger.query({ event_type: 'rare' }));
      expect(rare).to.have.length(429);
      expect(rare.every((e, i) => (e.event_type as string) === 'rare' && e.sequence === i * 7)).to.equal(true);
      expect((await collect(ledger.query({ event_type: 'rare', limit: 17, direction: 'backward' }))).map((e) => e.sequence)[16]).to.equal((428 - 16) * 7);
    } finally {
      await ledger.close();
    }
  });

  // Attack: an index writer points every row of a stream at other lines (offsets swapped, or
  // shifted into the middle of a line). The read must still return the true events (the file
  // search decides) or fail typed, never an event the stream does not hold.
  it('rows whose offsets were swapped or shifted: the right events still come back, found by the file search', async () => {
    writeLedger(t.dir, 600, 3);
    (await DirectoryStore.open(t.dir).then((s) => s.close()));
    const db = new Database(join(t.dir, INDEX_FILE));
    db.exec(`UPDATE events SET offset = offset + 3 WHERE sequence % 2 = 0; UPDATE events SET offset = (SELECT offset FROM events WHERE sequence = 1) WHERE sequence = 9`);
    db.close();
    const ledger = await Ledger.open(await DirectoryStore.open(t.dir));
    try {
      const events = await collect(ledger.readStream('s'));
      expect(events.map((e) => e.stream_version)).to.deep.equal([...Array(200).keys()]);
      expect(events.every((e) => e.sequence === e.stream_version! * 3)).to.equal(true);
    } finally {
      await ledger.close();
    }
  });

  // Attack: the ledger file is edited under the index (a line rewritten in place, same length):
  // the hash recomputed from the bytes no longer matches, typed error naming the sequence.
  it('a line rewritten in place under its row is LedgerCorruptionError at its sequence, nothing of it returned', async () => {
    const lines = writeLedger(t.dir, 90, 3);
    (await DirectoryStore.open(t.dir).then((s) => s.close()));
    const tampered = lines[30]!.replace('"n":30', '"n":31');
    expect(tampered).to.have.length(lines[30]!.length);
    writeFileSync(join(t.dir, 'ledger.jsonl'), readFileSync(join(t.dir, 'ledger.jsonl'), 'utf8').replace(lines[30]!, tampered));
    const ledger = await Ledger.open(await DirectoryStore.open(t.dir, { readOnly: true }));
    try {
      const seen: number[] = [];
      let error: unknown;
      try {
        for await (const e of ledger.readStream('s')) seen.push(e.sequence);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(LedgerCorruptionError);
      expect((error as LedgerCorruptionError).sequence).to.equal(30);
      expect(seen).to.not.include(30);
    } finally {
      await ledger.close();
    }
  });
});

describe('verification confirms an event_id fingerprint match on the stored lines (lineAt)', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir('fmwk-ledger-lineat-')));
  afterEach(() => t.remove());

  const REPEATED = '01890000-0000-7000-8000-000000000001';

  it('Ledger.verifyChain names the repeat as confirmed, re-reading only the two lines involved', async () => {
    writeLedger(t.dir, 8, 100, (i) => (i === 2 || i === 5 ? { event_id: REPEATED } : {}));
    const store = await DirectoryStore.open(t.dir);
    const reads: number[] = [];
    const readLine = store.readLine.bind(store);
    store.readLine = async (s: number) => (reads.push(s), readLine(s));
    const ledger = await Ledger.open(store);
    try {
      const r = await ledger.verifyChain();
      expect(r.valid).to.equal(false);
      expect(r.break_at).to.equal(5);
      expect(r.reason).to.match(/repeats: sequence 2 holds it first/);
      expect(r.reason).to.not.match(/no re-read/);
      expect(reads).to.include(2);
      expect(reads.length).to.be.at.most(3);
    } finally {
      await ledger.close();
    }
  });

  it('a valid ledger verifies with no line re-read', async () => {
    writeLedger(t.dir, 50, 5);
    const store = await DirectoryStore.open(t.dir);
    let reads = 0;
    const readLine = store.readLine.bind(store);
    store.readLine = async (s: number) => (reads++, readLine(s));
    const ledger = await Ledger.open(store);
    try {
      expect((await ledger.verifyChain()).valid).to.equal(true);
      expect(reads).to.equal(0);
    } finally {
      await ledger.close();
    }
  });

  it("the store's own verification on a damaged tail names a confirmed repeat (open refuses, naming the sequence)", async () => {
    const lines = writeLedger(t.dir, 6, 100, (i) => (i === 1 || i === 3 ? { event_id: REPEATED } : {}));
    // The last line's stored hash is damaged: open verifies the file to name the first break.
    const last = lines[5]!;
    const broken = last.replace(/"hash":"sha256:(.)/, (_m, c: string) => `"hash":"sha256:${c === '0' ? '1' : '0'}`);
    writeFileSync(join(t.dir, 'ledger.jsonl'), `${[...lines.slice(0, 5), broken].join('\n')}\n`);
    let error: unknown;
    try {
      await (await DirectoryStore.open(t.dir)).close();
    } catch (e) {
      error = e;
    }
    expect(error).to.satisfy((e: unknown) => e instanceof LedgerCorruptionError || e instanceof LedgerConnectionError);
    expect((error as Error).message).to.match(/repeats: sequence 1 holds it first/);
    expect((error as Error).message).to.not.match(/no re-read/);
  });
});

describe('DirectoryStore index upkeep after the performance pass', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir('fmwk-ledger-upkeep-')));
  afterEach(() => t.remove());

  it('more of the file unindexed than indexed: the writer rebuilds instead of catching up, with the same answers', async () => {
    const lines = writeLedger(t.dir, 3000, 3);
    // Index only the first 1000 lines, then put the rest back behind the index's back.
    writeFileSync(join(t.dir, 'ledger.jsonl'), `${lines.slice(0, 1000).join('\n')}\n`);
    await (await DirectoryStore.open(t.dir)).close();
    const before = statSync(join(t.dir, INDEX_FILE)).ino;
    appendFileSync(join(t.dir, 'ledger.jsonl'), `${lines.slice(1000).join('\n')}\n`);
    const ledger = await Ledger.open(await DirectoryStore.open(t.dir));
    try {
      expect(statSync(join(t.dir, INDEX_FILE)).ino).to.not.equal(before); // a new file renamed in
      expect((await collect(ledger.readStream('s'))).map((e) => e.stream_version)).to.deep.equal([...Array(1000).keys()]);
      expect(await collect(ledger.query({ event_type: 'rare' }))).to.have.length(429);
    } finally {
      await ledger.close();
    }
  });

  it('a little behind: caught up in place (the same file), every row present', async () => {
    const lines = writeLedger(t.dir, 3000, 3);
    writeFileSync(join(t.dir, 'ledger.jsonl'), `${lines.slice(0, 2500).join('\n')}\n`);
    await (await DirectoryStore.open(t.dir)).close();
    const before = statSync(join(t.dir, INDEX_FILE)).ino;
    appendFileSync(join(t.dir, 'ledger.jsonl'), `${lines.slice(2500).join('\n')}\n`);
    const ledger = await Ledger.open(await DirectoryStore.open(t.dir));
    try {
      expect(statSync(join(t.dir, INDEX_FILE)).ino).to.equal(before);
      expect((await collect(ledger.readStream('s', { from: 990 }))).map((e) => e.sequence)).to.deep.equal([2970, 2973, 2976, 2979, 2982, 2985, 2988, 2991, 2994, 2997]);
    } finally {
      await ledger.close();
    }
  });

  // Attack: the stream head is confirmed by a streamHead lookup, then its row is rewritten in
  // index.sqlite (its version raised) before the next append. The confirmation is of the row as
  // it was: the changed row is checked again, found false, the index rebuilt, and the append
  // lands at the true next version.
  it('a head row rewritten after it was confirmed is checked again: the append takes the true next version', async () => {
    writeLedger(t.dir, 30, 3); // stream "s": versions 0..9
    const ledger = await Ledger.open(await DirectoryStore.open(t.dir));
    try {
      expect((await ledger.streamHead('s'))!.version).to.equal(9);
      const db = new Database(join(t.dir, INDEX_FILE));
      db.exec(`UPDATE events SET stream_version = 12 WHERE stream_id = 's' AND stream_version = 9`);
      db.close();
      const input = { event_type: 'session_start', schema_version: '1.0.0', provenance: { framework_id: 'FMWK-T', pack_id: 'PC-T', actor: 'system' }, payload: { session_id: 'x' }, stream_id: 's' } as const;
      const r = await ledger.append(input as never);
      expect(r.stream_version).to.equal(10);
      expect((await collect(ledger.readStream('s'))).map((e) => e.stream_version)).to.deep.equal([...Array(11).keys()]);
      expect((await ledger.verifyChain()).valid).to.equal(true);
    } finally {
      await ledger.close();
    }
  });
});

describe('DirectoryStore rows committed in groups (pending rows)', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir('fmwk-ledger-pending-')));
  afterEach(() => t.remove());

  const rowsInFile = (): number => {
    const db = new Database(join(t.dir, INDEX_FILE), { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  // Abuse: a producer retries an event id, or a second writer path reuses a stream version,
  // while the first append's row is not yet committed: the checks see pending rows too.
  it('a held event id and a taken stream version are refused while their rows are pending', async () => {
    const store = await DirectoryStore.open(t.dir);
    try {
      const first = await appendSpec(store, { stream_id: 'p', stream_version: 0 });
      await appendSpec(store, { stream_id: 'p', stream_version: 1 });
      const dup = await appendSpec(store, { event_id: first.event_id }).then(() => undefined, (e: unknown) => e);
      expect(dup).to.be.instanceOf(LedgerEventIdConflictError).and.include({ sequence: 0 });
      const stale = await appendSpec(store, { stream_id: 'p', stream_version: 1 }).then(() => undefined, (e: unknown) => e);
      expect(stale).to.be.instanceOf(LedgerStreamConflictError);
      expect((await store.index.streamHead('p'))?.version).to.equal(1);
      await appendSpec(store, { stream_id: 'p', stream_version: 2 });
      expect((await store.tip()).sequence_number).to.equal(2);
    } finally {
      await store.close();
    }
  });

  // Attack: once a stream's rows are committed, an index writer removes the stream's newest
  // row from index.sqlite (making the stream look one version shorter). The writer's own record
  // of the heads it appended still refuses a repeat of that version.
  it("a stream's newest row deleted from index.sqlite after commit: the writer still refuses its version again", async () => {
    const store = await DirectoryStore.open(t.dir);
    try {
      for (let v = 0; v < 3; v++) await appendSpec(store, { stream_id: 'q', stream_version: v });
      await collect(store.index.query({})); // commits the rows
      const db = new Database(join(t.dir, INDEX_FILE));
      db.exec(`UPDATE events SET stream_id = NULL, stream_version = NULL WHERE stream_id = 'q' AND stream_version = 2`);
      db.close();
      const again = await appendSpec(store, { stream_id: 'q', stream_version: 2 }).then(() => undefined, (e: unknown) => e);
      expect(again).to.be.instanceOf(LedgerStreamConflictError);
      await appendSpec(store, { stream_id: 'q', stream_version: 3 });
    } finally {
      await store.close();
    }
  });

  it('pending rows reach index.sqlite within the timer, at a lookup, and at close', async () => {
    const store = await DirectoryStore.open(t.dir);
    await appendSpec(store, {});
    await new Promise((r) => setTimeout(r, 200));
    expect(rowsInFile()).to.equal(1);
    await appendSpec(store, {});
    await collect(store.index.query({})); // a lookup that needs the database commits first
    expect(rowsInFile()).to.equal(2);
    await appendSpec(store, {});
    await store.close();
    expect(rowsInFile()).to.equal(3);
  });
});
