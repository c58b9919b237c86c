// Named consumers (ledger.consume + FileConsumerCheckpoint): the position advances only after
// the handler succeeded, a restart resumes after it, and the checkpoint file is untrusted input:
// whatever is put there, the consumer either resumes exactly or refuses with a typed error
// before delivering anything.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import {
  CONSUMERS_DIR, DirectoryStore, FileConsumerCheckpoint, Ledger, LedgerConsumerCheckpointError, LedgerLockedError, LedgerValidationError, MemoryStore,
  type LedgerEvent, type SubscribeOptions,
} from '../../src/index.js';
import { sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => expect.fail('expected a rejection'), (e: unknown) => e);
}

describe('named consumers (ledger.consume, FileConsumerCheckpoint)', () => {
  let dir: string;
  let remove: () => void;
  let ledger: Ledger;
  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    ledger = await Ledger.open(await DirectoryStore.open(dir));
    for (let i = 0; i < 10; i++) await ledger.append(sessionStart(`s${i}`));
  });
  afterEach(async () => {
    await ledger.close();
    remove();
  });

  /** Runs consumer `name` until it handled `count` events; returns the sequences handled. */
  async function run(name: string, count: number, options: SubscribeOptions = {}, handler: (e: LedgerEvent) => unknown = () => undefined): Promise<number[]> {
    const consumer = await FileConsumerCheckpoint.open(name, ledger);
    try {
      const seen: number[] = [];
      await lastValueFrom(ledger.consume(options, consumer, (e) => (seen.push(e.sequence), handler(e))).pipe(take(count), toArray()));
      return seen;
    } finally {
      await consumer.close();
    }
  }

  const checkpointFile = (name: string) => join(dir, CONSUMERS_DIR, `${name}.checkpoint.json`);

  it('resumes after the last event handled; the file is <ledger>/consumers/NAME.checkpoint.json with that event\'s hash', async () => {
    expect(await run('mailer', 4)).to.deep.equal([0, 1, 2, 3]);
    const saved = JSON.parse(readFileSync(checkpointFile('mailer'), 'utf8')) as { consumer: string; sequence: number; hash: string };
    expect(saved).to.deep.equal({ consumer: 'mailer', sequence: 3, hash: (await ledger.read(3)).hash });
    expect(await run('mailer', 6)).to.deep.equal([4, 5, 6, 7, 8, 9]);
    // Live: the next run waits for new events.
    const live = run('mailer', 2);
    await ledger.append(sessionStart('s10'));
    await ledger.append(sessionStart('s11'));
    expect(await live).to.deep.equal([10, 11]);
    // Another name has its own position; `from` applies to its first run only.
    expect(await run('audit', 2, { from: 8 })).to.deep.equal([8, 9]);
    expect(await run('audit', 1, { from: 0 })).to.deep.equal([10]);
  });

  it('history scan: the same resumption, every event of the history chain-checked', async () => {
    expect(await run('scanner', 3, { history: 'scan', eventTypes: ['session_start'] })).to.deep.equal([0, 1, 2]);
    expect(await run('scanner', 7, { history: 'scan', eventTypes: ['session_start'] })).to.deep.equal([3, 4, 5, 6, 7, 8, 9]);
  });

  it('a slow handler behind a burst of live events: the waiting events are re-read as history, each handled once, in order', async () => {
    const consumer = await FileConsumerCheckpoint.open('slow', ledger);
    const seen: number[] = [];
    const done = lastValueFrom(
      ledger.consume({ pageSize: 2 }, consumer, async (e) => {
        seen.push(e.sequence);
        await new Promise((r) => setTimeout(r, 5));
      }).pipe(take(40)),
    );
    await new Promise((r) => setTimeout(r, 20)); // in the history or just past it
    for (let i = 10; i < 40; i++) await ledger.append(sessionStart(`s${i}`));
    await done;
    await consumer.close();
    expect(seen).to.deep.equal([...Array(40).keys()]);
  });

  it('a handler that fails leaves the position at the last event handled: the failed event comes again (at-least-once)', async () => {
    const consumer = await FileConsumerCheckpoint.open('flaky', ledger);
    const err = await rejection(
      lastValueFrom(ledger.consume({}, consumer, (e) => {
        if (e.sequence === 5) return Promise.reject(new Error('smtp down'));
        return undefined;
      })),
    );
    expect((err as Error).message).to.equal('smtp down');
    expect((await consumer.load())!.sequence).to.equal(4);
    await consumer.close();
    expect(await run('flaky', 2)).to.deep.equal([5, 6]);
  });

  it('with a filter, only matching events are handled and the position is the last one handled', async () => {
    await ledger.append({ ...sessionStart('o1'), stream_id: 'order-1' });
    await ledger.append(sessionStart('x'));
    await ledger.append({ ...sessionStart('o2'), stream_id: 'order-2' });
    expect(await run('orders', 1, { streamPrefix: 'order-' })).to.deep.equal([10]);
    const next = run('orders', 2, { streamPrefix: 'order-' });
    await ledger.append({ ...sessionStart('o3'), stream_id: 'order-1' });
    expect(await next).to.deep.equal([12, 13]);
  });

  it('one process per consumer name: a second open is LedgerLockedError naming the consumer; after close it opens', async () => {
    const first = await FileConsumerCheckpoint.open('single', ledger);
    const err = await rejection(FileConsumerCheckpoint.open('single', ledger));
    expect(err).to.be.instanceOf(LedgerLockedError);
    expect((err as Error).message).to.include('consumer "single"').and.include(`pid ${process.pid}`);
    await first.close();
    await (await FileConsumerCheckpoint.open('single', ledger)).close();
  });

  it('bad names and a store without a directory are LedgerValidationError', async () => {
    for (const name of ['', '../up', 'a/b', '.hidden', 'x'.repeat(101), 'sp ace', 7]) {
      const err = await rejection(FileConsumerCheckpoint.open(name as string, ledger));
      expect(err, String(name)).to.be.instanceOf(LedgerValidationError).with.property('path', 'consumer');
    }
    const memory = await Ledger.open(new MemoryStore());
    expect(await rejection(FileConsumerCheckpoint.open('m', memory))).to.be.instanceOf(LedgerValidationError).with.property('path', 'dir');
    const elsewhere = await FileConsumerCheckpoint.open('m', join(dir, 'elsewhere'));
    await memory.append(sessionStart('m0'));
    expect(await firstValueFrom(memory.consume({}, elsewhere, () => undefined))).to.include({ sequence: 0 });
    expect(JSON.parse(readFileSync(join(dir, 'elsewhere', 'm.checkpoint.json'), 'utf8'))).to.include({ sequence: 0 });
    await elsewhere.close();
    await memory.close();
  });

  describe('the checkpoint file is untrusted: typed error, nothing delivered, nothing written', () => {
    const planted: Array<[string, (file: string) => void, RegExp]> = [
      ['a position past the tip', (f) => writeFileSync(f, JSON.stringify({ consumer: 'c', sequence: 10, hash: `sha256:${'a'.repeat(64)}` })), /past the ledger's tip 9/],
      ['another event\'s hash', (f) => writeFileSync(f, JSON.stringify({ consumer: 'c', sequence: 3, hash: `sha256:${'a'.repeat(64)}` })), /the ledger holds sha256:/],
      ['garbage', (f) => writeFileSync(f, 'not json'), /is not JSON/],
      ['invalid UTF-8', (f) => writeFileSync(f, Buffer.from([0x7b, 0xff, 0x7d])), /not UTF-8/],
      ['another consumer\'s record', (f) => writeFileSync(f, JSON.stringify({ consumer: 'other', sequence: 1, hash: `sha256:${'a'.repeat(64)}` })), /of consumer "other"/],
      ['an extra field', (f) => writeFileSync(f, JSON.stringify({ consumer: 'c', sequence: 1, hash: `sha256:${'a'.repeat(64)}`, skip: 5 })), /does not hold a checkpoint/],
      ['a negative sequence', (f) => writeFileSync(f, JSON.stringify({ consumer: 'c', sequence: -1, hash: `sha256:${'a'.repeat(64)}` })), /expected an integer >= 0/],
      ['a fractional sequence', (f) => writeFileSync(f, JSON.stringify({ consumer: 'c', sequence: 2.5, hash: `sha256:${'a'.repeat(64)}` })), /expected an integer >= 0/],
      ['a bad hash', (f) => writeFileSync(f, JSON.stringify({ consumer: 'c', sequence: 2, hash: 'sha256:XYZ' })), /expected sha256:/],
      ['an array', (f) => writeFileSync(f, '[1,2]'), /does not hold a checkpoint/],
      ['a huge file', (f) => writeFileSync(f, ' '.repeat(1 << 20)), /too large/],
      ['a symbolic link to a valid checkpoint', (f) => {
        const real = join(dir, 'real.json');
        writeFileSync(real, JSON.stringify({ consumer: 'c', sequence: 8 }));
        symlinkSync(real, f);
      }, /symbolic link/],
      ['a FIFO', (f) => execFileSync('mkfifo', [f]), /not a regular file \(a FIFO\)/],
      ['a directory', (f) => mkdirSync(f), /not a regular file \(a directory\)/],
    ];
    for (const [what, plant, message] of planted) {
      it(what, async () => {
        mkdirSync(join(dir, CONSUMERS_DIR), { recursive: true });
        plant(checkpointFile('c'));
        const before = readdirSync(join(dir, CONSUMERS_DIR)).sort();
        const consumer = await FileConsumerCheckpoint.open('c', ledger);
        let handled = 0;
        const err = await rejection(lastValueFrom(ledger.consume({}, consumer, () => void handled++)));
        await consumer.close();
        expect(err).to.be.instanceOf(LedgerConsumerCheckpointError).with.property('consumer', 'c');
        expect((err as LedgerConsumerCheckpointError).path).to.equal(checkpointFile('c'));
        expect((err as Error).message).to.match(message);
        expect(handled).to.equal(0);
        expect(readdirSync(join(dir, CONSUMERS_DIR)).sort()).to.deep.equal(before);
      });
    }

    it('a removed checkpoint starts the consumer again from its first event (repeats, never a skip)', async () => {
      expect(await run('c', 3)).to.deep.equal([0, 1, 2]);
      execFileSync('rm', [checkpointFile('c')]);
      expect(await run('c', 2)).to.deep.equal([0, 1]);
    });
  });
});
