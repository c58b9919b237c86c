// The atomic-batch cases of the conformance suite (issue 22), registered by
// ledgerStoreConformance for every store: consecutive sequences and versions, all or nothing on
// each kind of bad event, duplicate event ids, expected versions, idempotent and partial
// retries, reserved types, batches across streams, and (for a store with a second handle) the
// store's own atomic checks of a batch.
import assert from 'node:assert/strict';
import { ANY, NO_STREAM, STREAM_EXISTS, type AppendResult } from '../contract/event.js';
import { LedgerEventIdConflictError, LedgerLockedError, LedgerSequenceError, LedgerStreamConflictError, LedgerValidationError } from '../errors/errors.js';
import { EventTypeRegistry } from '../ledger/eventTypeRegistry.js';
import { Ledger, type LedgerOptions } from '../ledger/ledger.js';
import type { LedgerStore } from '../ledger/ledgerStore.js';
import * as t from 'io-ts';

/** A type reserved once per process (reservations are global), for the reserved-type case. */
const RESERVED = 'conformance_batch_reserved';
let reservedDone = false;
function reserveOnce(): void {
  if (reservedDone) return;
  reservedDone = true;
  try {
    EventTypeRegistry.reserve(RESERVED, t.type({}));
  } catch {
    /* reserved already (another copy of this module): what the case needs */
  }
}

/** ledgerStoreConformance's test registrar. */
export type ConformanceTest = (
  title: string,
  fn: (ledger: Ledger, sut: { readonly reopen?: () => Promise<LedgerStore> }) => Promise<Ledger | void>,
  ledgerOptions?: LedgerOptions,
) => void;

const provenance = { framework_id: 'FMWK-001', pack_id: 'PC-001-ledger', actor: 'system' } as const;
const ev = (session_id: string, extra: Record<string, unknown> = {}) => ({
  event_type: 'session_start' as const, schema_version: '1.0.0', provenance, payload: { session_id }, ...extra,
});
const ids = Array.from({ length: 8 }, (_, i) => `01890a5d-ac96-774b-bcce-b302099a80${String(50 + i)}`);

async function refused(p: Promise<unknown>, type: new (...args: never[]) => Error, message: RegExp, what: string): Promise<Error> {
  let error: unknown;
  await assert.rejects(p, (e: unknown) => {
    error = e;
    assert.ok(e instanceof type, `${what}: expected ${type.name}, got ${String(e)}`);
    assert.match((e as Error).message, message, what);
    return true;
  });
  return error as Error;
}

