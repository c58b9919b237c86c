import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom, filter, toArray } from 'rxjs';
import {
  DirectoryStore, Ledger, LedgerCorruptionError, LedgerNotFoundError, MemoryStore, ProjectionFailedError, ReplayEngine,
  defineProjection, type LedgerEvent, type ReplayProgress,
} from '../../src/index.js';
import { projectionStateAt } from '../../src/testing.js';
import { buildEventLine } from '../../src/contract/eventLine.js';
import { sessionStart } from '../support/fixtures.js';
import { counts, delta, naiveFold, totals } from '../support/replayFixtures.js';
import { tempDir } from '../support/tempDir.js';

async function all(ledger: Ledger): Promise<LedgerEvent[]> {
  const out: LedgerEvent[] = [];
  for await (const e of ledger.readSince(-1)) out.push(e);
  return out;
}

async function seeded(n: number): Promise<Ledger> {
  const ledger = await Ledger.open(new MemoryStore());
  for (let i = 0; i < n; i++) await ledger.append(i % 4 === 3 ? sessionStart(`s${i}`) : delta(`n${i % 3}`, i - 5));
  return ledger;
}

/** Writes n events to a directory ledger, closes it, lets `edit` rewrite its lines, reopens it. */
async function tampered(dir: string, n: number, edit: (lines: string[]) => void): Promise<Ledger> {
  const path = join(dir, 'ledger');
  const ledger = await Ledger.open(await DirectoryStore.open(path));
  for (let i = 0; i < n; i++) await ledger.append(delta('a', i));
  await ledger.close();
  const file = join(path, 'ledger.jsonl');
  const lines = readFileSync(file, 'utf8').split('\n').slice(0, -1);
  edit(lines);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return Ledger.open(await DirectoryStore.open(path));
}

