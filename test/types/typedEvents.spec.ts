// Events typed from the registered codecs. This file is a type test as much as a spec: `tsc`
// (run by every build) must accept each typed line and must reject each line marked
// `@ts-expect-error` (an expectation that stops being an error fails the build as an unused
// directive). At run time the same calls go to a real ledger, which refuses what the types refuse.
import { expect } from 'chai';
import * as t from 'io-ts';
import { firstValueFrom, map, take, toArray } from 'rxjs';
import {
  DirectoryStore, EventTypeRegistry, HashString, Ledger, LedgerValidationError, MemoryStore,
  type AppendInput, type AppendInputUnion, type EventUnion, type LedgerEvent, type SeedCodecs, type SeedEvent,
} from '../../src/index.js';
import { AppendInputCodec, LedgerEventCodec, Sequence } from '../../src/contract/event.js';
import { provenance, sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

/** True when A and B are the same type (not merely assignable). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T | undefined => undefined;

const ReceiptPayload = t.type({ receipt_id: t.string, amount: t.Int }, 'receipt_committed payload');
const receipt = { event_type: 'receipt_committed', schema_version: '1.0.0', provenance, payload: { receipt_id: 'r-1', amount: 3 } } as const;

async function rejection(p: Promise<unknown>): Promise<LedgerValidationError> {
  const e = await p.then(() => undefined, (error: unknown) => error);
  expect(e).to.be.instanceOf(LedgerValidationError);
  return e as LedgerValidationError;
}

describe('typed events', () => {
  it('LedgerEvent and AppendInput are derived from their codecs, not written twice', () => {
    type Decoded = t.TypeOf<typeof LedgerEventCodec>;
    assertType<Equal<keyof LedgerEvent, keyof Decoded>>();
    assertType<Equal<LedgerEvent['hash'], Decoded['hash']>>();
    assertType<Equal<LedgerEvent['sequence'], t.TypeOf<typeof Sequence>>>();
    assertType<Equal<LedgerEvent['provenance'], Decoded['provenance']>>();
    assertType<Equal<keyof AppendInput, keyof t.OutputOf<typeof AppendInputCodec>>>();
    // Callers write plain strings (the output type); events read carry brands (the decoded type).
    assertType<Equal<AppendInput['schema_version'], string>>();
    const hash: string = `sha256:${'0'.repeat(64)}`;
    // @ts-expect-error a plain string is not a HashString until it has been decoded
    const branded: LedgerEvent['hash'] = hash;
    expect(branded).to.equal(hash);
    expect(HashString.is(hash)).to.equal(true);
  });

  it('a ledger opened without a registry is typed by the seed types: narrowing needs no cast', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    assertType<Equal<typeof ledger, Ledger<SeedCodecs>>>();
    await ledger.append({ event_type: 'node_creation', schema_version: '1.0.0', provenance, payload: { node_id: 'n1', node_type: 'concept' } });
    await ledger.append({ event_type: 'signal_delta', schema_version: '1.0.0', provenance, payload: { node_id: 'n1', signal: 's', delta: '-0.25' } });
    await ledger.append(sessionStart('s-1'));
    const seen: string[] = [];
    for await (const e of ledger.readSince(-1)) {
      assertType<Equal<typeof e, SeedEvent>>();
      // @ts-expect-error not every seed payload has node_id: narrow on event_type first
      void e.payload.node_id;
      if (e.event_type === 'node_creation') {
        const id: string = e.payload.node_id;
        const parent: string | null | undefined = e.payload.parent_id;
        seen.push(`${id}:${String(parent)}`);
      }
      switch (e.event_type) {
        case 'signal_delta': {
          const delta: number | string = e.payload.delta;
          seen.push(`${e.payload.signal}=${delta}`);
          break;
        }
        case 'session_start':
          seen.push(e.payload.session_id);
          break;
        default:
          break;
      }
    }
    expect(seen).to.deep.equal(['n1:undefined', 's=-0.25', 's-1']);
    const first = await ledger.read(0);
    expect(first.event_type === 'node_creation' && first.payload.node_type).to.equal('concept');
    await ledger.close();
  });

  it('append accepts only registered types with their payload type; the ledger refuses the same at run time', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    // @ts-expect-error an unregistered event type
    expect((await rejection(ledger.append(receipt))).path).to.equal('event_type');
    // @ts-expect-error node_id must be a string
    expect((await rejection(ledger.append({ event_type: 'node_creation', schema_version: '1.0.0', provenance, payload: { node_id: 1, node_type: 'c' } }))).path).to.equal('payload.node_id');
    // @ts-expect-error node_type is required
    expect((await rejection(ledger.append({ event_type: 'node_creation', schema_version: '1.0.0', provenance, payload: { node_id: 'n' } }))).path).to.equal('payload.node_type');
    // @ts-expect-error the ledger assigns sequence; callers must not pass it
    expect((await rejection(ledger.append({ ...sessionStart('s'), sequence: 0 }))).path).to.equal('sequence');
    // @ts-expect-error actor is one of system, operator, agent
    expect((await rejection(ledger.append({ ...sessionStart('s'), provenance: { ...provenance, actor: 'root' } }))).path).to.equal('provenance.actor');
    expect((await ledger.getTip()).sequence_number).to.equal(-1);
    await ledger.close();
  });

  it('register() adds the type to the registry type, and the ledger opened with it reads and appends it', async () => {
    const registry = EventTypeRegistry.withSeedTypes().register('receipt_committed', ReceiptPayload);
    const ledger = await Ledger.open(new MemoryStore(), { registry });
    type E = EventUnion<SeedCodecs & { readonly receipt_committed: typeof ReceiptPayload }>;
    assertType<Equal<Awaited<ReturnType<typeof ledger.read>>, E>>();
    assertType<Equal<Parameters<typeof ledger.append>[0], AppendInputUnion<SeedCodecs & { readonly receipt_committed: typeof ReceiptPayload }>>>();
    // @ts-expect-error a registry without receipt_committed is not typed as one with it
    const narrower: typeof registry = EventTypeRegistry.withSeedTypes();
    expect(narrower.has('receipt_committed')).to.equal(false);
    await ledger.append(receipt);
    // @ts-expect-error amount is an integer, not a string
    expect((await rejection(ledger.append({ ...receipt, payload: { receipt_id: 'r-2', amount: '3' } }))).path).to.equal('payload.amount');
    const amounts = firstValueFrom(
      ledger.stream({ from: 0 }).pipe(
        map((e) => (e.event_type === 'receipt_committed' ? e.payload.amount : -1)),
        take(2),
        toArray(),
      ),
    );
    await ledger.append({ ...receipt, payload: { receipt_id: 'r-3', amount: 4 } });
    const e = await ledger.read(0);
    if (e.event_type !== 'receipt_committed') throw new Error('expected the receipt');
    const id: string = e.payload.receipt_id;
    expect(id).to.equal('r-1');
    expect(await amounts).to.deep.equal([3, 4]);
    // An empty registry knows nothing: its ledger appends nothing.
    const empty = await Ledger.open(new MemoryStore(), { registry: new EventTypeRegistry() });
    // @ts-expect-error no type is registered
    expect((await rejection(empty.append(sessionStart('s')))).path).to.equal('event_type');
    await empty.close();
    await ledger.close();
  });

  it('a typed ledger is a bare Ledger, whose events are the base LedgerEvent', async () => {
    const registry = EventTypeRegistry.withSeedTypes().register('receipt_committed', ReceiptPayload);
    const typed = await Ledger.open(new MemoryStore(), { registry });
    const bare: Ledger = typed; // what replay, snapshots and the CLI take
    await bare.append(receipt);
    const e = await bare.read(0);
    assertType<Equal<typeof e, LedgerEvent>>();
    expect(e.payload.receipt_id).to.equal('r-1');
    await typed.close();
  });

  it('a type the registry does not hold is still read, as stored; the union does not name it', async () => {
    // Decision: reads are typed by the reader's registry. A store can hold other types (a reserved
    // type such as snapshot_created; one appended by a writer with another registry); the ledger
    // returns them unchanged, and a reader that expects them registers them or reads through a
    // bare Ledger. The union has no catch-all member because TypeScript cannot narrow a union
    // with a member typed `event_type: string` (shown below).
    const { dir, remove } = tempDir();
    try {
      const writer = await Ledger.open(await DirectoryStore.open(dir), { registry: EventTypeRegistry.withSeedTypes().register('receipt_committed', ReceiptPayload) });
      await writer.append(receipt);
      await writer.close();
      const reader = await Ledger.open(await DirectoryStore.open(dir));
      const e = await reader.read(0);
      expect(e.event_type).to.equal('receipt_committed');
      expect(e.payload).to.deep.equal(receipt.payload);
      // @ts-expect-error the seed union does not contain receipt_committed
      expect(e.event_type === 'receipt_committed').to.equal(true);
      const asBare: LedgerEvent = e;
      expect(asBare.event_type === 'receipt_committed' && asBare.payload.receipt_id).to.equal('r-1');
      await reader.close();
    } finally {
      remove();
    }
    type Known = { event_type: 'node_creation'; payload: { node_id: string } } | { event_type: 'session_start'; payload: { session_id: string } };
    const withCatchAll = [] as Array<Known | { event_type: string; payload: Record<string, unknown> }>;
    for (const e of withCatchAll) {
      if (e.event_type === 'node_creation') {
        // @ts-expect-error with a catch-all member the payload is no longer narrowed (unknown, not string)
        const id: string = e.payload.node_id;
        void id;
      }
    }
  });
});