/** Registers the batch cases with `test`; `persistent`: the store can be opened twice. */
export function registerBatchConformance(test: ConformanceTest, persistent: boolean): void {
  test('appendToStream: one result per event, consecutive sequences and stream versions, each event marked with its place in the batch', async (ledger) => {
    await ledger.append(ev('before'));
    const results = await ledger.appendToStream('order-1', [ev('a'), ev('b'), ev('c')], { expectedVersion: NO_STREAM });
    assert.deepEqual(results.map((r) => [r.sequence, r.stream_id, r.stream_version]), [[1, 'order-1', 0], [2, 'order-1', 1], [3, 'order-1', 2]]);
    const stored = [];
    for await (const e of ledger.readRange(0, 3)) stored.push(e);
    assert.equal((stored[0] as { batch?: unknown }).batch, undefined, 'a single append carries no batch');
    assert.deepEqual(stored.slice(1).map((e) => (e as { batch?: unknown }).batch), [{ index: 0, size: 3 }, { index: 1, size: 3 }, { index: 2, size: 3 }]);
    assert.deepEqual(results.map((r) => r.hash), stored.slice(1).map((e) => e.hash));
    // A batch of one is a single append: no batch member.
    const [one] = await ledger.appendToStream('order-1', [ev('d')], { expectedVersion: 2 });
    assert.equal((await ledger.read(one!.sequence) as { batch?: unknown }).batch, undefined);
    assert.deepEqual(await ledger.verifyChain(), { valid: true, break_at: null, count: 5 });
  });

  test('a bad event anywhere in a batch is a typed error naming events[i] and the field; nothing of the batch is written', async (ledger) => {
    await ledger.append(ev('first'));
    const tip = await ledger.getTip();
    const bad: Array<[string, unknown[], new (...args: never[]) => Error, RegExp]> = [
      ['payload field', [ev('a'), ev('b'), { ...ev('c'), payload: {} }], LedgerValidationError, /^events\[2\]\.payload\.session_id: /],
      ['unknown type', [ev('a'), { ...ev('b'), event_type: 'no_such_type' }], LedgerValidationError, /^events\[1\]\.event_type: /],
      ['ledger-owned field', [{ ...ev('a'), sequence: 9 }, ev('b')], LedgerValidationError, /^events\[0\]\.sequence: /],
      ['batch field from the caller', [ev('a'), { ...ev('b'), batch: { index: 1, size: 2 } }], LedgerValidationError, /^events\[1\]\.batch: /],
      ['not an object', [ev('a'), 'x'], LedgerValidationError, /^events\[1\]: /],
      ['repeated event_id', [ev('a', { event_id: ids[0] }), ev('b', { event_id: ids[0] })], LedgerValidationError, /^events\[1\]\.event_id: repeats the event_id of events\[0\]/],
      ['another stream', [ev('a'), ev('b', { stream_id: 'other' })], LedgerValidationError, /^events\[1\]\.stream_id: /],
      ['expected_version per event', [ev('a'), ev('b', { expected_version: 0 })], LedgerValidationError, /^events\[1\]\.expected_version: /],
    ];
    for (const [what, events, type, message] of bad) await refused(ledger.appendToStream('s', events as never), type, message, what);
    await refused(ledger.appendToStream('s', [] as never), LedgerValidationError, /^events: expected at least one event/, 'empty batch');
    await refused(ledger.appendBatch('x' as never), LedgerValidationError, /^events: expected an array/, 'not an array');
    await refused(ledger.appendToStream('s', [ev('a')], { expectedVersion: -2 as never }), LedgerValidationError, /^events\[0\]\.expected_version: /, 'bad expected version');
    assert.deepEqual(await ledger.getTip(), tip);
    assert.equal(await ledger.streamHead('s'), undefined);
  });

  test('expected versions: NO_STREAM, a number, STREAM_EXISTS and ANY on a batch; a conflict names events[i] and writes nothing', async (ledger) => {
    await ledger.appendToStream('acct', [ev('a'), ev('b')], { expectedVersion: NO_STREAM });
    const tip = await ledger.getTip();
    let e = (await refused(ledger.appendToStream('acct', [ev('c'), ev('d')], { expectedVersion: NO_STREAM }), LedgerStreamConflictError, /^events\[0\]: stream "acct": expected version -1, but its last version is 1/, 'NO_STREAM on an existing stream')) as LedgerStreamConflictError;
    assert.deepEqual([e.expected, e.actual], [-1, 1]);
    await refused(ledger.appendToStream('acct', [ev('c'), ev('d')], { expectedVersion: 0 }), LedgerStreamConflictError, /expected version 0, but its last version is 1/, 'a stale number');
    e = (await refused(ledger.appendToStream('fresh', [ev('c'), ev('d')], { expectedVersion: STREAM_EXISTS }), LedgerStreamConflictError, /expected the stream to exist/, 'STREAM_EXISTS on no stream')) as LedgerStreamConflictError;
    assert.equal(e.expected, STREAM_EXISTS);
    assert.deepEqual(await ledger.getTip(), tip);
    assert.deepEqual((await ledger.appendToStream('acct', [ev('c'), ev('d')], { expectedVersion: 1 })).map((r) => r.stream_version), [2, 3]);
    assert.deepEqual((await ledger.appendToStream('acct', [ev('e')], { expectedVersion: STREAM_EXISTS })).map((r) => r.stream_version), [4]);
    assert.deepEqual((await ledger.appendToStream('acct', [ev('f')], { expectedVersion: ANY })).map((r) => r.stream_version), [5]);
    // The constants on a single append too; "no_stream" as the JSON spelling of NO_STREAM.
    assert.equal((await ledger.append(ev('g', { stream_id: 'new', expected_version: 'no_stream' }) as never)).stream_version, 0);
    assert.equal((await ledger.append(ev('h', { stream_id: 'new', expected_version: STREAM_EXISTS }) as never)).stream_version, 1);
    assert.equal((await ledger.append(ev('i', { expected_version: ANY }) as never)).stream_version, undefined);
  });

  test('appendBatch: events of several streams and none in one batch, each expected version checked where its event stands', async (ledger) => {
    await ledger.append(ev('a', { stream_id: 'x' }));
    const results = await ledger.appendBatch([
      ev('b', { stream_id: 'x', expected_version: 0 }), ev('c', { stream_id: 'y', expected_version: NO_STREAM }), ev('d'),
      ev('e', { stream_id: 'x', expected_version: 1 }), ev('f', { stream_id: 'y' }),
    ] as never);
    assert.deepEqual(results.map((r) => [r.sequence, r.stream_id, r.stream_version]), [[1, 'x', 1], [2, 'y', 0], [3, undefined, undefined], [4, 'x', 2], [5, 'y', 1]]);
    const tip = await ledger.getTip();
    // events[1] expects version 2 of x, but events[0] of the batch makes it 3 before it.
    await refused(ledger.appendBatch([ev('g', { stream_id: 'x', expected_version: 2 }), ev('h', { stream_id: 'x', expected_version: 2 })] as never),
      LedgerStreamConflictError, /^events\[1\]: stream "x": expected version 2, but its last version is 3/, 'an expected version inside the batch');
    assert.deepEqual(await ledger.getTip(), tip);
    assert.deepEqual(await ledger.verifyChain(), { valid: true, break_at: null, count: 6 });
  });

  test('event ids: held by the ledger with other content, refused naming the event; nothing of the batch is written', async (ledger) => {
    const [held] = await ledger.appendToStream('s', [ev('a', { event_id: ids[1] })]);
    const tip = await ledger.getTip();
    await refused(ledger.appendToStream('s', [ev('b'), ev('other', { event_id: ids[1] })]), LedgerEventIdConflictError, /events\[1\]: the ledger holds this event_id with other content \(payload differ/, 'held id, other content');
    await refused(ledger.appendBatch([ev('b'), ev('a', { event_id: ids[1], stream_id: 's' })] as never), LedgerEventIdConflictError, /events\[0\] \(event_id \(none given\)\) is not where a retry/, 'a held single event inside a new batch');
    assert.deepEqual(await ledger.getTip(), tip);
    assert.equal(held!.sequence, 0);
  });

  test('a retry of a whole batch returns the original results and writes nothing; a partial or reordered retry is refused naming the event', async (ledger) => {
    const batch = [ev('a', { event_id: ids[2] }), ev('b', { event_id: ids[3] }), ev('c', { event_id: ids[4] })];
    const first = await ledger.appendToStream('r', batch, { expectedVersion: NO_STREAM });
    await ledger.append(ev('later'));
    const tip = await ledger.getTip();
    // The same batch again, with its expected version now stale: still the original results.
    assert.deepEqual(await ledger.appendToStream('r', batch, { expectedVersion: NO_STREAM }), first);
    assert.deepEqual(await ledger.appendBatch(batch.map((e) => ({ ...e, stream_id: 'r' })) as never), first);
    await refused(ledger.appendToStream('r', batch.slice(0, 2)), LedgerEventIdConflictError, /events\[0\] .*is not where a retry/, 'the first two of three');
    await refused(ledger.appendToStream('r', [batch[0]!, batch[1]!, ev('new', { event_id: ids[5] })]), LedgerEventIdConflictError, /events\[2\] \(event_id [^)]+\) is not where a retry .*the ledger does not hold it/, 'two of three and a new one');
    await refused(ledger.appendToStream('r', [batch[1]!, batch[0]!, batch[2]!]), LedgerEventIdConflictError, /events\[0\] .*is not where a retry/, 'reordered');
    await refused(ledger.appendToStream('r', [batch[0]!, { ...batch[1]!, payload: { session_id: 'changed' } }, batch[2]!]), LedgerEventIdConflictError, /events\[1\]: the ledger holds this event_id with other content/, 'changed content');
    assert.deepEqual(await ledger.getTip(), tip);
  });

  test('a reserved type anywhere in a batch is refused naming events[i]; nothing is written', async (ledger) => {
    reserveOnce();
    const reserved = { event_type: RESERVED, schema_version: '1.0.0', provenance, payload: {} };
    await refused(ledger.appendBatch([ev('a'), reserved] as never), LedgerValidationError, /^events\[1\]\.event_type: .*reserved/, 'reserved type');
    assert.equal((await ledger.getTip()).sequence_number, -1);
  });

  test('the largest batch the store takes (LedgerStore.maxBatch, or 256 where it sets none) is appended whole; one more event is refused, writing nothing', async (ledger) => {
    // Stores with a per-transaction limit (immudb: operations and preconditions per ExecAll)
    // must declare a maxBatch that the store really accepts, indexes and all, across streams.
    const max = ledger.store.maxBatch ?? 256;
    const events = Array.from({ length: max }, (_, i) => ev(`m${i}`, { stream_id: `max-${i % 3}` }));
    const results = await ledger.appendBatch(events);
    assert.equal(results.length, max);
    assert.deepEqual(results.slice(0, 3).map((r) => r.stream_version), [0, 0, 0]);
    assert.equal(results.at(-1)!.sequence, max - 1);
    if (ledger.store.maxBatch !== undefined) {
      await refused(ledger.appendBatch([...events, ev('one-more')]), LedgerValidationError, /^events: a batch of \d+ events is more than/, 'over maxBatch');
    }
    assert.equal((await ledger.getTip()).sequence_number, max - 1);
    assert.deepEqual(await ledger.verifyChain(), { valid: true, break_at: null, count: max });
  });

  if (persistent) {
    test('two ledgers on one store: a batch whose versions or event ids another writer took meanwhile is refused whole by the store', async (ledger, sut) => {
      await ledger.appendToStream('race', [ev('a')]);
      const other = await sut.reopen!().catch((e: unknown) => e);
      if (other instanceof LedgerLockedError) return; // a single-writer store: no race possible
      if (other instanceof Error) throw other;
      const second = await Ledger.open(other as LedgerStore);
      try {
        // Both saw version 0 as the head; the store lets exactly one batch of versions 1, 2 in.
        const [won, lost] = await Promise.allSettled([
          ledger.appendToStream('race', [ev('w1'), ev('w2')], { expectedVersion: 0 }),
          second.appendToStream('race', [ev('l1'), ev('l2')], { expectedVersion: 0 }),
        ]);
        const outcomes = [won, lost].map((o) => o.status);
        assert.deepEqual(outcomes.sort(), ['fulfilled', 'rejected']);
        const rejected = [won, lost].find((o) => o.status === 'rejected') as PromiseRejectedResult;
        assert.ok(rejected.reason instanceof LedgerStreamConflictError || rejected.reason instanceof LedgerSequenceError, String(rejected.reason));
        const kept = ([won, lost].find((o) => o.status === 'fulfilled') as PromiseFulfilledResult<AppendResult[]>).value;
        assert.deepEqual(kept.map((r) => r.stream_version), [1, 2]);
        assert.deepEqual(await ledger.verifyChain(), { valid: true, break_at: null, count: 3 });
        assert.equal((await ledger.streamHead('race'))?.version, 2);
      } finally {
        await second.close();
      }
    });
  }
}
