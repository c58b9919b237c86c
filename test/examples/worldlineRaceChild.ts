// A decider in its own process (for worldline.spec's cross-process race): for each commitment
// hash given, waits for the writer lock, opens the ledger, records an outcome (tag A) or a
// rejection (tag B), closes; prints "won i" or "refused i CODE".
//   node worldlineRaceChild.js <ledger dir> <states dir> <A|B> <hash>...
import { setTimeout as sleep } from 'node:timers/promises';
import { DirectoryStore, Ledger, LedgerLockedError } from '../../src/index.js';
import { WorldLineError, WorldLines, worldLineRegistry } from '../../examples/worldline/index.js';

const [dir, states, tag, ...hashes] = process.argv.slice(2);

async function openWriter(): Promise<DirectoryStore> {
  for (;;) {
    try {
      return await DirectoryStore.open(dir!);
    } catch (e) {
      if (!(e instanceof LedgerLockedError)) throw e;
      await sleep(1 + Math.random() * 3);
    }
  }
}

for (const [i, commitment_hash] of hashes.entries()) {
  const ledger = await Ledger.open(await openWriter(), { registry: worldLineRegistry() });
  const wl = new WorldLines(ledger, { snapshotDir: states! });
  try {
    if (tag === 'A') await wl.appendOutcome({ worldline_id: 'w1', commitment_hash, effects: { [`c${i}`]: 'A' } });
    else await wl.appendRejectionOutcome({ worldline_id: 'w1', commitment_hash, reason: 'B' });
    process.stdout.write(`won ${i}\n`);
  } catch (e) {
    if (!(e instanceof WorldLineError)) throw e;
    process.stdout.write(`refused ${i} ${e.code}\n`);
  } finally {
    await ledger.close();
  }
}