describe('ReplayEngine', () => {
  it('replay() and stateAt(k) equal a naive fold of the events up to k, for every k', async () => {
    const ledger = await seeded(25);
    const events = await all(ledger);
    const engine = new ReplayEngine(ledger, { projections: [totals, counts], snapshots: false });
    expect(await engine.replay()).to.deep.equal({ sequence: 24, states: naiveFold([totals, counts], events) });
    for (let k = 0; k < 25; k++) {
      expect(await engine.stateAt(k), `at ${k}`).to.deep.equal({ sequence: k, states: naiveFold([totals, counts], events.slice(0, k + 1)) });
    }
    await ledger.close();
  });

  it('stateOf gives one projection\'s state, typed; an unregistered projection is refused', async () => {
    const ledger = await seeded(5);
    const engine = new ReplayEngine(ledger, { projections: [totals, counts], snapshots: false });
    const t: Record<string, number> = await engine.stateOf(totals, { to: 1 });
    expect(t).to.deep.equal({ n0: -5, n1: -4 });
    let error: unknown;
    await engine.stateOf({ ...totals }).catch((e) => (error = e));
    expect((error as Error).message).to.equal('projection: "totals" is not registered with this engine');
    await ledger.close();
  });

  it('an empty ledger replays to the initial states at sequence -1; a target past the tip is LedgerNotFoundError', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    const engine = new ReplayEngine(ledger, { projections: [totals, counts], snapshots: false });
    expect(await engine.replay()).to.deep.equal({ sequence: -1, states: { totals: {}, counts: { last: -1, byType: {} } } });
    let error: unknown;
    await engine.stateAt(0).catch((e) => (error = e));
    expect(error).to.be.instanceOf(LedgerNotFoundError);
    await ledger.close();
  });

  it('an event whose content was altered is LedgerCorruptionError at its sequence, never a wrong state', async () => {
    const { dir, remove } = tempDir();
    try {
      const ledger = await tampered(dir, 8, (lines) => {
        lines[3] = lines[3]!.replace('"delta":3', '"delta":300');
      });
      const engine = new ReplayEngine(ledger, { projections: [totals], snapshots: false });
      expect((await engine.stateAt(2)).states.totals).to.deep.equal({ a: 0 + 1 + 2 });
      let error: unknown;
      await engine.replay().catch((e) => (error = e));
      expect(error).to.be.instanceOf(LedgerCorruptionError);
      expect((error as LedgerCorruptionError).sequence).to.equal(3);
      expect((error as Error).message).to.match(/content hashes to/);
      await ledger.close();
    } finally {
      remove();
    }
  });

  it('a broken link (a re-hashed event that no longer follows its predecessor) is LedgerCorruptionError at that sequence', async () => {
    const { dir, remove } = tempDir();
    try {
      const ledger = await tampered(dir, 8, (lines) => {
        const e = JSON.parse(lines[5]!) as LedgerEvent;
        lines[5] = buildEventLine({
          event_id: e.event_id, sequence: 5, event_type: e.event_type, schema_version: e.schema_version, timestamp: e.timestamp,
          provenanceJson: JSON.stringify(e.provenance), previous_hash: `sha256:${'1'.repeat(64)}`, payloadJson: '{"delta":500,"node_id":"a","signal":"s"}',
        }).line;
      });
      const engine = new ReplayEngine(ledger, { projections: [totals], snapshots: false });
      let error: unknown;
      await engine.stateAt(6).catch((e) => (error = e));
      expect(error).to.be.instanceOf(LedgerCorruptionError);
      expect((error as LedgerCorruptionError).sequence).to.equal(5);
      expect((error as Error).message).to.match(/previous_hash .* does not link to sequence 4/);
      await ledger.close();
    } finally {
      remove();
    }
  });

  it('a throwing projection stops the replay with ProjectionFailedError naming it and the sequence', async () => {
    const ledger = await seeded(10);
    const picky = defineProjection<number>({
      name: 'picky', version: 1, initial: 0,
      apply: (n, e) => {
        if (e.event_type === 'session_start') throw new TypeError('sessions are not allowed');
        return n + 1;
      },
    });
    const engine = new ReplayEngine(ledger, { projections: [totals, picky], snapshots: false });
    let error: unknown;
    await engine.replay().catch((e) => (error = e));
    expect(error).to.be.instanceOf(ProjectionFailedError);
    expect((error as ProjectionFailedError).projection).to.equal('picky');
    expect((error as ProjectionFailedError).sequence).to.equal(3);
    expect(await engine.stateAt(2)).to.deep.include({ sequence: 2 });
    await ledger.close();
  });

  it('reports progress, ending at the target', async () => {
    const ledger = await seeded(25);
    const progress: ReplayProgress[] = [];
    const engine = new ReplayEngine(ledger, { projections: [counts], snapshots: false, onProgress: (p) => progress.push(p), progressEvery: 10 });
    await engine.replay({ to: 20 });
    expect(progress.map((p) => p.sequence)).to.deep.equal([9, 19, 20]);
    expect(progress.every((p) => p.from === 0 && p.to === 20)).to.equal(true);
    await ledger.close();
  });

  describe('live mode', () => {
    it('replays, then folds live events; states$ emits the current states and every change', async () => {
      const ledger = await seeded(6);
      const live = new ReplayEngine(ledger, { projections: [totals, counts], snapshots: false }).live();
      expect((await live.ready).sequence).to.equal(5);
      const upTo9 = firstValueFrom(live.states$.pipe(filter((s) => s.sequence === 9)));
      for (let i = 0; i < 4; i++) await ledger.append(delta('z', 10));
      expect((await upTo9).states.totals).to.deep.include({ z: 40 });
      expect(live.current).to.deep.equal({ sequence: 9, states: naiveFold([totals, counts], await all(ledger)) });
      const rest = firstValueFrom(live.states$.pipe(toArray()));
      await live.stop();
      expect((await rest).map((s) => s.sequence)).to.deep.equal([9]);
      await ledger.close();
    });

    it('folds every event exactly once when appends race the initial replay', async () => {
      const ledger = await seeded(50);
      const burst = Promise.all(Array.from({ length: 100 }, (_, i) => ledger.append(delta('r', i))));
      const live = new ReplayEngine(ledger, { projections: [counts, totals], snapshots: false }).live();
      await burst;
      const done = await firstValueFrom(live.states$.pipe(filter((s) => s.sequence === 149)));
      expect(done.states).to.deep.equal(naiveFold([counts, totals], await all(ledger)));
      await live.stop();
      await ledger.close();
    });

    it('stops with an error on states$ when a projection throws on a live event; the last good state stays current', async () => {
      const ledger = await seeded(3);
      const strict = defineProjection<number>({
        name: 'strict', version: 1, initial: 0,
        apply: (n, e) => {
          if (e.event_type === 'session_start') throw new Error('no sessions');
          return n + 1;
        },
      });
      const live = new ReplayEngine(ledger, { projections: [strict], snapshots: false }).live();
      await live.ready;
      const outcome = firstValueFrom(live.states$.pipe(toArray())).then(() => undefined, (e: unknown) => e);
      await ledger.append(delta('a', 1));
      await ledger.append(sessionStart('x'));
      const error = await outcome;
      expect(error).to.be.instanceOf(ProjectionFailedError);
      expect((error as ProjectionFailedError).sequence).to.equal(4);
      expect(live.current).to.deep.equal({ sequence: 3, states: { strict: 4 } });
      await live.stop();
      await ledger.close();
    });
  });

  describe('projectionStateAt (the consumer test helper)', () => {
    it('gives a projection state from append inputs, from events, or from a ledger, in one line', async () => {
      expect(await projectionStateAt(totals, [delta('a', 2), delta('b', 5), delta('a', 3)])).to.deep.equal({ a: 5, b: 5 });
      expect(await projectionStateAt(totals, [delta('a', 2), delta('b', 5), delta('a', 3)], 1)).to.deep.equal({ a: 2, b: 5 });
      const ledger = await seeded(6);
      expect(await projectionStateAt(counts, ledger, 2)).to.deep.equal({ last: 2, byType: { signal_delta: 3 } });
      expect(await projectionStateAt(counts, await all(ledger))).to.deep.equal({ last: 5, byType: { signal_delta: 5, session_start: 1 } });
      expect(await projectionStateAt(totals, [])).to.deep.equal({});
      await ledger.close();
    });
  });
});
