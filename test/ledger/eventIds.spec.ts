// The ids the ledger generates: UUIDv7 from a pooled CSPRNG, with uuid's monotonic rule.
import { expect } from 'chai';
import { validate, version } from 'uuid';
import { newEventId } from '../../src/ledger/eventIds.js';
import { Ledger, MemoryStore } from '../../src/index.js';
import { sessionStart } from '../support/fixtures.js';

describe('generated event ids', () => {
  it('are valid UUIDv7, unique and in string order across many pool refills within one millisecond', () => {
    const now = Date.now() + 60_000; // past any id made so far: a new millisecond
    const ids = Array.from({ length: 5000 }, () => newEventId(now)); // ~20 refills of the 256-id pool
    for (const id of ids) {
      expect(validate(id), id).to.equal(true);
      expect(version(id), id).to.equal(7);
    }
    expect(new Set(ids).size).to.equal(ids.length);
    expect([...ids].sort()).to.deep.equal(ids);
    // The millisecond is the one asked for (the counter did not wrap in 5000 steps from 31 bits).
    expect(Number.parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16)).to.equal(now);
  });

  it('stay in order when the clock goes back, and take the newer millisecond when it moves on', () => {
    const now = Date.now() + 120_000;
    const a = newEventId(now);
    const b = newEventId(now - 5_000); // the clock stepped back: still after a
    const c = newEventId(now + 1);
    expect(a < b && b < c, `${a} ${b} ${c}`).to.equal(true);
    expect(Number.parseInt(c.replace(/-/g, '').slice(0, 12), 16)).to.equal(now + 1);
  });

  it('are the ids an append without event_id gets (random bits differ between ids)', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    const one = await ledger.append(sessionStart('a'));
    const two = await ledger.append(sessionStart('b'));
    for (const r of [one, two]) expect(version(r.event_id)).to.equal(7);
    expect(one.event_id.slice(-12)).to.not.equal(two.event_id.slice(-12));
  });
});
