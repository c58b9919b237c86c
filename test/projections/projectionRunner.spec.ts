import { expect } from 'chai';
import { join } from 'node:path';
import { filter, firstValueFrom, lastValueFrom } from 'rxjs';
import {
  DirectoryStore, DuplicateProjectionError, EventTypeRegistry, Ledger, LedgerSerializationError, MemoryStore, ProjectionDefinitionError, ProjectionFailedError,
  ProjectionOrderError, ProjectionRegistry, ProjectionRunner, ReplayEngine, defineProjection, isLedgerError, type LedgerEvent, type SeedAppendInput,
} from '../../src/index.js';
import { provenance, sessionStart } from '../support/fixtures.js';
import { collectingLogger, counts, delta, naiveFold, spied, totals } from '../support/replayFixtures.js';
import { tempDir } from '../support/tempDir.js';
import { appendBehindLedger } from '../support/appendBehindLedger.js';

async function ledgerOf(inputs: SeedAppendInput[]): Promise<Ledger> {
  const ledger = await Ledger.open(new MemoryStore());
  for (const input of inputs) await ledger.append(input);
  return ledger;
}

const nodeInput = (node_id: string, node_type: string): SeedAppendInput => ({ event_type: 'node_creation', schema_version: '1.0.0', provenance, payload: { node_id, node_type } });

async function eventsOf(n: number): Promise<LedgerEvent[]> {
  const ledger = await Ledger.open(new MemoryStore());
  for (let i = 0; i < n; i++) await ledger.append(delta(`n${i % 3}`, i));
  const out: LedgerEvent[] = [];
  for await (const e of ledger.readSince(-1)) out.push(e);
  await ledger.close();
  return out;
}

describe('projections', () => {
  describe('ProjectionRegistry', () => {
    it('rejects a second projection with the same name, naming it', () => {
      const registry = ProjectionRegistry.of([totals, counts]);
      expect(() => registry.register({ ...totals, version: 2 })).to.throw(DuplicateProjectionError, '"totals"');
      expect(registry.list().map((p) => p.name)).to.deep.equal(['totals', 'counts']);
    });

    it('rejects malformed projections naming the field and value', () => {
      const bad: Array<[unknown, string]> = [
        [{ ...totals, name: '' }, 'name'],
        [{ ...totals, version: 0 }, 'version'],
        [{ ...totals, version: 1.5 }, 'version'],
        [{ ...totals, initial: undefined }, 'initial'],
        [{ ...totals, apply: 'nope' }, 'apply'],
      ];
      for (const [p, field] of bad) {
        let error: unknown;
        try {
          ProjectionRegistry.of([p as never]);
        } catch (e) {
          error = e;
        }
        expect(error, field).to.be.instanceOf(ProjectionDefinitionError);
        expect((error as ProjectionDefinitionError).field).to.equal(field);
        expect((error as Error).message).to.match(new RegExp(`^${field}:`));
      }
    });
  });

  describe('ProjectionRunner', () => {
    it('folds every event exactly once, in order', async () => {
      const events = await eventsOf(6);
      const runner = new ProjectionRunner([totals, counts]);
      for (const e of events) runner.apply(e);
      expect(runner.current()).to.deep.equal({
        sequence: 5,
        states: { totals: { n0: 0 + 3, n1: 1 + 4, n2: 2 + 5 }, counts: { last: 5, byType: { signal_delta: 6 } } },
      });
    });

    it('refuses an event out of order (gap or repeat)', async () => {
      const events = await eventsOf(3);
      const runner = new ProjectionRunner([totals]);
      runner.apply(events[0]!);
      expect(() => runner.apply(events[0]!)).to.throw(ProjectionOrderError, 'expected event 1, got 0');
      expect(() => runner.apply(events[2]!)).to.throw(ProjectionOrderError, 'expected event 1, got 2');
      runner.apply(events[1]!);
      expect(runner.sequence).to.equal(1);
    });

    it('a throwing handler stops the runner with an error naming the projection and sequence; no later state is exposed', async () => {
      const events = await eventsOf(5);
      const fragile = defineProjection<number>({
        name: 'fragile', version: 1, initial: 0,
        apply: (n, e) => {
          if (e.sequence === 3) throw new Error('boom');
          return n + 1;
        },
      });
      const runner = new ProjectionRunner([totals, fragile]);
      let error: unknown;
      try {
        for (const e of events) runner.apply(e);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ProjectionFailedError);
      expect(isLedgerError(error, 'PROJECTION_FAILED')).to.equal(true);
      expect((error as ProjectionFailedError).projection).to.equal('fragile');
      expect((error as ProjectionFailedError).sequence).to.equal(3);
      expect((error as Error).message).to.equal('projection "fragile" failed at sequence 3: boom');
      // Neither projection shows event 3: totals ran before fragile threw, and was not committed.
      expect(runner.current()).to.deep.equal({ sequence: 2, states: { totals: { n0: 0, n1: 1, n2: 2 }, fragile: 3 } });
      expect(() => runner.apply(events[3]!)).to.throw(ProjectionFailedError);
      expect(runner.failed).to.equal(error);
    });

    it('does not let an impure fold alter the projection definition', async () => {
      const events = await eventsOf(2);
      const impure = defineProjection<{ seen: number[] }>({
        name: 'impure', version: 1, initial: { seen: [] },
        apply: (s, e) => {
          s.seen.push(e.sequence);
          return s;
        },
      });
      const runner = new ProjectionRunner([impure]);
      for (const e of events) runner.apply(e);
      expect(impure.initial).to.deep.equal({ seen: [] });
    });
  });
});

