// handleCommand (issue 22) on a real directory ledger: the decision lands as one batch at the
// version read, an empty decision writes nothing, a writer appending between the read and the
// write makes it re-read and decide again (a bounded number of times, then a typed error), and
// bad arguments or a bad decided event are refused naming the field, nothing written.
import { expect } from 'chai';
import {
  DirectoryStore, handleCommand, Ledger, LedgerStreamConflictError, LedgerValidationError, type LedgerEvent,
} from '../../src/index.js';
import { sessionStart } from '../support/fixtures.js';
import { rejection } from '../support/rejection.js';
import { tempDir } from '../support/tempDir.js';

/** The state: how many events the stream holds, and the session ids seen. */
interface Count { readonly n: number; readonly seen: readonly string[] }
const initialState = (): Count => ({ n: 0, seen: [] });
const evolve = (s: Count, e: LedgerEvent): Count => ({ n: s.n + 1, seen: [...s.seen, (e.payload as { session_id: string }).session_id] });
/** Two events naming the state they were decided on: a stale decision shows in the stream. */
const addTwo = (s: Count) => [sessionStart(`at-${s.n}`), sessionStart(`at-${s.n}+1`)];

describe('handleCommand', function () {
  let ledger: Ledger;
  let remove: () => void;
  beforeEach(async () => {
    const t = tempDir();
    remove = t.remove;
    ledger = await Ledger.open(await DirectoryStore.open(t.dir));
  });
  afterEach(async () => {
    await ledger.close();
    remove();
  });

  it('appends the decision as one batch at NO_STREAM on a new stream, and returns the folded state', async () => {
    const r = await handleCommand(ledger, 'c-1', addTwo, { evolve, initialState });
    expect(r.results.map((x) => [x.stream_version, x.sequence])).to.deep.equal([[0, 0], [1, 1]]);
    expect(r.nextExpectedStreamVersion).to.equal(1);
    expect(r.retried).to.equal(0);
    expect(r.newState).to.deep.equal({ n: 2, seen: ['at-0', 'at-0+1'] });
    expect(r.newEvents.map((e) => [e.hash, e.batch])).to.deep.equal([[r.results[0]!.hash, { index: 0, size: 2 }], [r.results[1]!.hash, { index: 1, size: 2 }]]);
  });

  it('decides on the stream as read and appends at its version; a single event is a batch of one', async () => {
    await ledger.append({ ...sessionStart('other'), stream_id: 'elsewhere' });
    await handleCommand(ledger, 'c-1', addTwo, { evolve, initialState });
    const r = await handleCommand(ledger, 'c-1', (s: Count) => sessionStart(`at-${s.n}`), { evolve, initialState });
    expect(r.results.map((x) => x.stream_version)).to.deep.equal([2]);
    expect(r.newEvents[0]!.batch).to.equal(undefined);
    expect(r.newState.seen).to.deep.equal(['at-0', 'at-0+1', 'at-2']);
  });

  it('an empty decision writes nothing and returns the state read', async () => {
    await handleCommand(ledger, 'c-1', addTwo, { evolve, initialState });
    const tip = await ledger.getTip();
    const r = await handleCommand(ledger, 'c-1', () => [], { evolve, initialState });
    expect(r).to.deep.include({ newEvents: [], results: [], nextExpectedStreamVersion: 1, retried: 0 });
    expect(r.newState.n).to.equal(2);
    expect(await ledger.getTip()).to.deep.equal(tip);
    const none = await handleCommand(ledger, 'empty', () => [], { evolve, initialState });
    expect(none.nextExpectedStreamVersion).to.equal(-1);
    expect(await ledger.streamHead('empty')).to.equal(undefined);
  });

  it('a writer appending between the read and the write: re-read, decided again on the new state, no lost update', async () => {
    let calls = 0;
    const r = await handleCommand(ledger, 'c-1', async (s: Count) => {
      if (calls++ === 0) await ledger.append({ ...sessionStart('intruder'), stream_id: 'c-1' });
      return addTwo(s);
    }, { evolve, initialState });
    expect(calls).to.equal(2);
    expect(r.retried).to.equal(1);
    expect(r.newState.seen).to.deep.equal(['intruder', 'at-1', 'at-1+1']);
    const stored: string[] = [];
    for await (const e of ledger.readStream('c-1')) stored.push((e.payload as { session_id: string }).session_id);
    expect(stored).to.deep.equal(['intruder', 'at-1', 'at-1+1']);
  });

  it('retries a bounded number of times, then throws LedgerStreamConflictError saying so; nothing of the command written', async () => {
    let calls = 0;
    const e = await rejection(handleCommand(ledger, 'c-1', async (s: Count) => {
      calls++;
      await ledger.append({ ...sessionStart(`intruder-${calls}`), stream_id: 'c-1' });
      return addTwo(s);
    }, { evolve, initialState, retries: 2 }));
    expect(e).to.be.instanceOf(LedgerStreamConflictError);
    expect(e).to.deep.include({ code: 'LEDGER_STREAM_CONFLICT', stream_id: 'c-1', expected: 1, actual: 2 });
    expect((e as Error).message).to.match(/gave up after 3 attempts \(retries: 2\)/);
    expect(calls).to.equal(3);
    expect((await ledger.getTip()).sequence_number).to.equal(2); // the three intruders only
    const zero = await rejection(handleCommand(ledger, 'c-1', async (s: Count) => {
      await ledger.append({ ...sessionStart('once more'), stream_id: 'c-1' });
      return addTwo(s);
    }, { evolve, initialState, retries: 0 }));
    expect((zero as Error).message).to.match(/gave up after 1 attempt \(retries: 0\)/);
  });

  it('an error decide throws (a refused command) is thrown as it is, nothing written', async () => {
    class Refused extends Error {}
    const e = await rejection(handleCommand(ledger, 'c-1', () => { throw new Refused('no'); }, { evolve, initialState }));
    expect(e).to.be.instanceOf(Refused);
    expect((await ledger.getTip()).sequence_number).to.equal(-1);
  });

  it('a bad decided event is refused naming events[i] and the field; nothing of the batch written', async () => {
    const e = await rejection(handleCommand(ledger, 'c-1', () => [sessionStart('a'), { ...sessionStart('b'), schema_version: 7 as unknown as string }], { evolve, initialState }));
    expect(e).to.be.instanceOf(LedgerValidationError);
    expect(e).to.deep.include({ path: 'events[1].schema_version' });
    const named = await rejection(handleCommand(ledger, 'c-1', () => [{ ...sessionStart('a'), stream_id: 'other' }], { evolve, initialState }));
    expect(named).to.deep.include({ path: 'events[0].stream_id', value: 'other' });
    expect((await ledger.getTip()).sequence_number).to.equal(-1);
  });

  it('bad arguments are typed errors naming the option and its value', async () => {
    const cases: Array<[unknown, unknown, string, unknown]> = [
      [addTwo, { evolve, initialState, retries: -1 }, 'options.retries', -1],
      [addTwo, { evolve, initialState, retries: 1.5 }, 'options.retries', 1.5],
      [addTwo, { evolve, initialState, retries: 101 }, 'options.retries', 101],
      [addTwo, { evolve, initialState, retries: '3' }, 'options.retries', '3'],
      [addTwo, { evolve, initialState, retry: 3 }, 'options.retry', 3],
      [addTwo, { initialState }, 'options.evolve', undefined],
      [addTwo, { evolve, initialState: {} }, 'options.initialState', {}],
      [addTwo, null, 'options', null],
      ['addTwo', { evolve, initialState }, 'decide', 'addTwo'],
    ];
    for (const [decide, options, path, value] of cases) {
      const e = await rejection(handleCommand(ledger, 'c-1', decide as typeof addTwo, options as { evolve: typeof evolve; initialState: typeof initialState }));
      expect(e, path).to.be.instanceOf(LedgerValidationError);
      expect(e, path).to.deep.include({ path, value });
    }
    expect(await rejection(handleCommand(ledger, '', addTwo, { evolve, initialState }))).to.be.instanceOf(LedgerValidationError);
    expect((await ledger.getTip()).sequence_number).to.equal(-1);
  });
});
