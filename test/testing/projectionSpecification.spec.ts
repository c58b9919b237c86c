import { expect } from 'chai';
import { AssertionError } from 'node:assert';
import { Ledger, MemoryStore, ProjectionFailedError, defineProjection, isLedgerError, type LedgerEvent } from '../../src/index.js';
import { ProjectionSpecification } from '../../src/testing.js';
import { delta, totals } from '../support/replayFixtures.js';

const rejection = async (p: Promise<unknown>): Promise<unknown> => p.then(() => expect.fail('expected a rejection'), (e: unknown) => e);

describe('fmwk-ledger/testing: ProjectionSpecification', () => {
  const given = ProjectionSpecification.for(totals);

  it('given(inputs).thenState(expected): the state after the events, in one line', async () => {
    await given([delta('a', 2), delta('b', 5), delta('a', 3)]).thenState({ a: 5, b: 5 });
    await given([]).thenState({});
  });

  it('accepts events already in a ledger, and a ledger', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    for (const d of [delta('a', 1), delta('a', 1)]) await ledger.append(d);
    const events: LedgerEvent[] = [];
    for await (const e of ledger.readSince(-1)) events.push(e);
    await given(events).thenState({ a: 2 });
    await given(ledger).thenState({ a: 2 });
    await ledger.close();
  });

  it('fails with an AssertionError when the state differs', async () => {
    const e = await rejection(given([delta('a', 2)]).thenState({ a: 3 }));
    expect(e).to.be.instanceOf(AssertionError);
  });

  it('thenThrows: a fold that throws, by class or predicate; fails when nothing throws', async () => {
    const fragile = defineProjection<number>({
      name: 'fragile', version: 1, initial: 0,
      apply: (n, e) => {
        if (e.sequence === 1) throw new Error('boom');
        return n + 1;
      },
    });
    const givenFragile = ProjectionSpecification.for(fragile);
    await givenFragile([delta('a', 1), delta('a', 1)]).thenThrows(ProjectionFailedError);
    await givenFragile([delta('a', 1), delta('a', 1)]).thenThrows((e) => isLedgerError(e, 'PROJECTION_FAILED') && /sequence 1: boom/.test(e.message));
    const e = await rejection(givenFragile([delta('a', 1)]).thenThrows(ProjectionFailedError));
    expect(e).to.be.instanceOf(AssertionError);
    expect((e as Error).message).to.equal('projection "fragile" reached 1, expected it to throw');
  });
});
