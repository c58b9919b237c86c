// Upcasting: old events are read in their current shape; the stored bytes and hashes are untouched.
import { expect } from 'chai';
import * as t from 'io-ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import {
  DirectoryStore, EventTypeRegistry, Ledger, LedgerUpcastError, LedgerValidationError, ProjectionFailedError, ReplayEngine, UpcasterRegistry,
  defineProjection, isLedgerError, type AppendInput, type LedgerEvent,
} from '../../src/index.js';
import { provenance } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

// The schema change: price_set 1.0.0 { item, cents } -> 1.1.0 adds currency -> 2.0.0 { item, price: { amount, currency } }.
interface PriceV1 { item: string; cents: number }
interface PriceV11 extends PriceV1 { currency: string }
interface PriceV2 { item: string; price: { amount: string; currency: string } }

const toV11 = { eventType: 'price_set', from: '1.0.0', to: '1.1.0', upcast: (p: PriceV1): PriceV11 => ({ ...p, currency: 'EUR' }) };
const toV2 = {
  eventType: 'price_set', from: '1.1.0', to: '2.0.0',
  upcast: ({ item, cents, currency }: PriceV11): PriceV2 => ({ item, price: { amount: `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`, currency } }),
};
const upcasters = () => new UpcasterRegistry().register(toV11).register(toV2);

const price = (schema_version: string, payload: object): AppendInput<object> => ({ event_type: 'price_set', schema_version, provenance, payload });

/** Written for the current shape only. */
const prices = defineProjection<{ price_set: PriceV2 }>()({
  name: 'prices', version: 1, canHandle: ['price_set'], initial: {} as Record<string, string>,
  apply: (s, e) => ({ ...s, [e.payload.item]: `${e.payload.price.amount} ${e.payload.price.currency}` }),
});