describe('projections that scale and do not surprise', () => {
  /** How many times an event was folded into a mutable index, keyed by node. */
  const byNode = () =>
    defineProjection({
      name: 'by_node',
      version: 1,
      canHandle: ['signal_delta'],
      init: () => new Map<string, number[]>(),
      evolve(index, e) {
        const list = index.get(e.payload.node_id) ?? [];
        list.push(e.sequence);
        index.set(e.payload.node_id, list);
      },
      serialize: (index) => Object.fromEntries(index),
      deserialize: (json) => new Map(Object.entries(json)),
    });

  describe('mutable projections', () => {
    it('fold in place into a private state and hand out JSON copies equal to the naive fold', async () => {
      const events = await eventsOf(7);
      const runner = new ProjectionRunner([byNode(), totals]);
      for (const e of events) runner.apply(e);
      const { states } = runner.current();
      expect(states).to.deep.equal(naiveFold([byNode(), totals], events));
      expect(states.by_node).to.deep.equal({ n0: [0, 3, 6], n1: [1, 4], n2: [2, 5] });
      // A caller changing what it was handed does not reach the working state.
      (states.by_node as Record<string, number[]>).n0!.push(99);
      delete (states.by_node as Record<string, number[]>).n1;
      const next = (await eventsOf(8))[7]!;
      runner.apply(next);
      expect(runner.stateOf('by_node')).to.deep.equal({ n0: [0, 3, 6], n1: [1, 4, 7], n2: [2, 5] });
    });

    it('without serialize, a plain JSON working state is copied in and out', async () => {
      const events = await eventsOf(3);
      const seen = defineProjection({ name: 'seen', version: 1, init: () => ({ list: [] as number[] }), evolve: (s, e) => void s.list.push(e.sequence) });
      const start = { list: [100] };
      const runner = new ProjectionRunner([seen], new Map([['seen', { sequence: -1, state: start }]]));
      for (const e of events) runner.apply(e);
      expect(runner.stateOf('seen')).to.deep.equal({ list: [100, 0, 1, 2] });
      expect(start).to.deep.equal({ list: [100] }); // the start point (a snapshot's JSON) is not mutated
    });

    it('serialises only at hand-out points, once per position', async () => {
      const events = await eventsOf(50);
      let serialized = 0;
      const counted = defineProjection({
        name: 'counted', version: 1, init: () => ({ n: 0 }), evolve: (s) => void s.n++,
        serialize: (s) => {
          serialized++;
          return { n: s.n };
        },
      });
      const runner = new ProjectionRunner([counted]);
      serialized = 0;
      for (const e of events) runner.apply(e);
      expect(serialized).to.equal(0);
      runner.current();
      runner.current();
      runner.stateOf('counted');
      expect(serialized).to.equal(1);
    });

    it('a throwing evolve poisons the state: it is never handed out, the error names projection and sequence', async () => {
      const events = await eventsOf(5);
      const fragile = defineProjection({
        name: 'fragile_index', version: 1, init: () => ({ seen: [] as number[] }),
        evolve(s, e) {
          s.seen.push(e.sequence); // half-changed when it throws
          if (e.sequence === 3) throw new Error('boom');
        },
      });
      const runner = new ProjectionRunner([totals, fragile]);
      let error: unknown;
      try {
        for (const e of events) runner.apply(e);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ProjectionFailedError);
      expect((error as Error).message).to.equal('projection "fragile_index" failed at sequence 3: boom');
      expect(() => runner.current()).to.throw(ProjectionFailedError, 'projection "fragile_index" failed at sequence 3');
      expect(() => runner.stateOf('fragile_index')).to.throw(ProjectionFailedError);
      expect(runner.stateOf('totals')).to.deep.equal({ n0: 0, n1: 1, n2: 2 }); // the pure state before event 3
      expect(() => runner.apply(events[3]!)).to.throw(ProjectionFailedError);
    });

    it('a pure projection that throws leaves a mutable one untouched (pure folds run first)', async () => {
      const events = await eventsOf(4);
      const pureFails = defineProjection<number>({ name: 'pure_fails', version: 1, initial: 0, apply: (n, e) => { if (e.sequence === 2) throw new Error('no'); return n + 1; } });
      const runner = new ProjectionRunner([byNode(), pureFails]);
      expect(() => { for (const e of events) runner.apply(e); }).to.throw(ProjectionFailedError, 'projection "pure_fails" failed at sequence 2: no');
      expect(runner.current()).to.deep.equal({ sequence: 1, states: { by_node: { n0: [0], n1: [1] }, pure_fails: 2 } });
    });

    it('a state that cannot be carried as canonical JSON is refused at hand-out, naming the path', async () => {
      const events = await eventsOf(2);
      const floats = defineProjection({ name: 'floats', version: 1, init: () => ({ avg: 0 }), evolve: (s) => void (s.avg += 0.25) });
      const runner = new ProjectionRunner([floats]);
      for (const e of events) runner.apply(e);
      let error: unknown;
      try {
        runner.current();
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ProjectionFailedError);
      expect((error as ProjectionFailedError).sequence).to.equal(1);
      expect(((error as Error).cause as LedgerSerializationError).path).to.equal('state.avg');
      expect(() => runner.apply(events[1]!)).to.throw(ProjectionFailedError);
    });
  });

  describe('definitions are checked as JSON', () => {
    const fieldOf = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).to.be.instanceOf(ProjectionDefinitionError);
        return (e as ProjectionDefinitionError).field;
      }
      throw new Error('expected a ProjectionDefinitionError');
    };

    it('an initial state with a float, NaN, or a Map without serialize is refused when defined, naming the path', () => {
      expect(fieldOf(() => defineProjection({ name: 'f', version: 1, initial: { a: [1, 0.5] }, apply: (s) => s }))).to.equal('initial.a[1]');
      expect(fieldOf(() => defineProjection({ name: 'f', version: 1, initial: { n: NaN }, apply: (s) => s }))).to.equal('initial.n');
      expect(fieldOf(() => defineProjection({ name: 'f', version: 1, init: () => new Map(), evolve: () => undefined }))).to.equal('initial');
      expect(fieldOf(() => defineProjection({ name: 'f', version: 1, init: () => new Map(), evolve: () => undefined, serialize: () => ({ x: 1.5 }) }))).to.equal('initial.x');
      expect(() => defineProjection({ name: 'f', version: 1, init: () => new Map<string, number>(), evolve: () => undefined, serialize: (m) => Object.fromEntries(m) })).not.to.throw();
    });

    it('refuses a malformed canHandle and a mix of the two kinds', () => {
      expect(fieldOf(() => defineProjection({ name: 'f', version: 1, canHandle: [], initial: 0, apply: (n) => n }))).to.equal('canHandle');
      expect(fieldOf(() => defineProjection({ name: 'f', version: 1, canHandle: ['Node Creation' as 'node_creation'], initial: 0, apply: (n) => n }))).to.equal('canHandle[0]');
      expect(fieldOf(() => ProjectionRegistry.of([{ name: 'f', version: 1, initial: 0, apply: (n: number) => n, init: () => 0, evolve: () => undefined } as never]))).to.equal('evolve');
    });

    it('a pure fold that produces a float fails on that fold when it is the first, naming the path', async () => {
      const events = await eventsOf(3);
      const floaty = defineProjection<{ ratio: number }>({ name: 'floaty', version: 1, initial: { ratio: 0 }, apply: (s) => ({ ratio: s.ratio + 0.25 }) });
      const runner = new ProjectionRunner([floaty]);
      let error: unknown;
      try {
        runner.apply(events[0]!);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ProjectionFailedError);
      expect((error as Error).message).to.equal('projection "floaty" failed at sequence 0: state.ratio: non-integer number 0.25: write decimals as strings');
      expect(runner.current()).to.deep.equal({ sequence: -1, states: { floaty: { ratio: 0 } } });
    });

    it('checks a pure state after folds 1, 2, 4, 8...: a later float is caught within twice its position; checks stay linear', async () => {
      const events = await eventsOf(40);
      const late = defineProjection<{ x: number }>({ name: 'late', version: 1, initial: { x: 0 }, apply: (s, e) => ({ x: e.sequence === 5 ? 0.5 : s.x }) });
      const runner = new ProjectionRunner([late]);
      let failedAt = -1;
      for (const e of events) {
        try {
          runner.apply(e);
        } catch (error) {
          failedAt = (error as ProjectionFailedError).sequence;
          break;
        }
      }
      expect(failedAt).to.equal(7); // the 8th fold

      // How often the state is read as JSON: count ownKeys on a state that never changes.
      let reads = 0;
      const watched = new Proxy({ k: 1 }, { ownKeys: (t) => (reads++, Reflect.ownKeys(t)) });
      const same = defineProjection<{ k: number }>({ name: 'same', version: 1, initial: { k: 1 }, apply: () => watched });
      const r2 = new ProjectionRunner([same]);
      reads = 0;
      for (const e of events) r2.apply(e);
      expect(reads).to.be.within(1, 2 * 6); // folds 1, 2, 4, 8, 16, 32 of 40
    });
  });

  describe('which events a projection sees', () => {
    async function withSnapshotRecord(): Promise<LedgerEvent[]> {
      // The framework's own record, written as its snapshot path would (Ledger.append refuses the type).
      const store = new MemoryStore();
      const ledger = await Ledger.open(store);
      await ledger.append(delta('a', 1));
      await appendBehindLedger(store, {
        event_type: 'snapshot_created', schema_version: '1.0.0', provenance: { framework_id: 'FMWK-001', pack_id: 'PC-001-ledger', actor: 'system' },
        payload: { sequence: 0, file: '0.snapshot', file_hash: `sha256:${'a'.repeat(64)}`, anchor_hash: `sha256:${'b'.repeat(64)}`, format_version: 1, projections: [] },
      });
      await ledger.close();
      const reopened = await Ledger.open(store);
      await reopened.append(sessionStart('s'));
      const out: LedgerEvent[] = [];
      for await (const e of reopened.readSince(-1)) out.push(e);
      await reopened.close();
      return out;
    }

    it('framework events (snapshot_created) are hidden unless asked for; canHandle folds only its types', async () => {
      const events = await withSnapshotRecord();
      const all = defineProjection({ ...counts, name: 'all', includeFrameworkEvents: true });
      const records = defineProjection({
        name: 'records', version: 1, canHandle: ['snapshot_created'], initial: [] as number[],
        apply: (list, e) => [...list, e.payload.sequence],
      });
      const sessions = spied(defineProjection({ name: 'sessions', version: 1, canHandle: ['session_start'], initial: [] as string[], apply: (l, e) => [...l, e.payload.session_id] }));
      const runner = new ProjectionRunner([counts, all, records, sessions]);
      for (const e of events) runner.apply(e);
      expect(runner.current()).to.deep.equal({
        sequence: 2,
        states: {
          counts: { last: 2, byType: { signal_delta: 1, session_start: 1 } },
          all: { last: 2, byType: { signal_delta: 1, snapshot_created: 1, session_start: 1 } },
          records: [0],
          sessions: ['s'],
        },
      });
      expect(sessions.applied).to.equal(1);
      expect(EventTypeRegistry.isReserved('snapshot_created')).to.equal(true);
    });

    it('types the event from canHandle (compile-time: these lines type-check only because of it)', async () => {
      const nodes = defineProjection({
        name: 'nodes', version: 1, canHandle: ['node_creation', 'signal_delta'], initial: {} as Record<string, string>,
        apply(state, e) {
          if (e.event_type === 'node_creation') return { ...state, [e.payload.node_id]: e.payload.node_type };
          // @ts-expect-error node_type is not a field of signal_delta
          const nope: unknown = e.payload.node_type;
          return nope === undefined ? { ...state, [e.payload.node_id]: e.payload.signal } : state;
        },
      });
      // @ts-expect-error 'session_start' is not handled, so it is not in the event union
      const unreachable = (e: Parameters<typeof nodes.apply>[1]) => e.event_type === 'session_start';
      expect(unreachable).to.be.a('function');
      const engine = new ReplayEngine(await ledgerOf([nodeInput('a', 'concept'), delta('a', 1)]), { projections: [nodes], snapshots: false });
      const { states } = await engine.replay();
      const typed: Record<string, string> = states.nodes; // StatesOf: typed by the projection's name, no cast
      expect(typed).to.deep.equal({ a: 's' });
    });
  });
});

