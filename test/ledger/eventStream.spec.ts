import { expect } from 'chai';
import { firstValueFrom, take, takeWhile, toArray } from 'rxjs';
import { join } from 'node:path';
import { DirectoryStore, Ledger, LedgerValidationError, MemoryStore, type LedgerEvent, type LedgerStore, type StoredLine } from '../../src/index.js';
import { sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

/** A MemoryStore that records every scanLines range it is asked for. */
class CountingStore extends MemoryStore {
  readonly scans: Array<[number, number | undefined]> = [];
  override scanLines(from: number, to?: number): AsyncIterable<StoredLine> {
    this.scans.push([from, to]);
    return super.scanLines(from, to);
  }
}

/** A MemoryStore whose appends and reads yield to the event loop, so they interleave. */
class InterleavingStore extends MemoryStore {
  override async append(record: Parameters<MemoryStore['append']>[0]): Promise<void> {
    await tick();
    return super.append(record);
  }
  override async *scanLines(from: number, to?: number): AsyncIterable<StoredLine> {
    let n = 0;
    for await (const l of super.scanLines(from, to)) {
      if (++n % 3 === 0) await tick();
      yield l;
    }
  }
}

const tick = () => new Promise<void>((r) => setImmediate(r));

async function fill(ledger: Ledger, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await ledger.append(sessionStart(`s${i}`));
}

/** Collects the stream until it has emitted `last`. */
function until(ledger: Ledger, from: number, last: number, options: { pageSize?: number } = {}): Promise<number[]> {
  return firstValueFrom(ledger.stream({ from, ...options }).pipe(takeWhile((e) => e.sequence < last, true), toArray())).then((es) => es.map((e) => e.sequence));
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('ledger.stream()', () => {
  it('emits the history from `from`, then live events', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    await fill(ledger, 5);
    const seen: LedgerEvent[] = [];
    const sub = ledger.stream({ from: 3 }).subscribe((e) => seen.push(e));
    await fill(ledger, 3);
    await tick();
    expect(seen.map((e) => e.sequence)).to.deep.equal([3, 4, 5, 6, 7]);
    expect(seen.map((e) => e.payload.session_id)).to.deep.equal(['s3', 's4', 's0', 's1', 's2']);
    sub.unsubscribe();
    await ledger.close();
  });

  it('a subscription racing a burst of appends sees every event exactly once, in order', async () => {
    for (const [delay, pageSize, maxBuffer] of [[0, 1000, 10_000], [1, 7, 5], [3, 3, 2], [10, 50, 1], [40, 7, 10_000]] as const) {
      const ledger = await Ledger.open(new InterleavingStore());
      await fill(ledger, 20);
      const burst = Promise.all(range(0, 299).map((i) => ledger.append(sessionStart(`b${i}`))));
      for (let i = 0; i < delay; i++) await tick();
      const got = await until(ledger, 5, 319, { pageSize });
      await burst;
      expect(got, `delay ${delay}, page ${pageSize}, buffer ${maxBuffer}`).to.deep.equal(range(5, 319));
      await ledger.close();
    }
  });

  it('races on a directory store too (durable appends, file reads)', async () => {
    const { dir, remove } = tempDir();
    try {
      const ledger = await Ledger.open(await DirectoryStore.open(join(dir, 'ledger')));
      await fill(ledger, 10);
      const burst = Promise.all(range(0, 39).map((i) => ledger.append(sessionStart(`b${i}`))));
      await tick();
      const got = await until(ledger, 0, 49, { pageSize: 4 });
      await burst;
      expect(got).to.deep.equal(range(0, 49));
      await ledger.close();
    } finally {
      remove();
    }
  });

  it('pages history: no read larger than pageSize, and a subscriber that stops early stops the reading', async () => {
    const store = new CountingStore();
    const ledger = await Ledger.open(store);
    await fill(ledger, 1000);
    const first = await firstValueFrom(ledger.stream({ from: 100, pageSize: 10 }).pipe(take(15), toArray()));
    expect(first.map((e) => e.sequence)).to.deep.equal(range(100, 114));
    await tick();
    for (const [from, to] of store.scans) expect(to! - from + 1).to.be.at.most(10);
    expect(store.scans.length).to.be.at.most(2);
    await ledger.close();
  });

  it('unsubscribing releases the live subscription', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    await fill(ledger, 3);
    const seen: number[] = [];
    const sub = ledger.stream().subscribe((e) => seen.push(e.sequence));
    // Made by the first read of events$ (stream() reads it), not with the ledger.
    const appended = (ledger as unknown as { appended: { observed: boolean } }).appended;
    expect(appended.observed).to.equal(true);
    await tick();
    sub.unsubscribe();
    expect(appended.observed).to.equal(false);
    await fill(ledger, 2);
    expect(seen).to.deep.equal([0, 1, 2]);
    await ledger.close();
  });

  it('events$ first read after close() completes at once; read twice it is one observable', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    await ledger.close();
    expect(ledger.events$).to.equal(ledger.events$);
    let completed = false;
    ledger.events$.subscribe({ complete: () => (completed = true) });
    expect(completed).to.equal(true);
  });

  it('completes when the ledger closes', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    await fill(ledger, 2);
    const all = firstValueFrom(ledger.stream().pipe(toArray()));
    await tick();
    await ledger.append(sessionStart('late'));
    await ledger.close();
    expect((await all).map((e) => e.sequence)).to.deep.equal([0, 1, 2]);
  });

  it('refuses a bad `from`, naming it', async () => {
    const ledger = await Ledger.open(new MemoryStore() as LedgerStore);
    expect(() => ledger.stream({ from: -1 })).to.throw(LedgerValidationError, 'from:');
    expect(() => ledger.stream({ from: 1.5 })).to.throw(LedgerValidationError, 'from:');
    await ledger.close();
  });
});
