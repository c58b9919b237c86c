// Child process for the batch crash tests (issue 22): appends atomic batches of 2..6 events to a
// directory store and prints "ack <first sequence> <size> <tag>" once each batch is durable.
// FMWK_LEDGER_TEST_KILL_IN_BATCH (see directoryStore.ts) makes it SIGKILL itself inside one.
// Usage: node batchLoop.js DIR COUNT TAG
import { DirectoryStore, Ledger } from '../../src/index.js';
import { provenance } from './fixtures.js';

const [dir, countText, tag] = process.argv.slice(2);
const count = Number(countText ?? 'Infinity');

try {
  const ledger = await Ledger.open(await DirectoryStore.open(dir!));
  process.stdout.write('open\n');
  for (let b = 0; b < count; b++) {
    const size = 2 + (b % 5);
    const id = `${tag}-${b}`;
    const events = Array.from({ length: size }, (_, i) => ({
      event_type: 'session_start' as const, schema_version: '1.0.0', provenance, payload: { session_id: `${id}-${i}` },
    }));
    const results = await ledger.appendToStream(`stream-${tag}`, events);
    process.stdout.write(`ack ${results[0]!.sequence} ${size} ${id}\n`);
  }
  await ledger.close();
} catch (e) {
  process.stdout.write(`error ${(e as Error).name} ${(e as Error).message}\n`);
  process.exitCode = 3;
}
