// Nothing a caller passes to append is dropped silently: an unknown field is an error naming it.
import { expect } from 'chai';
import { isLeft } from 'fp-ts/lib/Either.js';
import { Ledger, LedgerValidationError, MemoryStore, Provenance } from '../../src/index.js';
import { AppendInputCodec, LedgerEventCodec } from '../../src/contract/event.js';
import { provenance, sessionStart } from '../support/fixtures.js';

describe('append input: unknown fields', () => {
  it('provenance with an extra field is refused naming it; nothing is written', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    let error: unknown;
    await ledger.append({ ...sessionStart('a'), provenance: { ...provenance, correlation_id: 'c-1' } as never }).catch((e) => (error = e));
    expect(error).to.be.instanceOf(LedgerValidationError);
    expect((error as LedgerValidationError).path).to.equal('provenance.correlation_id');
    expect((error as LedgerValidationError).value).to.equal('c-1');
    expect((await ledger.getTip()).sequence_number).to.equal(-1);
    // Payload extras stay allowed and are kept.
    // (In TypeScript an object literal naming a field the codec does not is a compile error; a value is not.)
    const withExtra = { session_id: 'b', extra: 1 };
    await ledger.append({ ...sessionStart('b'), payload: withExtra });
    expect((await ledger.read(0)).payload).to.deep.equal({ session_id: 'b', extra: 1 });
    await ledger.close();
  });

  it('the public codecs refuse unknown fields instead of stripping them', () => {
    const p = Provenance.decode({ ...provenance, x: 1 });
    expect(isLeft(p)).to.equal(true);
    expect(isLeft(AppendInputCodec.decode({ ...sessionStart('a'), extra: true }))).to.equal(true);
    expect(isLeft(AppendInputCodec.decode(sessionStart('a')))).to.equal(false);
    const event = {
      event_id: '01900000-0000-7000-8000-000000000000', sequence: 0, event_type: 'session_start', schema_version: '1.0.0',
      timestamp: '2026-01-01T00:00:00.000Z', provenance, previous_hash: `sha256:${'0'.repeat(64)}`, payload: {}, hash: `sha256:${'1'.repeat(64)}`,
    };
    expect(isLeft(LedgerEventCodec.decode(event))).to.equal(false);
    expect(isLeft(LedgerEventCodec.decode({ ...event, note: 'x' }))).to.equal(true);
  });
});
