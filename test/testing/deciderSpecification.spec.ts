import { expect } from 'chai';
import { AssertionError } from 'node:assert';
import { DeciderSpecification } from '../../src/testing.js';

// A small decider: a door that can be opened once and closed.
type Door = { readonly open: boolean; readonly opened: number };
type Command = { readonly type: 'open' } | { readonly type: 'close' } | { readonly type: 'knock' };
type DoorEvent = { readonly type: 'opened'; readonly count: number } | { readonly type: 'closed' };

class DoorAlreadyOpen extends Error {}

const door = {
  initialState: (): Door => ({ open: false, opened: 0 }),
  evolve: (s: Door, e: DoorEvent): Door => (e.type === 'opened' ? { open: true, opened: e.count } : { ...s, open: false }),
  decide: (c: Command, s: Door): DoorEvent | DoorEvent[] => {
    if (c.type === 'knock') return [];
    if (c.type === 'open') {
      if (s.open) throw new DoorAlreadyOpen(`the door is open (opened ${s.opened} times)`);
      return { type: 'opened', count: s.opened + 1 };
    }
    return s.open ? [{ type: 'closed' }] : [];
  },
};

const given = DeciderSpecification.for(door);

describe('fmwk-ledger/testing: DeciderSpecification', () => {
  it('given/when/then: the events a command produces from the folded state', () => {
    given([]).when({ type: 'open' }).then([{ type: 'opened', count: 1 }]);
    given([{ type: 'opened', count: 1 }, { type: 'closed' }]).when({ type: 'open' }).then({ type: 'opened', count: 2 });
    given([{ type: 'opened', count: 1 }]).when({ type: 'close' }).then([{ type: 'closed' }]);
    given().when({ type: 'knock' }).thenNothingHappened();
  });

  it('thenThrows: by error class, by predicate, or any throw', () => {
    given([{ type: 'opened', count: 1 }]).when({ type: 'open' }).thenThrows(DoorAlreadyOpen);
    given([{ type: 'opened', count: 1 }]).when({ type: 'open' }).thenThrows((e) => e instanceof Error && /opened 1 times/.test(e.message));
    given([{ type: 'opened', count: 1 }]).when({ type: 'open' }).thenThrows();
  });

  it('fails with an AssertionError when the expectation is wrong', () => {
    const fails = (fn: () => void, message: RegExp) => expect(fn).to.throw(AssertionError, message);
    fails(() => given([]).when({ type: 'open' }).then([{ type: 'opened', count: 2 }]), /deep-equal|strictly deep-equal|Expected/);
    fails(() => given([]).when({ type: 'open' }).thenNothingHappened(), /Expected/);
    fails(() => given([]).when({ type: 'open' }).thenThrows(DoorAlreadyOpen), /decide returned \[\{"type":"opened","count":1\}\], expected it to throw/);
    fails(() => given([{ type: 'opened', count: 1 }]).when({ type: 'open' }).thenThrows(RangeError), /expected an instance of RangeError/);
    fails(() => given([{ type: 'opened', count: 1 }]).when({ type: 'open' }).thenThrows(() => false), /the predicate rejected/);
    fails(() => given([{ type: 'opened', count: 1 }]).when({ type: 'open' }).then([]), /decide threw Error: the door is open/);
  });
});