describe('mutable projections with snapshots and live mode (directory store)', () => {
  let dir: string;
  let remove: () => void;
  let ledger: Ledger;
  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    ledger = await Ledger.open(await DirectoryStore.open(join(dir, 'ledger')));
  });
  afterEach(async () => {
    await ledger.close().catch(() => undefined);
    remove();
  });

  const index = (counter: { deserialized: number }) =>
    defineProjection({
      name: 'index', version: 1, canHandle: ['signal_delta'],
      init: () => new Map<string, number>(),
      evolve: (m, e) => void m.set(e.payload.node_id, (m.get(e.payload.node_id) ?? 0) + 1),
      serialize: (m) => Object.fromEntries(m),
      deserialize: (json) => {
        counter.deserialized++;
        return new Map(Object.entries(json));
      },
    });

  it('a snapshot carries serialize(state); a later replay starts from deserialize(snapshot) and equals a full fold', async () => {
    for (let i = 0; i < 10; i++) await ledger.append(delta(`n${i % 3}`, i));
    const counter = { deserialized: 0 };
    await new ReplayEngine(ledger, { projections: [index(counter)] }).takeSnapshot();
    for (let i = 0; i < 4; i++) await ledger.append(delta('n9', i));
    const result = await new ReplayEngine(ledger, { projections: [index(counter)], logger: collectingLogger() }).replay();
    expect(counter.deserialized).to.equal(1);
    const events: LedgerEvent[] = [];
    for await (const e of ledger.readSince(-1)) events.push(e);
    expect(result).to.deep.equal({ sequence: 14, states: naiveFold([index({ deserialized: 0 })], events) });
    expect(result.states.index).to.deep.equal({ n0: 4, n1: 3, n2: 3, n9: 4 });
  });

  it('live mode emits a fresh JSON copy per event; a state that cannot be serialised errors states$ naming the sequence', async () => {
    await ledger.append(delta('a', 1));
    const live = new ReplayEngine(ledger, { projections: [index({ deserialized: 0 })], snapshots: false }).live();
    const first = await live.ready;
    await ledger.append(delta('a', 2));
    const second = await firstValueFrom(live.states$.pipe(filter((s) => s.sequence === 1)));
    expect(first.states.index).to.deep.equal({ a: 1 });
    expect(second.states.index).to.deep.equal({ a: 2 });
    await live.stop();

    const bad = defineProjection({ name: 'bad', version: 1, init: () => ({ x: 0 }), evolve: (s, e) => void (s.x = e.sequence === 3 ? 0.5 : e.sequence) });
    const live2 = new ReplayEngine(ledger, { projections: [bad], snapshots: false }).live();
    await live2.ready;
    const failure = lastValueFrom(live2.states$).catch((e: unknown) => e);
    await ledger.append(delta('a', 3));
    await ledger.append(delta('a', 4));
    const error = await failure;
    expect(error).to.be.instanceOf(ProjectionFailedError);
    expect((error as ProjectionFailedError).sequence).to.equal(3);
    expect(live2.current!.sequence).to.equal(2); // the last good states stay the last published
    await live2.stop();

    // Already unserialisable after the initial replay: ready rejects and states$ errors (it does not hang).
    const live3 = new ReplayEngine(ledger, { projections: [bad], snapshots: false }).live();
    const [ready, errored] = await Promise.all([live3.ready.catch((e: unknown) => e), lastValueFrom(live3.states$).catch((e: unknown) => e)]);
    expect(ready).to.be.instanceOf(ProjectionFailedError);
    expect(errored).to.equal(ready);
    await live3.stop();
  });
});
