import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import {
  CheckpointStore, DirectoryStore, Ledger, LedgerSerializationError, ProjectionFailedError, ReplayEngine, SnapshotError, SnapshotStore, canonicalJson,
  decodeSnapshot, defineProjection, encodeSnapshot, sha256, type LedgerEvent,
} from '../../src/index.js';
import { appendBehindLedger } from '../support/appendBehindLedger.js';
import { sessionStart } from '../support/fixtures.js';
import { collectingLogger, counts, delta, naiveFold, spied, totals } from '../support/replayFixtures.js';
import { tempDir } from '../support/tempDir.js';

describe('snapshots', () => {
  let dir: string;
  let remove: () => void;
  let ledger: Ledger;
  let store: DirectoryStore;

  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    store = await DirectoryStore.open(join(dir, 'ledger'));
    ledger = await Ledger.open(store);
  });
  afterEach(async () => {
    await ledger.close().catch(() => undefined);
    remove();
  });

  async function append(n: number, node = 'a'): Promise<void> {
    for (let i = 0; i < n; i++) await ledger.append(delta(node, i + 1));
  }
  async function all(): Promise<LedgerEvent[]> {
    const out: LedgerEvent[] = [];
    for await (const e of ledger.readSince(-1)) out.push(e);
    return out;
  }
  const snapshotDir = () => join(dir, 'ledger', 'snapshots');
  const fullReplay = async (projections = [totals, counts]) => naiveFold(projections, await all());

  it('takeSnapshot writes <dir>/snapshots/<seq>.snapshot as canonical JSON, then records it in a snapshot_created event', async () => {
    await append(10);
    const engine = new ReplayEngine(ledger, { projections: [totals, counts] });
    const record = await engine.takeSnapshot();
    expect(record.sequence).to.equal(9);
    expect(record.file).to.equal('9.snapshot');
    expect(record.path).to.equal(join(snapshotDir(), '9.snapshot'));
    expect(record.record_sequence).to.equal(10);
    expect(readdirSync(snapshotDir())).to.deep.equal(['9.snapshot']); // no temporary file left behind

    const bytes = readFileSync(record.path);
    const doc = decodeSnapshot(bytes);
    expect(bytes.toString('utf8')).to.equal(canonicalJson(JSON.parse(bytes.toString('utf8'))));
    expect(doc).to.deep.equal({
      format: 'fmwk-ledger/snapshot', format_version: 1, kind: 'snapshot', sequence: 9, anchor_hash: (await ledger.read(9)).hash,
      projections: [
        { name: 'counts', version: 1, state: { last: 9, byType: { signal_delta: 10 } } },
        { name: 'totals', version: 1, state: { a: 55 } },
      ],
    });
    const event = await ledger.read(10);
    expect(event.event_type).to.equal('snapshot_created');
    expect(event.payload).to.deep.equal({
      sequence: 9, file: '9.snapshot', file_hash: sha256(bytes), anchor_hash: doc.anchor_hash, format_version: 1,
      projections: [{ name: 'counts', version: 1 }, { name: 'totals', version: 1 }],
    });
  });

  it('replay starts from the newest valid snapshot: only the later events are folded, the result equals a full replay', async () => {
    await append(30);
    await new ReplayEngine(ledger, { projections: [totals] }).takeSnapshot();
    await append(5, 'b');
    const spy = spied(totals);
    const engine = new ReplayEngine(ledger, { projections: [spy], logger: collectingLogger() });
    const result = await engine.replay();
    expect(result).to.deep.equal({ sequence: 35, states: await fullReplay([totals]) });
    expect(spy.applied).to.equal(5); // events 31..35: the five deltas (the record at 30 is the framework's, not folded)
  });

  it('a tampered snapshot file is skipped with a warning; an older snapshot is used', async () => {
    await append(10);
    const engine = new ReplayEngine(ledger, { projections: [totals, counts], logger: collectingLogger() });
    await engine.takeSnapshot();
    await append(10);
    const newest = await engine.takeSnapshot();
    await append(3);
    // Rewrite the newest snapshot with a forged state, still well-formed canonical JSON.
    const doc = decodeSnapshot(readFileSync(newest.path));
    writeFileSync(newest.path, encodeSnapshot({ ...doc, projections: doc.projections.map((p) => (p.name === 'totals' ? { ...p, state: { a: 1_000_000 } } : p)) }));

    const logger = collectingLogger();
    const spy = spied(totals);
    const result = await new ReplayEngine(ledger, { projections: [spy, counts], logger }).replay();
    expect(result.states).to.deep.equal(await fullReplay());
    expect(logger.warnings).to.have.length(1);
    expect(logger.warnings[0]).to.contain('20.snapshot skipped: file_hash: the file hashes to');
    expect(spy.applied).to.equal(result.sequence - 9 - 2); // from the older snapshot at 9, less the two snapshot_created records
  });

  it('a snapshot whose anchor is not the ledger\'s hash at its sequence is skipped, even when recorded', async () => {
    await append(10);
    // A forged snapshot with a wrong anchor, and a record of exactly those bytes.
    const bytes = encodeSnapshot({ kind: 'snapshot', sequence: 9, anchor_hash: `sha256:${'a'.repeat(64)}`, projections: [{ name: 'totals', version: 1, state: { a: -1 } }] });
    await SnapshotStore.beside(store).write(9, bytes);
    // The append gate refuses snapshot_created from callers: the record is written behind it.
    await appendBehindLedger(store, {
      event_type: 'snapshot_created', schema_version: '1.0.0', provenance: { framework_id: 'FMWK-001', pack_id: 'PC-001-ledger', actor: 'system' },
      payload: { sequence: 9, file: '9.snapshot', file_hash: sha256(bytes), anchor_hash: `sha256:${'a'.repeat(64)}`, format_version: 1, projections: [{ name: 'totals', version: 1 }] },
    });
    const logger = collectingLogger();
    const result = await new ReplayEngine(ledger, { projections: [totals], logger }).replay();
    expect(result.states).to.deep.equal(await fullReplay([totals]));
    expect(logger.warnings).to.have.length(1);
    expect(logger.warnings[0]).to.match(/9\.snapshot skipped: anchor_hash: the file has sha256:a{64}, the ledger's event 9 has sha256:/);
  });

  it('a snapshot without a snapshot_created record, or not valid, is skipped; genesis is used', async () => {
    await append(6);
    const snapshots = SnapshotStore.beside(store);
    const anchor = (await ledger.read(5)).hash;
    await snapshots.write(5, encodeSnapshot({ kind: 'snapshot', sequence: 5, anchor_hash: anchor, projections: [{ name: 'totals', version: 1, state: { a: 0 } }] }));
    await snapshots.write(3, Buffer.from('{"not":"a snapshot"}'));
    await snapshots.write(2, Buffer.from('{ "format": "fmwk-ledger/snapshot" }'));
    const logger = collectingLogger();
    const result = await new ReplayEngine(ledger, { projections: [totals], logger }).replay();
    expect(result.states).to.deep.equal(await fullReplay([totals]));
    expect(logger.warnings).to.have.length(3);
    expect(logger.warnings[0]).to.contain('5.snapshot skipped: no snapshot_created record for 5.snapshot');
    expect(logger.warnings[1]).to.contain('3.snapshot skipped: format:');
    expect(logger.warnings[2]).to.contain('2.snapshot skipped: format_version:');
  });

  it('a projection whose version changed is rebuilt from genesis; the others still start from the snapshot', async () => {
    await append(12);
    await new ReplayEngine(ledger, { projections: [totals, counts] }).takeSnapshot();
    await append(3);
    const totals2 = spied(defineProjection<Record<string, number>>({ ...totals, version: 2, apply: (s, e) => (e.event_type === 'signal_delta' ? { ...s, v2: (s.v2 ?? 0) + 1 } : s) }));
    const countsSpy = spied(counts);
    const logger = collectingLogger();
    const result = await new ReplayEngine(ledger, { projections: [totals2, countsSpy], logger }).replay();
    expect(totals2.applied).to.equal(15); // 0..15 from genesis, less the snapshot_created record at 12
    expect(countsSpy.applied).to.equal(3); // 13..15, from the snapshot at 11 (the record at 12 is not folded)
    expect(result.states).to.deep.equal(naiveFold([totals2, counts], await all()));
    expect(logger.warnings).to.deep.equal([`snapshot 11.snapshot: rebuilding from genesis "totals" (registered version 2, snapshot has version 1)`]);
  });

  it('refuses to snapshot an empty ledger, and a state that is not JSON (naming its path); nothing is written', async () => {
    const engine = new ReplayEngine(ledger, { projections: [totals] });
    let error: unknown;
    await engine.takeSnapshot().catch((e) => (error = e));
    expect(error).to.be.instanceOf(SnapshotError);
    expect((error as SnapshotError).code).to.equal('SNAPSHOT_UNAVAILABLE');
    await append(2);
    // A float is refused on the first fold that produces it, before any snapshot is written.
    const floaty = defineProjection<{ ratio: number }>({ name: 'floaty', version: 1, initial: { ratio: 0 }, apply: (s) => ({ ratio: s.ratio + 0.25 }) });
    error = undefined;
    await new ReplayEngine(ledger, { projections: [floaty] }).takeSnapshot().catch((e) => (error = e));
    expect(error).to.be.instanceOf(ProjectionFailedError);
    expect((error as ProjectionFailedError).sequence).to.equal(0);
    expect((error as Error).cause).to.be.instanceOf(LedgerSerializationError);
    expect(((error as Error).cause as LedgerSerializationError).path).to.equal('state.ratio');
    expect(existsSync(snapshotDir()) ? readdirSync(snapshotDir()) : []).to.deep.equal([]);
    expect((await ledger.getTip()).sequence_number).to.equal(1);
  });

  it('snapshots a past sequence with { at }, and stateAt below a snapshot ignores it', async () => {
    await append(10);
    const engine = new ReplayEngine(ledger, { projections: [totals, counts] });
    const record = await engine.takeSnapshot({ at: 4 });
    expect(record.sequence).to.equal(4);
    expect(record.record_sequence).to.equal(10);
    const events = await all();
    for (const k of [3, 4, 5, 10]) expect((await engine.stateAt(k)).states, `at ${k}`).to.deep.equal(naiveFold([totals, counts], events.slice(0, k + 1)));
  });

  describe('checkpoints and the snapshot policy', () => {
    it('a live runner that sees snapshot_created persists its checkpoint; a restart resumes there, not from genesis', async () => {
      await append(20);
      const checkpoints = CheckpointStore.beside(store, 'graph-consumer');
      const live = new ReplayEngine(ledger, { projections: [totals, counts], checkpoints }).live();
      await live.ready;
      // Someone else (another engine with other projections) takes a snapshot.
      const record = await new ReplayEngine(ledger, { projections: [counts] }).takeSnapshot();
      await firstValueFrom(live.states$.pipe(filter((s) => s.sequence === record.record_sequence)));
      await append(4);
      await live.stop();
      const checkpoint = decodeSnapshot(readFileSync(checkpoints.path));
      expect(checkpoint.kind).to.equal('checkpoint');
      expect(checkpoint.sequence).to.equal(record.record_sequence);
      expect(checkpoint.anchor_hash).to.equal((await ledger.read(record.record_sequence)).hash);

      // The restart: the snapshot does not even hold `totals`; the checkpoint does.
      const totalsSpy = spied(totals);
      const restarted = new ReplayEngine(ledger, { projections: [totalsSpy, counts], checkpoints, logger: collectingLogger() }).live();
      const states = await restarted.ready;
      expect(states.states).to.deep.equal(await fullReplay());
      expect(totalsSpy.applied).to.equal(4);
      await restarted.stop();
    });

    it('a checkpoint anchored to another ledger is skipped with a warning', async () => {
      await append(5);
      const checkpoints = CheckpointStore.beside(store);
      await checkpoints.write(encodeSnapshot({ kind: 'checkpoint', sequence: 3, anchor_hash: `sha256:${'b'.repeat(64)}`, projections: [{ name: 'totals', version: 1, state: { a: 99 } }] }));
      const logger = collectingLogger();
      const result = await new ReplayEngine(ledger, { projections: [totals], checkpoints, logger }).replay();
      expect(result.states).to.deep.equal(await fullReplay([totals]));
      expect(logger.warnings).to.have.length(1);
      expect(logger.warnings[0]).to.match(/default\.checkpoint skipped: anchor_hash: the file has sha256:b{64}/);
    });

    it('snapshotEvery takes a snapshot every N events while live; each one verifies', async () => {
      await append(3);
      const live = new ReplayEngine(ledger, { projections: [totals] }).live({ snapshotEvery: 5 });
      await live.ready;
      await append(12);
      await ledger.append(sessionStart('end'));
      await live.stop();
      const sequences = await SnapshotStore.beside(store).list();
      expect(sequences.length).to.be.at.least(2);
      const logger = collectingLogger();
      for (const s of sequences) {
        const engine = new ReplayEngine(ledger, { projections: [spied(totals)], logger });
        expect((await engine.stateAt(s)).states).to.deep.equal(naiveFold([totals], (await all()).slice(0, s + 1)));
      }
      expect(logger.warnings).to.deep.equal([]);
      // Consecutive snapshots are N events apart.
      for (let i = 1; i < sequences.length; i++) expect(sequences[i - 1]! - sequences[i]!).to.equal(5);
    });
  });
});
