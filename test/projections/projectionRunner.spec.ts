import { expect } from 'chai';
import {
  DuplicateProjectionError, Ledger, MemoryStore, ProjectionDefinitionError, ProjectionFailedError, ProjectionOrderError,
  ProjectionRegistry, ProjectionRunner, defineProjection, isLedgerError, type LedgerEvent,
} from '../../src/index.js';
import { counts, delta, totals } from '../support/replayFixtures.js';

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