describe('upcasters', () => {
  let dir: string;
  let remove: () => void;
  let ledger: Ledger;
  const file = () => join(dir, 'ledger', 'ledger.jsonl');

  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    ledger = await Ledger.open(await DirectoryStore.open(join(dir, 'ledger')), { registry: EventTypeRegistry.withSeedTypes().register('price_set') });
  });
  afterEach(async () => {
    await ledger.close().catch(() => undefined);
    remove();
  });

  it('replay folds old events in the current shape (1.0.0 -> 1.1.0 -> 2.0.0); the stored bytes and hashes are untouched', async () => {
    await ledger.append(price('1.0.0', { item: 'tea', cents: 250 }));
    await ledger.append(price('1.0.0', { item: 'cake', cents: 1205 }));
    await ledger.append(price('1.1.0', { item: 'milk', cents: 99, currency: 'CHF' }));
    await ledger.append(price('2.0.0', { item: 'tea', price: { amount: '2.75', currency: 'EUR' } }));
    const before = readFileSync(file());
    const hashes = [];
    for await (const e of ledger.readSince(-1)) hashes.push(e.hash);

    const engine = new ReplayEngine(ledger, { projections: [prices], snapshots: false, upcasters: upcasters() });
    expect(await engine.replay()).to.deep.equal({ sequence: 3, states: { prices: { tea: '2.75 EUR', cake: '12.05 EUR', milk: '0.99 CHF' } } });
    expect((await engine.stateAt(1)).states.prices).to.deep.equal({ tea: '2.50 EUR', cake: '12.05 EUR' });

    expect(readFileSync(file()).equals(before)).to.equal(true);
    const stored = await ledger.read(0);
    expect(stored.schema_version).to.equal('1.0.0');
    expect(stored.payload).to.deep.equal({ item: 'tea', cents: 250 });
    const after = [];
    for await (const e of ledger.readSince(-1)) after.push(e.hash);
    expect(after).to.deep.equal(hashes);
    expect(await ledger.verifyChain()).to.deep.equal({ valid: true, break_at: null, count: 4 });

    // Without the upcasters the projection meets the old shape and fails, naming the sequence.
    const plain = new ReplayEngine(ledger, { projections: [prices], snapshots: false });
    const error = await plain.replay().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ProjectionFailedError);
    expect((error as ProjectionFailedError).sequence).to.equal(0);
  });

  it('live mode upcasts events as they are appended', async () => {
    await ledger.append(price('2.0.0', { item: 'tea', price: { amount: '1.00', currency: 'EUR' } }));
    const live = new ReplayEngine(ledger, { projections: [prices], snapshots: false, upcasters: upcasters() }).live();
    await live.ready;
    await ledger.append(price('1.0.0', { item: 'jam', cents: 7 }));
    const s = await firstValueFrom(live.states$.pipe(filter((x) => x.sequence === 1)));
    expect(s.states.prices).to.deep.equal({ tea: '1.00 EUR', jam: '0.07 EUR' });
    await live.stop();
  });

  it('upcast() returns the same event when nothing applies, and a new one otherwise, keeping the stored hash', async () => {
    await ledger.append(price('1.0.0', { item: 'tea', cents: 250 }));
    await ledger.append(price('2.0.0', { item: 'tea', price: { amount: '1.00', currency: 'EUR' } }));
    const registry = upcasters();
    const [old, current] = [await ledger.read(0), await ledger.read(1)];
    expect(registry.upcast(current)).to.equal(current);
    const up = registry.upcast(old);
    expect(up).to.deep.equal({ ...old, schema_version: '2.0.0', payload: { item: 'tea', price: { amount: '2.50', currency: 'EUR' } } });
    expect(up.hash).to.equal(old.hash);
    expect(old.payload).to.deep.equal({ item: 'tea', cents: 250 });
    expect(registry.currentVersion('price_set', '1.0.0')).to.equal('2.0.0');
    expect(registry.has('price_set', '2.0.0')).to.equal(false);
  });

  it('an upcaster that mutates its input cannot reach the stored event', async () => {
    await ledger.append(price('1.0.0', { item: 'tea', cents: 250 }));
    const event = await ledger.read(0);
    const registry = new UpcasterRegistry().register({
      eventType: 'price_set', from: '1.0.0', to: '1.1.0',
      upcast: (p: Record<string, unknown>, e: LedgerEvent<Record<string, unknown>>) => {
        p.cents = -1;
        (e as { sequence: number }).sequence = 99;
        return { ...p, currency: 'EUR' };
      },
    });
    const up = registry.upcast(event);
    expect(up.payload).to.deep.equal({ item: 'tea', cents: -1, currency: 'EUR' });
    expect(event.payload).to.deep.equal({ item: 'tea', cents: 250 });
    expect(up.sequence).to.equal(0);
  });

  it('a failing upcaster is LedgerUpcastError naming sequence, type and versions; a codec names the field', async () => {
    await ledger.append(price('1.0.0', { item: 'tea', cents: 250 }));
    const event = await ledger.read(0);
    const cases: Array<[UpcasterRegistry, RegExp]> = [
      [new UpcasterRegistry().register({ ...toV11, upcast: () => { throw new Error('no currency table'); } }), /^sequence 0: upcasting price_set 1\.0\.0 -> 1\.1\.0: no currency table$/],
      [new UpcasterRegistry().register({ ...toV11, upcast: () => [1] }), /expected the upcaster to return a JSON object payload, got an array/],
      [new UpcasterRegistry().register({ ...toV11, codec: t.type({ item: t.string, cents: t.number, currency: t.literal('USD') }) }), /payload\.currency: expected "USD", got "EUR"/],
    ];
    for (const [registry, message] of cases) {
      let error: unknown;
      try {
        registry.upcast(event);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(LedgerUpcastError);
      expect(isLedgerError(error, 'LEDGER_UPCAST')).to.equal(true);
      expect((error as LedgerUpcastError).sequence).to.equal(0);
      expect((error as Error).message).to.match(message);
    }
    // In a replay the error surfaces as is; nothing is folded.
    const engine = new ReplayEngine(ledger, { projections: [prices], snapshots: false, upcasters: cases[0]![0] });
    expect(await engine.replay().catch((e: unknown) => e)).to.be.instanceOf(LedgerUpcastError);
  });

  it('refuses a malformed registration naming the field: a second step for a version, a step that does not go up', () => {
    const field = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).to.be.instanceOf(LedgerValidationError);
        return (e as LedgerValidationError).path;
      }
      throw new Error('expected a LedgerValidationError');
    };
    expect(field(() => upcasters().register({ ...toV11, to: '1.2.0' }))).to.equal('from');
    expect(field(() => new UpcasterRegistry().register({ ...toV11, to: '1.0.0' }))).to.equal('to');
    expect(field(() => new UpcasterRegistry().register({ ...toV11, to: '0.9.9' }))).to.equal('to');
    expect(field(() => new UpcasterRegistry().register({ ...toV11, from: 'v1' }))).to.equal('from');
    expect(field(() => new UpcasterRegistry().register({ ...toV11, eventType: 'Price' }))).to.equal('eventType');
    expect(field(() => new UpcasterRegistry().register({ ...toV11, upcast: 'x' as never }))).to.equal('upcast');
    expect(UpcasterRegistry.of([toV2, toV11]).size).to.equal(2); // order of registration does not matter
  });
});
