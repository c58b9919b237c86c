// Child process for subscription tests: appends COUNT events to a directory store, event i to
// stream `order-<i % 3>` when i is even and `cart-<i % 2>` when odd, one every DELAY_MS, and
// prints "ack <sequence> <stream>" once each is durable.
// Usage: node streamAppendLoop.js DIR COUNT DELAY_MS
import { DirectoryStore, Ledger } from '../../src/index.js';
import { sessionStart } from './fixtures.js';

const [dir, countText, delayText] = process.argv.slice(2);
const count = Number(countText);
const delay = Number(delayText ?? '0');

/** The stream of event i (the specs compute the same to know what each filter should see). */
const streamOf = (i: number): string => (i % 2 === 0 ? `order-${i % 3}` : `cart-${i % 2}`);

if (dir !== undefined) {
  try {
    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    const start = (await ledger.getTip()).sequence_number + 1;
    for (let i = start; i < start + count; i++) {
      const { sequence } = await ledger.append({ ...sessionStart(`s${i}`), stream_id: streamOf(i) });
      process.stdout.write(`ack ${sequence} ${streamOf(i)}\n`);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    }
    await ledger.close();
  } catch (e) {
    process.stdout.write(`error ${(e as Error).name} ${(e as Error).message}\n`);
    process.exitCode = 3;
  }
}
