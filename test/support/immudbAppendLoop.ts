// Child process for the failover test: appends to the immudb store named by the IMMUDB_*
// environment in a loop and, after each append resolves (acknowledged by the primary), appends
// "<sequence> <hash>" to ACKFILE and prints "ack <sequence>". Ends at the first error.
// Usage: node immudbAppendLoop.js ACKFILE TAG
import { appendFileSync } from 'node:fs';
import { Ledger } from '../../src/index.js';
import { resolveImmudbConfig } from '../../src/stores/immudb/immudbConfig.js';
import { ImmudbStore } from '../../src/stores/immudb/immudbStore.js';
import { sessionStart } from './fixtures.js';

const [ackFile, tag] = process.argv.slice(2) as [string, string];

try {
  // Short deadlines: once the primary is gone the loop should end, not retry for long.
  const store = await ImmudbStore.open(resolveImmudbConfig(), { callTimeoutMs: 3_000, reconnectDelayMs: 100, appendResolveTimeoutMs: 1_000 });
  const ledger = await Ledger.open(store);
  process.stdout.write('open\n');
  for (let i = 0; ; i++) {
    const seq = await ledger.append(sessionStart(`${tag}-${i}`));
    appendFileSync(ackFile, `${seq} ${(await ledger.getTip()).hash}\n`);
    process.stdout.write(`ack ${seq}\n`);
  }
} catch (e) {
  process.stdout.write(`error ${(e as Error).name} ${(e as Error).message}\n`);
  process.exitCode = 3;
}
