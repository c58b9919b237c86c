// Issue 22: a ledger with atomic batches reads and verifies like any other. Ranges may start or
// stop inside a batch (only a chain that must end at the tip cannot end inside one), events$
// and the subscribers get every event of a batch, and single appends stay byte-identical.
import { expect } from 'chai';
import { firstValueFrom, take, toArray } from 'rxjs';
import { DirectoryStore, Ledger, MemoryStore, type LedgerStore } from '../../src/index.js';
import { verifyLines } from '../../src/verify/verifyChain.js';
import { sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

const stores: Array<[string, () => Promise<{ store: LedgerStore; remove: () => void }>]> = [
  ['memory', async () => ({ store: new MemoryStore(), remove: () => undefined })],
  ['directory', async () => {
    const { dir, remove } = tempDir();
    return { store: await DirectoryStore.open(dir), remove };
  }],
];

for (const [name, make] of stores) {
  describe(`atomic batches read and verified (${name} store)`, () => {
    it('verifyChain over every range, starting or stopping inside a batch, is valid; readRange and readBackward return every event', async () => {
      const { store, remove } = await make();
      const ledger = await Ledger.open(store);
      try {
        await ledger.append(sessionStart('a'));
        await ledger.appendToStream('s', [sessionStart('b'), sessionStart('c'), sessionStart('d')]);
        await ledger.append(sessionStart('e'));
        await ledger.appendBatch([sessionStart('f'), sessionStart('g')]);
        for (let from = 0; from <= 6; from++) {
          for (let to = from; to <= 6; to++) expect(await ledger.verifyChain(from, to), `${from}..${to}`).to.deep.include({ valid: true, count: to - from + 1 });
        }
        const all = [];
        for await (const e of ledger.readRange(0, 6)) all.push(e);
        expect(all.map((e) => e.batch?.index ?? null)).to.deep.equal([null, 0, 1, 2, null, 0, 1]);
        const back = [];
        for await (const e of ledger.readBackward()) back.push(e.sequence);
        expect(back).to.deep.equal([6, 5, 4, 3, 2, 1, 0]);
      } finally {
        await ledger.close();
        remove();
      }
    });

    it('events$ emits every event of a batch, in order, once the batch is durable', async () => {
      const { store, remove } = await make();
      const ledger = await Ledger.open(store);
      try {
        const seen = firstValueFrom(ledger.events$.pipe(take(3), toArray()));
        await ledger.appendToStream('s', [sessionStart('a'), sessionStart('b'), sessionStart('c')]);
        expect((await seen).map((e) => [e.sequence, e.batch])).to.deep.equal([[0, { index: 0, size: 3 }], [1, { index: 1, size: 3 }], [2, { index: 2, size: 3 }]]);
      } finally {
        await ledger.close();
        remove();
      }
    });
  });
}

describe('the lines of a chain that must end at its tip', () => {
  it('ending inside a batch is invalid at the batch\'s first event; the same lines as a range are valid', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    await ledger.append(sessionStart('a'));
    await ledger.appendToStream('s', [sessionStart('b'), sessionStart('c'), sessionStart('d')]);
    const lines: string[] = [];
    for await (const { line } of ledger.readLines(0, 2)) lines.push(line);
    async function* source() {
      yield* lines;
    }
    const last = (await ledger.read(2)).hash;
    expect(await verifyLines(source())).to.deep.include({ valid: true, count: 3 });
    const atTip = await verifyLines(source(), { expectTip: { sequence_number: 2, hash: last } });
    expect(atTip).to.deep.include({ valid: false, break_at: 1, count: 1 });
    expect(atTip.reason).to.match(/ends inside the atomic batch of 3 events starting at sequence 1/);
    await ledger.close();
  });
});
