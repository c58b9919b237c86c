import { promoteImmudb } from '../../stores/immudb/promoteImmudb.js';
import { isImmudbAddress, resolveImmudbConfig } from '../../stores/immudb/immudbConfig.js';
import { defineCommand, requireOption, storeConfig } from '../args.js';
import { EXIT, UsageError } from '../command.js';

export const promote = defineCommand({
  name: 'promote',
  summary: 'failover: make an immudb replica database the primary (takes appends from then on)',
  usage: `--store immudb://R:PORT/DB [--config FILE]`,
  description: `Turns the replica database DB into a primary (UpdateDatabaseV2 with replica=false; an
asynchronous primary that waits for no replica). Procedure (docs/immudb.md "Failover"):
make sure the old primary is stopped for good (two primaries fork the ledger), promote a
SYNCHRONOUS replica (it holds every transaction the old primary acknowledged; an asynchronous
one may miss the last ones), point writers at it, then verify.

Credentials as for bootstrap: the configured user must be an immudb admin of DB.

Prints {"store":"immudb://HOST:PORT/DB","promoted":true}.`,
  options: {
    store: { value: 'STORE', description: 'immudb://HOST:PORT/DB of the replica' },
    config: { value: 'FILE', description: 'JSON config file with an "immudb" section' },
  },
  json: true,
  exit: `Exit: 0 promoted, 2 usage error or server unreachable / refused.`,

  async execute({ values, positionals }, io) {
    const store = requireOption(values, 'store');
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    if (!isImmudbAddress(store)) throw new UsageError(`--store must be immudb://HOST:PORT/DB, got ${JSON.stringify(store)}`);
    const result = await promoteImmudb(resolveImmudbConfig({ address: store, ...storeConfig(values) }));
    io.stdout.write(`${JSON.stringify({ store: result.address, promoted: true })}\n`);
    return EXIT.ok;
  },
});
