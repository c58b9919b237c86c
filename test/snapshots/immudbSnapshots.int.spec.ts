// Replay and snapshots over the immudb store (the shared test server): the snapshot directory
// is configured, since immudb keeps no local directory of its own.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { filter, firstValueFrom } from 'rxjs';
import { Ledger, ReplayEngine, SnapshotError, SnapshotStore, encodeSnapshot, decodeSnapshot, type LedgerEvent } from '../../src/index.js';
import { freshImmudbStore } from '../support/immudbTestStores.js';
import { collectingLogger, counts, delta, naiveFold, spied, totals } from '../support/replayFixtures.js';
import { tempDir } from '../support/tempDir.js';

describe('replay and snapshots on immudb', function () {
  let ledger: Ledger;
  let dir: string;
  let remove: () => void;

  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    ledger = await Ledger.open((await freshImmudbStore()).store);
  });
  afterEach(async () => {
    await ledger.close().catch(() => undefined);
    remove();
  });

  async function all(): Promise<LedgerEvent[]> {
    const out: LedgerEvent[] = [];
    for await (const e of ledger.readSince(-1)) out.push(e);
    return out;
  }

  it('needs a snapshot directory, then snapshots, verifies and replays as on a directory store', async () => {
    for (let i = 0; i < 12; i++) await ledger.append(delta(i % 2 ? 'a' : 'b', i));
    let error: unknown;
    await new ReplayEngine(ledger, { projections: [totals] }).takeSnapshot().catch((e) => (error = e));
    expect(error).to.be.instanceOf(SnapshotError);

    const snapshots = SnapshotStore.at(dir);
    const engine = new ReplayEngine(ledger, { projections: [totals, counts], snapshots });
    const record = await engine.takeSnapshot();
    expect(record).to.include({ sequence: 11, record_sequence: 12 });
    for (let i = 0; i < 3; i++) await ledger.append(delta('c', i));

    const spy = spied(totals);
    const result = await new ReplayEngine(ledger, { projections: [spy, counts], snapshots }).replay();
    expect(result.states).to.deep.equal(naiveFold([totals, counts], await all()));
    expect(spy.applied).to.equal(3); // 13..15; the snapshot_created record at 12 is the framework's, not folded

    // Tampered: skipped with a warning, genesis used, same answer.
    const doc = decodeSnapshot(readFileSync(record.path));
    writeFileSync(record.path, encodeSnapshot({ ...doc, projections: doc.projections.map((p) => ({ ...p, state: {} })) }));
    const logger = collectingLogger();
    expect((await new ReplayEngine(ledger, { projections: [totals, counts], snapshots, logger }).replay()).states).to.deep.equal(result.states);
    expect(logger.warnings.join('\n')).to.contain('file_hash');
  });

  it('live mode follows appends', async () => {
    for (let i = 0; i < 3; i++) await ledger.append(delta('a', 1));
    const live = new ReplayEngine(ledger, { projections: [totals], snapshots: false }).live();
    await live.ready;
    const at5 = firstValueFrom(live.states$.pipe(filter((s) => s.sequence === 5)));
    for (let i = 0; i < 3; i++) await ledger.append(delta('a', 1));
    expect((await at5).states.totals).to.deep.equal({ a: 6 });
    await live.stop();
  });
});
