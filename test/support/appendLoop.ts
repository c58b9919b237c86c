// Child process for crash and concurrency tests: appends to a directory store in a loop and
// prints "ack <sequence> <id>" after each append resolves (i.e. once it is durable).
// Usage: node appendLoop.js DIR COUNT PAYLOAD_BYTES TAG
import { DirectoryStore, Ledger } from '../../src/index.js';
import { provenance } from './fixtures.js';

const [dir, countText, bytesText, tag] = process.argv.slice(2);
const count = Number(countText ?? 'Infinity');
const padding = 'x'.repeat(Number(bytesText ?? '0'));

try {
  const ledger = await Ledger.open(await DirectoryStore.open(dir!));
  process.stdout.write('open\n');
  for (let i = 0; i < count; i++) {
    const id = `${tag}-${i}`;
    const payload = { session_id: id, padding }; // an extra field, kept (a literal would not type-check)
    const { sequence: seq } = await ledger.append({ event_type: 'session_start', schema_version: '1.0.0', provenance, payload });
    process.stdout.write(`ack ${seq} ${id}\n`);
  }
  await ledger.close();
} catch (e) {
  process.stdout.write(`error ${(e as Error).name} ${(e as Error).message}\n`);
  process.exitCode = 3;
}
