// Child process of the immudb batch crash campaign (test/hostile/immudbBatchCrash.int.spec):
// appends batches of 2..10 events to the immudb store named by the IMMUDB_* environment, each
// event with an event_id fixed before the first try, and after each batch resolves prints
// "ack <tag> <i> <size> <first sequence>". A lost connection (the server killed) retries the
// same batch, same ids, until it resolves: the ledger's idempotent retry settles an append whose
// outcome was unknown. Any other error prints "error ..." and exits 3.
// Usage: node immudbBatchLoop.js TAG
import { randomUUID } from 'node:crypto';
import { isLedgerError, Ledger } from '../../src/index.js';
import { resolveImmudbConfig } from '../../src/stores/immudb/immudbConfig.js';
import { ImmudbStore } from '../../src/stores/immudb/immudbStore.js';
import { sessionStart } from './fixtures.js';

/** The size of batch `i` of a loop: 2..10, varied so kills meet batches of every size. */
const batchSize = (i: number): number => 2 + ((i * 7) % 9);

const [tag] = process.argv.slice(2) as [string];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

try {
  const store = await ImmudbStore.open(resolveImmudbConfig(), { callTimeoutMs: 3_000, reconnectDelayMs: 100, appendResolveTimeoutMs: 2_000 });
  const ledger = await Ledger.open(store);
  process.stdout.write('open\n');
  for (let i = 0; ; i++) {
    const k = batchSize(i);
    const events = Array.from({ length: k }, (_, j) => ({ ...sessionStart(`${tag}-${i}-${j}`), event_id: randomUUID() }));
    for (let attempt = 0; ; attempt++) {
      try {
        const results = await ledger.appendToStream(`${tag}-${i % 4}`, events);
        process.stdout.write(`ack ${tag} ${i} ${k} ${results[0]!.sequence}\n`);
        break;
      } catch (e) {
        if (!isLedgerError(e, 'LEDGER_CONNECTION') && !isLedgerError(e, 'LEDGER_APPEND_UNCERTAIN')) throw e;
        if (attempt >= 200) throw e;
        process.stdout.write(`retry ${tag} ${i} ${(e as Error).name}\n`);
        await sleep(100);
      }
    }
  }
} catch (e) {
  process.stdout.write(`error ${(e as Error).name} ${(e as Error).message}\n`);
  process.exitCode = 3;
}
