import { existsSync } from 'node:fs';
import { openStore } from '../../stores/openStore.js';
import { isImmudbAddress } from '../../stores/immudb/immudbConfig.js';
import { defineCommand, requireOption, storeConfig, storeOptions } from '../args.js';
import { EXIT, UsageError } from '../command.js';
import { countOf, summary } from '../progress.js';

export const reindex = defineCommand({
  name: 'reindex',
  summary: "rebuild the store's indexes from the ledger",
  usage: `--store STORE`,
  description: `Rebuilds the store's indexes (streams, event ids, hashes, types, actors, frameworks,
times) from the ledger's events, and prints {"events":N}, the number of events indexed.
Indexes are derived data: the ledger itself is only read, never changed. Use it after an
index was lost or damaged; the ledger checks every event an index names in any case.`,
  options: storeOptions('opened for writing: the directory store takes its writer lock'),
  json: true,
  exit: `Exit: 0 rebuilt, 2 usage or I/O error (e.g. another process holds the writer lock).`,

  async execute({ values, positionals }, io) {
    const address = requireOption(values, 'store');
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    // A directory that does not exist would be created as an empty ledger: refuse it instead.
    if (!isImmudbAddress(address) && !existsSync(address)) throw new UsageError(`--store: no ledger at ${JSON.stringify(address)}`);
    const store = await openStore(address, storeConfig(values));
    try {
      const started = process.hrtime.bigint();
      const events = await store.index.rebuild();
      io.stdout.write(`${JSON.stringify({ events })}\n`);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      summary(io, 'reindex', `indexed ${countOf(events, 'event')} in ${seconds.toFixed(2)} s`, { events, seconds: Number(seconds.toFixed(3)) });
      return EXIT.ok;
    } finally {
      await store.close();
    }
  },
});
