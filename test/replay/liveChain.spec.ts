// Live mode checks the chain itself (anchored to the hash its replay ended on), so it asks the
// stream not to hash every event a second time: `stream({ from, verify: false })`. These tests
// pin both halves: the one option, and that a bad event still stops live mode.
import { expect } from 'chai';
import { firstValueFrom, filter, lastValueFrom, type Observable } from 'rxjs';
import { v7 as uuidv7 } from 'uuid';
import { DirectoryStore, GENESIS_HASH, Ledger, LedgerCorruptionError, ReplayEngine, canonicalJson, type LedgerEvent } from '../../src/index.js';
import { buildEventLine, parseEventLine } from '../../src/contract/eventLine.js';
import { indexFieldsOf } from '../../src/ledger/ledgerStore.js';
import type { StreamOptions } from '../../src/ledger/eventStream.js';
import { provenance } from '../support/fixtures.js';
import { counts, delta } from '../support/replayFixtures.js';
import { tempDir } from '../support/tempDir.js';

/** Records the options of every ledger.stream() call; the real stream runs underneath. */
function recordStreams(ledger: Ledger): StreamOptions[] {
  const calls: StreamOptions[] = [];
  const real = ledger.stream.bind(ledger);
  ledger.stream = (options: StreamOptions = {}): Observable<LedgerEvent> => {
    calls.push(options);
    return real(options);
  };
  return calls;
}

describe('LiveProjections and the chain', () => {
  let dir: string;
  let remove: () => void;
  beforeEach(() => ({ dir, remove } = tempDir()));
  afterEach(() => remove());

  it('follows with stream({ from, verify: false }): one option, the chain checked once, by live mode', async () => {
    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    for (let i = 0; i < 3; i++) await ledger.append(delta('a', i));
    const calls = recordStreams(ledger);
    const live = new ReplayEngine(ledger, { projections: [counts], snapshots: false }).live();
    await live.ready;
    const at4 = firstValueFrom(live.states$.pipe(filter((s) => s.sequence === 4)));
    await ledger.append(delta('a', 3));
    await ledger.append(delta('a', 4));
    expect((await at4).states.counts).to.deep.equal({ last: 4, byType: { signal_delta: 5 } });
    expect(calls).to.deep.equal([{ from: 3, verify: false }]);
    await live.stop();
    await ledger.close();
  });

  it('a live event that does not link to the one before (written by the files\' owner) stops live mode with LedgerCorruptionError at its sequence', async () => {
    const writer = await DirectoryStore.open(dir);
    const writing = await Ledger.open(writer);
    for (let i = 0; i < 3; i++) await writing.append(delta('a', i));
    const reader = await Ledger.open(await DirectoryStore.open(dir, { readOnly: true }));
    const live = new ReplayEngine(reader, { projections: [counts], snapshots: false }).live();
    expect((await live.ready).sequence).to.equal(2);
    const outcome = lastValueFrom(live.states$).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Event 3, well formed and correctly hashed, but linked to genesis instead of event 2.
    const event_id = uuidv7();
    const { hash, line } = buildEventLine({
      event_id, sequence: 3, event_type: 'session_start', schema_version: '1.0.0', timestamp: new Date().toISOString(),
      provenanceJson: canonicalJson(provenance), previous_hash: GENESIS_HASH, payloadJson: canonicalJson({ session_id: 'forged' }),
    });
    await writer.append([{ sequence: 3, hash, line, event_id, fields: indexFieldsOf(parseEventLine(line)) }]);
    const error = (await outcome) as LedgerCorruptionError;
    expect(error).to.be.instanceOf(LedgerCorruptionError);
    expect(error.sequence).to.equal(3);
    expect(live.current?.sequence, 'the forged event is never folded').to.equal(2);
    await live.stop();
    await reader.close();
    await writing.close();
  });
});
