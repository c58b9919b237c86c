// snapshot_created is the framework's own record: replay trusts a snapshot file because its
// record is in the chain, so an appender able to write one could make replay return any state.
import { expect } from 'chai';
import { join } from 'node:path';
import * as publicApi from '../../src/index.js';
import {
  DirectoryStore, EventTypeRegistry, Ledger, LedgerValidationError, MemoryStore, ReplayEngine, SnapshotStore, encodeSnapshot, sha256,
} from '../../src/index.js';
import { provenance, sessionStart } from '../support/fixtures.js';
import { collectingLogger, delta, totals } from '../support/replayFixtures.js';
import { tempDir } from '../support/tempDir.js';
import { SnapshotCreatedPayload } from '../../snapshots/snapshotCreated.js';
import { rejection } from '../support/rejection.js';

const snapshotCreated = (payload: Record<string, unknown>) => ({ event_type: 'snapshot_created', schema_version: '1.0.0', provenance, payload });


describe('reserved event types', () => {
  let dir: string;
  let remove: () => void;
  beforeEach(() => ({ dir, remove } = tempDir()));
  afterEach(() => remove());

  it('Ledger.append refuses snapshot_created, naming the type; nothing is written', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    await ledger.append(sessionStart('a'));
    // @ts-expect-error a reserved type is not in the registry: append refuses it at compile time too
    const e = await rejection(ledger.append(snapshotCreated({
      sequence: 0, file: '0.snapshot', file_hash: `sha256:${'1'.repeat(64)}`, anchor_hash: `sha256:${'2'.repeat(64)}`, format_version: 1, projections: [],
    })));
    expect(e).to.be.instanceOf(LedgerValidationError);
    expect((e as LedgerValidationError).path).to.equal('event_type');
    expect((e as LedgerValidationError).message).to.contain('"snapshot_created" is reserved');
    // Any payload, valid or not, gets the same answer: the type is checked first.
    // @ts-expect-error a reserved type is not in the registry: append refuses it at compile time too
    expect(((await rejection(ledger.append(snapshotCreated({ anything: 1 })))) as LedgerValidationError).path).to.equal('event_type');
    expect((await ledger.getTip()).sequence_number).to.equal(0);
    await ledger.close();
  });

  it('no registry accepts a reserved type as an ordinary one, even one built before or by the caller', async () => {
    expect(EventTypeRegistry.isReserved('snapshot_created')).to.equal(true);
    expect(EventTypeRegistry.reservedTypes()).to.include('snapshot_created');
    expect(EventTypeRegistry.withSeedTypes().has('snapshot_created')).to.equal(false);
    expect(() => new EventTypeRegistry().register('snapshot_created')).to.throw(LedgerValidationError, '"snapshot_created" is reserved');
    // Nobody can reserve it again to get a capability of their own.
    expect(() => EventTypeRegistry.reserve('snapshot_created', SnapshotCreatedPayload)).to.throw(LedgerValidationError, 'already reserved');
    const ledger = await Ledger.open(new MemoryStore(), { registry: new EventTypeRegistry().register('x_event') });
    // @ts-expect-error a reserved type is not in the registry: append refuses it at compile time too
    const e = await rejection(ledger.append(snapshotCreated({})));
    expect((e as Error).message).to.contain('"snapshot_created" is reserved');
    await ledger.close();
  });

  it('a reserved type is appended only with its own capability; the public entry point exposes none', async () => {
    const mine = EventTypeRegistry.reserve('test_reserved_event', publicApi.SessionStartPayload);
    const ledger = await Ledger.open(new MemoryStore());
    const input = { event_type: 'test_reserved_event', schema_version: '1.0.0', provenance, payload: { session_id: 's' } };
    // @ts-expect-error a reserved type is not in the registry: append refuses it at compile time too
    expect(((await rejection(ledger.append(input))) as Error).message).to.contain('"test_reserved_event" is reserved');
    expect((await ledger.appendReserved(mine, input)).sequence).to.equal(0);
    // A look-alike is not the capability (compared by identity), nor is another type's.
    expect(((await rejection(ledger.appendReserved({ eventType: 'test_reserved_event' }, input))) as Error).message).to.contain('is reserved');
    expect(((await rejection(ledger.appendReserved(mine, snapshotCreated({}))))as Error).message).to.contain('"snapshot_created" is reserved');
    // The reserved type's own codec checks the payload.
    expect(((await rejection(ledger.appendReserved(mine, { ...input, payload: {} }))) as LedgerValidationError).path).to.equal('payload.session_id');
    expect((await ledger.getTip()).sequence_number).to.equal(0);
    await ledger.close();

    for (const [name, value] of Object.entries(publicApi)) {
      expect(name, name).to.not.match(/capabilit|appendSnapshotCreated|WRITE_SNAPSHOT|SnapshotWriter/i);
      expect(typeof value === 'object' && value !== null && (value as { eventType?: unknown }).eventType === 'snapshot_created', name).to.equal(false);
    }
    // The engine's snapshot writer takes states from the caller: it is not a public method.
    expect(Object.getOwnPropertyNames(ReplayEngine.prototype)).to.not.include('writeSnapshot');
    // The writer lives in a hard-private field (#writer) of the engine and of live mode, not on any prototype.
    expect(Object.getOwnPropertySymbols(ReplayEngine.prototype)).to.deep.equal([]);
    expect(Object.keys(publicApi)).to.not.include('SnapshotWriter');
  });

  it('attack: a forged snapshot file plus a matching snapshot_created from Ledger.append is refused; replay is unchanged', async () => {
    const store = await DirectoryStore.open(join(dir, 'ledger'));
    const ledger = await Ledger.open(store);
    for (let i = 1; i <= 5; i++) await ledger.append(delta('a', i));
    const anchor = (await ledger.read(4)).hash;
    const bytes = encodeSnapshot({ kind: 'snapshot', sequence: 4, anchor_hash: anchor, projections: [{ name: 'totals', version: 1, state: { a: 1_000_000 } }] });
    await SnapshotStore.beside(store).write(4, bytes);
    // @ts-expect-error a reserved type is not in the registry: append refuses it at compile time too
    const e = await rejection(ledger.append(snapshotCreated({
      sequence: 4, file: '4.snapshot', file_hash: sha256(bytes), anchor_hash: anchor, format_version: 1, projections: [{ name: 'totals', version: 1 }],
    })));
    expect((e as LedgerValidationError).path).to.equal('event_type');
    expect((await ledger.getTip()).sequence_number).to.equal(4);
    const logger = collectingLogger();
    const result = await new ReplayEngine(ledger, { projections: [totals], logger }).replay();
    expect(result.states).to.deep.equal({ totals: { a: 15 } });
    expect(logger.warnings.join('\n')).to.contain('4.snapshot skipped: no snapshot_created record');
    // The framework's own path still records snapshots, and replay uses them.
    const record = await new ReplayEngine(ledger, { projections: [totals], logger }).takeSnapshot();
    expect((await ledger.read(record.record_sequence)).event_type).to.equal('snapshot_created');
    const again = collectingLogger();
    expect((await new ReplayEngine(ledger, { projections: [totals], logger: again }).replay()).states).to.deep.equal({ totals: { a: 15 } });
    expect(again.warnings).to.deep.equal([]);
    await ledger.close();
  });
});
