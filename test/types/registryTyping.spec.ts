// Typing without ceremony (issue 22): a projection typed from a registry without the curried
// form, a provenance declared once without `as const`, and EventUnion narrowed by a `switch` on
// event_type (also for subscriptions). A type test as much as a spec: tsc must accept each typed
// line and reject each `@ts-expect-error` line (an expectation that stops being an error fails
// the build); at run time the same calls go to a real ledger and runner.
import { expect } from 'chai';
import * as t from 'io-ts';
import { firstValueFrom, take, toArray } from 'rxjs';
import {
  defineProjection, defineProvenance, EventTypeRegistry, Ledger, LedgerValidationError, MemoryStore, ProjectionDefinitionError, ProjectionRunner,
  type EventUnion, type LedgerEvent, type Provenance,
} from '../../src/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T | undefined => undefined;

const Receipt = t.type({ receipt_id: t.string, amount: t.number }, 'receipt_committed payload');
const Refund = t.type({ receipt_id: t.string, reason: t.string }, 'refund_issued payload');
const registry = EventTypeRegistry.withSeedTypes().register('receipt_committed', Receipt).register('refund_issued', Refund);

describe('typing without ceremony', () => {
  it('defineProjection(registry, {...}) types each canHandle event from the registry; an unregistered type is refused by tsc and at definition', async () => {
    const total = defineProjection(registry, {
      name: 'total', version: 1, canHandle: ['receipt_committed', 'refund_issued'], initial: { sum: 0, refunds: [] as string[] },
      apply: (s, e) => (e.event_type === 'receipt_committed' ? { ...s, sum: s.sum + e.payload.amount } : { ...s, refunds: [...s.refunds, e.payload.reason] }),
    });
    type Folded = Parameters<typeof total.apply>[1];
    assertType<Equal<Folded['event_type'], 'receipt_committed' | 'refund_issued'>>();
    const ids = defineProjection(registry, {
      name: 'ids', version: 1, canHandle: ['refund_issued'], init: () => [] as string[], evolve: (list, e) => void list.push(e.payload.receipt_id),
    });
    defineProjection(registry, {
      name: 'wrong', version: 1, canHandle: ['receipt_committed'], initial: 0,
      // @ts-expect-error receipt_committed has no reason (its payload type is the codec's)
      apply: (n, e) => n + e.payload.reason.length,
    });
    const err = (() => {
      try {
        // @ts-expect-error 'receipt_comitted' (typo) is not registered
        defineProjection(registry, { name: 'typo', version: 1, canHandle: ['receipt_comitted'], initial: 0, apply: (n: number) => n + 1 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).to.be.instanceOf(ProjectionDefinitionError).with.property('field', 'canHandle[0]');
    // Without canHandle the fold sees every event: the base LedgerEvent.
    const count = defineProjection(registry, { name: 'count', version: 1, initial: 0, apply: (n, e) => n + (e.sequence >= 0 ? 1 : 0) });
    assertType<Equal<Parameters<typeof count.apply>[1], LedgerEvent>>();

    const ledger = await Ledger.open(new MemoryStore(), { registry });
    const provenance = defineProvenance({ framework_id: 'FMWK-SHOP', pack_id: 'PC-SHOP', actor: 'agent' });
    await ledger.append({ event_type: 'receipt_committed', schema_version: '1.0.0', provenance, payload: { receipt_id: 'r1', amount: 5 } });
    await ledger.append({ event_type: 'receipt_committed', schema_version: '1.0.0', provenance, payload: { receipt_id: 'r2', amount: 7 } });
    await ledger.append({ event_type: 'refund_issued', schema_version: '1.0.0', provenance, payload: { receipt_id: 'r1', reason: 'late' } });
    const runner = new ProjectionRunner([total, ids, count]);
    for await (const e of ledger.readSince(-1)) runner.apply(e);
    expect(runner.current().states).to.deep.equal({ total: { sum: 12, refunds: ['late'] }, ids: ['r1'], count: 3 });
    await ledger.close();
  });

  it('a provenance declared once needs no `as const`: defineProvenance (or a Provenance annotation, or satisfies); a plain const is still refused', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    const viaHelper = defineProvenance({ framework_id: 'FMWK-001', pack_id: 'PC-001', actor: 'operator' });
    const annotated: Provenance = { framework_id: 'FMWK-001', pack_id: 'PC-001', actor: 'system' };
    const checked = { framework_id: 'FMWK-001', pack_id: 'PC-001', actor: 'agent' } satisfies Provenance;
    for (const provenance of [viaHelper, annotated, checked]) {
      await ledger.append({ event_type: 'session_start', schema_version: '1.0.0', provenance, payload: { session_id: provenance.actor } });
    }
    const plain = { framework_id: 'FMWK-001', pack_id: 'PC-001', actor: 'agent' };
    // @ts-expect-error a plain const widens actor to string (what defineProvenance avoids)
    await ledger.append({ event_type: 'session_start', schema_version: '1.0.0', provenance: plain, payload: { session_id: 'x' } });
    expect((await ledger.read(2)).provenance.actor).to.equal('agent');
    expect(Object.isFrozen(viaHelper)).to.equal(true);
    // Checked at run time too, naming the field.
    // @ts-expect-error actor is one of system, operator, agent
    expect(() => defineProvenance({ framework_id: 'F', pack_id: 'P', actor: 'root' })).to.throw(LedgerValidationError).with.property('path', 'provenance.actor');
    // @ts-expect-error unknown fields are refused
    expect(() => defineProvenance({ framework_id: 'F', pack_id: 'P', actor: 'agent', extra: 1 })).to.throw(LedgerValidationError).with.property('path', 'provenance.extra');
    expect(() => defineProvenance({ framework_id: '', pack_id: 'P', actor: 'agent' })).to.throw(LedgerValidationError).with.property('path', 'provenance.framework_id');
    await ledger.close();
  });

  it('EventUnion narrows on event_type in a switch (exhaustively), for reads and for subscriptions', async () => {
    const small = new EventTypeRegistry().register('receipt_committed', Receipt).register('refund_issued', Refund);
    const ledger = await Ledger.open(new MemoryStore(), { registry: small });
    const provenance = defineProvenance({ framework_id: 'F', pack_id: 'P', actor: 'system' });
    await ledger.append({ event_type: 'receipt_committed', schema_version: '1.0.0', provenance, payload: { receipt_id: 'r1', amount: 3 } });
    await ledger.append({ event_type: 'refund_issued', schema_version: '1.0.0', provenance, payload: { receipt_id: 'r1', reason: 'x' } });
    const describe = (e: EventUnion<typeof small extends EventTypeRegistry<infer M> ? M : never>): string => {
      switch (e.event_type) {
        case 'receipt_committed':
          // @ts-expect-error a receipt has no reason
          void e.payload.reason;
          return `${e.payload.receipt_id}+${e.payload.amount}`;
        case 'refund_issued':
          // @ts-expect-error a refund has no amount
          void e.payload.amount;
          return `${e.payload.receipt_id}:${e.payload.reason}`;
        default: {
          // Every registered type is handled: nothing is left.
          const rest: never = e;
          return rest;
        }
      }
    };
    const incomplete = (e: Awaited<ReturnType<typeof ledger.read>>): string => {
      switch (e.event_type) {
        case 'receipt_committed':
          return 'receipt';
        default: {
          // @ts-expect-error refund_issued is not handled, so the default is not never
          const rest: never = e;
          return rest;
        }
      }
    };
    const read = await ledger.read(0);
    expect(describe(read)).to.equal('r1+3');
    expect(incomplete(read)).to.equal('receipt');
    const got = await firstValueFrom(ledger.subscribe({ eventTypes: ['refund_issued', 'receipt_committed'] }).pipe(take(2), toArray()));
    expect(got.map(describe)).to.deep.equal(['r1+3', 'r1:x']);
    // @ts-expect-error events of an unregistered type cannot be narrowed to
    expect(got.some((e) => e.event_type === 'session_start')).to.equal(false);
    await ledger.close();
  });
});
