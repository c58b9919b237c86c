// Replay's byte path verifies runs of lines on verifyChain's WebAssembly path before folding
// them: a corrupt line in the middle of a batch still folds exactly the events before it, a
// projection failure before it still wins, and a verified line with an unsafe integer is read
// strictly (LedgerUnreadableValueError), as on the string path.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { DirectoryStore, Ledger, ReplayEngine, defineProjection, sha256 } from '../../src/index.js';
import { delta } from '../support/replayFixtures.js';
import { stringsOnly } from '../support/stringsOnlyStore.js';
import { eachDirectoryLedger } from '../support/directoryLedger.js';

/** `line` with its hash recomputed over the line without its hash member (as stored). */
function rehash(line: string): string {
  const body = line.replace(/"hash":"sha256:[0-9a-f]{64}",/, '');
  return line.replace(/"hash":"sha256:[0-9a-f]{64}"/, `"hash":"${sha256(body)}"`);
}

describe('ReplayEngine: runs of lines on the WebAssembly path', function () {
  this.timeout(20_000);
  const t = eachDirectoryLedger(() => Array.from({ length: 40 }, (_, i) => delta(`n${i % 3}`, i)));

  /** Replays with a projection that records every sequence it folds (and may throw at one). */
  async function replay(bytesPath: boolean, throwAt = -1): Promise<{ seen: number[]; error?: Error }> {
    const seen: number[] = [];
    const watch = defineProjection<number>({
      name: 'watch',
      version: 1,
      initial: 0,
      apply: (s, e) => {
        if (e.sequence === throwAt) throw new Error(`refused ${e.sequence}`);
        seen.push(e.sequence);
        (e.payload as { delta: number }).delta = -1; // a projection that mutates its event changes nothing stored
        return s + 1;
      },
    });
    const store = await DirectoryStore.open(t.dir, { readOnly: true });
    const ledger = await Ledger.open(bytesPath ? store : stringsOnly(store));
    try {
      await new ReplayEngine(ledger, { projections: [watch], snapshots: false }).replay({});
      return { seen };
    } catch (e) {
      return { seen, error: e as Error };
    } finally {
      await ledger.close();
    }
  }

  it('an intact ledger folds every event once, in order, and verifies after a mutating fold', async () => {
    const r = await replay(true);
    expect(r.error).to.equal(undefined);
    expect(r.seen).to.deep.equal([...Array(40).keys()]);
    const ledger = await Ledger.open(await DirectoryStore.open(t.dir, { readOnly: true }));
    expect((await ledger.verifyChain()).valid).to.equal(true);
    await ledger.close();
  });

  it('a tampered line mid-batch: the events before it are folded, then LedgerCorruptionError at its sequence, as line by line', async () => {
    const bad = [...t.lines];
    bad[23] = bad[23]!.replace('"n2"', '"n7"');
    writeFileSync(t.file, bad.map((l) => `${l}\n`).join(''));
    const bytes = await replay(true);
    const strings = await replay(false);
    expect(bytes.error?.name).to.equal('LedgerCorruptionError');
    expect((bytes.error as { sequence?: number }).sequence).to.equal(23);
    expect(bytes.error?.message).to.equal(strings.error?.message);
    expect(bytes.seen).to.deep.equal([...Array(23).keys()]);
    expect(bytes.seen).to.deep.equal(strings.seen);
  });

  it('a projection that throws before a tampered line fails at its own event, not at the corruption', async () => {
    const bad = [...t.lines];
    bad[30] = bad[30]!.replace('"n0"', '"n9"');
    writeFileSync(t.file, bad.map((l) => `${l}\n`).join(''));
    const bytes = await replay(true, 12);
    expect(bytes.error?.name).to.equal('ProjectionFailedError');
    expect(bytes.error?.message).to.contain('12');
    expect(bytes.seen).to.deep.equal([...Array(12).keys()]);
    const strings = await replay(false, 12);
    expect(bytes.error?.message).to.equal(strings.error?.message);
  });

  it('a verified line holding an unsafe integer is LedgerUnreadableValueError naming the path, both ways', async () => {
    const bad = [...t.lines];
    bad[39] = rehash(bad[39]!.replace(/"delta":\d+/, '"delta":9007199254740993'));
    writeFileSync(t.file, bad.map((l) => `${l}\n`).join(''));
    const ledger = await Ledger.open(await DirectoryStore.open(t.dir, { readOnly: true }));
    expect((await ledger.verifyChain()).valid, 'the line is a valid link of the chain').to.equal(true);
    await ledger.close();
    const bytes = await replay(true);
    const strings = await replay(false);
    expect(bytes.error?.name).to.equal('LedgerUnreadableValueError');
    expect(bytes.error?.message).to.contain('payload.delta').and.to.contain('9007199254740993');
    expect(bytes.error?.message).to.equal(strings.error?.message);
    expect(bytes.seen).to.deep.equal([...Array(39).keys()]);
  });
});
